"""Snapshot text compressed with a dictionary the database learns from its own texts: every
form a row was ever stored in reads back exactly, a dictionary is trained once, and a
dictionary that was rolled back is never used."""

import random
import sqlite3
import zlib

import pytest

from citewatch.storage import packing
from citewatch.storage.database import open_database
from citewatch.storage.packing import ZSTD_MAGIC, read_only_packer, text_packer

# Articles in several languages and scripts, each of its own words, as a tracker's sources are.
PHRASES = (
    "the ministry said on monday that the strike had hit a market in the north of the city",
    "witnesses counted dozens of dead and wounded among them children and aid workers",
    "die Regierung erklärte am Dienstag, der Angriff habe ein Krankenhaus getroffen",
    "le porte-parole a déclaré que les forces de sécurité avaient arrêté trois journalistes",
    "el tribunal ordenó la liberación de los detenidos tras la audiencia del jueves",
    "وقالت الوزارة إن الغارة أصابت سوقا شعبيا في شمال المدينة",
    "Министерство заявило, что удар пришелся по рынку на севере города",
    "当局表示，袭击发生在城市北部的一个市场",
)


def article(number: int) -> str:
    rng = random.Random(number)
    return f"Report {number}.\n" + "\n".join(
        f"{rng.choice(PHRASES)} ({rng.randrange(10_000)}), {rng.choice(PHRASES)}." for _ in range(25))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setattr(packing, "TRAIN_AFTER", 60)  # a dictionary after 60 texts, not 2,000
    database = open_database(tmp_path / "citewatch.db")
    database.execute("INSERT INTO sources (id, url, cited_url, created_at) VALUES (1, 'https://a.example/x', "
                     "'https://a.example/x', '2026-01-01T00:00:00+00:00')")
    database.execute("INSERT INTO checks (id, source_id, checked_at, outcome) VALUES "
                     "(1, 1, '2026-01-01T00:00:00+00:00', 'fetched')")
    database.conn.commit()
    yield database
    database.close()


def store(db, number: int) -> None:
    with db.atomic():
        db.execute("INSERT INTO snapshots (source_id, check_id, taken_at, text, text_hash) VALUES (1, 1, ?, ?, ?)",
                   [f"2026-01-01T00:{number // 60:02d}:{number % 60:02d}+00:00", text_packer(db).pack(article(number)),
                    str(number)])


def stored(db) -> list[bytes | str]:
    return [text for (text,) in db.execute("SELECT text FROM snapshots ORDER BY id")]


def test_texts_are_packed_with_a_dictionary_learnt_from_the_first_ones(db):
    for number in range(100):
        store(db, number)
    rows = stored(db)
    assert all(row[:1] == b"\x78" for row in rows[:60])  # zlib, until there were enough texts
    assert all(row[:4] == ZSTD_MAGIC for row in rows[60:])
    ((dictionary_id, samples),) = db.execute("SELECT id, samples FROM text_dictionaries")
    assert samples == 60
    assert text_packer(db).unpack(rows[-1]) == article(99)
    # Texts the dictionary never saw come out smaller than with zlib alone.
    assert sum(map(len, rows[60:])) < 0.8 * sum(len(zlib.compress(article(n).encode(), 6)) for n in range(60, 100))
    # Read back through a connection of its own, as another command would.
    other = open_database(db.conn.execute("PRAGMA database_list").fetchone()[2])
    assert [text_packer(other).unpack(row) for row in rows] == [article(n) for n in range(100)]
    other.close()


def test_every_stored_form_reads_back_through_the_snapshot_reader(db):
    from citewatch.storage.checks import snapshot_by_id

    for text in ("stored before m022", zlib.compress("packed by m022".encode())):
        db.execute("INSERT INTO snapshots (source_id, check_id, taken_at, text, text_hash) VALUES "
                   "(1, 1, '2025-01-01T00:00:00+00:00', ?, 'x')", [text])
    for number in range(70):  # zlib, then zstd frames once the dictionary is learnt
        store(db, number)
    assert {type(row) for row in stored(db)} == {str, bytes} and stored(db)[-1][:4] == ZSTD_MAGIC
    texts = [snapshot_by_id(db, snapshot_id).extraction.text for (snapshot_id,) in db.execute("SELECT id FROM snapshots")]
    assert texts == ["stored before m022", "packed by m022", *(article(n) for n in range(70))]


def test_a_dictionary_rolled_back_with_its_check_is_never_used(db):
    for number in range(60):
        store(db, number)
    with pytest.raises(RuntimeError), db.atomic():  # the text after the 60th trains, then the check fails
        db.execute("INSERT INTO snapshots (source_id, check_id, taken_at, text, text_hash) VALUES "
                   "(1, 1, '2026-02-01T00:00:00+00:00', ?, 'x')", [text_packer(db).pack(article(60))])
        assert db.execute("SELECT COUNT(*) FROM text_dictionaries").fetchone()[0] == 1
        raise RuntimeError("the crawl died here")
    assert db.execute("SELECT COUNT(*) FROM text_dictionaries").fetchone()[0] == 0
    store(db, 60)
    store(db, 61)
    rows = stored(db)[-2:]
    assert all(row[:4] == ZSTD_MAGIC for row in rows)
    assert [text_packer(db).unpack(row) for row in rows] == [article(60), article(61)]
    assert db.execute("SELECT COUNT(*) FROM text_dictionaries").fetchone()[0] == 1


def test_two_writers_share_one_dictionary(db, tmp_path):
    other = open_database(tmp_path / "citewatch.db")
    for number in range(120):
        store(db if number % 2 else other, number)
    assert db.execute("SELECT COUNT(*) FROM text_dictionaries").fetchone()[0] == 1
    assert [text_packer(db).unpack(row) for row in stored(db)] == [article(n) for n in range(120)]
    other.close()


def test_too_little_text_to_learn_from_keeps_zlib_and_tries_again_later(db, monkeypatch):
    trained = []
    real = packing.zstandard.train_dictionary

    def failing(*args, **kwargs):
        trained.append(len(args[1]))
        if len(trained) == 1:
            raise packing.zstandard.ZstdError("Src size is incorrect")
        return real(*args, **kwargs)

    monkeypatch.setattr(packing.zstandard, "train_dictionary", failing)
    for number in range(125):
        store(db, number)
    assert trained == [60, 60]  # at the 60th text, and again 60 texts later
    rows = stored(db)
    assert rows[119][:1] == b"\x78" and rows[120][:4] == ZSTD_MAGIC
    assert [text_packer(db).unpack(row) for row in rows] == [article(n) for n in range(125)]


def test_the_browser_reads_packed_text_through_a_read_only_connection(db, tmp_path):
    for number in range(70):
        store(db, number)
    packer = read_only_packer(str(tmp_path / "citewatch.db"))
    assert packer.unpack(stored(db)[-1]) == article(69)
    with pytest.raises(sqlite3.OperationalError):  # it could not write if it tried
        packer._db.execute("DELETE FROM snapshots")
