"""Snapshot text as it is stored: compressed with a dictionary the database learns from its
own texts.

Each snapshot is one article of a few kilobytes, too short for a compressor to find much
to reuse within it (zlib: 2.3 times). The articles one tracker cites share their
languages, their publishers' boilerplate and their subject's words, so once the database
holds `TRAIN_AFTER` texts a zstd dictionary is trained from the latest of them, stored in
`text_dictionaries`, and every later text is compressed with it (2.9 times on news
articles the dictionary never saw, at half a millisecond a text). Rows keep the form they
were written in: plain text (before m022), zlib (m022), or a zstd frame, whose header
names its dictionary. No dictionary is ever deleted.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import weakref
import zlib
from urllib.parse import quote

import zstandard
from sqlite_utils import Database

from citewatch.times import to_iso, utc_now

TRAIN_AFTER = 2000  # texts stored before a dictionary is trained from the latest of them
DICTIONARY_BYTES = 112_640  # zstd's own default size
LEVEL = 12  # 2.9 times at 0.5 ms a text; level 19 gains 4% for three times the CPU
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

log = logging.getLogger(__name__)


class TextPacker:
    """Packs and unpacks the snapshot texts of one database (one connection: not shared
    between threads)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._compressor: tuple[int, zstandard.ZstdCompressor] | None = None
        self._decompressors: dict[int, zstandard.ZstdDecompressor] = {}
        self._train_at = TRAIN_AFTER  # snapshot count at which to try training (again)

    def pack(self, text: str) -> bytes:
        compressor = self._current_compressor()
        raw = text.encode()
        return compressor.compress(raw) if compressor is not None else zlib.compress(raw, 6)

    def unpack(self, value: str | bytes) -> str:
        if isinstance(value, str):
            return value
        if value[:4] != ZSTD_MAGIC:
            return zlib.decompress(value).decode()
        dictionary_id = zstandard.get_frame_parameters(value).dict_id
        decompressor = self._decompressors.get(dictionary_id)
        if decompressor is None:
            decompressor = zstandard.ZstdDecompressor(dict_data=self._dictionary(dictionary_id))
            self._decompressors[dictionary_id] = decompressor
        return decompressor.decompress(value).decode()

    def _current_compressor(self) -> zstandard.ZstdCompressor | None:
        """The compressor of the database's newest dictionary, trained now if there is
        none and enough texts are stored; None while there are too few.

        The dictionary's id is read again for every text: a dictionary trained in a
        transaction that was rolled back must never be used."""
        row = self._db.execute("SELECT id FROM text_dictionaries ORDER BY trained_at DESC, id DESC LIMIT 1").fetchone()
        dictionary_id = row[0] if row is not None else self._trained()
        if dictionary_id is None:
            return None
        if self._compressor is None or self._compressor[0] != dictionary_id:
            compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=self._dictionary(dictionary_id),
                                                  write_checksum=False)
            self._compressor = (dictionary_id, compressor)
        return self._compressor[1]

    def _dictionary(self, dictionary_id: int) -> zstandard.ZstdCompressionDict:
        row = self._db.execute("SELECT data FROM text_dictionaries WHERE id = ?", [dictionary_id]).fetchone()
        if row is None:
            raise LookupError(f"snapshot text packed with dictionary {dictionary_id}, which the database lacks")
        return zstandard.ZstdCompressionDict(row[0])

    def _trained(self) -> int | None:
        """Train and store a dictionary from the latest texts once enough are stored; its
        id. Called while a check is stored, in its write transaction, so two processes
        never train at once."""
        stored = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM snapshots").fetchone()[0]
        if stored < self._train_at:
            return None
        samples = [self.unpack(text).encode() for (text,) in self._db.execute(
            "SELECT text FROM snapshots ORDER BY id DESC LIMIT ?", [TRAIN_AFTER])]
        try:
            dictionary = zstandard.train_dictionary(DICTIONARY_BYTES, [sample for sample in samples if sample])
        except zstandard.ZstdError as error:  # too few or too small texts to learn from
            log.info("no dictionary for snapshot text yet: %s", error)
            self._train_at = stored + TRAIN_AFTER
            return None
        self._db.execute("INSERT INTO text_dictionaries (id, trained_at, samples, data) VALUES (?, ?, ?, ?)",
                         [dictionary.dict_id(), to_iso(utc_now()), len(samples), dictionary.as_bytes()])
        log.info("trained a dictionary for snapshot text from %d texts", len(samples))
        return dictionary.dict_id()


_packers: weakref.WeakKeyDictionary[Database, TextPacker] = weakref.WeakKeyDictionary()


def text_packer(db: Database) -> TextPacker:
    """The packer of this database connection, made once."""
    packer = _packers.get(db)
    if packer is None:
        packer = _packers[db] = TextPacker(db)
    return packer


@functools.cache
def read_only_packer(path: str) -> TextPacker:
    """A packer that only unpacks, for the database file at `path`, through a read-only
    connection of its own (for `citewatch serve`, which must not write)."""
    connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, check_same_thread=False)
    return TextPacker(Database(connection))
