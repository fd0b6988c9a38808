"""The `citewatch` command line: each command parses its options, calls the library
(`citewatch.Citewatch`) once and renders what it returns.

Exit status, mapped from the library's exceptions in one place (CitewatchGroup): 0 when
the command did its work, 1 when a run failed, 2 for bad input or configuration (the
message names the file, record, key or URL).
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citewatch import logs
from citewatch.config import CONFIG_ENV_VAR, load_settings, parse_duration
from citewatch.errors import BadInput, Busy, CitewatchError, RunFailed
from citewatch.facade import Citewatch, LookupRun
from citewatch.model import CheckSummary, State, reason_words
from citewatch.reports.formats import ReportFormat, json_list
from citewatch.reports.worddiff import as_text, word_diff
from citewatch.storage.lock import RunLock
from citewatch.urls import without_credentials
from citewatch.version import __version__

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

logger = logging.getLogger("citewatch.cli")


def exit_status(error: CitewatchError) -> int:
    return EXIT_BAD_INPUT if isinstance(error, BadInput) else EXIT_FAILED


class CommandFailed(click.ClickException):
    """A library error as the command line shows it: one line on stderr, and its exit status."""

    def __init__(self, error: CitewatchError) -> None:
        super().__init__(str(error))
        self.exit_code = exit_status(error)

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _verbosity(ctx: click.Context, more: int = 0, quiet: bool = False) -> None:
    """Add -v (`more`) or -q to the verbosity so far (the group's, then the subcommand's)."""
    meta = ctx.meta  # shared by the group's context and the subcommand's
    meta["verbosity"] = -1 if quiet or meta.get("verbosity") == -1 else meta.get("verbosity", 0) + more
    meta["quiet"] = meta["verbosity"] == -1
    logs.configure(meta["verbosity"])


def _verbose_option(ctx: click.Context, _param: click.Parameter, count: int) -> None:
    if count:
        _verbosity(ctx, more=count)


def _quiet_option(ctx: click.Context, _param: click.Parameter, quiet: bool) -> None:
    if quiet:
        _verbosity(ctx, quiet=True)


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_verbose_option,
                     help="More log output on stderr: citewatch's progress, libraries' warnings (-vv: everything)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_quiet_option,
                     help="Only errors on stderr."),
    ]


class CitewatchCommand(click.Command):
    """A subcommand: also takes -v and -q after its name (`citewatch check --all -q`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_verbosity_options())


class CitewatchGroup(click.Group):
    command_class = CitewatchCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Busy as busy:  # another process is doing this: said in one line, not an error
            click.echo(str(busy))
            return None
        except CitewatchError as error:
            raise CommandFailed(error) from error


