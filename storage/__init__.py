"""The SQLite database, incident-record ingest, and queries over what was stored."""
