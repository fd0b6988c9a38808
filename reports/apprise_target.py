"""One Apprise target of a notifier: a URL from the config, or an environment variable
that holds one (with its secrets). Apprise knows which parts of each service's URL are
secret (it masks them in `url(privacy=True)`), so citewatch asks it rather than guessing:
a URL whose private form differs from its full form holds a secret, as does a query key
that names one (a token, an Authorization header); those parts are blotted out of
anything shown or stored."""

from __future__ import annotations

import functools
import os
import re
import socket
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .chat import CHAT_LIMIT

_TOKENS = re.compile(r"[/:@?&=#%,+\s]+")
# Query keys (and Apprise's +header / :payload keys) whose values are secrets whatever the
# service: an Authorization header, a token, a signature. Apprise masks these only where
# the service's own plugin knows them.
_SECRET_NAMES = re.compile(r"pass|secret|token|key|auth|sig|cred|session|cookie", re.IGNORECASE)


class AppriseTarget:
    """Read once: its URL (for a variable, as set when the target is made) and Apprise's
    plugin for it."""

    def __init__(self, ref: str) -> None:
        self.ref = ref  # stored in the outbox: a URL without secrets, or "$VARIABLE"
        self.variable = ref[1:] if ref.startswith("$") else None
        self.url = ref if self.variable is None else (os.environ.get(self.variable) or "").strip() or None

    @functools.cached_property
    def plugin(self) -> Any:
        """Apprise's plugin for the URL; None if the URL is missing or not one Apprise knows."""
        import apprise

        return (apprise.Apprise.instantiate(self.url) if self.url else None) or None

    def with_timeout(self, timeout: float) -> Any:
        """The plugin, with `timeout` seconds to connect and to read unless the URL sets its own."""
        if self.plugin is not None:
            if "cto=" not in self.url:
                self.plugin.socket_connect_timeout = timeout
            if "rto=" not in self.url:
                self.plugin.socket_read_timeout = timeout
        return self.plugin

    def unusable(self) -> tuple[str, str]:
        """Why `plugin` is None, and what to do."""
        if self.url is None:
            return f"the environment variable {self.variable} is not set", "Set it to the Apprise URL"
        return "not a URL Apprise knows", "See https://github.com/caronc/apprise/wiki for each service's form"

    def shown(self) -> str:
        """The target as it may be shown: its URL with the secrets masked, after the variable."""
        masked = self.plugin.url(privacy=True).split("?")[0] if self.plugin else None
        if self.variable is None:
            return masked or self.redact(self.ref)
        return f"${self.variable}" + (f" ({masked})" if masked else "")

    def redact(self, text: str) -> str:
        """`text` (an error message, say) with every secret part of the URL masked."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "****")
        return text

    def room(self) -> int:
        """How many characters a message to this target may have: the service's own limit
        (less the title, for services that put it in the body), and at most CHAT_LIMIT."""
        if self.plugin is None:
            return CHAT_LIMIT
        return min(self.plugin.body_maxlen - (0 if self.plugin.title_maxlen else 250), CHAT_LIMIT)

    def address(self) -> tuple[str, int] | None:
        """The host and port the plugin talks to, where it says (most web services do not)."""
        host = getattr(self.plugin, "host", None)
        if not host or "." not in host and host != "localhost":
            return None
        port = getattr(self.plugin, "port", None)
        return host, port if isinstance(port, int) else (443 if getattr(self.plugin, "secure", False) else 80)

    @functools.cached_property
    def secrets(self) -> set[str]:
        """The parts of the URL (as given, and as Apprise writes it) that its private form
        leaves out, of three characters or more, and the values of query keys named like
        secrets."""
        if self.plugin is None:
            return set()
        public = set(_TOKENS.split(self.plugin.url(privacy=True)))
        tokens = _TOKENS.split(self.plugin.url()) + _TOKENS.split(self.url or "")
        secrets = {token for token in tokens if len(token) >= 3 and token not in public}
        for name, value in parse_qsl(urlsplit(self.url or "").query, keep_blank_values=True):
            if _SECRET_NAMES.search(name) and len(value) >= 8:  # a token, not a mode such as auth=basic
                secrets |= {token for token in _TOKENS.split(value) if len(token) >= 3} | {value}
        return secrets


def reachable(host: str, port: int, timeout: float) -> str | None:
    """None if a TCP connection to host:port opens, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return error.strerror or type(error).__name__