def _complete_incidents(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of --incident: the slugs in the database (none when there is no
    database yet, or anything goes wrong: completing must never fail or create files)."""
    try:
        settings = load_settings(ctx.find_root().params.get("config_path"))
        if not settings.storage.database.exists():
            return []
        with Citewatch(settings) as cw:
            return cw.incidents(incomplete)
    except Exception:  # noqa: BLE001 (a completion that fails offers nothing, and says nothing)
        return []


WITHOUT_SETTINGS = {"doctor"}  # commands that load the config themselves, to report what is wrong with it


@click.group(cls=CitewatchGroup, params=_verbosity_options())
@click.version_option(__version__, prog_name="citewatch")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV_VAR,
    help=f"TOML config file (default: ${CONFIG_ENV_VAR}, else built-in defaults with data in ./citewatch-data).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """citewatch keeps the sources cited by an incident database honest.

    Ingest incident records, check their cited URLs, and see which sources died or changed.
    """
    if "verbosity" not in ctx.meta:
        _verbosity(ctx)
    ctx.meta["config_path"] = config_path
    if ctx.invoked_subcommand not in WITHOUT_SETTINGS:
        ctx.obj = ctx.with_resource(Citewatch(load_settings(config_path)))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--complete", is_flag=True, help="The input is the tracker's every incident: retire those it lacks "
              "(at most ingest.retire_limit of them) and revive those it brings back.")
@click.pass_obj
def ingest(cw: Citewatch, inputs: tuple[str, ...], complete: bool) -> None:
    """Read incident records from files, directories of .json / .jsonl, or http(s) URLs of
    exports (pulled with a conditional GET; an index listing record URLs is followed).

    Accepts the tracker's export ({"site", "generatedAt", "record"}), bare records, JSON
    arrays of either, and JSON Lines. Re-ingesting a record replaces its citations.
    """
    missing = [item for item in inputs if not item.startswith(("http://", "https://")) and not Path(item).exists()]
    if missing:
        raise click.BadParameter(f"no such file or folder: {', '.join(missing)}", param_hint="PATH_OR_URL")
    with ProgressBar("ingesting records") as bar:
        bar.start(None)  # records are stored as they are read: their number is known at the end
        report = cw.ingest(inputs, on_record=bar.advance, complete=complete)
    for url in report.not_modified:
        click.echo(f"Not modified since its last pull: {url}")
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(
        f"Ingested {_count(report.incidents, 'incident')} with {_count(report.citations, 'citation')} "
        f"from {_count(report.files, 'file')}; {_count(report.new_sources, 'new source')}."
        + (f" Retired {_count(report.retired, 'incident')} the export no longer has." if report.retired else "")
        + (f" Revived {_count(report.revived, 'retired incident')}." if report.revived else "")
    )
    if report.not_retired:
        click.echo(f"error: --complete: {report.not_retired}.", err=True)
    if report.problems or report.not_retired:
        raise BadInput(f"{_count(len(report.problems) + bool(report.not_retired), 'problem')} in the input, listed above.")


@cli.command()
@click.option("--all", "check_all", is_flag=True, help="Check every cited source, due or not.")
@click.argument("urls", nargs=-1)
@click.pass_obj
def check(cw: Citewatch, check_all: bool, urls: tuple[str, ...]) -> None:
    """Fetch the sources that are due (all with --all, or the given URLS) and record what changed."""
    with ProgressBar("checking sources") as bar:
        summary = cw.check(urls or None, all=check_all, on_checked=bar.advance, on_start=bar.start)
    states = ", ".join(f"{count} {state}" for state, count in sorted(summary.states.items()))
    click.echo(
        f"Checked {_count(summary.checked, 'source')}"
        + (f": {states}" if states else "")
        + f"; {_count(summary.changed, 'content change')}."
    )
    problems = _check_problems(summary)
    if problems:
        raise RunFailed("; ".join(problems))


def _check_problems(summary: CheckSummary) -> list[str]:
    """What went wrong in a crawl, one phrase each (the log has the details)."""
    problems = []
    if summary.failed:
        kinds = ", ".join(f"{count} in {key}" for key, count in sorted(summary.failures.items()))
        problems.append(f"{_count(summary.failed, 'check')} failed ({kinds}), still due: see the log")
    if summary.lost:
        problems.append(f"a crawl process failed: up to {_count(summary.lost, 'source')} not checked, still due: see the log")
    return problems


_STATUS_COLUMNS = (
    ("URL", {"overflow": "fold", "ratio": 4}),
    ("State", {}),
    ("Reason", {}),
    ("HTTP", {"justify": "right"}),
    ("Last checked", {}),
    ("Changes", {"justify": "right"}),
    ("Next check", {}),
)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable: a JSON list, one object per source.")
@click.option("--incident", metavar="SLUG", shell_complete=_complete_incidents, help="Only the sources cited by this incident.")
@click.option("--state", type=click.Choice([state.value for state in State]), help="Only sources in this state.")
@click.pass_obj
def status(cw: Citewatch, as_json: bool, incident: str | None, state: str | None) -> None:
    """Where every cited source stands: state, reason, last check, changes."""
    statuses = cw.status(incident=incident, state=state)
    if as_json:
        _stream_json_list(row.as_json() for row in statuses)
        return
    statuses = list(statuses)  # a table is laid out whole
    table = Table(show_lines=False, header_style="bold")
    for column, options in _STATUS_COLUMNS:
        table.add_column(column, **options)
    for row in statuses:
        table.add_row(
            row.url,
            _state_markup(row.state),
            reason_words(row.reason),
            str(row.http_status or ""),
            _short_time(row.last_checked),
            str(row.changes),
            _short_time(row.next_check_at),
        )
    console = _console()
    console.print(table)
    counts = Counter(row.state.value for row in statuses)
    breakdown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"{_count(len(statuses), 'source')}" + (f": {breakdown}" if breakdown else ""))


def _stream_json_list(items: Iterable[dict[str, Any]], chunk: int = 1000) -> None:
    """A JSON list on stdout as it comes, one object a line, written `chunk` objects at a time."""
    parts = json_list(items)
    for text in iter(lambda: "".join(itertools.islice(parts, chunk)), ""):
        click.echo(text, nl=False)
    click.echo()


_DIFF_COLOURS = {"+": "green", "-": "red", "@": "cyan"}
_WORD_STYLES = {"del": {"fg": "red", "strikethrough": True}, "add": {"fg": "green", "underline": True}, "gap": {"dim": True}}
_LINE_COLOURS = {"add": "green", "del": "red", "hunk": "cyan"}


def _colour_terminal() -> bool:
    """Whether the output is a terminal that takes colour (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@cli.command()
@click.argument("url")
@click.option("--unified", is_flag=True, help="The change as a unified diff of whole paragraphs, as stored.")
@click.pass_obj
def diff(cw: Citewatch, url: str, unified: bool) -> None:
    """Show the latest content change of URL: each edited paragraph with the words taken
    out and put in marked (in colour on a terminal, as [-old-]{+new+} elsewhere)."""
    change = cw.diff(url)
    if change is None:
        click.echo(f"No content change recorded for {url}.")
        return
    click.echo(f"Changed {_short_time(change.at)}: {change.summary} (similarity {change.similarity:.0%})")
    if unified:
        for line in change.diff.splitlines():
            colour = None if line.startswith(("+++", "---")) else _DIFF_COLOURS.get(line[:1])
            click.secho(line, fg=colour, bold=line.startswith(("+++", "---")))
        return
    for line in word_diff(change.diff):
        if not _colour_terminal():
            click.echo(as_text(line, short=False))
        elif line.kind == "edit":
            styled = (click.style(piece.text, **_WORD_STYLES[piece.kind]) if piece.kind in _WORD_STYLES else piece.text
                      for piece in line.pieces)
            click.echo("~ " + "".join(styled))
        elif line.kind in _LINE_COLOURS:
            click.secho(as_text(line, short=False), fg=_LINE_COLOURS[line.kind])
        else:
            click.echo(as_text(line, short=False))


@cli.command()
@click.argument("url")
@click.pass_obj
def history(cw: Citewatch, url: str) -> None:
    """List the checks of URL, oldest first, with what each one found."""
    table = Table(header_style="bold")
    for column in ("Checked", "Outcome", "HTTP", "Judged", "Events"):
        table.add_column(column, overflow="fold")
    for entry in cw.history(url):
        table.add_row(
            _short_time(entry.checked_at) + (f" to {_short_time(entry.last_checked_at)} ({entry.repeats} checks)"
                                             if entry.repeats > 1 else ""),
            entry.outcome,
            str(entry.http_status or ""),
            reason_words(entry.reason or entry.error),
            "; ".join(entry.events),
        )
    _console().print(table)


@cli.command()
@click.argument("url")
@click.option("--at", "at", metavar="TIME", help="The version current at TIME (ISO 8601, UTC unless stated).")
@click.option("--raw", is_flag=True, help="The archived response body (HTML, PDF, ...) instead of the extracted text.")
@click.pass_obj
def snapshot(cw: Citewatch, url: str, at: str | None, raw: bool) -> None:
    """Print an archived version of URL: its extracted text, or with --raw the page as fetched."""
    when = f" at {at}" if at else ""
    if raw:
        response = cw.raw_snapshot(url, at)
        if response is None:
            raise BadInput(f"nothing archived for {url}{when}")
        sys.stdout.buffer.write(response.body)
        return
    version = cw.snapshot(url, at)
    if version is None:
        raise BadInput(f"no snapshot of {url}{when}")
    click.echo(f"Title: {version.title or ''}\nTaken: {version.taken_at}\n\n{version.text}")


@cli.command("export-warc")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--incident", metavar="SLUG", shell_complete=_complete_incidents, help="Only the sources cited by this incident.")
@click.pass_obj
def export_warc(cw: Citewatch, out: Path, incident: str | None) -> None:
    """Write every archived version into one WARC file (OUT.warc.gz) for replay tools."""
    count = cw.export_warc(out, incident)
    click.echo(f"Wrote {_count(count, 'archived response')} to {out}.")


@cli.command("export-wacz")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--incident", metavar="SLUG", shell_complete=_complete_incidents, required=True, help="The incident whose sources to package.")
@click.pass_obj
def export_wacz(cw: Citewatch, out: Path, incident: str) -> None:
    """Write a WACZ (OUT.wacz) of every archived version of the incident's sources, with a
    pages list, SHA-256 digests and the timestamp tokens: it opens in ReplayWeb.page."""
    export = cw.export_wacz(out, incident)
    click.echo(f"Wrote {_count(export.versions, 'archived version')} ({export.stamped} with a timestamp token) to {out}.")


@cli.command()
@click.pass_obj
def stamp(cw: Citewatch) -> None:
    """Get trusted timestamp tokens (evidence.tsa_urls) for archived versions without one."""
    run = cw.stamp()
    if not cw.settings.evidence.tsa_urls:
        click.echo("Timestamps are off (evidence.tsa_urls is empty)" + (f"; {_count(run.hashed, 'version')} hashed." if run.hashed else "."))
        return
    click.echo(f"Stamped {_count(run.stamped, 'version')}; {run.pending} pending.")  # each authority's failure is logged


@cli.command()
@click.option("--incident", metavar="SLUG", shell_complete=_complete_incidents, help="Only the sources cited by this incident.")
@click.option("--url", metavar="URL", help="Only this source.")
@click.pass_obj
def verify(cw: Citewatch, incident: str | None, url: str | None) -> None:
    """Read every archived version back: recompute its digests and check its timestamp
    token. Lists each version that fails, by source; exit status 1 if any does."""
    checks = cw.verify(incident=incident, url=url)
    failed = [check for check in checks if not check.ok]
    for check in failed:
        click.echo(f"FAILED {check.url} (version of {_short_time(check.archived_at)}, check {check.check_id}):")
        for problem in check.problems:
            click.echo(f"  - {problem}")
    tokens = Counter(check.token for check in checks)
    click.echo(
        f"Verified {_count(len(checks), 'archived version')}: {len(checks) - len(failed)} intact, {len(failed)} failed; "
        f"timestamps: {tokens['verified']} verified, {tokens['pending']} pending, {tokens['invalid']} invalid."
    )
    if failed:
        raise RunFailed(f"{_count(len(failed), 'archived version')} failed verification (listed above)")


@cli.command()
@click.option("--lookup", is_flag=True, help="Refresh every source's best Wayback copy instead (CDX API).")
@click.option("--max-time", default="5m", show_default=True, metavar="DURATION", help="Stop submitting after this long.")
@click.pass_obj
def archive(cw: Citewatch, lookup: bool, max_time: str) -> None:
    """Run the Wayback Machine queue once: submit what is due, paced to wayback.per_minute."""
    try:
        budget = parse_duration(max_time)
    except ValueError:
        raise click.BadParameter(f"{max_time!r} is not a duration like '90s', '5m'", param_hint="--max-time") from None
    run = cw.archive(lookup=lookup, max_seconds=budget)
    if run is None:
        click.echo("The Wayback Machine is disabled (wayback.enabled = false).")
    elif isinstance(run, LookupRun):
        click.echo(f"Looked up {_count(run.looked_up, 'source')}: {run.found} with an archived copy; "
                   f"{_count(run.judged, 'copy', 'copies')} checked.")
    else:
        line = f"Submitted {run.submitted}, failed {run.failed} (retried later), deferred {run.deferred}; {run.pending} pending"
        line += f"; {_count(run.judged, 'copy', 'copies')} checked."
        click.echo(line + (f" Paused until {run.paused_until}: the Wayback Machine asked us to wait." if run.paused_until else ""))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it (nothing is marked sent).")
@click.pass_obj
def alert(cw: Citewatch, dry_run: bool) -> None:
    """Send every event not yet alerted (changed, dead, revived, moved, blocked) as one
    digest, by email and through every [[notify]] channel."""
    run = cw.alert(dry_run=dry_run)
    if dry_run:
        click.echo(run.preview or "Nothing to alert.")
        return
    if run.disabled:
        click.echo("Email is disabled (email.enabled = false) and no [[notify]] is set: nothing sent.")
        return
    click.echo(f"Sent {_count(run.messages_sent, 'message')}; {_count(run.events_alerted, 'event')} alerted.")
    if run.errors:  # each one is logged as it happens, as is each message a crash interrupted
        raise RunFailed("Unsent messages are kept and sent by the next `citewatch alert`.")


def _format_help() -> str:
    return "; ".join(f"{cls.name}: {cls.description}" for cls in ReportFormat.registry.classes()) + "."


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
@click.option("--format", "form", type=click.Choice(ReportFormat.registry.names()), default="html", show_default=True,
              help=_format_help())
@click.option("--incident", metavar="SLUG", shell_complete=_complete_incidents, help="Only this incident.")
@click.option("--full", is_flag=True, help="Write every page again, not only those of incidents that changed.")
@click.pass_obj
def report(cw: Citewatch, out: Path, form: str, incident: str | None, full: bool) -> None:
    """Write the link-rot report: per incident, which citations hold and what to cite instead.
    Written again into the same folder, only the pages of incidents that changed are."""
    run = cw.report(out, form, incident, full=full)
    changed = "" if run.changed is None else f" ({_count(run.changed, 'incident')} changed since the last report)"
    click.echo(f"Wrote {_count(len(run.files), 'file')} for {_count(run.incidents, 'incident')}{changed}: {run.entry}")


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the config, the data directory, the SMTP server, each notifier, the Wayback
    Machine and the time-stamping authorities: one line per problem, with what to do.
    Sends nothing. Exit status 1 if there is a problem."""
    config_path = ctx.meta["config_path"]
    try:
        cw = ctx.with_resource(Citewatch(load_settings(config_path)))
    except BadInput as error:
        click.echo(f"problem: config: {error}. Fix it, then run `citewatch doctor` again.")
        raise RunFailed("the config cannot be used (see above)") from None
    diagnosis = cw.doctor()
    for problem in diagnosis.problems:
        click.echo(f"problem: {problem}")
    config = f"the config ({config_path})" if config_path else "the config (built-in defaults)"
    click.echo(f"Checked {', '.join([config, *diagnosis.checked])}: "
               + (f"{_count(len(diagnosis.problems), 'problem')}." if diagnosis.problems else "all is well."))
    if diagnosis.problems:
        raise RunFailed(f"{_count(len(diagnosis.problems), 'problem')} found (listed above)")


@cli.command()
@click.option("--host", metavar="HOST", help="Address to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default: serve.port, 8001).")
@click.pass_obj
def serve(cw: Citewatch, host: str | None, port: int | None) -> None:
    """Browse the database in a web browser: Datasette, read-only, with facets by state,
    reason, host and incident and canned queries for what maintainers ask. Runs until Ctrl-C."""

    def ready(url: str) -> None:
        click.echo(f"Serving the citewatch database read-only at {url}citewatch (Ctrl-C stops).")
        if not _host_is_loopback(url):
            click.echo("warning: this address is reachable from the network, and Datasette asks no password", err=True)

    cw.serve(host, port, on_ready=ready)


@cli.command()
@click.pass_obj
def run(cw: Citewatch) -> None:
    """One full cycle, for cron: pull the feeds of [[ingest.feeds]] if schedule.ingest says
    so, check what is due, run the Wayback queue, send the digest and rewrite the report if
    their schedules say so. Exits at once if another run is active."""
    with ProgressBar("checking sources") as bar:
        cycle = cw.run_cycle(on_checked=bar.advance, on_start=bar.start)
    for busy in cycle.busy:
        click.echo(busy)
    for feed, report in zip(cw.settings.ingest.feeds, cycle.ingested):
        url = without_credentials(feed.url)
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"Feed {url}: " + ("not modified since its last pull." if report.not_modified else
                   f"{_count(report.incidents, 'incident')}, {_count(report.new_sources, 'new source')}"
                   + (f", {report.retired} retired" if report.retired else "") + "."))
        if report.not_retired:
            click.echo(f"error: {url}: {report.not_retired}.", err=True)
    checks = cycle.checks
    click.echo(f"Checked {_count(checks.checked, 'source')}; {_count(checks.changed, 'content change')}.")
    for problem in _check_problems(checks):
        click.echo(f"error: {problem}", err=True)
    if cycle.stamps is not None and cw.settings.evidence.tsa_urls:
        click.echo(f"Timestamps: {cycle.stamps.stamped} stamped, {cycle.stamps.pending} pending.")
    if cycle.wayback is not None:
        click.echo(f"Wayback Machine: {cycle.wayback.submitted} submitted, {cycle.wayback.pending} pending.")
    if cycle.alerts is not None:
        click.echo(f"Digest: {_count(cycle.alerts.messages_sent, 'message')} sent.")
    if cycle.report is not None:
        click.echo(f"Report: {_count(len(cycle.report.files), 'file')} written to {cw.settings.schedule.report_dir}.")
    if cycle.failed:
        raise RunFailed("part of the run failed (see the log above)")


@cli.command()
@click.pass_obj
def daemon(cw: Citewatch) -> None:
    """Run in the foreground on timers (schedule.tick, schedule.digest, schedule.report),
    logging to stderr, until SIGTERM or SIGINT."""
    meta = click.get_current_context().meta
    if not meta["quiet"]:
        logs.configure(meta["verbosity"], progress=True)
    from .daemon import run_daemon  # APScheduler: only the daemon loads it

    lock = RunLock(cw.settings.storage.dir)
    if not lock.acquire():
        raise RunFailed(f"another citewatch run is active (pid {lock.holder})")
    with lock:
        sys.exit(run_daemon(cw.settings))


UNKNOWN_TOTAL_EVERY = 10_000


class ProgressBar:
    """A progress bar on a terminal once the total is known; plain log lines (every tenth of
    the way) otherwise."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.quiet = click.get_current_context().meta.get("quiet", False)
        self.total = 0
        self.done = 0
        self._bar: Progress | None = None
        self._advance: Callable[[], None] = self._log

    def start(self, total: int | None) -> None:
        """`total` steps to come; None when unknown (the bar then counts, and the log says
        every UNKNOWN_TOTAL_EVERY steps)."""
        self.total = total or 0
        if (total or total is None) and sys.stderr.isatty() and not self.quiet:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self._bar = Progress(*columns, console=Console(stderr=True), transient=True)
            self._bar.start()
            task = self._bar.add_task(self.what, total=total)
            self._advance = lambda: self._bar.advance(task)  # type: ignore[union-attr]

    def advance(self) -> None:
        self._advance()

    def _log(self) -> None:
        self.done += 1
        if not self.total:
            if self.done % UNKNOWN_TOTAL_EVERY == 0:
                logger.info("%s: %d", self.what, self.done)
        elif self.done == self.total or self.done % max(self.total // 10, 1) == 0:
            logger.info("%s: %d of %d", self.what, self.done, self.total)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


_STATE_STYLES = {State.OK: "green", State.FAILING: "yellow", State.DEAD: "bold red", State.BLOCKED: "magenta",
                 State.MOVED: "cyan"}


def _state_markup(state: State) -> str:
    style = _STATE_STYLES.get(state)
    return f"[{style}]{state}[/]" if style else str(state)


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160)


def _host_is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _short_time(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else ""


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
