"""Lazy reads: chunk and sentence rows fetched by id when a question needs them, not at open."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from reportqa.index.text import mostly_latin

CHUNK_COLUMNS = "id, doc_id, ordinal, section_json, pages_json, kind, text, prefix, ocr"
BATCH = 900  # ids per IN (...) query, below SQLite's bound-parameter limit


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the library keeps it."""

    id: int
    doc_id: str
    ordinal: int
    section: list[str]
    pages: list[int]
    kind: str
    text: str
    ocr: bool = False

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.ordinal}"


def _chunk(row) -> StoredChunk:
    text = f"{row[7]}\n{row[6]}" if row[7] else row[6]
    return StoredChunk(
        row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), row[5], text, bool(row[8])
    )


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


class ChunkRows(Mapping):
    """Chunk id → StoredChunk, read from SQLite on demand (the caller's transaction, if any)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get_many(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = sorted({int(i) for i in ids})
        out: dict[int, StoredChunk] = {}
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            for row in self._conn.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks})", batch
            ):
                out[row[0]] = _chunk(row)
        return out

    def __getitem__(self, chunk_id: int) -> StoredChunk:
        row = self._conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id = ?", (int(chunk_id),)
        ).fetchone()
        if row is None:
            raise KeyError(chunk_id)
        return _chunk(row)

    def __contains__(self, chunk_id: object) -> bool:
        if not isinstance(chunk_id, int | np.integer):
            return False
        sql = "SELECT 1 FROM chunks WHERE id = ?"
        return self._conn.execute(sql, (int(chunk_id),)).fetchone() is not None

    def __iter__(self) -> Iterator[int]:
        return iter([r[0] for r in self._conn.execute("SELECT id FROM chunks ORDER BY id")])

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def values(self):  # one query, not one per chunk
        sql = f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY id"
        return [_chunk(row) for row in self._conn.execute(sql)]

    def items(self):
        return [(c.id, c) for c in self.values()]


@dataclass(frozen=True)
class SentenceRows:
    """The sentences of some chunks, as parallel arrays ordered by chunk then position."""

    sid: np.ndarray  # sentence row ids
    cid: np.ndarray  # chunk id of each
    start: np.ndarray
    end: np.ndarray
    weight: np.ndarray
    tokens: list[str]  # space-separated lexical tokens of each


def fetch_sentences(conn: sqlite3.Connection, chunk_ids: Iterable[int]) -> SentenceRows:
    """The sentences of these chunks, in one query per batch of ids.

    In order of chunk, then position: a chunk's sentences are inserted in one go, in order, so
    their rowids ascend with their starts, and (chunk_id, rowid) is the index's own order (no
    sort: 1.2 ms for 250 chunks' 1,000 sentences at 20 reports, 2.5 ms by chunk_id, start)."""
    rows: list[tuple] = []
    for batch in _batches(sorted({int(i) for i in chunk_ids})):
        marks = ",".join("?" * len(batch))
        rows += conn.execute(
            "SELECT rowid, chunk_id, start, end, weight, tokens FROM sentences "
            f"WHERE chunk_id IN ({marks}) ORDER BY chunk_id, rowid",
            batch,
        ).fetchall()
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return SentenceRows(z, z, z, z, np.zeros(0), [])
    sid, cid, start, end, weight, tokens = zip(*rows, strict=True)
    return SentenceRows(
        np.array(sid, dtype=np.int64),
        np.array(cid, dtype=np.int64),
        np.array(start, dtype=np.int64),
        np.array(end, dtype=np.int64),
        np.array(weight, dtype=np.float64),
        list(tokens),
    )


def latin_flags(conn: sqlite3.Connection, sentence_ids: Iterable[int]) -> np.ndarray:
    """Per sentence id (in the order given): whether it is mostly Latin script (its tokens)."""
    sids = [int(i) for i in sentence_ids]
    found: dict[int, bool] = {}
    for batch in _batches(sorted(set(sids))):
        marks = ",".join("?" * len(batch))
        sql = f"SELECT rowid, tokens FROM sentences WHERE rowid IN ({marks})"
        found.update((sid, mostly_latin(tokens)) for sid, tokens in conn.execute(sql, batch))
    return np.array([found.get(i, False) for i in sids], dtype=bool)
