"""The Wayback Machine: a client for Save Page Now and the CDX API.

waybackpy builds the requests and parses CDX lines; its endpoints are instance attributes,
set here from `wayback.base_url`. Lines it cannot parse are left out before it sees them.
Two of its behaviours are replaced: it sets no timeouts
(every call here is bounded by `wayback.timeout`) and its archive-URL parser misses answers
that name the capture only in Content-Location (it searches the repr of the header dict).
With an access key, the authenticated SPN2 API is used (POST /save, then /save/status/JOB).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Generator

import requests
from waybackpy import WaybackMachineCDXServerAPI, WaybackMachineSaveAPI
from waybackpy.cdx_utils import full_url
from waybackpy.exceptions import WaybackError

from citewatch.config import WaybackSettings
from citewatch.model import Problem
from citewatch.times import to_iso
from citewatch.version import __version__

USER_AGENT = f"citewatch/{__version__} (link-rot monitor)"
POLL_SECONDS = 2  # between two polls of a Save Page Now job
MAX_POLLS = 30  # a job still pending after this many polls is tried again later
_CAPTURE_PATH = re.compile(r"/web/(\d{14})[^/]*/(.+)$")
_MEMENTO_LINK = re.compile(r"<([^>]*/web/\d{14}[^>]*)>\s*;\s*rel=\"[^\"]*memento")


class WaybackBusy(WaybackError):
    """The Wayback Machine asks us to slow down (429) or is failing (5xx): pause the queue."""


class SaveFailed(WaybackError):
    """This URL could not be saved this time; the queue retries it later."""


@dataclass(frozen=True)
class Capture:
    timestamp: str  # yyyyMMddhhmmss
    original: str
    archive_url: str


@dataclass(frozen=True)
class ArchivedCopy:
    """A Wayback capture as fetched back: its original page, as the Wayback Machine replays it."""

    archive_url: str  # the capture as a reader opens it
    original_url: str
    captured_at: str  # ISO 8601, from the capture's timestamp
    status: int  # the original answer's status, replayed
    final_url: str  # after redirects, in the original's form
    redirects: list[dict[str, Any]]  # {"url", "status"}, in the original's form
    headers: list[tuple[str, str]]
    body: bytes  # the toolbar and rewrite scripts of the framed form taken out
    framed: bool  # read from the framed form: the raw (id_) form failed


COPY_MAX_BYTES = 20_000_000
# The framed form wraps the original page in the Wayback Machine's own markup, between these.
_WAYBACK_INSERTS = (
    re.compile(rb"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->", re.S),
    re.compile(rb"<script[^>]*(?:archive\.org|/_static/|wombat)[^>]*>.*?</script>", re.S | re.I),
    re.compile(rb"<link[^>]*(?:/_static/)[^>]*>", re.I),
    re.compile(rb"<!-- End Wayback Rewrite JS Include -->", re.I),
)


def _readable_cdx_line(line: str) -> bool:
    """A CDX line waybackpy can read: its seven fields, and a timestamp that is a moment.
    waybackpy stops at the first line it cannot read, with an error; such a line is left out."""
    fields = line.split(" ")
    return len(fields) == 7 and _capture_parts(f"/web/{fields[1]}/{fields[2]}") is not None


def _capture_parts(url: str) -> tuple[str, str, str] | None:
    """(timestamp, original URL, capture time in ISO 8601) of a capture's address, in any of
    its forms; None when it names no capture (or no real moment: 14 digits can say month 13)."""
    match = _CAPTURE_PATH.search(url)
    if match is None:
        return None
    try:
        moment = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return match.group(1), match.group(2), to_iso(moment)


def _is_busy(response: requests.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


def _raise_for_status(response: requests.Response, what: str) -> None:
    if _is_busy(response):
        raise WaybackBusy(f"{what}: the Wayback Machine answered {response.status_code}")
    if response.status_code >= 400:
        raise SaveFailed(f"{what}: the Wayback Machine answered {response.status_code}")


class _SavePageNow(WaybackMachineSaveAPI):
    """waybackpy's anonymous Save Page Now call, bounded, and read correctly."""

    def __init__(self, url: str, base_url: str, timeout: float):
        super().__init__(url, user_agent=USER_AGENT, max_tries=1)
        self.base_url = base_url
        self.request_url = f"{base_url}/save/{self.url}"
        self.timeout = timeout

    def get_save_request_headers(self) -> None:
        response = requests.get(self.request_url, headers=self.request_headers, timeout=self.timeout)
        self.response, self.headers = response, response.headers
        self.status_code, self.response_url = response.status_code, response.url
        _raise_for_status(response, f"saving {self.url}")

    def archive_url_parser(self) -> str | None:
        assert self.headers is not None
        location = self.headers.get("Content-Location", "")
        if _CAPTURE_PATH.search(location):
            return self.base_url + location[location.index("/web/"):]
        link = _MEMENTO_LINK.search(self.headers.get("Link", ""))
        if link:
            return self.base_url + link.group(1)[link.group(1).index("/web/"):]
        if self.response_url and _CAPTURE_PATH.search(self.response_url):
            return self.base_url + self.response_url[self.response_url.index("/web/"):]
        return None

    def save(self) -> str:
        self.get_save_request_headers()
        archive_url = self.archive_url_parser()
        if archive_url is None:
            raise SaveFailed(f"saving {self.url}: the answer named no capture")
        self._archive_url = archive_url
        return archive_url


