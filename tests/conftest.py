from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from chat_receiver import ChatReceiver
from digest_events import write_records
from fake_tsa import FakeTSA
from fake_wayback import FakeWayback
from smtp_server import SmtpServer
from webserver import Web


@pytest.fixture
def web() -> Iterator[Web]:
    server = Web()
    yield server
    server.close()


@pytest.fixture
def events(tmp_path: Path, web: Web) -> Web:
    """Two incidents in tmp_path/records.json; digest_events.make_events makes them change and die."""
    write_records(tmp_path, web)
    return web


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chat() -> Iterator[ChatReceiver]:
    receiver = ChatReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    fake = FakeWayback()
    yield fake
    fake.close()


@pytest.fixture
def tsa() -> Iterator[FakeTSA]:
    server = FakeTSA()
    yield server
    server.close()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config for loopback tests: data in tmp_path, no politeness delay, short timeout."""
    path = tmp_path / "citewatch.toml"
    path.write_text(
        '[storage]\ndir = "data"\n'
        "[crawl]\ntimeout = 2\ndelay = 0\nallow_private_addresses = true\n"
        "[wayback]\nenabled = false\n"
    )
    return path
