"""Plug-ins of a maintainer's own, as the README shows them: named in a test's config."""

import json
from pathlib import Path

from citewatch.crawler.judges import PageJudge
from citewatch.crawler.noise import NoiseRule
from citewatch.model import Verdict
from citewatch.reports.notify import DeliveryFailed, Notifier
from citewatch.storage.outbox import Message


class LoginWall(PageJudge):
    """A partner site that answers with its login form instead of the article."""

    name = "login_wall"
    order = 950  # before the parked-domain and soft-404 judges

    def judge(self, result):
        if result.html and 'id="login-form"' in result.html:
            return Verdict("blocked", "login_required")
        return None


class Byline(NoiseRule):
    """A byline with the reading time, which this site rewrites on every visit."""

    name = "byline"

    def is_noise(self, line):
        return line.startswith("By ") and len(line.split()) <= 12


class JsonLinesNotifier(Notifier):
    """Appends each digest to a file as one JSON line; fails while `down` exists beside it."""

    name = "jsonl"

    def __init__(self, settings, options, channel=None):
        super().__init__(settings, options, channel)
        self.path = Path(options["path"])

    def messages(self, digest):
        sources = [source.url for incident in digest.incidents for source in incident.sources]
        payload = json.dumps({"subject": digest.subject(), "sources": sources}).encode()
        return [Message(self.channel, f"<{digest.event_ids[0]}@{self.channel}>", (), digest.subject(), payload)]

    def deliver(self, session, message, handed_over):
        if self.path.with_name("down").exists():
            raise DeliveryFailed(f"{self.path.parent} is down")
        with self.path.open("ab") as handle:
            handle.write(message.payload + b"\n")
        handed_over()
