"""Every value read from the web, or from an export, is parsed totally: properties over
arbitrary input (hypothesis), and the forms that once raised."""

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citewatch.config import Settings
from citewatch.crawler.liveness import LONGEST_WAIT, retry_after_seconds
from citewatch.crawler.revisit import next_check_at
from citewatch.model import Liveness, State, Verdict
from citewatch.times import parse_date
from citewatch.urls import InvalidURL, check_cited_url, normalize_url

FETCHED_AT = "2026-06-01T12:00:00+00:00"
HTTP_DATES = st.builds(
    lambda moment, zone: moment.strftime("%a, %d %b %Y %H:%M:%S") + zone,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["", " GMT", " UTC", " -0000", " +0000", " +0530", " -1200", " EST", " XYZ"]),
)


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0),
    ("000000000120", 120.0),
    ("Mon, 01 Jun 2026 12:05:00 GMT", 300.0),
    ("Mon, 01 Jun 2026 12:05:00 -0000", 300.0),  # "-0000": no zone said, read as UTC
    ("Mon, 01 Jun 2026 12:05:00", 300.0),
    ("Sun, 31 May 2026 12:00:00 GMT", 0.0),  # in the past: at once
    ("9" * 500, LONGEST_WAIT),
    ("²", None), ("soon", None), ("", None), (None, None),
])
def test_retry_after_forms(value, seconds):
    assert retry_after_seconds(value, FETCHED_AT) == seconds


@settings(max_examples=300)
@given(st.one_of(st.text(), HTTP_DATES, st.integers(min_value=0).map(str)))
def test_any_retry_after_ends_as_a_wait_the_schedule_can_use(value):
    seconds = retry_after_seconds(value, FETCHED_AT)
    assert seconds is None or 0 <= seconds <= LONGEST_WAIT
    at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    next_check_at(Liveness(State.BLOCKED, "rate_limited"), at, Settings(), Verdict("blocked", "rate_limited", seconds))


@given(st.text())
def test_any_date_on_a_page_is_a_moment_in_utc_or_nothing(value):
    moment = parse_date(value)
    assert moment is None or moment.tzinfo is not None


URLS = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    st.one_of(st.from_regex(r"[a-zA-Z0-9.\-]{0,30}", fullmatch=True), st.just("[::1]"), st.just("[::1"), st.text(max_size=20)),
    st.one_of(st.just(""), st.integers(min_value=-1, max_value=99999).map(lambda n: f":{n}"), st.just(":x")),
    st.text(max_size=30).map(lambda text: "/" + text),
    st.one_of(st.just(""), st.text(max_size=30).map(lambda text: "?" + text)),
)


@settings(max_examples=300)
@given(st.one_of(URLS, st.text()))
def test_a_cited_url_is_accepted_with_a_stable_identity_or_refused_by_name(text):
    try:
        url = check_cited_url(text)
    except InvalidURL as error:
        assert str(error)
        return
    identity = normalize_url(url)
    assert normalize_url(identity) == identity
