"""Typed settings loaded from TOML.

Every key has a default, so an empty file (or no file at all) is a valid configuration.
Each field names the parser that validates it; the loader walks the dataclasses, so adding
a key is one line here and the error messages ("crawl.timeout must be ...") come for free.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from citewatch.errors import BadInput

CONFIG_ENV_VAR = "CITEWATCH_CONFIG"


class ConfigError(BadInput, ValueError):
    """A configuration file that cannot be used; the message names the file and key."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in "90s", "5m", "6h", "3d", "2w" or a bare number of seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positive_number(key: str, value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise ConfigError(f"{key} must be a positive number, got {value!r}")
    return float(value)


def _non_negative_number(key: str, value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise ConfigError(f"{key} must be a number of at least 0, got {value!r}")
    return float(value)


def _positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key} must be a positive whole number, got {value!r}")
    return value


def _non_negative_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{key} must be a whole number of at least 0, got {value!r}")
    return value


def _duration(key: str, value: Any) -> float:
    """A positive number of seconds, or a duration string such as "90s", "6h", "3d"."""
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ValueError:
            raise ConfigError(
                f"{key} must be a positive number of seconds or a duration like "
                f"'90s', '6h', '3d', got {value!r}"
            ) from None
    if not _is_number(value) or value <= 0:
        raise ConfigError(
            f"{key} must be a positive number of seconds or a duration like "
            f"'90s', '6h', '3d', got {value!r}"
        )
    return float(value)


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _http_url(key: str, value: Any) -> str:
    text = _text(key, value)
    if not re.match(r"^https?://[^\s/]+", text):
        raise ConfigError(f"{key} must be an http(s) URL, got {value!r}")
    return text.rstrip("/")


def _optional_http_url(key: str, value: Any) -> str | None:
    return None if value == "" else _http_url(key, value)


def _path(key: str, value: Any) -> Path:
    return Path(_text(key, value))


def _setting(default: Any, parse: Callable[[str, Any], Any]) -> Any:
    return field(default=default, metadata={"parse": parse})


@dataclass(frozen=True)
class StorageSettings:
    dir: Path = _setting(Path("./citewatch-data"), _path)
    warc_file_bytes: int = _setting(100_000_000, _positive_int)  # a WARC file rolls over past this size

    @property
    def database(self) -> Path:
        return self.dir / "citewatch.db"

    @property
    def warc_dir(self) -> Path:
        return self.dir / "warc"


@dataclass(frozen=True)
class CrawlSettings:
    timeout: float = _setting(30.0, _duration)
    concurrency: int = _setting(16, _positive_int)
    per_host_concurrency: int = _setting(2, _positive_int)
    delay: float = _setting(1.0, _non_negative_number)
    max_bytes: int = _setting(20_000_000, _positive_int)
    user_agent: str = _setting(
        "citewatch/0.1 (link-rot monitor; +https://github.com/citewatch/citewatch)", _text
    )
    allow_private_addresses: bool = _setting(False, _boolean)
    extract_workers: int = _setting(os.cpu_count() or 1, _non_negative_int)  # 0: extract in the crawl's own process
    processes: int = _setting(os.cpu_count() or 1, _positive_int)  # crawl processes for big crawls, split by host


@dataclass(frozen=True)
class DeadSettings:
    failures: int = _setting(3, _positive_int)
    min_days: float = _setting(3.0, _non_negative_number)