class _CDXQuery(WaybackMachineCDXServerAPI):
    """waybackpy's CDX query, one bounded request."""

    def __init__(self, url: str, base_url: str, timeout: float, **options: object):
        super().__init__(url, user_agent=USER_AGENT, **options)  # type: ignore[arg-type]
        self.endpoint = f"{base_url}/cdx/search/cdx"
        self.timeout = timeout

    def cdx_api_manager(self, payload: dict[str, str], headers: dict[str, str]) -> Generator[str, None, None]:
        payload["limit"] = str(self.limit)
        url = full_url(self.endpoint, params=payload)
        response = requests.get(url, headers=headers, timeout=self.timeout)
        _raise_for_status(response, f"looking up {self.url}")
        self.last_api_request_url = url
        yield "\n".join(line for line in response.text.splitlines() if _readable_cdx_line(line))


class WaybackClient:
    def __init__(self, settings: WaybackSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.base_url = settings.base_url
        self.sleep = sleep

    def save(self, url: str, within: float | None = None) -> str:
        """Ask for a capture of `url` now; return its archive URL. A Save Page Now job is
        polled for at most `within` seconds (the time left of a run's budget)."""
        credentials = self.settings.credentials()
        try:
            if credentials is None:
                return _SavePageNow(url, self.base_url, self.settings.timeout).save()
            polls = MAX_POLLS if within is None else max(1, min(MAX_POLLS, int(within // POLL_SECONDS)))
            return self._save_authenticated(url, credentials, polls)
        except requests.RequestException as error:
            raise SaveFailed(f"saving {url}: {type(error).__name__}") from error

    def newest_capture(self, url: str, before: str | None = None) -> Capture | None:
        """The latest capture of `url` that answered 200, taken before `before` (yyyyMMddhhmmss)."""
        query = _CDXQuery(
            url, self.base_url, self.settings.timeout, filters=["statuscode:200"], end_timestamp=before, limit="-1"
        )
        try:
            snapshots = list(query.snapshots())
        except requests.RequestException as error:
            raise SaveFailed(f"looking up {url}: {type(error).__name__}") from error
        if not snapshots:
            return None
        newest = max(snapshots, key=lambda snapshot: snapshot.timestamp)
        return Capture(newest.timestamp, newest.original, f"{self.base_url}/web/{newest.timestamp}/{newest.original}")

    def fetch_copy(self, archive_url: str) -> ArchivedCopy:
        """The capture at `archive_url` as the original page: its raw form (id_), or the
        framed form with the Wayback Machine's markup taken out when the raw one fails.
        WaybackBusy when the Wayback Machine is failing, SaveFailed for an address that
        names no capture or a fetch that fails."""
        parts = _capture_parts(archive_url)
        if parts is None:
            raise SaveFailed(f"{archive_url} names no Wayback capture")
        timestamp, original, captured_at = parts
        try:
            response = self._get(f"{self.base_url}/web/{timestamp}id_/{original}")
            framed = _is_busy(response)
            if framed:
                response = self._get(f"{self.base_url}/web/{timestamp}/{original}")
                if _is_busy(response):
                    raise WaybackBusy(f"reading the copy {archive_url}: the Wayback Machine answered {response.status_code}")
            body = _bounded_body(response)
        except requests.RequestException as error:
            raise SaveFailed(f"reading the copy {archive_url}: {type(error).__name__}") from error
        return ArchivedCopy(
            archive_url=archive_url,
            original_url=original,
            captured_at=captured_at,
            status=response.status_code,
            final_url=_original(response.url) or original,
            redirects=_original_redirects(response, original),
            headers=list(response.headers.items()),
            body=without_wayback_markup(body) if framed else body,
            framed=framed,
        )

    def problem(self) -> Problem | None:
        """Why the Wayback Machine cannot be used now, if it cannot: one CDX lookup."""
        subject = f"Wayback Machine {self.base_url}"
        try:
            response = self._get(f"{self.base_url}/cdx/search/cdx?url=example.org&limit=1")
            response.close()
        except requests.RequestException as error:
            return Problem(subject, f"cannot be reached ({type(error).__name__})",
                           "Check wayback.base_url and the network; archiving waits and retries meanwhile")
        if response.status_code != 200:
            return Problem(subject, f"answered {response.status_code} to a lookup",
                           "Archiving waits and retries; if it lasts, check wayback.base_url")
        return None

    def _get(self, url: str) -> requests.Response:
        return requests.get(url, headers={"User-Agent": USER_AGENT}, timeout=self.settings.timeout, stream=True)

    def _save_authenticated(self, url: str, credentials: tuple[str, str], polls: int) -> str:
        """SPN2: submit a job, then poll its status (at most `polls` times) until it
        succeeds or fails."""
        headers = {"Authorization": f"LOW {credentials[0]}:{credentials[1]}", "Accept": "application/json", "User-Agent": USER_AGENT}
        timeout = self.settings.timeout
        response = requests.post(f"{self.base_url}/save", data={"url": url}, headers=headers, timeout=timeout)
        _raise_for_status(response, f"saving {url}")
        job = response.json().get("job_id")
        if not job:
            raise SaveFailed(f"saving {url}: {response.json().get('message', 'no job id in the answer')}")
        for _ in range(polls):
            status = requests.get(f"{self.base_url}/save/status/{job}", headers=headers, timeout=timeout)
            _raise_for_status(status, f"saving {url}")
            body = status.json()
            if body.get("status") == "success":
                return f"{self.base_url}/web/{body['timestamp']}/{body.get('original_url', url)}"
            if body.get("status") == "error":
                raise SaveFailed(f"saving {url}: {body.get('message', body.get('status_ext', 'error'))}")
            self.sleep(POLL_SECONDS)
        raise SaveFailed(f"saving {url}: job {job} still pending")


def without_wayback_markup(body: bytes) -> bytes:
    """A framed capture's page without the toolbar and scripts the Wayback Machine inserts."""
    for insert in _WAYBACK_INSERTS:
        body = insert.sub(b"", body)
    return body


def _bounded_body(response: requests.Response) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > COPY_MAX_BYTES:
            raise SaveFailed(f"the copy {response.url} is larger than {COPY_MAX_BYTES} bytes")
    return bytes(body)


def _original(url: str) -> str | None:
    parts = _capture_parts(url)
    return parts[1] if parts else None


def _original_redirects(response: requests.Response, original: str) -> list[dict[str, Any]]:
    """The original page's redirects: the Wayback Machine's own, from one capture time of a
    URL to a nearby one, are not the page's."""
    redirects, previous = [], original
    for hop in response.history:
        target = _original(hop.headers.get("Location", "")) or _original(hop.url)
        if target is not None and target != previous:
            redirects.append({"url": _original(hop.url) or hop.url, "status": hop.status_code})
            previous = target
    return redirects
