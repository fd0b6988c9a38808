"""A real HTTP server on 127.0.0.1 whose pages the tests set, for citewatch to crawl."""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a crawl stopped or killed) is no error of the server's."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps HTTP/1.1 connections and logs nothing."""

    protocol_version = "HTTP/1.1"

    def answer(self, status: int, headers: dict[str, str], body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> QuietServer:
    """A server for `handler` on a free port of `host`, serving in a daemon thread."""
    server = QuietServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Page:
    body: bytes | str | Callable[[int], str] = b""  # a callable gets the request number
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    etag: str | None = None  # answer 304 to a matching If-None-Match
    last_modified: str | None = None  # answer 304 to a matching If-Modified-Since
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip), freshly each time
    chunked: bool = False  # send the body in chunks (Transfer-Encoding: chunked)

    served: int = 0

    def data(self) -> bytes:
        self.served += 1
        body = self.body(self.served) if callable(self.body) else self.body
        return body.encode() if isinstance(body, str) else body


class Web:
    """Pages by path, and a log of the requests received (path, headers)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.pages: dict[str, Page] = {}
        self.unknown = Page("<h1>Not found</h1>", status=404)  # the answer to any other path
        self.requests: list[tuple[str, dict[str, str]]] = []
        web = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                web.requests.append((self.path, dict(self.headers)))
                page = web.pages.get(self.path, web.unknown)
                if page.delay:
                    time.sleep(page.delay)
                if (page.etag and self.headers.get("If-None-Match") == page.etag) or (
                    page.last_modified and self.headers.get("If-Modified-Since") == page.last_modified
                ):
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = page.data()
                if page.gzip:
                    data = gzip.compress(data, mtime=time.time() + page.served)  # new bytes each time
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                if page.gzip:
                    self.send_header("Content-Encoding", "gzip")
                if page.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(data)))
                if page.etag:
                    self.send_header("ETag", page.etag)
                if page.last_modified:
                    self.send_header("Last-Modified", page.last_modified)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if page.chunked:
                    for start in range(0, len(data), 1000):
                        piece = data[start : start + 1000]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(data)

        self.server = serve(Handler, host)
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for requested, headers in self.requests if requested == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RawAnswer = bytes | Callable[[socket.socket], None]  # the bytes sent back, or what to do with the connection


class RawWeb:
    """A loopback server for answers http.server cannot give (any header bytes, a body
    that never ends): each path answered with the bytes set for it, or by a function
    given the connection; the connection is then closed."""

    def __init__(self) -> None:
        self.answers: dict[str, RawAnswer] = {}
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = connection.recv(65536)
                path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "/"
                answer = self.answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                if callable(answer):
                    answer(connection)
                else:
                    connection.sendall(answer)
            except OSError:
                pass  # the client hung up

    def close(self) -> None:
        self.sock.close()

