"""citewatch: keeps the sources cited by an incident database honest.

The packages are small and each has one job:

- ``citewatch.config``: typed settings loaded from TOML;
- ``citewatch.storage``: the SQLite database and ingest of incident records;
- ``citewatch.crawler``: the Scrapy spider, extraction and classification of what it found;
- ``citewatch.scheduler``: the ``citewatch`` command line.
"""

__version__ = "0.1.0"
