"""A change a maintainer sees in seconds: a one-word, a one-number and a headline edit,
each shown with its changed words marked in every format that shows a change (the HTML
and plain-text email, the HTML and Markdown report, chat messages, `citewatch diff`), the
digest opening with what needs doing, and the report's replacements one per line."""

import difflib
import re

import pytest
from click.testing import CliRunner
from helpers import ARTICLE, Checker, run_cli, write_record
from lxml import html as lxml_html
from smtp_server import SmtpServer
from test_alerts import write_config
from webserver import Page, Web

from citewatch.reports import worddiff
from citewatch.reports.chat import chat_message
from citewatch.reports.digest import pending_digest
from citewatch.reports.templating import environment, markdown_line
from citewatch.scheduler import cli

HEADLINE = "Demining programme cut as landmine policy reversed"
EDITS = {  # page: (the edit, the words taken out, the words put in)
    "/word": (lambda html: html.replace("would put civilians", "would not put civilians"), "", "not"),
    "/number": (lambda html: html.replace("$5 billion", "$3 billion"), "5", "3"),
    "/headline": (lambda html: html.replace(HEADLINE, HEADLINE.replace("policy", "ban")), "policy", "ban"),
}
GONE = ("/gone-1", "/gone-2")


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """A database where the three pages were edited and two died; its config, web and
    SMTP server, and the digest before it is sent."""
    tmp_path = tmp_path_factory.mktemp("edits")
    web, smtp = Web(), SmtpServer()
    smtp.start()
    for path in [*EDITS, *GONE]:
        web.pages[path] = Page(ARTICLE)
    config = write_config(tmp_path, smtp.port)
    checker = Checker(config, tmp_path)
    checker.ingest(write_record(tmp_path / "record.json", "strike", [web.url(path) for path in [*EDITS, *GONE]]))
    checker.check()
    for path, (edit, _, _) in EDITS.items():
        web.pages[path] = Page(edit(ARTICLE))
    for path in GONE:
        web.pages[path] = Page("<h1>Not found</h1>", status=404)
    checker.check()
    with checker.citewatch() as cw:
        digest = pending_digest(cw.db)
    yield config, tmp_path, web, smtp, digest
    smtp.stop()
    web.close()


def _diff(old: list[str], new: list[str]) -> str:
    return "".join(difflib.unified_diff([f"{line}\n" for line in old], [f"{line}\n" for line in new], "before", "after", n=1))


LONG = ("The army said on Friday that 12 people were killed when shells struck the central market of the town, "
        "according to local officials and witnesses who spoke to reporters at the scene of the attack.")


@pytest.mark.parametrize(("old", "new", "shown"), [
    ("The court did rule on the case.", "The court did not rule on the case.", "~ The court did {+not+} rule on the case."),
    (LONG, LONG.replace("12", "14"), "~ The army said on Friday that [-12-]{+14+} people were killed when shells struck the central market of …"),
    ("Damages of 5,000 euros.", "Damages of 50,000 euros.", "~ Damages of [-5,000-]{+50,000+} euros."),
    ("Title: Army denies shelling", "Title: Army admits shelling", "~ Title: Army [-denies-]{+admits+} shelling"),
    ("Le tribunal a condamné trois accusés.", "Le tribunal a acquitté trois accusés.", "~ Le tribunal a [-condamné-]{+acquitté+} trois accusés."),
    ("Погибли 12 мирных жителей.", "Погибли 14 мирных жителей.", "~ Погибли [-12-]{+14+} мирных жителей."),
    ("قتل 12 مدنيا في القصف.", "قتل 14 مدنيا في القصف.", "~ قتل [-12-]{+14+} مدنيا في القصف."),
    ("外交部发言人表示有十二人死亡。", "外交部发言人表示有十四人死亡。", "~ 外交部发言人表示有十[-二-]{+四+}人死亡。"),
    ("Der Minister hat den Bericht bestätigt.", "Der Minister hat den Bericht dementiert.", "~ Der Minister hat den Bericht [-bestätigt-]{+dementiert+}."),
    ("El ejército mató a 3 personas.", "El ejército hirió a 3 personas.", "~ El ejército [-mató-]{+hirió+} a 3 personas."),
])
def test_an_edited_paragraph_is_one_line_with_its_changed_words_marked(old, new, shown):
    (line,) = worddiff.word_diff(_diff([old], [new]))
    assert (line.kind, worddiff.as_text(line)) == ("edit", shown)
    assert worddiff.marked(line.pieces).replace("[-", "").replace("-]", "").count("{+") == 1  # one change, one mark


