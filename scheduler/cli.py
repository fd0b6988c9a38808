"""The `citewatch` command line: a thin layer over the library.

Exit status: 0 when the command did its work, 1 when a run failed, 2 for bad input or
configuration (the message names the file, record, key or URL).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlite_utils import Database

from citewatch import __version__
from citewatch.config import CONFIG_ENV_VAR, ConfigError, Settings, load_settings, parse_duration
from citewatch.crawler.liveness import STATES
from citewatch.crawler.runner import run_check
from citewatch.crawler.urls import InvalidURL, check_cited_url, normalize_url
from citewatch.reports.alerts import send_alerts
from citewatch.reports.digest import pending_digest
from citewatch.reports.email import render_message
from citewatch.reports.linkrot import build_report
from citewatch.reports.render import FORMATS, write_report
from citewatch.scheduler.cycle import run_cycle
from citewatch.scheduler.daemon import run_daemon
from citewatch.scheduler.lock import RunLock
from citewatch.storage.archive import WarcArchive
from citewatch.storage.checks import sources_to_check
from citewatch.storage.database import open_database, to_iso, utc_now
from citewatch.storage.history import (
    archived_at,
    latest_change,
    snapshot_at,
    source_history,
    source_id_for,
    warc_locations,
)
from citewatch.storage.ingest import ingest_records
from citewatch.storage.records import read_records
from citewatch.storage.status import incident_exists, source_statuses
from citewatch.storage.wayback import WaybackClient
from citewatch.storage.wayback_queue import refresh_archive_links, run_queue

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

logger = logging.getLogger("citewatch.cli")


class BadInput(click.ClickException):
    """Bad input or configuration: one line on stderr, exit status 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class App:
    """What every command needs: the settings, and the database opened on first use."""

    def __init__(self, settings: Settings, quiet: bool = False):
        self.settings = settings
        self.quiet = quiet
        self._db: Database | None = None

    @property
    def archive(self) -> WarcArchive:
        storage = self.settings.storage
        return WarcArchive(storage.warc_dir, storage.warc_file_bytes)

    @property
    def db(self) -> Database:
        if self._db is None:
            path = self.settings.storage.database
            try:
                self._db = open_database(path)
            except (OSError, sqlite3.Error) as error:
                raise BadInput(f"cannot open the database {path}: {error} (check storage.dir)") from error
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # Scrapy is chatty at INFO; its details are for -vv.
    logging.getLogger("scrapy").setLevel(logging.DEBUG if verbose > 1 else max(level, logging.WARNING))


