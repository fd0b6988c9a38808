"""Plug-in points: page judges, noise rules and notifiers named in the config, and the
report format registry."""

import json

from helpers import ARTICLE, run_cli, status_json, write_record
from webserver import Page

from citewatch.reports.formats import ReportFormat

BASE = '[storage]\ndir = "data"\n[crawl]\ntimeout = 2\ndelay = 0\nallow_private_addresses = true\n' \
       '[wayback]\nenabled = false\n[dead]\nfailures = 1\nmin_days = 0\n'


def configure(tmp_path, extra=""):
    path = tmp_path / "citewatch.toml"
    path.write_text(BASE + extra)
    return path


def cite(config, tmp_path, *urls):
    record = write_record(tmp_path / "record.json", "incident", list(urls))
    assert run_cli(config, "ingest", str(record)).exit_code == 0


LOGIN_PAGE = '<html><body><h1>Sign in</h1><form id="login-form"><input name="user"></form></body></html>'


def test_a_judge_added_in_the_config_is_applied(tmp_path, web):
    web.pages["/members-only"] = Page(LOGIN_PAGE)
    plain, added = tmp_path / "plain", tmp_path / "added"
    for folder in (plain, added):
        folder.mkdir()
    configs = {
        "plain": configure(plain),
        "added": configure(added, '[judges]\nadd = ["plugins_for_tests:LoginWall"]\n'),
    }
    for name, config in configs.items():
        cite(config, config.parent, web.url("/members-only"))
        assert run_cli(config, "check", "--all").exit_code == 0
    assert status_json(configs["plain"])[web.url("/members-only")]["state"] == "ok"  # taken for the article
    judged = status_json(configs["added"])[web.url("/members-only")]
    assert (judged["state"], judged["reason"]) == ("blocked", "login_required")


def test_a_judge_switched_off_in_the_config_is_not_applied(tmp_path, web):
    web.pages["/parked"] = Page("<html><body><p>This domain is for sale! Buy this domain.</p></body></html>")
    config = configure(tmp_path, '[judges]\noff = ["parked"]\n')
    cite(config, tmp_path, web.url("/parked"))
    run_cli(config, "check", "--all")
    assert status_json(config)[web.url("/parked")]["state"] == "ok"


def test_a_noise_rule_added_in_the_config_hides_its_lines_from_change_detection(tmp_path, web):
    def byline(minutes):
        return ARTICLE.replace("<article>", f"<article><p>By Jane Doe, {minutes} minute read</p>", 1)

    assert "<article>" in ARTICLE
    folders = {name: tmp_path / name for name in ("plain", "added")}
    configs = {}
    for name, folder in folders.items():
        folder.mkdir()
        configs[name] = configure(folder, '[noise]\nadd = ["plugins_for_tests:Byline"]\n' if name == "added" else "")
    for name, config in configs.items():
        web.pages[f"/{name}"] = Page(byline(4))
        cite(config, config.parent, web.url(f"/{name}"))
        run_cli(config, "check", "--all")
        web.pages[f"/{name}"] = Page(byline(5))
        run_cli(config, "check", "--all")
    assert status_json(configs["plain"])[web.url("/plain")]["changes"] == 1
    assert status_json(configs["added"])[web.url("/added")]["changes"] == 0


def test_a_notifier_added_in_the_config_gets_each_digest_once_and_retries_when_down(tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    web.pages["/gone"] = Page(ARTICLE)
    outbox = tmp_path / "channel" / "digests.jsonl"
    outbox.parent.mkdir()
    config = configure(tmp_path, f'[[notify]]\ntype = "plugins_for_tests:JsonLinesNotifier"\nchannel = "desk"\npath = "{outbox}"\n')
    cite(config, tmp_path, web.url("/article"), web.url("/gone"))
    run_cli(config, "check", "--all")
    web.pages["/gone"] = Page("<h1>Gone</h1>", status=404)
    run_cli(config, "check", "--all")

    (outbox.parent / "down").write_text("")
    down = run_cli(config, "alert")
    assert down.exit_code == 1 and "message 1 not sent" in down.output and "is down" in down.output
    assert "Sent 0 messages; 0 events alerted." in down.output and not outbox.exists()

    (outbox.parent / "down").unlink()
    sent = run_cli(config, "alert")
    assert sent.exit_code == 0 and "Sent 1 message; 1 event alerted." in sent.output
    assert run_cli(config, "alert").output.startswith("Sent 0 messages; 0 events alerted.")
    (digest,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert digest == {"subject": "[citewatch] 1 source dead across 1 incident", "sources": [web.url("/gone")]}


def test_plugins_that_cannot_be_used_stop_every_command_with_the_key_named(tmp_path):
    cases = {
        '[judges]\nadd = ["nope"]\n': "judges.add: no page judge named 'nope'",
        '[judges]\noff = ["same_bytes"]\n': "judges.off: the judge 'same_bytes' cannot be switched off",
        '[noise]\nadd = ["plugins_for_tests:LoginWall"]\n': "noise.add: 'plugins_for_tests:LoginWall' is not a noise rule",
        '[[notify]]\ntype = "missing.module:Notifier"\n': "notify[0].type: cannot load 'missing.module:Notifier'",
        '[[notify]]\ntype = "email"\n': "email.recipients is empty",
    }
    for extra, message in cases.items():
        config = configure(tmp_path, extra)
        command = ("alert",) if "email" in extra else ("status",)
        result = run_cli(config, *command)
        assert result.exit_code == 2 and f"error: {message}" in result.output, (extra, result.output)


def test_report_formats_are_one_registry_that_the_command_line_offers():
    assert ReportFormat.registry.names() == ["html", "md", "csv", "json"]
    assert {cls.entry for cls in ReportFormat.registry.classes()} == {"index.html", "index.md", "citations.csv", "citations.json"}