def test_changes_with_only_spaces_between_are_one_change():
    (line,) = worddiff.word_diff(_diff(["Three soldiers were killed."], ["Two civilians were killed."]))
    assert worddiff.as_text(line) == "~ [-Three soldiers-]{+Two civilians+} were killed."


def test_unlike_paragraphs_stay_whole_and_in_order():
    old = ["Kept first.", "The minister resigned on Tuesday after the vote.", "Kept last."]
    new = ["Kept first.", "An entirely new paragraph about the floods.", "The minister resigned on Wednesday after the vote.", "Kept last."]
    assert [worddiff.as_text(line) for line in worddiff.word_diff(_diff(old, new))] == [
        "  Kept first.",
        "+ An entirely new paragraph about the floods.",
        "~ The minister resigned on [-Tuesday-]{+Wednesday+} after the vote.",
        "  Kept last.",
    ]


def test_context_keeps_the_words_next_to_the_change_and_the_full_line_is_kept():
    before, after = "Before " + "one two three " * 10 + "end.", "Start " + "four five six " * 10 + "stop."
    lines = worddiff.word_diff(_diff([before, "A short line was here."], [before, "A short line is here.", after][:2] + [after]))
    context, edit, added = lines
    assert worddiff.as_text(context).startswith("  … ") and worddiff.as_text(context).endswith("one two three end.")
    assert context.shortened and worddiff.marked(context.pieces) == before
    assert (edit.kind, added.kind, added.shortened) == ("edit", "add", False)  # a new paragraph is shown whole


def test_a_large_rewrite_is_not_paired_line_by_line():
    old, new = [f"Old paragraph {n} about one thing." for n in range(60)], [f"New paragraph {n} about one thing." for n in range(60)]
    kinds = {line.kind for line in worddiff.word_diff(_diff(old, new))}
    assert kinds == {"del", "add"}


def test_the_plain_text_email_opens_with_what_needs_doing_and_marks_words(edited):
    config, _, web, smtp, _ = edited
    assert run_cli(config, "alert").exit_code == 0
    (message,) = smtp.inbox.messages
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.index("To do: 2 dead sources without an archived copy, 1 changed headline, 2 edits.") < text.index("== 1.")
    assert "1. Incident strike: 2 dead sources without an archived copy, 1 changed headline, 2 edits\n" in text
    assert "~ Humanitarian groups said the decision would {+not+} put civilians at risk for decades," in text
    assert "~ The same memo rescinds the humanitarian demining programme, which had provided more than $[-5-]{+3+} billion" in text
    assert "~ Title, h1, og:title: Demining programme cut as landmine [-policy-]{+ban+} reversed\n" in text  # one line

    page = lxml_html.fromstring(message.get_body(("html",)).get_content())
    assert page.xpath("string(//p[1])").startswith("To do: 2 dead sources without an archived copy")
    assert page.xpath("//ol/li/a/@href") == ["#incident-1"] and page.xpath("//h2[@id='incident-1']")
    marked = [(edit.xpath("string(del)"), edit.xpath("string(ins)")) for edit in page.xpath("//div[@class='edit']")]
    assert set(marked) == {(gone, put) for _, gone, put in EDITS.values()}
    (word,) = [edit for edit in page.xpath("//div[@class='edit']") if edit.xpath("string(ins)") == "not"]
    assert "would not put civilians" in word.text_content() and word.get("style")  # inline: mail clients drop <style>
    assert all(ins.get("style") for ins in page.iter("ins"))


