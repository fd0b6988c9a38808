"""Where every source stands: the data behind `citewatch status`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from citewatch.model import State

from .copies import verified_copy
from .database import answered_from, cited

# The keys of `status --json`, a public contract.
STATUS_KEYS = (
    "url",
    "state",
    "reason",
    "http_status",
    "final_url",
    "last_checked",
    "last_changed",
    "changes",
    "archive_url",
    "incidents",
)


@dataclass(frozen=True)
class SourceStatus:
    url: str
    state: State
    reason: str | None
    http_status: int | None
    final_url: str | None
    last_checked: str | None
    last_changed: str | None
    changes: int
    archive_url: str | None  # its newest verified Wayback copy
    incidents: list[str]
    next_check_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in STATUS_KEYS}


def source_statuses(db: Database, incident: str | None = None, state: State | None = None) -> Iterator[SourceStatus]:
    """Every cited source, optionally only those of one incident or in one state, one at a
    time (a million sources stream through in constant memory). An incident's sources are
    found through its citations' index, a state's through the sources' state index."""
    params: list[Any] = []
    if incident is not None:
        source = "(SELECT DISTINCT source_id AS id FROM citations WHERE incident_slug = ?) AS chosen JOIN sources s USING (id)"
        params.append(incident)
    else:
        source = "sources s"
    conditions = [cited("s")]
    if state is not None:
        conditions.append("s.state = ?")
        params.append(state)
    rows = db.execute(
        f"""
        SELECT s.cited_url, s.state, s.reason, s.http_status, {answered_from("s", "s")}, s.last_checked,
               (SELECT MAX(at) FROM events WHERE events.source_id = s.id AND kind = 'changed'),
               (SELECT COUNT(*) FROM events WHERE events.source_id = s.id AND kind = 'changed'),
               {verified_copy("s")},
               (SELECT json_group_array(DISTINCT incident_slug) FROM citations WHERE source_id = s.id),
               s.next_check_at
        FROM {source}
        WHERE {' AND '.join(conditions)}
        ORDER BY s.id
        """,
        params,
    )
    for row in rows:
        yield SourceStatus(row[0], State(row[1]), *row[2:9], sorted(json.loads(row[9])), row[10])


def incident_slugs(db: Database, prefix: str = "", limit: int = 200) -> list[str]:
    """The slugs of incidents that start with `prefix`, in order (for shell completion)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.execute("SELECT slug FROM incidents WHERE slug LIKE ? ESCAPE '\\' AND retired_at IS NULL ORDER BY slug LIMIT ?",
                      [escaped + "%", limit])
    return [row[0] for row in rows]


def incident_exists(db: Database, slug: str) -> bool:
    return db.execute("SELECT 1 FROM incidents WHERE slug = ?", [slug]).fetchone() is not None
