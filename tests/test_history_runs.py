"""History that grows with what happens, not with time: a run of unchanged checks is one
row (first and last time, how many); every failure, change and archived version stays its
own row; old databases are folded in place; the version a citation cites is never lost."""

from datetime import timedelta

from helpers import ARTICLE, Checker, query
from webserver import Page

from citewatch.storage.database import fold_quiet_checks, open_database


def rows(config_file):
    return query(config_file, "SELECT outcome, state, repeats, checked_at, last_checked_at FROM checks ORDER BY checked_at, id")


def test_a_month_of_unchanged_daily_checks_is_one_row(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    checker = Checker(config_file, tmp_path)
    checker.cite(web.url("/article"))
    start = checker.now
    checker.check()
    for _ in range(30):
        checker.check(after=timedelta(days=1))
    first, run = rows(config_file)
    assert first["outcome"] == "fetched" and first["repeats"] == 1 and first["last_checked_at"] is None
    assert run["outcome"] == "unchanged" and run["repeats"] == 30
    assert run["checked_at"] == (start + timedelta(days=1)).isoformat() and run["last_checked_at"] == checker.now.isoformat()
    with checker.citewatch() as cw:
        history = cw.history(web.url("/article"))
    assert [(entry.outcome, entry.repeats) for entry in history] == [("fetched", 1), ("unchanged", 30)]
    assert checker.status(web.url("/article"))["last_checked"] == checker.now.isoformat()


def test_failures_changes_and_new_versions_stay_rows_of_their_own(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    checker = Checker(config_file, tmp_path)
    checker.cite(web.url("/article"))
    checker.check()
    checker.check(after=timedelta(days=1))
    checker.check(after=timedelta(days=1))
    web.pages["/article"] = Page("<h1>Busy</h1>", status=503)
    checker.check(after=timedelta(days=1))
    web.pages["/article"] = Page(ARTICLE)
    checker.check(after=timedelta(days=1))
    checker.check(after=timedelta(days=1))
    web.pages["/article"] = Page(ARTICLE.replace("$5 billion", "$4 billion"))
    checker.check(after=timedelta(days=1))
    checker.check(after=timedelta(days=1))
    checker.check(after=timedelta(days=1))
    assert [(row["outcome"], row["repeats"]) for row in rows(config_file)] == [
        ("fetched", 1), ("unchanged", 2),
        ("http_error", 1),  # archived: the error page's bytes
        ("unchanged", 1),  # archived again: the article's bytes differ from the last archived
        ("unchanged", 1),
        ("fetched", 1), ("unchanged", 2)]
    assert len(checker.events(web.url("/article"))) == 1  # the edit; the single 503 is no event


def test_old_databases_are_folded_in_place_keeping_every_pinned_version(config_file, tmp_path, web):
    web.pages["/article"] = Page(ARTICLE)
    checker = Checker(config_file, tmp_path)
    checker.cite(web.url("/article"))
    checker.check()
    db = open_database(checker.settings.storage.database)
    (check,) = db.execute("SELECT * FROM checks").fetchall()
    columns = [column[0] for column in db.execute("SELECT * FROM checks").description]
    legacy = dict(zip(columns, check)) | {"warc_file": None, "warc_offset": None, "warc_length": None,
                                           "outcome": "not_modified", "http_status": 304, "last_checked_at": None}
    with db.atomic():
        for day in range(1, 11):
            at = (checker.now + timedelta(days=day)).isoformat()
            db["checks"].insert(legacy | {"id": None, "checked_at": at})
        db["checks"].insert(legacy | {"id": None, "checked_at": (checker.now + timedelta(days=11)).isoformat(),
                                      "outcome": "error", "http_status": None})
        for day in range(12, 15):
            db["checks"].insert(legacy | {"id": None, "checked_at": (checker.now + timedelta(days=day)).isoformat()})
    cited_before = db.execute("SELECT cited_snapshot_id FROM citations").fetchall()
    with db.atomic():
        assert fold_quiet_checks(db) == 9 + 2
    db.close()
    assert [(row["outcome"], row["repeats"]) for row in rows(config_file)] == [
        ("fetched", 1), ("not_modified", 10), ("error", 1), ("not_modified", 3)]
    assert rows(config_file)[1]["last_checked_at"] == (checker.now + timedelta(days=10)).isoformat()
    assert query(config_file, "SELECT cited_snapshot_id FROM citations") == [{"cited_snapshot_id": cited_before[0][0]}]
    assert query(config_file, "SELECT COUNT(*) AS n FROM snapshots WHERE id = ?", (cited_before[0][0],)) == [{"n": 1}]



def test_snapshot_text_is_stored_packed_and_old_rows_are_packed_in_place(config_file, tmp_path, web):
    from citewatch.storage.database import m022_snapshot_text_packed

    web.pages["/article"] = Page(ARTICLE)
    checker = Checker(config_file, tmp_path)
    checker.cite(web.url("/article"))
    checker.check()
    (stored,) = query(config_file, "SELECT typeof(text) AS kind, length(text) AS size, text FROM snapshots")
    with checker.citewatch() as cw:
        text = cw.snapshot(web.url("/article")).text
    assert stored["kind"] == "blob" and stored["size"] < len(text.encode()) / 1.5 and "$5 billion" in text

    db = open_database(checker.settings.storage.database)
    with db.atomic():
        db.execute("UPDATE snapshots SET text = ?", [text])  # as a database from before m022 holds it
        m022_snapshot_text_packed(db)
    db.close()
    assert query(config_file, "SELECT typeof(text) AS kind FROM snapshots") == [{"kind": "blob"}]
    with checker.citewatch() as cw:
        assert cw.snapshot(web.url("/article")).text == text


def test_rows_no_longer_repeat_the_source_address_and_old_ones_are_migrated(tmp_path):
    from sqlite_utils import Database

    from citewatch.storage.database import MIGRATIONS
    from citewatch.storage.history import source_history
    from citewatch.storage.status import source_statuses

    path = tmp_path / "citewatch.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="m025_checks_without_repeated_addresses")
    cited, moved, other = "https://news.example.org/a", "https://news.example.org/b", "https://news.example.org/c"
    old["incidents"].insert({"slug": "i", "ingested_at": "2026-01-01T00:00:00+00:00"})
    for source_id, url, final in ((1, cited, moved), (2, other, other)):
        old["sources"].insert({"id": source_id, "url": url, "cited_url": url, "created_at": "2026-01-01T00:00:00+00:00",
                               "state": "ok", "http_status": 200, "final_url": final})
        old["citations"].insert({"incident_slug": "i", "source_id": source_id, "role": "source", "cited_url": url})
    for day, status, final in ((1, 200, cited), (2, 301, moved), (3, None, None)):
        old["checks"].insert({"source_id": 1, "checked_at": f"2026-01-0{day}T00:00:00+00:00", "url": cited,
                              "outcome": "fetched" if status else "error", "http_status": status, "final_url": final})
    old.close()
    db = open_database(path)
    assert "url" not in db["checks"].columns_dict
    assert [row[0] for row in db.execute("SELECT final_url FROM checks ORDER BY id")] == [None, moved, None]
    assert [row[0] for row in db.execute("SELECT final_url FROM sources ORDER BY id")] == [moved, None]
    # What commands show is as before.
    assert [entry.final_url for entry in source_history(db, 1)] == [cited, moved, None]
    assert [status.final_url for status in source_statuses(db)] == [moved, other]
    db.close()
