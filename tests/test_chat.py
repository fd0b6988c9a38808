"""The digest in chat rooms through Apprise: delivered to a real webhook on loopback
(Apprise's json://), once per target, failures kept and told, secrets never stored."""

from datetime import timedelta

import pytest
from digest_events import alert_after_a_crash_once_delivered, make_events
from helpers import ARTICLE, Checker, closed_port, query, run_cli
from webserver import Page

from citewatch.reports.chat import chat_message
from citewatch.reports.digest import pending_digest


def write_config(tmp_path, notify, extra=""):
    path = tmp_path / "citewatch.toml"
    path.write_text(
        '[storage]\ndir = "data"\n[crawl]\ndelay = 0\ntimeout = 2\nallow_private_addresses = true\n'
        f"[dead]\nfailures = 1\nmin_days = 0\n[wayback]\nenabled = false\n{extra}\n{notify}"
    )
    return path


def notify(urls=(), url_env=(), **options):
    lines = ["[[notify]]"]
    if urls:
        lines.append("urls = [" + ", ".join(f'"{url}"' for url in urls) + "]")
    if url_env:
        lines.append("url_env = [" + ", ".join(f'"{name}"' for name in url_env) + "]")
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in options.items()]
    return "\n".join(lines) + "\n"


def test_each_digest_reaches_the_webhook_once_with_what_changed_and_died(tmp_path, events, chat):
    config = write_config(tmp_path, notify([chat.json_url()]))
    make_events(config, tmp_path, events)
    sent = run_cli(config, "alert")
    assert sent.exit_code == 0 and "Sent 1 message; 3 events alerted." in sent.output, sent.output
    assert run_cli(config, "alert").output.startswith("Sent 0 messages; 0 events alerted.")
    (note,) = chat.accepted
    assert note["title"] == "citewatch: 2 sources changed, 1 dead across 2 incidents"
    body = note["message"]
    assert body.index("Demining programme cut") < body.index("Landmine ban reversed")  # by incident, as in email
    assert "[Landmine ban reversed](https://tracker.example/incident/landmine-policy)" in body
    assert "**Changed**" in body and "1 paragraph changed" in body
    assert "\n  - … " in body and "which had provided more than $~~5~~**4** billion" in body
    assert f"`citewatch diff {events.url('/landmines')}`" in body
    assert "**Dead** since" in body and "No verified Wayback copy" in body
    assert "&lt;script&gt;" not in body and "\\<script\\>" in body  # a hostile title stays inert text



def test_a_failed_delivery_is_told_kept_and_sent_once_by_the_next_run(tmp_path, events, chat):
    config = write_config(tmp_path, notify([chat.json_url()]))
    make_events(config, tmp_path, events)
    chat.status = 500
    failed = run_cli(config, "alert")
    assert failed.exit_code == 1 and "Sent 0 messages; 0 events alerted." in failed.output
    assert f"json://127.0.0.1:{chat.port}/hook" in failed.output and "500" in failed.output
    assert len(chat.refused) == 1 and not chat.accepted
    assert query(config, "SELECT state, attempts FROM outbox") == [{"state": "prepared", "attempts": 1}]

    chat.status = 200
    sent = run_cli(config, "alert")
    assert sent.exit_code == 0 and "Sent 1 message; 3 events alerted." in sent.output
    assert run_cli(config, "alert").exit_code == 0
    assert len(chat.accepted) == 1 and chat.accepted[0]["message"] == chat.refused[0]["message"]  # the very same message


def test_a_crash_while_a_message_is_delivered_never_sends_it_twice(tmp_path, events, chat, monkeypatch):
    config = write_config(tmp_path, notify([chat.json_url()]))
    make_events(config, tmp_path, events)
    after = alert_after_a_crash_once_delivered(config, monkeypatch)
    assert after.exit_code == 0 and "not sent again" in after.output and "3 events alerted" in after.output
    assert len(chat.accepted) == 1


