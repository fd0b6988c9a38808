"""The database as a maintainer browses it (`citewatch serve`, Datasette): what each table
holds, the facets that answer "which", and canned queries for what is asked most.

Most of it reads the `cited_sources` view (one row per citation, with its incident, host
and state; made by a migration), which Datasette facets like a table.
"""

from __future__ import annotations

from typing import Any

from .copies import latest_judged, verified_copy
from .database import cited, host_of

DATABASE_NAME = "citewatch"  # Datasette names a database after its file


_INCIDENTS_OF = "(SELECT group_concat(incident_slug, ', ') FROM (SELECT DISTINCT incident_slug FROM citations " \
                "WHERE citations.source_id = s.id ORDER BY incident_slug))"

QUERIES: dict[str, dict[str, Any]] = {
    "dead_by_incident": {
        "title": "Dead sources by incident",
        "description": "Every citation whose source is dead, incident by incident, with the verified Wayback copy "
                       "to cite instead where there is one.",
        "sql": "SELECT incident, incident_title, title, url, reason, failing_since, last_ok, verified_copy "
               "FROM cited_sources WHERE state = 'dead' ORDER BY incident, url",
    },
    "changes_this_week": {
        "title": "Changes this week, with their diffs",
        "description": "Content changes found in the last seven days, newest first: what changed and the diff.",
        "sql": "SELECT e.at, e.summary, round(json_extract(e.detail, '$.similarity'), 2) AS similarity, "
               f"json_extract(e.detail, '$.diff') AS diff, s.cited_url AS url, {_INCIDENTS_OF} AS incidents "
               "FROM events e JOIN sources s ON s.id = e.source_id "
               "WHERE e.kind = 'changed' AND e.at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') ORDER BY e.at DESC",
    },
    "blocked_sources": {
        "title": "Blocked sources",
        "description": "Sources that answer with a bot check, a consent or login wall: whether the article is still "
                       "there is unknown. Grouped by host, since a block is usually a site's.",
        "sql": f"SELECT {host_of('s.url')} AS host, s.cited_url AS url, s.reason, s.last_checked, s.last_ok, "
               f"{_INCIDENTS_OF} AS incidents FROM sources s WHERE s.state = 'blocked' "
               f"AND {cited('s')} ORDER BY host, url",
    },
    "dead_without_verified_copy": {
        "title": "Dead sources without a verified archived copy",
        "description": "Dead sources with no Wayback copy checked against the version citewatch archived: why not "
                       "(the latest copy's verdict), and whether citewatch keeps a local copy.",
        "sql": f"SELECT s.cited_url AS url, s.reason, s.first_failure_at AS failing_since, s.last_ok AS local_copy_of, "
               f"json_extract({latest_judged('s')}, '$.verdict') AS latest_copy_verdict, "
               f"json_extract({latest_judged('s')}, '$.reason') AS latest_copy_reason, {_INCIDENTS_OF} AS incidents "
               f"FROM sources s WHERE s.state = 'dead' AND {verified_copy('s')} IS NULL "
               f"AND {cited('s')} ORDER BY failing_since, url",
    },
    "incident_sources": {
        "title": "Sources of one incident",
        "description": "Every citation of the incident whose slug you give, and where its source stands.",
        "sql": "SELECT role, title, publisher, url, state, reason, failing_since, last_checked, changes, last_changed, "
               "verified_copy, source_id FROM cited_sources WHERE incident = :incident ORDER BY citation_id",
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "cited_sources": {
        "description": "One row per citation: its incident, its source's host and state, and the verified copy to "
                       "cite instead. Facet by state, reason, host or incident.",
        "facets": ["state", "reason", "host", "incident"],
        "sort_desc": "failing_since",
    },
    "incidents": {"description": "One row per incident record ingested.", "label_column": "title",
                  "facets": ["category"]},
    "sources": {"description": "One row per cited URL (normalised): where it stands now. Its checks, snapshots "
                               "and events are linked from each row. final_url is empty when the last answer "
                               "came from the cited URL.",
                "label_column": "cited_url", "facets": ["state", "reason"]},
    "citations": {"description": "Which incident cites which source, in which role, and the version it cited.",
                  "facets": ["role"]},
    "checks": {"description": "One row per fetch of a source, whatever its outcome; a run of fetches that found "
                          "the source unchanged is one row, with how many (repeats) and the last one's time. "
                          "final_url is empty when the answer came from the address fetched.",
               "facets": ["outcome"],
               "sort_desc": "checked_at"},
    "snapshots": {"description": "Extracted text and metadata, stored when it differs from the version before."},
    "events": {"description": "What happened to a source (changed, dead, revived, moved, blocked), for alerts "
                              "and reports.", "facets": ["kind"], "sort_desc": "at"},
    "archive_copies": {"description": "Wayback copies fetched back and judged against citewatch's own version.",
                       "facets": ["verdict", "reason"]},
    "evidence": {"description": "Per archived version: the SHA-256 of its WARC records and its RFC 3161 timestamp token."},
    "wayback_queue": {"description": "Save Page Now submissions, pending and done.", "facets": ["status"]},
    "outbox": {"description": "Alert messages of every notifier: prepared, sent, or uncertain after a crash.",
               "facets": ["channel", "state"]},
    "check_failures": {"description": "Checks that failed inside citewatch before they could be stored."},
    "job_runs": {"description": "When each scheduled job last ran."},
    "source_changes": {"description": "Per source: how many content changes, and the last one."},
}

HIDDEN = ("volatile_signatures", "wayback_state", "_sqlite_migrations")


def browse_metadata() -> dict[str, Any]:
    """Datasette's metadata for the citewatch database."""
    tables = {name: dict(table) for name, table in TABLES.items()}
    tables.update({name: {"hidden": True} for name in HIDDEN})
    description = ("The sources cited by the incident database: where each stands, what changed, what died, "
                   "and what to cite instead. Read-only: citewatch keeps checking while you browse.")
    return {
        "title": "citewatch",
        "description": description,
        "databases": {DATABASE_NAME: {"description": description, "tables": tables, "queries": QUERIES}},
    }
