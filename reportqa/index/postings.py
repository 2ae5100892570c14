"""The lexical index as postings: one file per write generation, scored by reportqa.index.bm25.

FTS5's `bm25()` costs ~1.3 µs for every row a query matches (it reads the row's instance list
and looks up its size); a question at 1,000 reports matches ~27k rows. This file holds the same
index as numbers, so a question reads only its terms' postings (with `pread`) and scores them in
numpy, equal to `-bm25(chunks_fts)` (tests/test_postings.py checks it on real libraries).

Terms are ids of the `terms` table (written in the write's transaction, never reused), so the
file is numbers only and a write appends its new terms without renumbering the kept postings.
Layout, little-endian: MAGIC, the header's length (8 bytes), a JSON header padded to 8 bytes,
then the term offsets (int64, n_terms + 1), the chunks (id, FTS5 token count) sorted by id, and
the postings (chunk id, term frequency, the chunk's token count) sorted by term, then chunk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import BinaryIO

import numpy as np

from reportqa.errors import LibraryError
from reportqa.index.durable import replace_durably

MAGIC = b"RQAPOST1"
# The FTS5 tokenizer of chunks_fts (store.MIGRATIONS): the postings must hold its tokens.
FTS_TOKENIZE = "unicode61 tokenchars '-&.,'"
WRITE_ROWS = 1 << 20  # records per write() call


def file_path(path: Path, generation: int) -> Path:
    """Named like the FAISS file so that stale-file cleanup treats both alike."""
    return path / f"vectors-{generation:06d}.postings.bin"


def chunk_dtype(cid: str = "<i8") -> np.dtype:
    return np.dtype([("cid", cid), ("dl", "<i4")])


def posting_dtype(cid: str = "<i8") -> np.dtype:
    return np.dtype([("cid", cid), ("tf", "<i4"), ("dl", "<i4")])


@dataclass(frozen=True)
class PostingsData:
    """A whole generation's postings in memory (what a write builds and saves)."""

    offsets: np.ndarray  # int64, n_terms + 1: term id t's postings are [offsets[t], offsets[t+1])
    chunks: np.ndarray  # chunk_dtype, sorted by chunk id: every chunk, with no tokens too
    rows: np.ndarray  # posting_dtype, sorted by term id then chunk id

    @property
    def total_tokens(self) -> int:
        return int(self.chunks["dl"].sum(dtype=np.int64))


# ----- tokens: exactly FTS5's ------------------------------------------------------------------


def fts_tokens(raw: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """What FTS5's tokenizer makes of each distinct space-free token (usually the token itself;
    unicode61 also folds diacritics and splits at characters it treats as separators)."""
    distinct = sorted(set(raw))
    out: dict[str, list[str]] = {t: [] for t in distinct}
    if not distinct:
        return {}
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f'CREATE VIRTUAL TABLE t USING fts5(x, tokenize="{FTS_TOKENIZE}")')
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(distinct))
        for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
            out[distinct[doc]].append(term)
    finally:
        conn.close()
    return {t: tuple(terms) for t, terms in out.items()}


