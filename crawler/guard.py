"""Refusing to fetch addresses inside the machine's own networks (server-side request forgery).

Anyone who edits the tracker can add a URL; without this guard a URL naming localhost, a
private network or a cloud metadata address would make citewatch fetch it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from citewatch.urls import FETCHABLE_SCHEMES

from .fetch import ForbiddenAddress

logger = logging.getLogger(__name__)


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


def check_host(host: str) -> None:
    """Raise ForbiddenAddress if `host` resolves to an address that must not be fetched."""
    for address in _resolve(host):
        kind = forbidden_kind(address)
        if kind:
            raise ForbiddenAddress(f"{host} resolves to {kind} address {address}; not fetched")


@implementer(IResolutionReceiver)
class _PublicOnly:
    """Passes on the addresses of a name resolution except forbidden ones."""

    def __init__(self, receiver: IResolutionReceiver, host: str):
        self.receiver = receiver
        self.host = host

    def resolutionBegan(self, resolution: object) -> None:  # noqa: N802 (Twisted's interface)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: object) -> None:  # noqa: N802
        kind = forbidden_kind(address.host)  # type: ignore[attr-defined]
        if kind is None:
            self.receiver.addressResolved(address)
        else:
            logger.warning("refused to connect to %s: it resolved to %s address %s", self.host, kind, address.host)  # type: ignore[attr-defined]

    def resolutionComplete(self) -> None:  # noqa: N802
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class PrivateAddressFilter:
    """The reactor's name resolver, minus forbidden addresses.

    The middleware below refuses such URLs with a clear reason before any connection;
    this filter is the backstop where every connection resolves its host, so a DNS answer
    that changes between that check and the connection (rebinding) cannot get through.
    """

    def __init__(self, resolver: IHostnameResolver):
        self.resolver = resolver
        self.allow_private = False

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, transportSemantics="TCP"):  # type: ignore[no-untyped-def]  # noqa: N802, N803
        if not self.allow_private:
            receiver = _PublicOnly(receiver, hostName)
        return self.resolver.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)


class AddressGuardMiddleware:
    """Downloader middleware: every request, redirects included, over http(s) to a public
    address only."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "AddressGuardMiddleware":
        return cls(crawler.settings["CITEWATCH_SETTINGS"].crawl.allow_private_addresses)

    async def process_request(self, request: Request) -> None:
        url = urlparse_cached(request)
        if url.scheme not in FETCHABLE_SCHEMES:
            raise ForbiddenAddress(f"{url.scheme}: URLs are never fetched ({request.url})")
        if self.allow_private:
            return None
        host = url.hostname or ""
        await asyncio.to_thread(check_host, host)
        return None
