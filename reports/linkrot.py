"""The link-rot report's data: every citation of every incident, where it stands, what
to cite instead, and how the states of all sources moved over time. From the database
alone: no network."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlite_utils import Database

from citewatch.model import Change, State, StoredSnapshot
from citewatch.storage.reporting import (
    CitationRow,
    IncidentSummary,
    citation_rows,
    drifting_versions,
    holding_share,
    incident_rows,
    incident_summaries,
    source_state_counts,
    state_history,
)
from citewatch.times import to_iso, utc_now

REPORT_STATES = (State.OK, "changed", State.FAILING, State.DEAD, State.BLOCKED, State.MOVED, State.NEW)
CHART_STATES = (State.OK, State.MOVED, State.BLOCKED, State.FAILING, State.DEAD)


@dataclass
class IncidentReport:
    slug: str
    title: str | None
    url: str | None
    category: str | None
    citations: list[CitationRow] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(c.state for c in self.citations)

    @property
    def health(self) -> float:
        return holding_share(self.counts())

    @property
    def dead_citations(self) -> list[CitationRow]:
        return [c for c in self.citations if c.state == State.DEAD]


@dataclass
class SiteReport:
    generated_at: str
    incidents: Iterable[IncidentReport]  # whose pages are written (all, or those changed since the last report): once
    summaries: list[IncidentSummary]  # every incident, worst first: the index
    source_states: Counter[str]  # per distinct source
    changed_sources: int
    history: list[tuple[str, Counter[str]]]  # (day, sources per state at its end)
    browse_url: str | None = None  # `citewatch serve`'s address: pages link their rows there

    @property
    def share_with_dead(self) -> float:
        with_dead = sum(1 for summary in self.summaries if summary.dead)
        return with_dead / len(self.summaries) if self.summaries else 0.0


Compare = Callable[[int, StoredSnapshot, StoredSnapshot], Change | None]  # (source id, cited, latest) -> the change


PAGE_BATCH = 500  # incidents whose citations are read and held at once (see citation_rows)


def _incident_pages(db: Database, incident: str | None, only: set[str] | None,
                    compare: Compare | None) -> Iterator[IncidentReport]:
    """The incidents whose pages are written, with their citations, read PAGE_BATCH
    incidents at a time: a million citations held at once took 2 GB."""
    heads = [row for row in incident_rows(db, incident) if only is None or row.slug in only]
    for start in range(0, len(heads), PAGE_BATCH):
        pages = {row.slug: IncidentReport(row.slug, row.title, row.url, row.category)
                 for row in heads[start:start + PAGE_BATCH]}
        rows = citation_rows(db, incident, list(pages))
        if compare is not None:
            pairs = drifting_versions(db, rows)
            by_source = {row.cited_snapshot_id: row.source_id for row in rows}
            drifts = {pinned: compare(by_source[pinned], cited, latest) for pinned, (cited, latest) in pairs.items()}
            for row in rows:
                row.drift = drifts.get(row.cited_snapshot_id) if row.cited_snapshot_id is not None else None
        for row in rows:
            pages[row.incident].citations.append(row)
        yield from pages.values()


def build_report(db: Database, incident: str | None = None, days: int = 90, compare: Compare | None = None,
                 browse_url: str | None = None, only: set[str] | None = None) -> SiteReport:
    """The report's data: the index's from summaries (grouped queries and the states kept
    by day), each page's citations for the incidents in `only` (all when None). With
    `compare`, each citation whose source changed since the version it cited shows the
    drift: the change from that version to the latest. With `browse_url`, pages link to
    the rows of `citewatch serve` there."""
    summaries = sorted(incident_summaries(db, incident), key=lambda i: (-i.dead, -i.broken, i.health, i.slug))
    states, changed = source_state_counts(db, incident)
    return SiteReport(
        generated_at=to_iso(utc_now()),
        incidents=_incident_pages(db, incident, only, compare),
        summaries=summaries,
        source_states=states,
        changed_sources=changed,
        history=state_history(db, days, incident),
        browse_url=browse_url,
    )
