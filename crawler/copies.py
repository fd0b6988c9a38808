"""Wayback copies, checked before anyone is told to cite them.

A capture (just saved, or found through the CDX API) is fetched back from the Wayback
Machine and judged like any fetched page, by the same judges: a capture of a not-found
page, a bot check, a consent or sign-in wall, a parked domain or an error is unusable.
A capture that holds less than half of the words of the version citewatch archived at the
time of the capture is not the article either (a not-found page in the site's template, a
wall no judge named). Any other is held against that version as two versions of a source
are compared (crawler/change.py): verified
when its headline and text are that version's, noise aside; a mismatch when they differ
(an edit made before or after, another article), with the similarity and what changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlite_utils import Database
from w3lib.encoding import html_to_unicode

from citewatch.model import CopyVerdict, FetchResult, SourceToCheck, StoredSnapshot, reason_words
from citewatch.storage.checks import volatile_signatures
from citewatch.storage.copies import copies_to_judge, local_version, save_verdict
from citewatch.storage.wayback import ArchivedCopy, SaveFailed, WaybackBusy, WaybackClient
from citewatch.times import to_iso

from .change import compare_articles
from .extract import extract_content
from .judges import Judges
from .noise import Noise
from .pages import STILL_THE_ARTICLE, coverage
from .text import HTML_TYPES

logger = logging.getLogger(__name__)


def judge_copy(copy: ArchivedCopy, source_id: int, local: StoredSnapshot | None, judges: Judges,
               noise: Noise, volatile: Iterable[str] = ()) -> CopyVerdict:
    """What the copy is worth, against the local version current when it was captured."""
    result = _as_fetch(copy, source_id, local)
    verdict = judges.verdict(result)
    if not verdict.is_good:
        return CopyVerdict("unusable", reason_words(verdict.reason) or verdict.outcome)
    if result.extraction is None or not result.extraction.text.strip():
        return CopyVerdict("unusable", "no article text in the copy")
    if local is None:
        return CopyVerdict("unchecked", "citewatch archived no version of the page to hold it against")
    held = coverage(local.extraction.text, result.extraction.text + "\n" + (result.extraction.title or ""))
    if held < STILL_THE_ARTICLE:  # a page in the site's template, a wall or a notice no judge named
        return CopyVerdict("unusable", f"not the article: it holds {held:.0%} of the text of the version of "
                                       f"{local.taken_at[:10]}", round(held, 4), local.id)
    change = compare_articles(local.extraction, result.extraction, volatile, noise).change
    if change is None:
        return CopyVerdict("verified", None, 1.0, local.id)
    return CopyVerdict("mismatch", f"unlike the version of {local.taken_at[:10]}: {change.summary}", change.similarity, local.id)


def _as_fetch(copy: ArchivedCopy, source_id: int, local: StoredSnapshot | None) -> FetchResult:
    """The copy as a fetch of the original page, the local version as the article last seen."""
    content_type = next((value for name, value in copy.headers if name.lower() == "content-type"), None)
    html = None
    if copy.body and (content_type or "text/html").split(";")[0].strip().lower() in HTML_TYPES:
        # Decoded as Scrapy decodes a page (w3lib: the header's charset, a BOM or the page's
        # own), without loading Scrapy into a command that only works the Wayback queue.
        html = html_to_unicode(content_type, copy.body)[1]
    result = FetchResult(
        source=SourceToCheck(source_id, copy.original_url),
        fetched_at=copy.captured_at,
        http_status=copy.status,
        final_url=copy.final_url,
        redirects=copy.redirects,
        content_type=content_type,
        body=copy.body,
        html=html,
        last_seen=local,
    )
    if result.is_success and (result.is_html or result.is_pdf):
        result.extraction = extract_content(result.is_html, html if html is not None else copy.body, copy.final_url)
    return result


def judge_copies(db: Database, client: WaybackClient, judges: Judges, noise: Noise, clock: Callable[[], datetime],
                 max_seconds: float, keep_going: Callable[[], bool] = lambda: True) -> int:
    """Fetch back and judge each capture not judged yet, for at most `max_seconds`; how many were judged."""
    started, judged = time.monotonic(), 0
    for source_id, url, archive_url in copies_to_judge(db):
        if time.monotonic() - started > max_seconds or not keep_going():
            break
        try:
            copy = client.fetch_copy(archive_url)
        except WaybackBusy as error:
            logger.warning("Wayback Machine busy, copies not checked further: %s", error)
            break
        except SaveFailed as error:
            logger.info("the copy of %s could not be read, checked again later: %s", url, error)
            continue
        local = local_version(db, source_id, copy.captured_at)
        verdict = judge_copy(copy, source_id, local, judges, noise, volatile_signatures(db, source_id))
        save_verdict(db, source_id, archive_url, copy.captured_at, verdict, to_iso(clock()))
        logger.info("Wayback copy of %s: %s%s", url, verdict.verdict, f" ({verdict.reason})" if verdict.reason else "")
        judged += 1
    return judged
