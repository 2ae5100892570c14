"""The library on disk: SQLite (documents, chunks, FTS5 lexical index) + a FAISS vector file.

Crash safety: each write builds the next FAISS file under a new generation name, fsyncs it, and
only then commits the SQLite transaction that points at it. A kill at any moment leaves SQLite at
the old or the new state, and the file it points at complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from reportqa.errors import LibraryError
from reportqa.index import postings, sentence_vectors, vectors
from reportqa.index.durable import replace_durably
from reportqa.index.postings import Postings
from reportqa.index.rows import ChunkRows, StoredChunk  # noqa: F401 (StoredChunk: public)
from reportqa.index.sentence_vectors import SentenceVectors

T = TypeVar("T")

SCHEMA_VERSION = 3
DB_NAME = "library.sqlite"
LOCK_NAME = "write.lock"
# Named migrations: version → statements that bring the schema from version-1 to version.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE documents (
            doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL,
            content_hash TEXT NOT NULL, page_count INTEGER, meta_json TEXT NOT NULL,
            chunk_count INTEGER NOT NULL, ingested_at REAL NOT NULL)""",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
            ordinal INTEGER NOT NULL, section_json TEXT NOT NULL, pages_json TEXT NOT NULL,
            kind TEXT NOT NULL, text TEXT NOT NULL, prefix TEXT NOT NULL,
            UNIQUE (doc_id, ordinal))""",
        # Tokens arrive space-separated from reportqa.index.text.tokenize; keep act-x, r&d,
        # 3,000 and 1.5 whole instead of letting FTS5 split them again.
        "CREATE VIRTUAL TABLE chunks_fts USING fts5("
        "tokens, tokenize=\"unicode61 tokenchars '-&.,'\")",
        "CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row')",
        """CREATE TABLE sentences (
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            start INTEGER NOT NULL, end INTEGER NOT NULL, tokens TEXT NOT NULL,
            weight REAL NOT NULL)""",
        "CREATE INDEX sentences_chunk ON sentences(chunk_id)",
        """CREATE TABLE aliases (
            doc_id TEXT NOT NULL, term TEXT NOT NULL, name TEXT NOT NULL,
            PRIMARY KEY (doc_id, term, name))""",
    ],
    # v2 "ocr-and-sentence-vectors": chunks read by OCR say so; sentence vectors live in a file
    # per generation beside the chunk vectors (an old library has none until `index --rebuild`).
    2: ["ALTER TABLE chunks ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0"],
    # v3 "postings": the lexical index's terms by id, for the postings file per generation
    # (reportqa.index.postings); until a write or `index --rebuild` writes one, FTS5 scores.
    3: ["CREATE TABLE terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)"],
}


def default_library_dir() -> Path:
    """Where user state lives: $REPORTQA_LIBRARY, else a per-user data dir."""
    env = os.environ.get("REPORTQA_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("reportqa")) / "library"


@dataclass(frozen=True)
class Snapshot:
    """One consistent state of the library, as readers see it: metadata and vectors only.

    Chunk and sentence rows stay in SQLite and are read by id (see reportqa.index.rows), so
    opening costs the same at any library size and memory grows with the vectors alone.
    """

    generation: int
    index: object  # see reportqa.index.vectors: exact, or IVF for large libraries
    chunks: ChunkRows  # chunk id → row, read on demand
    titles: dict[str, str]
    aliases: list[tuple[str, str]]
    sentence_vectors: SentenceVectors | None = None  # None: built before sentence vectors
    postings: Postings | None = None  # None: built before postings (FTS5 scores instead)
    # Per-generation memo (see cached); not an init field: dataclasses.replace starts a fresh one.
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def chunk_count(self) -> int:
        """Rows in `chunks`, counted on first use: every write that changes them is a new
        generation, so once per snapshot (not per question, and not at open: a cold COUNT(*)
        reads the whole index of 89,800 rows)."""
        return self.cached("chunks", lambda: len(self.chunks))

    def cached(self, key: object, make: Callable[[], T]) -> T:
        """`make()`, computed once per snapshot (what a generation's rows determine)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]


def is_writable(path: Path) -> bool:
    """False for a library on a read-only filesystem or without write permission."""
    return all(os.access(p, os.W_OK) for p in (path, path / DB_NAME) if p.exists())


def connect(path: Path) -> sqlite3.Connection:
    if (path / DB_NAME).exists() and not is_writable(path):
        # SQLite cannot open a WAL database read-only without creating its -shm file next to
        # it; immutable=1 reads the file as it is. Writes are refused by write_lock.
        uri = f"{(path / DB_NAME).absolute().as_uri()}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    conn = sqlite3.connect(
        path / DB_NAME, timeout=30, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to SCHEMA_VERSION in one transaction; refuse newer schemas."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise LibraryError(
            f"{path}: library schema v{version} is newer than this reportqa (v{SCHEMA_VERSION}); "
            "upgrade reportqa"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


SCHEMA_PROBES = [
    "SELECT key, value FROM meta LIMIT 0",
    "SELECT doc_id, title, source, content_hash, page_count, meta_json, chunk_count, ingested_at"
    " FROM documents LIMIT 0",
    "SELECT id, doc_id, ordinal, section_json, pages_json, kind, text, prefix, ocr FROM chunks"
    " LIMIT 0",
    "SELECT chunk_id, start, end, tokens, weight FROM sentences LIMIT 0",
    "SELECT rowid, tokens FROM chunks_fts LIMIT 0",
    "SELECT term, doc FROM chunks_vocab LIMIT 0",
    "SELECT doc_id, term, name FROM aliases LIMIT 0",
    "SELECT id, term FROM terms LIMIT 0",
]


def verify_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a library whose tables are not the ones this version writes."""
    try:
        for probe in SCHEMA_PROBES:
            conn.execute(probe)
    except sqlite3.Error as exc:
        raise LibraryError(
            f"{path}: library tables are damaged or from a development build ({exc}); "
            "move the directory aside and re-ingest the reports"
        ) from None


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def faiss_path(path: Path, generation: int) -> Path:
    return path / f"vectors-{generation:06d}.faiss"


def new_index(dim: int):
    """An empty vector index."""
    return vectors.build_index(np.zeros(0, dtype=np.int64), np.zeros((0, dim)), dim)


def write_index(index, target: Path) -> None:
    """Write a FAISS index durably: temp file, fsync, rename, fsync the directory."""
    import faiss

    try:
        replace_durably(target, lambda tmp: faiss.write_index(index, str(tmp)))
    except RuntimeError as exc:  # faiss reports a failed write (e.g. a full disk) this way
        reason = re.search(r"\(([^()]+)\)\s*$", str(exc))
        tmp = target.with_suffix(".tmp").name
        raise OSError(f"{tmp}: {reason[1] if reason else 'write failed'}") from None


def read_index(target: Path, dim: int):
    import faiss

    # faiss reads its own binary format; nothing in it can execute code.
    index = faiss.read_index(str(target))
    if not vectors.is_vector_index(index, dim):
        raise LibraryError(
            f"{target}: not this library's vector file ({type(index).__name__}, {index.d} "
            f"dimensions, not {dim}); run `reportqa index --rebuild`"
        )
    return index


def load_snapshot(conn: sqlite3.Connection, path: Path, dim: int, vectors: bool = True) -> Snapshot:
    """Read one consistent state: titles, aliases and the vector files the rows point at.

    With vectors=False no vector file is read (empty ones stand in): re-embedding needs only
    the rows, and must work when a vector file is what is damaged.
    """
    outer = conn.in_transaction  # the caller's read transaction fixes the state: no re-reads
    for attempt in range(1 if outer else 5):
        if not outer:
            conn.execute("BEGIN")
        try:
            generation = int(get_meta(conn, "generation", "0"))
            has_sentences = get_meta(conn, "sentence_vectors") == "1"
            has_postings = get_meta(conn, "postings") == "1"
            titles = dict(conn.execute("SELECT doc_id, title FROM documents").fetchall())
            aliases = conn.execute("SELECT DISTINCT term, name FROM aliases").fetchall()
        finally:
            if not outer:
                conn.execute("COMMIT")
        try:
            if generation and vectors:
                index = read_index(faiss_path(path, generation), dim)
                sentences = sentence_vectors.read(sentence_vectors.file_path(path, generation), dim)
                if sentences is None and has_sentences:
                    raise RuntimeError("sentence vector file gone")
                lexical = postings.read(postings.file_path(path, generation))
                if lexical is None and has_postings:
                    raise RuntimeError("postings file gone")
            else:
                index, sentences, lexical = new_index(dim), None, None
            break
        except RuntimeError:
            # A writer replaced the file between our read and the open; read again.
            if outer or attempt == 4:
                raise LibraryError(
                    f"{path}: vector file for generation {generation} is missing or damaged; "
                    "run `reportqa index --rebuild`"
                ) from None
            time.sleep(0.05)
    return Snapshot(
        generation, index, ChunkRows(conn), titles, [tuple(a) for a in aliases], sentences, lexical
    )


@contextlib.contextmanager
def write_lock(path: Path):
    """One writer at a time: a second one gets a clear error instead of interleaving."""
    if not is_writable(path):
        raise LibraryError(
            f"{path}: library is read-only (questions still work); to add or remove reports, "
            "make the directory writable or copy it somewhere writable and use --library"
        )
    try:
        fh = open(path / LOCK_NAME, "a+")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise LibraryError(
            f"{path}: cannot write to the library ({exc.strerror}); "
            "make the directory writable or use another --library"
        ) from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LibraryError(
                f"{path}: another reportqa process is writing to this library; "
                "wait for it to finish and try again"
            ) from None
        yield


def remove_stale_files(path: Path, generation: int) -> None:
    """Drop vector files of generations older than the previous one, and orphaned temp files."""
    for file in path.glob("vectors-*"):
        try:
            gen = int(file.name.split("-")[1].split(".")[0])
        except (IndexError, ValueError):
            continue
        if gen < generation - 1 or gen > generation or file.suffix == ".tmp":
            with contextlib.suppress(OSError):
                file.unlink()


def check_consistency(conn: sqlite3.Connection, snapshot: Snapshot) -> list[str]:
    """Problems found: SQLite rows, FAISS ids and lexical entries must be the same set."""
    problems = []
    row_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
    fts_ids = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
    faiss_ids = vectors.index_ids(snapshot.index)
    if row_ids != fts_ids:
        problems.append(f"{len(row_ids ^ fts_ids)} chunks differ between rows and lexical index")
    if row_ids != faiss_ids:
        problems.append(f"{len(row_ids ^ faiss_ids)} chunks differ between rows and vectors")
    if snapshot.sentence_vectors is not None:
        sentence_ids = {r[0] for r in conn.execute("SELECT rowid FROM sentences")}
        stored = set(snapshot.sentence_vectors.rows["sid"].tolist())
        # Sentences without a vector are allowed (added to a library from before sentence
        # vectors, until `index --rebuild`); a vector of no sentence is not.
        if stored - sentence_ids:
            problems.append(f"{len(stored - sentence_ids)} sentence vectors of no sentence")
    if snapshot.postings is not None:
        problems += postings.problems(conn, snapshot.postings, row_ids)
    counts = dict(conn.execute("SELECT doc_id, COUNT(*) FROM chunks GROUP BY doc_id").fetchall())
    for doc_id, expected in conn.execute("SELECT doc_id, chunk_count FROM documents"):
        if counts.get(doc_id, 0) != expected:
            problems.append(f"{doc_id}: {counts.get(doc_id, 0)} chunks stored, {expected} expected")
    return problems


@contextlib.contextmanager
def damaged_library(path: Path):
    """Turn what tampered or damaged library rows raise into one clear LibraryError."""
    try:
        yield
    except (ValueError, TypeError, KeyError, sqlite3.DatabaseError) as exc:
        raise LibraryError(
            f"{path}: library files are damaged ({type(exc).__name__}: {exc}); "
            "move the directory aside and re-ingest the reports"
        ) from None