@click.group()
@click.version_option(__version__, prog_name="citewatch")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV_VAR,
    help=f"TOML config file (default: ${CONFIG_ENV_VAR}, else built-in defaults with data in ./citewatch-data).",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for Scrapy's own).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """citewatch keeps the sources cited by an incident database honest.

    Ingest incident records, check their cited URLs, and see which sources died or changed.
    """
    _configure_logging(verbose, quiet)
    try:
        settings = load_settings(config_path)
    except ConfigError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(EXIT_BAD_INPUT)
    app = App(settings, quiet)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def ingest(app: App, paths: tuple[Path, ...]) -> None:
    """Read incident records from PATHS (files or directories of .json / .jsonl).

    Accepts the tracker's export ({"site", "generatedAt", "record"}), bare records, JSON
    arrays of either, and JSON Lines. Re-ingesting a record replaces its citations.
    """
    read = read_records(list(paths))
    with progress(len(read.records), "ingesting records", app.quiet) as advance:
        report = ingest_records(app.db, read, on_record=advance)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(
        f"Ingested {_count(report.incidents, 'incident')} with {_count(report.citations, 'citation')} "
        f"from {_count(report.files, 'file')}; {_count(report.new_sources, 'new source')}."
    )
    if report.problems:
        click.echo(f"{_count(len(report.problems), 'problem')} in the input, listed above.", err=True)
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.option("--all", "check_all", is_flag=True, help="Check every cited source, due or not.")
@click.argument("urls", nargs=-1)
@click.pass_obj
def check(app: App, check_all: bool, urls: tuple[str, ...]) -> None:
    """Fetch the sources that are due (all with --all, or the given URLS) and record what changed."""
    wanted = None
    if urls:
        try:
            wanted = [normalize_url(check_cited_url(url)) for url in urls]
        except InvalidURL as error:
            raise click.BadParameter(str(error), param_hint="URLS") from None
    sources = sources_to_check(app.db, utc_now(), everything=check_all, urls=wanted)
    if wanted is not None and len(sources) < len(set(wanted)):
        known = {normalize_url(source.url) for source in sources}
        missing = [url for url in urls if normalize_url(url) not in known]
        click.echo(f"error: not a cited source: {', '.join(missing)} (ingest a record citing it first)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    with progress(len(sources), "checking sources", app.quiet) as advance:
        summary = run_check(app.settings, sources, on_checked=advance)
    states = ", ".join(f"{count} {state}" for state, count in sorted(summary.states.items()))
    click.echo(
        f"Checked {_count(summary.checked, 'source')}"
        + (f": {states}" if states else "")
        + f"; {_count(summary.changed, 'content change')}."
    )
    if summary.store_errors:
        click.echo(f"error: {_count(summary.store_errors, 'check')} could not be stored (see log)", err=True)
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: a JSON list, one object per source.")
@click.option("--incident", metavar="SLUG", help="Only the sources cited by this incident.")
@click.option("--state", type=click.Choice(STATES), help="Only sources in this state.")
@click.pass_obj
def status(app: App, as_json: bool, incident: str | None, state: str | None) -> None:
    """Where every cited source stands: state, reason, last check, changes."""
    if incident is not None and not incident_exists(app.db, incident):
        click.echo(f"error: no incident with slug {incident!r}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    statuses = source_statuses(app.db, incident=incident, state=state)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in statuses], indent=2))
        return
    table = Table(show_lines=False, header_style="bold")
    for column, options in (
        ("URL", {"overflow": "fold", "ratio": 4}),
        ("State", {}),
        ("Reason", {}),
        ("HTTP", {"justify": "right"}),
        ("Last checked", {}),
        ("Changes", {"justify": "right"}),
        ("Next check", {}),
    ):
        table.add_column(column, **options)
    for row in statuses:
        table.add_row(
            row.url,
            _state_markup(row.state),
            row.reason or "",
            str(row.http_status or ""),
            _short_time(row.last_checked),
            str(row.changes),
            _short_time(row.next_check_at),
        )
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    counts = Counter(row.state for row in statuses)
    breakdown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"{_count(len(statuses), 'source')}" + (f": {breakdown}" if breakdown else ""))


def _source_id(app: App, url: str) -> int:
    source_id = source_id_for(app.db, url)
    if source_id is None:
        click.echo(f"error: not a cited source: {url}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    return source_id


_DIFF_COLOURS = {"+": "green", "-": "red", "@": "cyan"}


@cli.command()
@click.argument("url")
@click.pass_obj
def diff(app: App, url: str) -> None:
    """Show the latest content change of URL as a unified diff (coloured on a terminal)."""
    change = latest_change(app.db, _source_id(app, url))
    if change is None:
        click.echo(f"No content change recorded for {url}.")
        return
    click.echo(f"Changed {_short_time(change.at)}: {change.summary} (similarity {change.similarity:.0%})")
    for line in change.diff.splitlines():
        colour = None if line.startswith(("+++", "---")) else _DIFF_COLOURS.get(line[:1])
        click.secho(line, fg=colour, bold=line.startswith(("+++", "---")))


@cli.command()
@click.argument("url")
@click.pass_obj
def history(app: App, url: str) -> None:
    """List the checks of URL, oldest first, with what each one found."""
    table = Table(header_style="bold")
    for column in ("Checked", "Outcome", "HTTP", "Error", "Events"):
        table.add_column(column, overflow="fold")
    for entry in source_history(app.db, _source_id(app, url)):
        table.add_row(
            _short_time(entry.checked_at),
            entry.outcome,
            str(entry.http_status or ""),
            entry.error or "",
            "; ".join(entry.events),
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _moment(value: str | None) -> str | None:
    """An ISO 8601 date or time from the command line, as a stored UTC timestamp."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time", param_hint="--at") from None
    if len(value) <= 10:  # a date alone: the whole of that day
        moment = moment.replace(hour=23, minute=59, second=59)
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))


