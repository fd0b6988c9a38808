"""A quiet, friendly terminal: no library warning without -v, -q and -v after the
subcommand, `citewatch doctor`, and shell completion."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from digest_events import make_events
from helpers import ARTICLE, closed_port, run_cli, write_record
from webserver import Page

from citewatch import logs

CITEWATCH = str(Path(sys.executable).parent / "citewatch")


def citewatch(config, *args, env=None):
    return subprocess.run([CITEWATCH, "--config", str(config), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def cited(config_file, tmp_path, web):
    """An article, a redirect to it and a page that went away, cited and ingested."""
    web.pages["/article"] = Page(ARTICLE)
    web.pages["/old-address"] = Page("", status=301, headers={"Location": web.url("/article")})
    web.pages["/refresh"] = Page('<meta http-equiv="refresh" content="0; url=/article">')
    web.pages["/gone"] = Page("<h1>Not found</h1>", status=404)
    record = write_record(tmp_path / "record.json", "incident", [web.url(p) for p in ("/article", "/old-address", "/refresh", "/gone")])
    assert run_cli(config_file, "ingest", str(record)).exit_code == 0
    return config_file


def test_a_plain_check_prints_its_summary_and_nothing_else(cited):
    check = citewatch(cited, "check", "--all")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("Checked 4 sources:") and check.stderr == ""


def test_quiet_and_verbose_are_taken_after_the_subcommand_too(cited):
    quiet = citewatch(cited, "check", "--all", "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    verbose = citewatch(cited, "status", "-v")
    assert verbose.returncode == 0
    check = citewatch(cited, "check", "--all", "-v")
    assert check.returncode == 0 and "INFO citewatch.facade: checked 4 sources" in check.stderr
    assert "RefererMiddleware" not in check.stderr  # Scrapy has nothing to warn about any more
    both = citewatch(cited, "-v", "check", "--all", "--quiet")
    assert both.returncode == 0 and both.stderr == ""


def test_libraries_warn_only_with_verbose_and_citewatch_always(capsys):
    try:
        for verbosity, library_shown in ((0, False), (-1, False), (1, True)):
            logs.configure(verbosity)
            logging.getLogger("scrapy.downloadermiddlewares.redirect").warning("a library's warning")
            logging.getLogger("citewatch.crawler.crawl").warning("citewatch's warning")
            logging.getLogger("trafilatura.core").error("a library's error")
            err = capsys.readouterr().err
            assert ("a library's warning" in err) == library_shown
            assert ("citewatch's warning" in err) == (verbosity >= 0)
            assert ("a library's error" in err) == library_shown  # trafilatura's "errors" are a page it cannot parse
    finally:
        logs.configure(0)


def write_config(tmp_path, body):
    path = tmp_path / "doctor.toml"
    path.write_text('[storage]\ndir = "data"\n' + body)
    return path


def test_doctor_says_all_is_well_when_it_is_and_sends_nothing(tmp_path, smtp, chat, wayback, tsa):
    (tmp_path / "root.pem").write_bytes(tsa.root_pem())
    config = write_config(tmp_path, (
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp.port}\nrecipients = ["desk@tracker.example"]\n'
        f'[wayback]\nbase_url = "{wayback.base_url}"\n'
        f'[evidence]\ntsa_urls = ["{tsa.url}"]\ntsa_roots = ["root.pem"]\n'
        f'[[notify]]\nurls = ["{chat.json_url()}"]\n'))
    result = citewatch(config, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (f"Checked the config ({config}), the data directory, notifier email, notifier apprise, the outbox, "
                             "the Wayback Machine, the time-stamping authorities: all is well.\n")
    assert not smtp.inbox.envelopes and not chat.accepted and not chat.refused


def test_doctor_prints_one_line_per_problem_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("CITEWATCH_CHAT_URL", raising=False)
    down = closed_port()
    (tmp_path / "stranger.pem").write_bytes(b"not a certificate")
    config = write_config(tmp_path, (
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {down}\nrecipients = ["desk@tracker.example"]\n'
        f'[wayback]\nbase_url = "http://127.0.0.1:{down}"\ntimeout = 2\n'
        f'[evidence]\ntsa_urls = ["http://127.0.0.1:{down}/tsr"]\ntsa_roots = ["stranger.pem"]\n'
        '[[notify]]\nurl_env = "CITEWATCH_CHAT_URL"\n'
        f'[[notify]]\nchannel = "desk"\nurls = ["json://127.0.0.1:{down}/hook"]\ntimeout = 2\n'))
    result = citewatch(config, "doctor")
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem: ")]
    assert problems == [
        f"problem: email: cannot reach the SMTP server 127.0.0.1:{down}: ConnectionRefusedError: [Errno 111] Connection refused. "
        "Check email.host, email.port, email.ssl, email.starttls, email.username and $CITEWATCH_SMTP_PASSWORD",
        "problem: notifier apprise, $CITEWATCH_CHAT_URL: the environment variable CITEWATCH_CHAT_URL is not set. "
        "Set it to the Apprise URL",
        f"problem: notifier desk, json://127.0.0.1:{down}/hook: cannot reach 127.0.0.1:{down} (Connection refused). "
        "Check the URL and that the service is up",
        f"problem: Wayback Machine http://127.0.0.1:{down}: cannot be reached (ConnectionError). "
        "Check wayback.base_url and the network; archiving waits and retries meanwhile",
        f"problem: evidence.tsa_roots: evidence.tsa_roots: cannot read certificates from {tmp_path / 'stranger.pem'}: "
        "Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more "
        "details. MalformedFraming. Name the PEM files of the authorities' root certificates",
    ]
    assert "error: 5 problems found (listed above)" in result.stderr


def test_doctor_names_a_config_that_cannot_be_used_and_an_unwritable_data_directory(tmp_path):
    broken = write_config(tmp_path, "[crawl]\ntimeout = \"soon\"\n")
    result = citewatch(broken, "doctor")
    assert result.returncode == 1 and result.stdout.startswith(f"problem: config: {broken}: crawl.timeout must be")
    (tmp_path / "file").write_text("")
    unwritable = write_config(tmp_path, "")
    unwritable.write_text(f'[storage]\ndir = "{tmp_path / "file" / "data"}"\n[wayback]\nenabled = false\n')
    result = citewatch(unwritable, "doctor")
    assert result.returncode == 1 and f"problem: data directory {tmp_path / 'file' / 'data'}: cannot write there" in result.stdout


def test_doctor_finds_messages_no_notifier_will_send(tmp_path, events, chat):
    body = ('[crawl]\ndelay = 0\ntimeout = 2\nallow_private_addresses = true\n[dead]\nfailures = 1\nmin_days = 0\n'
            '[wayback]\nenabled = false\n')
    config = write_config(tmp_path, body + f'[[notify]]\nchannel = "newsroom"\nurls = ["{chat.json_url()}"]\n')
    make_events(config, tmp_path, events)
    chat.status = 500
    assert run_cli(config, "alert").exit_code == 1
    config.write_text('[storage]\ndir = "data"\n' + body)  # the notifier taken out of the config
    result = citewatch(config, "doctor")
    assert result.returncode == 1 and ("problem: outbox channel 'newsroom': 1 messages wait, but no notifier has this "
                                       'channel. Restore its [[notify]] table (channel = "newsroom")') in result.stdout


def complete(config, words, env=None):
    """What the shell would offer after `words` (bash), as click's completion answers."""
    line = f"citewatch --config {config} {words}"
    answer = subprocess.run([CITEWATCH], capture_output=True, text=True, timeout=60, env={
        **os.environ, "_CITEWATCH_COMPLETE": "bash_complete", "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split()) - (0 if line.endswith(" ") else 1)), **(env or {})})
    return [item.split(",", 1)[1] for item in answer.stdout.splitlines() if item]


def test_shell_completion_for_bash_zsh_and_fish(tmp_path, config_file, events):
    for shell, marker in (("bash", "complete -o nosort -F _citewatch_completion citewatch"),
                          ("zsh", "#compdef citewatch"), ("fish", "complete --no-files --command citewatch")):
        script = subprocess.run([CITEWATCH], capture_output=True, text=True, env={**os.environ, "_CITEWATCH_COMPLETE": f"{shell}_source"})
        assert marker in script.stdout, (shell, script.stdout)
    assert complete(config_file, "st") == ["stamp", "status"]
    assert complete(config_file, "status --state d") == ["dead"]
    assert complete(config_file, "status --incident ") == []  # no database yet: nothing offered, nothing made
    assert not (config_file.parent / "data").exists()
    assert run_cli(config_file, "ingest", str(tmp_path / "records.json")).exit_code == 0
    assert complete(config_file, "status --incident ") == ["demining-cuts", "landmine-policy"]
    assert complete(config_file, "report --out x --incident land") == ["landmine-policy"]
