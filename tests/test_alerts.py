"""Change-alert digests over a real SMTP server: content, structure, exactly once."""

import json
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
from digest_events import SimulatedCrash, alert_after_a_crash_once_delivered, make_events
from helpers import run_cli
from lxml import html as lxml_html
from webserver import Page


def write_config(tmp_path, port, routes=""):
    path = tmp_path / "citewatch.toml"
    path.write_text(
        '[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\nallow_private_addresses = true\n'
        "[dead]\nfailures = 1\nmin_days = 0\n[wayback]\nenabled = false\n"
        f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\nsender = "citewatch@tracker.example"\n'
        f'recipients = ["maintainers@tracker.example"]\ndiff_lines = 12\n{routes}'
    )
    return path


def test_digest_content_and_structure(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    result = run_cli(config, "alert")
    assert result.exit_code == 0, result.output
    assert "Sent 1 message; 3 events alerted." in result.output
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "[citewatch] 2 sources changed, 1 dead across 2 incidents"
    assert message["From"] == "citewatch@tracker.example" and message["To"] == "maintainers@tracker.example"
    assert message["Message-ID"].endswith("@tracker.example>")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = message.get_body(("html",)).get_content()

    assert text.index("To do: 1 dead source without an archived copy, 2 edits.") < text.index("1. Demining programme cut: 2 edits\n"
                                                                                              "2. Landmine ban reversed: 1 dead")
    landmines, demining = text.index("== 2. Landmine ban reversed =="), text.index("== 1. Demining programme cut ==")
    assert demining < landmines  # incidents in slug order, each with its own sources
    assert "https://tracker.example/incident/landmine-policy" in text
    assert f"* Land mine policy reversed (The Example Times) [source]\n  {events.url('/landmines')}" in text
    assert "CHANGED" in text and "1 paragraph changed" in text
    assert "    ~ The same memo rescinds the humanitarian demining programme, which had provided more than $[-5-]{+4+} billion" in text
    assert "DEAD" in text and "http_404" in text and "Cite instead:" in text
    assert text.count("more than $[-5-]{+4+} billion") == 2  # the shared source appears under both incidents

    tree = lxml_html.fromstring(page)
    assert [a.get("href") for a in tree.xpath("//ol/li/a")] == ["#incident-1", "#incident-2"]  # the list links its sections
    assert tree.xpath("//h2[@id='incident-2']")[0].text_content().strip().startswith("2. Landmine ban reversed")
    assert [(d.text_content(), i.text_content()) for d, i in zip(tree.iter("del"), tree.iter("ins"))] == [("125", "120"), ("5", "4"), ("5", "4")]
    assert tree.xpath("//a[@href='https://tracker.example/incident/demining-cuts']")


def test_hostile_titles_stay_text(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    run_cli(config, "alert")
    (message,) = smtp.inbox.messages
    page = message.get_body(("html",)).get_content()
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script") and not tree.xpath("//img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert message["Bcc"] is None and smtp.inbox.envelopes[0].rcpt_tos == ["maintainers@tracker.example"]


def test_each_event_is_alerted_once(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    run_cli(config, "alert")
    again = run_cli(config, "alert")
    assert again.exit_code == 0 and "Sent 0 messages; 0 events alerted." in again.output
    assert len(smtp.inbox.envelopes) == 1


def test_an_smtp_outage_loses_nothing_and_the_next_run_sends(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    smtp.stop()
    down = run_cli(config, "alert")
    assert down.exit_code == 1
    assert f"cannot reach the SMTP server 127.0.0.1:{smtp.port}" in down.output
    smtp.start()
    back = run_cli(config, "alert")
    assert back.exit_code == 0 and "Sent 1 message; 3 events alerted." in back.output
    assert run_cli(config, "alert").exit_code == 0
    assert len(smtp.inbox.envelopes) == 1


def test_a_refused_message_is_sent_by_the_next_run(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    smtp.inbox.refuse_data = True
    refused = run_cli(config, "alert")
    assert refused.exit_code == 1 and "554" in refused.output
    smtp.inbox.refuse_data = False
    assert "3 events alerted" in run_cli(config, "alert").output
    assert len(smtp.inbox.envelopes) == 1


def test_a_crash_between_sending_and_marking_does_not_send_twice(tmp_path, events, smtp, monkeypatch):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    after = alert_after_a_crash_once_delivered(config, monkeypatch)
    assert after.exit_code == 0 and "not sent again" in after.output and "3 events alerted" in after.output
    assert len(smtp.inbox.envelopes) == 1


def test_a_crash_before_sending_sends_once_on_the_next_run(tmp_path, events, smtp, monkeypatch):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)

    def crash(self, *args):
        raise SimulatedCrash("killed before MAIL FROM")  # nothing reached the server

    monkeypatch.setattr(smtplib.SMTP, "mail", crash)
    with pytest.raises(SimulatedCrash):
        run_cli(config, "alert")
    monkeypatch.undo()
    assert "Sent 1 message; 3 events alerted." in run_cli(config, "alert").output
    assert len(smtp.inbox.envelopes) == 1


def test_routes_send_each_incident_to_its_extra_recipients(tmp_path, events, smtp):
    routes = '[[email.routes]]\ncategories = ["foreign-policy"]\nrecipients = ["policy-desk@tracker.example"]\n'
    config = write_config(tmp_path, smtp.port, routes)
    make_events(config, tmp_path, events)
    assert "Sent 2 messages" in run_cli(config, "alert").output
    main, routed = smtp.inbox.messages
    assert smtp.inbox.envelopes[1].rcpt_tos == ["policy-desk@tracker.example"]
    routed_text = routed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Landmine ban reversed" in routed_text and "Demining programme cut" not in routed_text
    assert routed["Subject"] == "[citewatch] 1 source changed, 1 dead across 1 incident"


def test_long_diffs_are_trimmed_with_a_note(tmp_path, web, smtp):
    config = write_config(tmp_path, smtp.port)
    paragraphs = "".join(f"<p>Paragraph {n} of a long report, with enough words to count as article text here.</p>" for n in range(40))
    web.pages["/long"] = Page(f"<html><body><article><h1>Long report</h1>{paragraphs}</article></body></html>")
    record = tmp_path / "r.json"
    record.write_text(json.dumps({"slug": "long", "title": "Long", "sources": [{"url": web.url("/long")}]}))
    run_cli(config, "ingest", str(record))
    run_cli(config, "check", "--all")
    web.pages["/long"] = Page(f"<html><body><article><h1>Long report</h1>{paragraphs.replace('report,', 'study,')}</article></body></html>")
    run_cli(config, "check", "--all")
    run_cli(config, "alert")
    text = smtp.inbox.messages[0].get_body(("plain",)).get_content()
    assert f"Whole text: `citewatch diff {web.url('/long')}` (29 more lines there)" in text


def test_dry_run_prints_and_sends_nothing(tmp_path, events, smtp):
    config = write_config(tmp_path, smtp.port)
    make_events(config, tmp_path, events)
    dry = run_cli(config, "alert", "--dry-run")
    assert dry.exit_code == 0
    assert dry.output.startswith("Subject: [citewatch] 2 sources changed, 1 dead across 2 incidents\n")
    assert "CHANGED" in dry.output and smtp.inbox.envelopes == []
    assert "3 events alerted" in run_cli(config, "alert").output


def test_alerts_started_together_send_each_message_once(tmp_path, events, smtp):
    """Three `citewatch alert` at once over one database (cron, the daemon and a maintainer):
    one sends, the others wait their turn and find nothing left; no traceback."""
    config = write_config(tmp_path, smtp.port, routes='[[email.routes]]\ncategories = ["aid"]\nrecipients = ["aid@tracker.example"]\n')
    make_events(config, tmp_path, events)
    command = [str(Path(sys.executable).parent / "citewatch"), "--config", str(config), "alert"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert not any("Traceback" in err or "locked" in err for _, err in outputs)
    message_ids = [message["Message-ID"] for message in smtp.inbox.messages]
    assert len(message_ids) == len(set(message_ids)) == 2  # the digest, and the aid route's copy
    alerted = sorted(int(out.split("; ")[1].split()[0]) for out, _ in outputs)
    assert alerted == [0, 0, 3]