@cli.command()
@click.argument("url")
@click.option("--at", "at", metavar="TIME", help="The version current at TIME (ISO 8601, UTC unless stated).")
@click.option("--raw", is_flag=True, help="The archived response body (HTML, PDF, ...) instead of the extracted text.")
@click.pass_obj
def snapshot(app: App, url: str, at: str | None, raw: bool) -> None:
    """Print an archived version of URL: its extracted text, or with --raw the page as fetched."""
    source_id, moment = _source_id(app, url), _moment(at)
    if raw:
        location = archived_at(app.db, source_id, moment)
        if location is None:
            click.echo(f"error: nothing archived for {url}" + (f" at {at}" if at else ""), err=True)
            sys.exit(EXIT_BAD_INPUT)
        sys.stdout.buffer.write(app.archive.read(location).body)
        return
    version = snapshot_at(app.db, source_id, moment)
    if version is None:
        click.echo(f"error: no snapshot of {url}" + (f" at {at}" if at else ""), err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"Title: {version.title or ''}\nTaken: {version.taken_at}\n\n{version.text}")


@cli.command("export-warc")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--incident", metavar="SLUG", help="Only the sources cited by this incident.")
@click.pass_obj
def export_warc(app: App, out: Path, incident: str | None) -> None:
    """Write every archived version into one WARC file (OUT.warc.gz) for replay tools."""
    if incident is not None and not incident_exists(app.db, incident):
        click.echo(f"error: no incident with slug {incident!r}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    count = app.archive.export(warc_locations(app.db, incident), out)
    click.echo(f"Wrote {_count(count, 'archived response')} to {out}.")


@cli.command()
@click.option("--lookup", is_flag=True, help="Refresh every source's best Wayback copy instead (CDX API).")
@click.option("--max-time", default="5m", show_default=True, metavar="DURATION", help="Stop submitting after this long.")
@click.pass_obj
def archive(app: App, lookup: bool, max_time: str) -> None:
    """Run the Wayback Machine queue once: submit what is due, paced to wayback.per_minute."""
    wayback = app.settings.wayback
    if not wayback.enabled:
        click.echo("The Wayback Machine is disabled (wayback.enabled = false).")
        return
    client = WaybackClient(wayback)
    if lookup:
        looked_up, found = refresh_archive_links(app.db, client)
        click.echo(f"Looked up {_count(looked_up, 'source')}: {found} with an archived copy.")
        return
    try:
        budget = parse_duration(max_time)
    except ValueError:
        raise click.BadParameter(f"{max_time!r} is not a duration like '90s', '5m'", param_hint="--max-time") from None
    run = run_queue(app.db, wayback, client, max_seconds=budget)
    line = f"Submitted {run.submitted}, failed {run.failed} (retried later), deferred {run.deferred}; {run.pending} pending."
    click.echo(line + (f" Paused until {run.paused_until}: the Wayback Machine asked us to wait." if run.paused_until else ""))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it (nothing is marked sent).")
@click.pass_obj
def alert(app: App, dry_run: bool) -> None:
    """Email every event not yet alerted (changed, dead, revived, moved, blocked) as one digest."""
    email = app.settings.email
    if dry_run:
        digest = pending_digest(app.db)
        if not digest.incidents:
            click.echo("Nothing to alert.")
            return
        message = render_message(digest, email, email.recipients)
        for header in ("Subject", "From", "To"):
            click.echo(f"{header}: {message[header]}")
        click.echo("\n" + message.get_body(("plain",)).get_content())
        return
    if not email.enabled:
        click.echo("Email is disabled (email.enabled = false): nothing sent.")
        return
    if not email.recipients:
        click.echo("error: email.recipients is empty: there is no one to send alerts to", err=True)
        sys.exit(EXIT_BAD_INPUT)
    run = send_alerts(app.db, email)
    click.echo(f"Sent {_count(run.messages_sent, 'message')}; {_count(run.events_alerted, 'event')} alerted.")
    if run.uncertain:
        click.echo(f"warning: {_count(run.uncertain, 'message')} interrupted by a crash may have been delivered; "
                   "not sent again", err=True)
    if run.errors:
        for error in run.errors:
            click.echo(f"error: {error}", err=True)
        click.echo("Unsent messages are kept and sent by the next `citewatch alert`.", err=True)
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
@click.option("--format", "form", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: a static site; md: pages to paste into an issue or wiki; csv, json: one row per citation.")
@click.option("--incident", metavar="SLUG", help="Only this incident.")
@click.pass_obj
def report(app: App, out: Path, form: str, incident: str | None) -> None:
    """Write the link-rot report: per incident, which citations hold and what to cite instead."""
    if incident is not None and not incident_exists(app.db, incident):
        click.echo(f"error: no incident with slug {incident!r}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    site = build_report(app.db, incident)
    written = write_report(app.db, site, out, form)
    entry = out / {"html": "index.html", "md": "index.md", "csv": "citations.csv", "json": "citations.json"}[form]
    click.echo(f"Wrote {_count(len(written), 'file')} for {_count(len(site.incidents), 'incident')}: {entry}")


@cli.command()
@click.pass_obj
def run(app: App) -> None:
    """One full cycle, for cron: check what is due, run the Wayback queue, send the digest and
    rewrite the report if their schedules say so. Exits at once if another run is active."""
    lock = RunLock(app.settings.storage.dir)
    if not lock.acquire():
        click.echo(f"Another citewatch run is active (pid {lock.holder}): nothing to do.")
        return
    with lock:
        cycle = run_cycle(app.settings)
    checks = cycle.checks
    click.echo(f"Checked {_count(checks.checked, 'source')}; {_count(checks.changed, 'content change')}.")
    if cycle.wayback is not None:
        click.echo(f"Wayback Machine: {cycle.wayback.submitted} submitted, {cycle.wayback.pending} pending.")
    if cycle.alerts is not None:
        click.echo(f"Digest: {_count(cycle.alerts.messages_sent, 'message')} sent.")
    if cycle.report is not None:
        click.echo(f"Report: {_count(len(cycle.report), 'file')} written to {app.settings.schedule.report_dir}.")
    if cycle.failed:
        click.echo("error: part of the run failed (see the log above)", err=True)
        sys.exit(EXIT_FAILED)


@cli.command()
@click.pass_obj
def daemon(app: App) -> None:
    """Run in the foreground on timers (schedule.tick, schedule.digest, schedule.report),
    logging to stderr, until SIGTERM or SIGINT."""
    if not app.quiet:
        logging.getLogger("citewatch").setLevel(logging.INFO)
    lock = RunLock(app.settings.storage.dir)
    if not lock.acquire():
        click.echo(f"error: another citewatch run is active (pid {lock.holder})", err=True)
        sys.exit(EXIT_FAILED)
    with lock:
        sys.exit(run_daemon(app.settings))


@contextmanager
def progress(total: int, what: str, quiet: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal; plain log lines (every tenth of the way) otherwise."""
    if total and sys.stderr.isatty() and not quiet:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(what, total=total)
            yield lambda: bar.advance(task)
        return
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if done == total or done % max(total // 10, 1) == 0:
            logger.info("%s: %d of %d", what, done, total)

    yield advance


_STATE_STYLES = {"ok": "green", "failing": "yellow", "dead": "bold red", "blocked": "magenta", "moved": "cyan"}


def _state_markup(state: str) -> str:
    style = _STATE_STYLES.get(state)
    return f"[{style}]{state}[/]" if style else state


def _short_time(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