def _report(config, tmp_path, form):
    out = tmp_path / f"report-{form}"
    assert run_cli(config, "report", "--out", str(out), "--format", form).exit_code == 0
    return (out / "incidents" / f"strike.{form}").read_text()


def test_the_html_report_marks_words_with_the_whole_paragraphs_one_click_away(edited):
    config, tmp_path, web, _, _ = edited
    page = lxml_html.fromstring(_report(config, tmp_path, "html"))
    number = page.xpath(f"//tr[.//a[@href='{web.url('/number')}']]")[0]
    (short, whole) = number.xpath(".//div[@class='diff']")[:2]
    assert short.xpath("string(div[@class='edit']/del)") == "5" and short.xpath("string(div[@class='edit']/ins)") == "3"
    assert "…" in short.text_content() and "…" not in whole.text_content()
    assert whole.getparent().tag == "details" and "more than $53 billion to help 125 countries" in whole.text_content()
    headline = page.xpath(f"//tr[.//a[@href='{web.url('/headline')}']]")[0]
    assert headline.xpath("string(.//div[@class='edit']/del)") == "policy"

    paste = page.xpath("string(//pre[@class='paste'])").strip().split("\n")
    assert len(paste) == 2 and all(line.startswith("- ") and "Original: " in line for line in paste)  # one per line


def test_the_markdown_report_strikes_out_and_bolds_the_changed_words(edited):
    config, tmp_path, _, _, _ = edited
    page = _report(config, tmp_path, "md")
    assert "- Humanitarian groups said the decision would **not** put civilians at risk" in page
    assert "which had provided more than $~~5~~**3** billion" in page
    assert "- Title, h1, og:title: Demining programme cut as landmine ~~policy~~**ban** reversed" in page
    replacements = page[page.index("## Replacements"):].split("\n\n")[1].splitlines()
    assert len(replacements) == 2 and all(line.startswith("- ") for line in replacements)


@pytest.mark.parametrize("markdown", [True, False])
def test_chat_messages_mark_the_changed_words(edited, markdown):
    *_, digest = edited
    _, body = chat_message(digest, markdown=markdown)
    if markdown:
        assert body.startswith("**To do:** 2 dead sources without an archived copy, 1 changed headline, 2 edits")
        assert "would **not** put civilians" in body and "$~~5~~**3** billion" in body and "~~policy~~**ban**" in body
    else:
        assert body.startswith("To do: 2 dead sources without an archived copy, 1 changed headline, 2 edits")
        assert "would {+not+} put civilians" in body and "$[-5-]{+3+} billion" in body and "[-policy-]{+ban+}" in body


def test_citewatch_diff_marks_words_or_colours_them_on_a_terminal(edited, monkeypatch):
    config, _, web, _, _ = edited
    plain = run_cli(config, "diff", web.url("/number")).output
    assert "~ The same memo rescinds the humanitarian demining programme, which had provided more than $[-5-]{+3+} billion" in plain
    assert "remnants of war." in plain  # whole lines here: this is the full text
    unified = run_cli(config, "diff", "--unified", web.url("/number")).output
    assert "\n-The same memo" in unified and "\n+The same memo" in unified

    monkeypatch.setattr(cli, "_colour_terminal", lambda: True)
    coloured = CliRunner().invoke(cli.cli, ["--config", str(config), "diff", web.url("/word")], color=True).output
    assert "\x1b[" in coloured and "{+" not in coloured
    assert re.search(r"would (\x1b\[[0-9;]*m)+not\x1b\[0m put", coloured)


def test_words_from_the_web_stay_text_in_html_and_markdown():
    diff = _diff(["Say <b>hi</b> to <script>x()</script> ~~now~~."], ["Say <b>bye</b> to <script>x()</script> ~~now~~."])
    lines = worddiff.word_diff(diff)
    html = environment.get_template("_diff.html.j2").module.diff_html(lines)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<del>hi</del><ins>bye</ins>" in html
    assert markdown_line(lines[0]) == r"Say \<b\>~~hi~~**bye**\</b\> to \<script\>x\(\)\</script\> \~\~now\~\~."
