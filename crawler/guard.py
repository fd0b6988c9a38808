"""Refusing to fetch addresses inside the machine's own networks (server-side request forgery).

Anyone who edits the tracker can add a URL; without this guard a URL naming localhost, a
private network or a cloud metadata address would make citewatch fetch it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.utils.httpobj import urlparse_cached

from .fetch import ForbiddenAddress


def forbidden_kind(address: str) -> str | None:
    """Why an IP address must not be fetched, or None if it is a public address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved"
    return None


def _resolve(host: str) -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]
    except (socket.gaierror, UnicodeError) as error:
        raise CannotResolveHostError(f"DNS lookup failed for {host}: {error}") from error


def _check_host(host: str) -> None:
    for address in _resolve(host):
        kind = forbidden_kind(address)
        if kind:
            raise ForbiddenAddress(f"{host} resolves to {kind} address {address}; not fetched")


class AddressGuardMiddleware:
    """Downloader middleware: every request, redirects included, to a public address only."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "AddressGuardMiddleware":
        return cls(crawler.settings["CITEWATCH_SETTINGS"].crawl.allow_private_addresses)

    async def process_request(self, request: Request) -> None:
        if self.allow_private:
            return None
        host = urlparse_cached(request).hostname or ""
        await asyncio.to_thread(_check_host, host)
        return None