def _env_name(key: str, value: Any) -> str:
    text = _text(key, value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise ConfigError(f"{key} must name an environment variable (the secret itself never goes here), got {value!r}")
    return text


@dataclass(frozen=True)
class WaybackSettings:
    enabled: bool = _setting(True, _boolean)
    base_url: str = _setting("https://web.archive.org", _http_url)
    per_minute: int | None = _setting(None, _positive_int)  # default: 4, or 12 with an access key
    min_interval: float = _setting(86400.0, _duration)  # never the same URL twice within this
    timeout: float = _setting(60.0, _duration)  # per request to the Wayback Machine
    access_key_env: str = _setting("CITEWATCH_WAYBACK_ACCESS_KEY", _env_name)
    secret_key_env: str = _setting("CITEWATCH_WAYBACK_SECRET_KEY", _env_name)

    def credentials(self) -> tuple[str, str] | None:
        """The SPN2 access and secret keys, read from the environment, if both are set."""
        access, secret = os.environ.get(self.access_key_env), os.environ.get(self.secret_key_env)
        return (access, secret) if access and secret else None

    def submissions_per_minute(self) -> int:
        """The anonymous Save Page Now limit is 4 a minute; an access key allows 12."""
        if self.per_minute is not None:
            return self.per_minute
        return 12 if self.credentials() else 4


def _port(key: str, value: Any) -> int:
    number = _positive_int(key, value)
    if number > 65535:
        raise ConfigError(f"{key} must be a port number (1-65535), got {value!r}")
    return number


def _address(key: str, value: Any) -> str:
    text = _text(key, value)
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", text):
        raise ConfigError(f"{key} must be an email address, got {value!r}")
    return text


def _addresses(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be a list of email addresses, got {value!r}")
    return tuple(_address(f"{key}[{index}]", item) for index, item in enumerate(value))


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class EmailRoute:
    """Extra recipients for the incidents of some categories or with some tags."""

    recipients: tuple[str, ...] = _setting((), _addresses)
    categories: tuple[str, ...] = _setting((), _strings)
    tags: tuple[str, ...] = _setting((), _strings)

    def matches(self, category: str | None, tags: list[str]) -> bool:
        return (category in self.categories) or bool(set(tags) & set(self.tags))


def _routes(key: str, value: Any) -> tuple[EmailRoute, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be an array of tables ([[{key}]]), got {value!r}")
    routes = tuple(_build_section(EmailRoute, f"{key}[{index}]", item) for index, item in enumerate(value))
    for index, route in enumerate(routes):
        if not route.recipients:
            raise ConfigError(f"{key}[{index}].recipients must name at least one address")
    return routes


@dataclass(frozen=True)
class EmailSettings:
    enabled: bool = _setting(False, _boolean)
    host: str = _setting("localhost", _text)
    port: int = _setting(25, _port)
    starttls: bool = _setting(False, _boolean)
    ssl: bool = _setting(False, _boolean)
    username: str | None = _setting(None, _text)
    password_env: str = _setting("CITEWATCH_SMTP_PASSWORD", _env_name)
    sender: str = _setting("citewatch@localhost", _address)
    recipients: tuple[str, ...] = _setting((), _addresses)
    timeout: float = _setting(30.0, _duration)
    diff_lines: int = _setting(60, _positive_int)  # longer diffs are trimmed, with a note
    routes: tuple[EmailRoute, ...] = _setting((), _routes)

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None


def _cron(key: str, value: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger  # only needed to validate

    text = _text(key, value)
    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as error:
        raise ConfigError(f"{key} must be a cron expression like '0 8 * * *', got {value!r} ({error})") from None
    return text


def _optional_cron(key: str, value: Any) -> str | None:
    if value in ("", "off"):
        return None
    return _cron(key, value)


def _fraction(key: str, value: Any) -> float:
    if not _is_number(value) or not 0 <= value < 1:
        raise ConfigError(f"{key} must be a number from 0 to below 1, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class ScheduleSettings:
    tick: float = _setting(300.0, _duration)  # the daemon looks for due sources this often
    digest: str = _setting("0 8 * * *", _cron)  # when the alert digest goes out (UTC)
    report: str | None = _setting(None, _optional_cron)  # when the report is rewritten; off unless set
    report_dir: Path = _setting(Path("./citewatch-report"), _path)
    report_format: str = _setting("html", _text)  # a report format's name, checked against the registry on start
    report_url: str | None = _setting(None, _optional_http_url)  # where report_dir is published: chat digests link to it
    min_interval: float = _setting(86400.0, _duration)  # a healthy source is checked at most this often...
    max_interval: float = _setting(30 * 86400.0, _duration)  # ...and at least this often
    fresh_days: float = _setting(21.0, _non_negative_number)  # articles published this recently: daily
    jitter: float = _setting(0.1, _fraction)  # each interval varies by up to this share
    stop_timeout: float = _setting(30.0, _duration)  # the daemon exits within this after SIGTERM
    ingest: str | None = _setting("0 * * * *", _optional_cron)  # when the feeds of [[ingest.feeds]] are pulled


def _http_urls(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be a list of http(s) URLs, got {value!r}")
    return tuple(_http_url(f"{key}[{index}]", item) for index, item in enumerate(value))


def _paths(key: str, value: Any) -> tuple[Path, ...]:
    return tuple(Path(item) for item in _strings(key, value))


@dataclass(frozen=True)
class EvidenceSettings:
    """Trusted timestamps (RFC 3161) for every archived version: off while `tsa_urls` is
    empty. `tsa_roots` are PEM files of the certificates the authorities' tokens chain to:
    a token is only kept, and only verifies, when it chains to one of them."""

    tsa_urls: tuple[str, ...] = _setting((), _http_urls)  # time-stamping authorities, tried in order
    tsa_roots: tuple[Path, ...] = _setting((), _paths)
    timeout: float = _setting(30.0, _duration)  # per request to an authority

    def __post_init__(self) -> None:
        if self.tsa_urls and not self.tsa_roots:
            raise ConfigError("evidence.tsa_roots must name the PEM file of the root certificate of the "
                              "authorities in evidence.tsa_urls: without it no token can be verified")


@dataclass(frozen=True)
class ServeSettings:
    """`citewatch serve`: Datasette over the database, read-only, at host:port."""

    host: str = _setting("127.0.0.1", _text)  # loopback: anything else shows the database to the network
    port: int = _setting(8001, _port)
    url: str | None = _setting(None, _optional_http_url)  # where readers reach it, when not http://host:port
    report_links: bool = _setting(True, _boolean)  # the HTML report links incidents and sources to their rows here

    @property
    def public_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class FeedSettings:
    """A tracker's export at a URL, pulled by `run` and the daemon on `schedule.ingest`."""

    url: str = _setting("", _http_url)
    headers_env: str | None = _setting(None, _env_name)  # a variable holding "Name: value" header lines (an API token)
    complete: bool = _setting(False, _boolean)  # the export is every incident: retire those it lacks

    def __post_init__(self) -> None:
        if not self.url:
            raise ConfigError("ingest.feeds: each feed needs a url")


def _feeds(key: str, value: Any) -> tuple[FeedSettings, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{key} must be an array of tables ([[{key}]]), got {value!r}")
    return tuple(_build_section(FeedSettings, f"{key}[{index}]", table) for index, table in enumerate(value))


@dataclass(frozen=True)
class IngestSettings:
    """Reading the tracker's exports. A complete export (`ingest --complete`) retires the
    incidents it no longer has, but never more than `retire_limit` of them at once: an
    empty or cut-off export must not retire the tracker."""

    retire_limit: float = _setting(0.2, _fraction)  # the largest share of incidents one export may retire
    max_feed_bytes: int = _setting(2_000_000_000, _positive_int)  # an export pulled over http(s), at most
    feeds: tuple[FeedSettings, ...] = field(default=(), metadata={"parse": _feeds})


@dataclass(frozen=True)
class RenderSettings:
    """Pages drawn by scripts, rendered in headless Chromium (scrapy-playwright, with the
    system's browser: Debian's `chromium`; nothing is downloaded). Pages of `hosts` always,
    and with `auto`, any page whose HTML shows no text at all and carries no article in
    its embedded state. Off, with the check saying so, when no browser is installed."""

    hosts: tuple[str, ...] = _setting((), _strings)  # rendered always (their pages need scripts)
    auto: bool = _setting(True, _boolean)  # render pages that show no text without scripts
    browser: str | None = _setting(None, _text)  # the browser's executable; none: chromium on PATH
    timeout: float = _setting(20.0, _duration)  # per page, to load and settle
    pages: int = _setting(2, _positive_int)  # pages rendered at once per crawl process
    memory_mb: int = _setting(512, _positive_int)  # the JavaScript heap of each page


@dataclass(frozen=True)
class PluginSettings:
    """Which registered plug-ins of one kind apply: all built-in ones but those in `off`,
    and the classes in `add` (registered names or "package.module:ClassName")."""

    off: tuple[str, ...] = _setting((), _strings)
    add: tuple[str, ...] = _setting((), _strings)


@dataclass(frozen=True)
class NotifierSettings:
    """One [[notify]] table: the notifier's `type` (a registered name or
    "package.module:ClassName"; "apprise" when left out), an optional `channel` name that
    tells two notifiers of one type apart in the outbox; every other key is the notifier's
    own option."""

    type: str
    channel: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _env_names(key: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise ConfigError(f"{key} must name an environment variable, or a list of them, got {value!r}")
    return tuple(_env_name(f"{key}[{index}]", item) for index, item in enumerate(values))


def _chat_format(key: str, value: Any) -> str:
    if value not in ("markdown", "text"):
        raise ConfigError(f"{key} must be \"markdown\" or \"text\", got {value!r}")
    return value


@dataclass(frozen=True)
class AppriseSettings:
    """The options of an Apprise [[notify]] table: where (`urls` without secrets, and
    environment variables that each hold one URL with its secrets), how, and which
    incidents (all, unless `categories` or `tags` narrow them, as email routes do)."""

    urls: tuple[str, ...] = _setting((), _strings)
    url_env: tuple[str, ...] = _setting((), _env_names)
    format: str = _setting("markdown", _chat_format)
    categories: tuple[str, ...] = _setting((), _strings)
    tags: tuple[str, ...] = _setting((), _strings)
    timeout: float = _setting(30.0, _duration)  # per delivery

    def __post_init__(self) -> None:
        if not self.urls and not self.url_env:
            raise ConfigError("urls or url_env must name where to send the digest")

    def matches(self, category: str | None, tags: list[str]) -> bool:
        if not self.categories and not self.tags:
            return True
        return (category in self.categories) or bool(set(tags) & set(self.tags))


def apprise_options(options: dict[str, Any], key: str) -> AppriseSettings:
    """A [[notify]] table's options as AppriseSettings; ConfigError naming `key` if unusable."""
    try:
        return _build_section(AppriseSettings, key, options)
    except ConfigError as error:
        message = str(error)
        raise ConfigError(message if message.startswith(("unknown key", key)) else f"{key}: {message}") from None


def _notifiers(key: str, value: Any) -> tuple[NotifierSettings, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{key} must be an array of tables ([[{key}]]), got {value!r}")
    notifiers = []
    for index, table in enumerate(value):
        options = dict(table)
        kind = _text(f"{key}[{index}].type", options.pop("type", "apprise"))
        channel = options.pop("channel", None)
        if kind == "apprise":
            apprise_options(options, f"{key}[{index}]")
        notifiers.append(NotifierSettings(kind, None if channel is None else _text(f"{key}[{index}].channel", channel), options))
    return tuple(notifiers)


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    dead: DeadSettings = field(default_factory=DeadSettings)
    wayback: WaybackSettings = field(default_factory=WaybackSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    render: RenderSettings = field(default_factory=RenderSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    judges: PluginSettings = field(default_factory=PluginSettings)  # page judges (crawler/judges.py)
    noise: PluginSettings = field(default_factory=PluginSettings)  # noise rules (crawler/noise.py)
    notify: tuple[NotifierSettings, ...] = field(default=(), metadata={"parse": _notifiers})  # besides email

    @property
    def notifies(self) -> bool:
        """Whether any notifier is set to carry the digest (email, or a [[notify]] table)."""
        return self.email.enabled or bool(self.notify)


def _build_section(section_cls: type, name: str, values: Any) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"[{name}] must be a table of keys, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(section_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key {name}.{unknown[0]} (known keys in [{name}]: {', '.join(fields)})"
        )
    parsed = {key: fields[key].metadata["parse"](f"{name}.{key}", value) for key, value in values.items()}
    return section_cls(**parsed)


def settings_from_dict(data: dict[str, Any], base_dir: Path | None = None) -> Settings:
    """Validate a parsed TOML document; relative paths resolve against base_dir."""
    sections = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}] (known: {', '.join(sections)})")
    built = {name: _parse_section(sections[name], values) for name, values in data.items()}
    settings = Settings(**built)
    if base_dir is not None:
        storage = dataclasses.replace(settings.storage, dir=_under(base_dir, settings.storage.dir))
        schedule = dataclasses.replace(settings.schedule, report_dir=_under(base_dir, settings.schedule.report_dir))
        evidence = dataclasses.replace(settings.evidence,
                                       tsa_roots=tuple(_under(base_dir, root) for root in settings.evidence.tsa_roots))
        settings = dataclasses.replace(settings, storage=storage, schedule=schedule, evidence=evidence)
    return settings


def _parse_section(section: dataclasses.Field, values: Any) -> Any:
    if "parse" in section.metadata:
        return section.metadata["parse"](section.name, values)
    return _build_section(section.default_factory, section.name, values)  # type: ignore[arg-type]


def _under(base_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else base_dir / path


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from `path`, else from $CITEWATCH_CONFIG, else the built-in defaults.

    Relative paths in a config file are relative to the file's own folder, so a cron job
    or a systemd unit finds the same data whatever its working directory.
    """
    if path is None:
        path = os.environ.get(CONFIG_ENV_VAR) or None
    if path is None:
        return Settings()
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    try:
        return settings_from_dict(data, base_dir=path.resolve().parent)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from error