def test_each_target_is_its_own_delivery_so_one_down_never_resends_to_the_others(tmp_path, events, chat):
    down_port = closed_port()
    config = write_config(tmp_path, notify([chat.json_url("/room-a"), f"json://127.0.0.1:{down_port}/room-b"], timeout=2))
    make_events(config, tmp_path, events)
    first = run_cli(config, "alert")
    assert first.exit_code == 1 and f"127.0.0.1:{down_port}" in first.output and "Sent 1 message;" in first.output
    assert [note["path"] for note in chat.accepted] == ["/room-a"]
    again = run_cli(config, "alert")
    assert again.exit_code == 1 and "Sent 0 messages; 0 events alerted." in again.output
    assert [note["path"] for note in chat.accepted] == ["/room-a"]  # room-a is never sent it twice


def test_secrets_come_from_the_environment_and_are_never_stored_or_shown(tmp_path, events, chat, monkeypatch):
    monkeypatch.setenv("CITEWATCH_CHAT_URL", chat.json_url(credentials="citewatch:hunter2-secret"))
    config = write_config(tmp_path, notify(url_env=["CITEWATCH_CHAT_URL"]))
    make_events(config, tmp_path, events)
    chat.status = 403
    refused = run_cli(config, "alert")
    assert refused.exit_code == 1 and "$CITEWATCH_CHAT_URL (json://citewatch:****@127.0.0.1" in refused.output
    assert "hunter2" not in refused.output
    stored = query(config, "SELECT recipients, message, last_error FROM outbox")
    assert stored[0]["recipients"] == '["$CITEWATCH_CHAT_URL"]' and "hunter2" not in str(stored)

    chat.status = 200
    assert run_cli(config, "alert").exit_code == 0
    assert [note["auth"] for note in chat.accepted] == ["citewatch:hunter2-secret"]


def test_a_variable_not_set_fails_that_delivery_with_what_to_do(tmp_path, events, chat, monkeypatch):
    monkeypatch.delenv("CITEWATCH_MATRIX_URL", raising=False)
    config = write_config(tmp_path, notify(url_env=["CITEWATCH_MATRIX_URL"]))
    make_events(config, tmp_path, events)
    result = run_cli(config, "alert")
    assert result.exit_code == 1 and "the environment variable CITEWATCH_MATRIX_URL is not set" in result.output
    monkeypatch.setenv("CITEWATCH_MATRIX_URL", chat.json_url())
    assert run_cli(config, "alert").exit_code == 0 and len(chat.accepted) == 1


@pytest.mark.parametrize("url", [
    "json://citewatch:hunter2@chat.example.org/hook",
    "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123456/",
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
    "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    "ntfy://tk_AbCdEf0123@ntfy.example.org/rot",
    "json://hooks.example.org/rot?+Authorization=Bearer%20TIiajkdnlazkcOXrIdevi7FQ",
    "json://hooks.example.org/rot?token=TIiajkdnlazkcOXrIdevi7FQ",
    "jsons://hooks.example.org/rot?:api_key=TIiajkdnlazkcOXrIdevi7FQ",
])
def test_a_url_with_a_secret_in_the_config_file_is_refused(tmp_path, url):
    config = write_config(tmp_path, notify([url]))
    result = run_cli(config, "status")
    assert result.exit_code == 2 and "urls[0] holds a secret" in result.output and "url_env" in result.output
    assert "hunter2" not in result.output and "TIiajkdnlazkcOXrIdevi7FQ" not in result.output


def test_a_url_whose_parameters_only_name_a_mode_is_no_secret(tmp_path):
    config = write_config(tmp_path, notify(["ntfys://ntfy.example.org/rot?auth=basic&priority=high"]))
    assert run_cli(config, "status").exit_code == 0


def test_bad_notify_tables_are_refused_with_the_key_named(tmp_path):
    cases = {
        notify(): "notify[0]: urls or url_env must name where to send the digest",
        notify(["json://chat.example.org/hook"], format="html"): 'notify[0].format must be "markdown" or "text"',
        notify(url_env=["not a name"]): "notify[0].url_env[0] must name an environment variable",
        notify(["nosuchservice://x"]): "urls[0] is not a URL Apprise knows",
        notify(["json://a.example.org/h"]) + notify(["json://b.example.org/h"]): "two notifiers share the channel 'apprise'",
    }
    for table, message in cases.items():
        result = run_cli(write_config(tmp_path, table), "alert")
        assert result.exit_code == 2 and message in result.output, (table, result.output)


