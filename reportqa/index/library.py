"""The Python API the CLI and the app share: Library.open(path), .ingest(...), .ask(...)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reportqa.errors import LibraryError, QuestionError
from reportqa.index import store
from reportqa.index.embedders import DEFAULT_MODEL, Embedder, load_embedder, resolve_model_id
from reportqa.index.highlight import answer_line, best_score, highlight
from reportqa.index.query import QueryPlan
from reportqa.index.retriever import Ranking, Retriever, Weights
from reportqa.index.writer import (  # noqa: F401 (embedding_text, IngestResult: public API)
    IngestResult,
    LibraryWriter,
    embedding_text,
    lexical_text,
)

MAX_QUESTION = 2000  # characters kept of a question; longer ones are cut, not refused
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DEFAULT_WEIGHTS = Weights()  # chosen on the eval set's tune split


READ_ATTEMPTS = 3  # reads of a state whose vector file two newer writes removed meanwhile


@dataclass
class Passage:
    """One cited passage of an answer."""

    rank: int
    doc_id: str
    title: str
    section: list[str]
    pages: list[int]
    text: str
    highlight: list[list[int]]
    score: float
    chunk_id: str
    ocr: bool = False  # some of its text was read by OCR from a scanned page


@dataclass
class Answer:
    """What `ask` returns, the same shape for the CLI, the app and the API."""

    question: str
    took_ms: float
    passages: list[Passage] = field(default_factory=list)
    # The sentence (or two) most likely to answer: {"text", "chunk_id", "start", "end"} with
    # offsets into that passage's text; None when no sentence is convincing.
    answer: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def clean_question(question: str) -> str:
    """Normalise a question: NFKC, no control characters, bounded length."""
    question = CONTROL.sub(" ", unicodedata.normalize("NFKC", question or "")).strip()
    if not question:
        raise QuestionError(
            "question is empty; type a question, e.g. 「RIKEN第五期中長期計畫涵蓋哪幾年？」"
        )
    return question[:MAX_QUESTION]


class Library(LibraryWriter):
    """A directory holding reports, their chunks and the indexes over them."""

    def __init__(self, path: Path, conn, model_id: str, embedder: Embedder | None) -> None:
        self.path = path
        self._conn = conn
        self.model_id = model_id
        self._embedder = embedder
        self._snapshot: store.Snapshot | None = None
        self._lock = threading.RLock()
        self.weights = DEFAULT_WEIGHTS

    # ----- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        model: str | None = None,
        embedder: Embedder | None = None,
        create: bool = True,
    ) -> Library:
        """Open (or create) a library; refuse one built with another model."""
        path = Path(path) if path else store.default_library_dir()
        if path.exists() and not path.is_dir():
            raise LibraryError(f"{path}: is a file, not a library directory; pass a directory")
        db = path / store.DB_NAME
        if not db.exists():
            if not create:
                raise LibraryError(
                    f"{path}: no reportqa library here; run `reportqa ingest FILE` to create one"
                )
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"{path}: cannot create library ({exc.strerror})") from None
        try:
            conn = store.connect(path)
            store.migrate(conn, path)
            store.verify_schema(conn, path)
            recorded = store.get_meta(conn, "model_id")
        except LibraryError:
            raise
        except Exception as exc:  # sqlite3.DatabaseError: not a database, malformed, ...
            raise LibraryError(
                f"{path}: library database is damaged ({exc}); move it aside and re-ingest"
            ) from None
        wanted = embedder.model_id if embedder else (resolve_model_id(model) if model else None)
        if recorded and wanted and wanted != recorded:
            raise LibraryError(
                f"{path}: library was built with {recorded}, not {wanted}; "
                f"run `reportqa index --rebuild --model {wanted.removeprefix('st/')}` to switch"
            )
        model_id = recorded or wanted or DEFAULT_MODEL
        return cls(path, conn, model_id, embedder)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.model_id)
        return self._embedder

    def snapshot(self) -> store.Snapshot:
        """The current state; reloaded when another process has written since."""
        with self._lock, store.damaged_library(self.path):
            generation = int(store.get_meta(self._conn, "generation", "0"))
            if self._snapshot is None or self._snapshot.generation != generation:
                dim = int(store.get_meta(self._conn, "dim", "0") or 0) or 1
                self._snapshot = store.load_snapshot(self._conn, self.path, dim)
            return self._snapshot

    @contextlib.contextmanager
    def _read_view(self):
        """An SQLite read transaction: every query inside it sees the same committed state."""
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")

    # ----- reading -------------------------------------------------------------------------
    def documents(self) -> list[dict]:
        """The reports in the library, newest first."""
        rows = self._conn.execute(
            "SELECT doc_id, title, source, page_count, chunk_count, ingested_at, meta_json "
            "FROM documents ORDER BY ingested_at DESC"
        ).fetchall()
        return [
            {
                "doc_id": r[0],
                "title": r[1],
                "source": r[2],
                "pages": r[3],
                "chunks": r[4],
                "ingested_at": r[5],
                "meta": json.loads(r[6]),
                "model": self.model_id,
            }
            for r in rows
        ]

    def stats(self) -> dict:
        snap = self.snapshot()
        return {
            "library": str(self.path),
            "model": self.model_id,
            "dim": int(store.get_meta(self._conn, "dim", "0") or 0),
            "documents": len(snap.titles),
            "chunks": len(snap.chunks),
            "vectors": int(snap.index.ntotal),
            # 0 in a library built before sentence vectors: `reportqa index --rebuild` adds them
            "sentence_vectors": len(snap.sentence_vectors.rows) if snap.sentence_vectors else 0,
            "generation": snap.generation,
            "schema_version": store.SCHEMA_VERSION,
        }

    def check(self) -> list[str]:
        """Consistency problems (empty when SQLite rows = FAISS ids = lexical entries)."""
        return store.check_consistency(self._conn, self.snapshot())

    # ----- searching -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        top_k: int = 5,
        doc_ids: Iterable[str] | None = None,
        mode: str = "hybrid",
    ) -> Answer:
        """Cited passages that answer a question, best first."""
        started = time.perf_counter()
        question = clean_question(question)
        top_k = max(1, min(int(top_k), 50))
        for attempt in range(READ_ATTEMPTS):
            try:
                # One read transaction: vectors, rows and the lexical index all of one state of
                # the library, however often another process writes meanwhile.
                with self._lock, self._read_view():
                    passages, line = self._answer(question, top_k, doc_ids, mode)
                break
            except LibraryError:
                # Two newer writes can remove the vector file of the state being read: read the
                # newest state instead. A damaged file fails every attempt and is reported.
                if attempt == READ_ATTEMPTS - 1:
                    raise
        took = (time.perf_counter() - started) * 1000
        return Answer(question=question, took_ms=round(took, 2), passages=passages, answer=line)

    def _answer(self, question, top_k, doc_ids, mode) -> tuple[list[Passage], dict | None]:
        """Passages and the answer line, read inside the caller's read transaction."""
        snap = self.snapshot()
        ranking = self._retriever(snap).rank(question, top_k=top_k, doc_ids=doc_ids, mode=mode)
        with store.damaged_library(self.path):  # rows are read here, lazily
            chunks = snap.chunks.get_many(i for i, _ in ranking.ranked[:top_k])
        top = [(i, s) for i, s in ranking.ranked[:top_k] if i in chunks]
        texts = {i: chunks[i].text for i, _ in top}
        best = best_score(ranking, [i for i, _ in top], texts)
        passages = [
            Passage(
                rank=rank,
                doc_id=chunks[i].doc_id,
                title=snap.titles.get(chunks[i].doc_id, ""),
                section=chunks[i].section,
                pages=chunks[i].pages,
                text=chunks[i].text,
                highlight=highlight(ranking, i, best, texts[i]),
                score=round(score, 4),
                chunk_id=chunks[i].chunk_id,
                ocr=chunks[i].ocr,
            )
            for rank, (i, score) in enumerate(top, start=1)
        ]
        found = answer_line(ranking, [i for i, _ in top], texts)
        if found is None:
            return passages, None
        text = chunks[found.chunk_id].text
        line = {
            "text": text[found.start : found.end],
            "chunk_id": chunks[found.chunk_id].chunk_id,
            "start": found.start,
            "end": found.end,
        }
        return passages, line

    def rank(
        self, question: str, doc_ids: Iterable[str] | None = None, mode: str = "hybrid"
    ) -> tuple[list[tuple[int, float]], QueryPlan]:
        """Candidate chunk ids with fused scores (best first), and the query plan used."""
        ranking = self.ranking(question, doc_ids=doc_ids, mode=mode)
        return ranking.ranked, ranking.plan

    def ranking(
        self,
        question: str,
        top_k: int = 10,
        doc_ids: Iterable[str] | None = None,
        mode: str = "hybrid",
    ) -> Ranking:
        """The retriever's full ranking with its sentence evidence (for the eval and tuning)."""
        with self._lock, self._read_view():
            snap = self.snapshot()
            return self._retriever(snap).rank(question, top_k=top_k, doc_ids=doc_ids, mode=mode)

    def _retriever(self, snap: store.Snapshot) -> Retriever:
        return Retriever(self._conn, snap, self.embedder.embed_query, self.weights)