def term_ids(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """Ids of terms, adding the new ones (inside the caller's write transaction)."""
    conn.executemany("INSERT OR IGNORE INTO terms(term) VALUES (?)", ((t,) for t in set(terms)))
    return dict(conn.execute("SELECT term, id FROM terms").fetchall())


def build(conn: sqlite3.Connection, texts: list[tuple[int, str]]) -> PostingsData:
    """Postings of chunks (id, FTS5 `tokens` text), term ids from (and added to) `terms`."""
    split = [text.split() for _, text in texts]
    distinct = sorted(set().union(*split))
    mapping = fts_tokens(distinct)  # raw token → FTS5's tokens, usually itself alone
    ids = term_ids(conn, {term for terms in mapping.values() for term in terms})
    # Every raw token as its index in `distinct`, then expanded to its FTS5 terms' ids.
    local = {raw: k for k, raw in enumerate(distinct)}
    flat = list(chain.from_iterable(split))
    raw = np.fromiter(map(local.__getitem__, flat), dtype=np.int64, count=len(flat))
    per_raw = np.array([len(mapping[t]) for t in distinct], dtype=np.int64)
    terms = np.array([ids[t] for r in distinct for t in mapping[r]], dtype=np.int64)
    first = np.cumsum(per_raw) - per_raw
    sizes = per_raw[raw]
    at = np.repeat(first[raw] - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())
    chunk_of_raw = np.repeat(np.arange(len(texts)), [len(t) for t in split])
    chunk_of_token = np.repeat(chunk_of_raw, sizes)
    lengths = np.bincount(chunk_of_token, minlength=len(texts)).astype(np.int64)
    cids = np.array([cid for cid, _ in texts], dtype=np.int64)
    return from_arrays(cids, lengths, chunk_of_token, terms[at])


def from_arrays(
    cids: np.ndarray, lengths: np.ndarray, token_chunks: np.ndarray, token_tids: np.ndarray
) -> PostingsData:
    """Postings from every token's (chunk position in `cids`, term id); `lengths` are the
    chunks' token counts."""
    order = np.argsort(cids, kind="stable")
    chunks = np.zeros(len(cids), dtype=chunk_dtype())
    chunks["cid"], chunks["dl"] = cids[order], lengths[order]
    if token_tids.size == 0:
        return PostingsData(np.zeros(1, dtype=np.int64), chunks, np.zeros(0, posting_dtype()))
    rank = np.empty(len(cids), dtype=np.int64)
    rank[order] = np.arange(len(cids))  # position of each chunk in id order
    n_terms, span = int(token_tids.max()) + 1, len(cids)
    keys, tf = np.unique(token_tids * span + rank[token_chunks], return_counts=True)
    tid, where = keys // span, keys % span
    rows = np.zeros(len(keys), dtype=posting_dtype())
    rows["cid"], rows["tf"], rows["dl"] = chunks["cid"][where], tf, chunks["dl"][where]
    offsets = np.searchsorted(tid, np.arange(n_terms + 1))
    return PostingsData(offsets.astype(np.int64), chunks, rows)


def merge(previous: PostingsData, removed: np.ndarray, new: PostingsData) -> PostingsData:
    """The previous generation minus the removed chunks, plus the new ones (ids not in it)."""
    keep_chunks = ~np.isin(previous.chunks["cid"], removed)
    keep_rows = ~np.isin(previous.rows["cid"], removed)
    kept_last = int(previous.chunks["cid"][keep_chunks].max(initial=-1))
    if int(new.chunks["cid"].min(initial=kept_last + 1)) > kept_last:
        return _appended(previous, keep_chunks, keep_rows, new)
    old_tid = _term_of_rows(previous.offsets)[keep_rows]
    new_tid = _term_of_rows(new.offsets)
    tid = np.concatenate([old_tid, new_tid])
    rows = np.concatenate([previous.rows[keep_rows].astype(posting_dtype()), new.rows])
    # Two runs, each sorted by (term, chunk): timsort merges them in linear time.
    span = int(rows["cid"].max(initial=0)) + 1
    order = np.argsort(tid * span + rows["cid"].astype(np.int64), kind="stable")
    tid, rows = tid[order], rows[order]
    n_terms = max(len(previous.offsets), len(new.offsets)) - 1
    chunks = np.concatenate([previous.chunks[keep_chunks].astype(chunk_dtype()), new.chunks])
    chunks = chunks[np.argsort(chunks["cid"], kind="stable")]
    if np.any(chunks["cid"][1:] == chunks["cid"][:-1]):
        raise ValueError("a new chunk id is already in the postings")
    offsets = np.searchsorted(tid, np.arange(n_terms + 1)).astype(np.int64)
    return PostingsData(offsets, chunks, rows)


def _appended(
    previous: PostingsData, keep_chunks: np.ndarray, keep_rows: np.ndarray, new: PostingsData
) -> PostingsData:
    """`merge` when every new chunk id is above the kept ones (new chunks get the next ids):
    each term's new postings go in after its kept ones, without sorting. At 1,000 reports the
    sort of ~6 million postings was most of a write's peak memory."""
    n_terms = max(len(previous.offsets), len(new.offsets)) - 1
    old_at = np.pad(previous.offsets, (0, n_terms + 1 - len(previous.offsets)), mode="edge")
    new_at = np.pad(new.offsets, (0, n_terms + 1 - len(new.offsets)), mode="edge")
    removed_at = np.flatnonzero(~keep_rows)
    kept = np.delete(previous.rows, removed_at) if removed_at.size else previous.rows
    kept_at = old_at - np.searchsorted(removed_at, old_at)  # each term's start among the kept
    new_counts = np.diff(new_at)
    offsets = (kept_at + np.r_[0, np.cumsum(new_counts)]).astype(np.int64)
    rows = np.insert(kept, np.repeat(kept_at[1:], new_counts), new.rows) if len(new.rows) else kept
    chunks = np.concatenate([previous.chunks[keep_chunks].astype(chunk_dtype()), new.chunks])
    return PostingsData(offsets, chunks, rows.astype(posting_dtype(), copy=False))


def _term_of_rows(offsets: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


# ----- the file --------------------------------------------------------------------------------


def write(data: PostingsData, target: Path) -> None:
    """Write durably: temp file, fsync, rename, fsync the directory."""
    narrow = len(data.chunks) == 0 or int(data.chunks["cid"].max()) < 2**31
    cid = "<i4" if narrow else "<i8"
    header = {
        "version": 1,
        "cid": cid,
        "n_terms": len(data.offsets) - 1,
        "n_chunks": len(data.chunks),
        "n_postings": len(data.rows),
        "total_tokens": data.total_tokens,
    }
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    parts = [
        np.ascontiguousarray(data.offsets, dtype="<i8"),
        data.chunks.astype(chunk_dtype(cid)),
        data.rows.astype(posting_dtype(cid)),
    ]

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + len(blob).to_bytes(8, "little") + blob)
            for part in parts:
                for start in range(0, len(part), WRITE_ROWS):
                    fh.write(part[start : start + WRITE_ROWS].tobytes())

    replace_durably(target, save)


@dataclass(frozen=True)
class Postings:
    """One generation's postings file, open; questions pread only their terms' slices."""

    source: BinaryIO
    n_terms: int
    n_chunks: int
    n_postings: int
    total_tokens: int
    cid: str
    base: int  # where the term offsets start
    _ranges: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def chunks_at(self) -> int:
        return self.base + 8 * (self.n_terms + 1)

    @property
    def rows_at(self) -> int:
        return self.chunks_at + chunk_dtype(self.cid).itemsize * self.n_chunks

    def _pread(self, size: int, at: int) -> bytes:
        data = os.pread(self.source.fileno(), size, at)
        if len(data) != size:
            raise LibraryError(
                f"{self.source.name}: postings file is truncated; run `reportqa index --rebuild`"
            )
        return data

    def ranges(self, tids: list[int]) -> list[tuple[int, int]]:
        """[start, stop) of each term's postings (empty for a term newer than the file)."""
        out = []
        for tid in tids:
            if tid not in self._ranges:
                if 0 <= tid < self.n_terms:
                    raw = self._pread(16, self.base + 8 * tid)
                    self._ranges[tid] = tuple(np.frombuffer(raw, "<i8").tolist())
                else:
                    self._ranges[tid] = (0, 0)
            out.append(self._ranges[tid])
        return out

    def slice(self, start: int, stop: int) -> np.ndarray:
        dtype = posting_dtype(self.cid)
        if stop <= start:
            return np.zeros(0, dtype)
        raw = self._pread((stop - start) * dtype.itemsize, self.rows_at + start * dtype.itemsize)
        return np.frombuffer(raw, dtype)

    def load(self) -> PostingsData:
        """The whole file in memory (for the next write and the consistency check)."""
        offsets = np.frombuffer(self._pread(8 * (self.n_terms + 1), self.base), "<i8")
        size = chunk_dtype(self.cid).itemsize * self.n_chunks
        chunks = np.frombuffer(self._pread(size, self.chunks_at), chunk_dtype(self.cid))
        return PostingsData(
            offsets.astype(np.int64),
            chunks.astype(chunk_dtype()),
            self.slice(0, self.n_postings).astype(posting_dtype()),
        )


def read(target: Path) -> Postings | None:
    """The generation's postings, open (the header read, nothing else); None when it has none
    (an older library, or a writer removed it before we opened it: the caller reads again)."""
    try:
        source = open(target, "rb")  # noqa: SIM115 (closed with the object, below)
    except FileNotFoundError:
        return None
    try:
        head = source.read(16)
        if len(head) != 16 or head[:8] != MAGIC:
            raise ValueError("not a postings file")
        header = json.loads(source.read(int.from_bytes(head[8:], "little")))
        base = source.tell()
        postings = Postings(
            source,
            int(header["n_terms"]),
            int(header["n_chunks"]),
            int(header["n_postings"]),
            int(header["total_tokens"]),
            str(header["cid"]),
            base,
        )
        if header["version"] != 1 or postings.cid not in ("<i4", "<i8"):
            raise ValueError(f"unknown version {header['version']}")
        size = postings.rows_at + posting_dtype(postings.cid).itemsize * postings.n_postings
        if source.seek(0, os.SEEK_END) < size:
            raise ValueError("truncated")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        source.close()
        raise LibraryError(
            f"{target}: postings file is damaged ({exc}); run `reportqa index --rebuild`"
        ) from None
    weakref.finalize(postings, source.close)
    return postings


def problems(conn: sqlite3.Connection, postings: Postings, row_ids: set[int]) -> list[str]:
    """How the postings file differs from the FTS5 index it mirrors (empty: not at all)."""
    data = postings.load()
    out = []
    ids = set(data.chunks["cid"].tolist())
    if ids != row_ids:
        out.append(f"{len(ids ^ row_ids)} chunks differ between rows and postings")
    names = dict(conn.execute("SELECT id, term FROM terms").fetchall())
    df = np.diff(data.offsets)
    stored = {names.get(t, f"#{t}"): int(df[t]) for t in np.flatnonzero(df).tolist()}
    vocab = dict(conn.execute("SELECT term, doc FROM chunks_vocab").fetchall())
    differ = {t for t in stored.keys() | vocab.keys() if stored.get(t) != vocab.get(t)}
    if differ:
        out.append(f"{len(differ)} terms' postings differ from the lexical index")
    total = conn.execute("SELECT COALESCE(SUM(cnt), 0) FROM chunks_vocab").fetchone()[0]
    if data.total_tokens != total:
        out.append(f"postings hold {data.total_tokens} tokens, the lexical index {total}")
    return out


def next_data(
    conn: sqlite3.Connection, previous: Postings | None, removed: list[int], added: list[int]
) -> PostingsData:
    """The next generation's postings, inside the write's transaction (rows already changed):
    the previous file's minus the removed chunks plus the added ones, or, with no previous file
    (an older library), the whole FTS5 table's."""
    if previous is None:
        return build(conn, conn.execute("SELECT rowid, tokens FROM chunks_fts").fetchall())
    texts: list[tuple[int, str]] = []
    for start in range(0, len(added), 10000):
        part = added[start : start + 10000]
        sql = f"SELECT rowid, tokens FROM chunks_fts WHERE rowid IN ({','.join('?' * len(part))})"
        texts += conn.execute(sql, part).fetchall()
    return merge(previous.load(), np.array(removed, dtype=np.int64), build(conn, texts))