def test_categories_route_only_their_incidents_to_a_channel(tmp_path, events, chat):
    config = write_config(tmp_path, notify([chat.json_url("/aid")], channel="aid-desk", categories=["aid"])
                          + notify([chat.json_url("/all")], channel="everyone", format="text"))
    make_events(config, tmp_path, events)
    assert run_cli(config, "alert").exit_code == 0
    by_path = {note["path"]: note["message"] for note in chat.accepted}
    assert "Demining programme cut" in by_path["/aid"] and "Landmine ban reversed" not in by_path["/aid"]
    assert "== Landmine ban reversed ==" in by_path["/all"] and "== Demining programme cut ==" in by_path["/all"]
    assert "**" not in by_path["/all"] and "* DEAD since" in by_path["/all"]


def test_chat_and_email_are_separate_channels_of_one_outbox(tmp_path, events, chat, smtp):
    email = (f'[email]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp.port}\n'
             'recipients = ["maintainers@tracker.example"]\n')
    config = write_config(tmp_path, notify([chat.json_url()]), extra=email)
    make_events(config, tmp_path, events)
    smtp.stop()
    half = run_cli(config, "alert")
    assert half.exit_code == 1 and "Sent 1 message; 0 events alerted." in half.output
    smtp.start()
    rest = run_cli(config, "alert")
    assert rest.exit_code == 0 and "Sent 1 message; 3 events alerted." in rest.output
    assert len(chat.accepted) == 1 and len(smtp.inbox.messages) == 1


def _digest(tmp_path, events):
    config = write_config(tmp_path, "")
    make_events(config, tmp_path, events)
    with Checker(config, tmp_path).citewatch() as cw:
        return pending_digest(cw.db)


def _changed_digest(tmp_path, web, paragraph):
    """The digest after one paragraph of a cited article changed."""
    web.pages["/long"] = Page(ARTICLE.replace("</article>", f"<p>{paragraph} before.</p></article>"))
    checker = Checker(write_config(tmp_path, ""), tmp_path)
    checker.cite(web.url("/long"))
    checker.check()
    web.pages["/long"] = Page(ARTICLE.replace("</article>", f"<p>{paragraph} after.</p></article>"))
    checker.check(after=timedelta(days=1))
    with checker.citewatch() as cw:
        return pending_digest(cw.db)


def test_long_digests_are_shortened_for_chat_and_link_to_the_report(tmp_path, events):
    digest = _digest(tmp_path, events)
    title, full = chat_message(digest, markdown=True, report_url="https://tracker.example/citewatch")
    assert "[report](https://tracker.example/citewatch/incidents/demining-cuts.html)" in full
    assert "Whole diff: [on the report](https://tracker.example/citewatch/incidents/landmine-policy.html#source-" in full

    _, short = chat_message(digest, markdown=True, limit=len(full) - 1, report_url="https://tracker.example/citewatch")
    assert "~~" not in short and "Landmine ban reversed" in short  # the excerpts go first

    _, shorter = chat_message(digest, markdown=False, limit=700, report_url="https://tracker.example/citewatch")
    assert len(shorter) <= 700 and "Demining programme cut" in shorter and "Landmine ban reversed" not in shorter
    assert shorter.rstrip().endswith("...and 1 more incident: see the report, https://tracker.example/citewatch, or the email digest.")
    assert len(chat_message(digest, markdown=False, limit=200)[1]) <= 200


def test_a_long_changed_line_is_cut_in_the_excerpt(tmp_path, web):
    long_paragraph = "word " * 400
    digest = _changed_digest(tmp_path, web, long_paragraph)
    _, body = chat_message(digest, markdown=True)
    excerpt = [line for line in body.splitlines() if line.startswith("  - ")]
    assert excerpt and all(len(line) <= 200 + len("  - ~~~~****") for line in excerpt) and "…" in excerpt[0]
