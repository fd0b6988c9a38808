"""A webhook on 127.0.0.1 that takes Apprise's JSON notifications, as a chat service would."""

from __future__ import annotations

import base64
import json
from typing import Any

from webserver import QuietHandler, serve


class ChatReceiver:
    """Notifications POSTed to it: `accepted` (answered 200), `refused` (answered `status`
    when it is not 200); `json_url(path)` is its Apprise URL."""

    def __init__(self) -> None:
        self.status = 200
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                auth = self.headers.get("Authorization", "")
                note = json.loads(body) | {"path": self.path,
                                           "auth": base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None}
                (receiver.accepted if receiver.status == 200 else receiver.refused).append(note)
                self.answer(receiver.status, {"Content-Type": "application/json"}, "{}")

        self.server = serve(Handler)
        self.port = self.server.server_address[1]

    def json_url(self, path: str = "/hook", credentials: str = "") -> str:
        return f"json://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
