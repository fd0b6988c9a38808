"""Cited URLs: which are fetchable, and when two of them are the same source."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import courlan

from .errors import BadInput

FETCHABLE_SCHEMES = ("http", "https")
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")


class InvalidURL(BadInput, ValueError):
    """A cited URL that citewatch cannot fetch; the message says why."""


def check_cited_url(text: object) -> str:
    """Return the URL as cited, trimmed, or raise InvalidURL naming the problem."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidURL(f"not a URL: {text!r}")
    url = text.strip()
    if _FORBIDDEN_CHARACTERS.search(url):
        raise InvalidURL(f"URL contains spaces or characters not allowed in URLs: {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidURL(f"malformed URL {url!r}: {error}") from None
    if not parts.scheme:
        raise InvalidURL(f"relative URL {url!r}: a cited source needs http:// or https://")
    if parts.scheme.lower() not in FETCHABLE_SCHEMES:
        raise InvalidURL(f"unsupported scheme {parts.scheme!r} in {url!r}: only http and https are checked")
    host = parts.hostname or ""
    if not host or not re.fullmatch(r"[\w.\-:\[\]]+", host) or ".." in host or port == 0:
        raise InvalidURL(f"URL {url!r} has no valid host")
    return url


def without_credentials(url: str) -> str:
    """The URL without a user name and password (https://user:secret@host/a -> https://host/a),
    whatever else is wrong with it.

    Credentials in a cited URL would be shown wherever the URL is (status, reports, emails,
    logs), and a public citation does not need them: they are removed before the URL is
    stored, and the source is checked as any reader would reach it."""
    return _USERINFO.sub(r"\1", url)


def credentials_redacted(url: str) -> str:
    """The URL with its user name and password replaced by the word "redacted"."""
    return _USERINFO.sub(r"\1redacted@", url)


_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/?#]*@")


def normalize_url(url: str) -> str:
    """The identity of a cited URL.

    Scheme and host case, default ports, fragments, query order and tracking parameters
    (utm_*, fbclid, gclid, ...) do not make a different source.
    """
    normalized = courlan.normalize_url(url, strict=False)
    scheme, netloc, path, query, _fragment = urlsplit(normalized)
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
