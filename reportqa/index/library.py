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

import numpy as np

from reportqa.errors import LibraryError, QuestionError
from reportqa.index import store
from reportqa.index.embedders import DEFAULT_MODEL, Embedder, load_embedder, resolve_model_id
from reportqa.index.highlight import highlight
from reportqa.index.query import QueryPlan, best_sentence_share, plan_query, weigh_tokens
from reportqa.index.search import FusionWeights, fuse_scores
from reportqa.index.writer import (  # noqa: F401 (embedding_text, IngestResult: public API)
    IngestResult,
    LibraryWriter,
    embedding_text,
    lexical_text,
)

MAX_QUESTION = 2000  # characters kept of a question; longer ones are cut, not refused
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DEFAULT_WEIGHTS = FusionWeights(lexical=2.0, sentence=1.5)  # grid-searched on the tune split
CANDIDATES = 200  # per side, fused with sentence evidence


def _top(scores: dict[int, float], k: int) -> list[int]:
    return sorted(scores, key=lambda i: (-scores[i], i))[:k]


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


@dataclass
class Answer:
    """What `ask` returns, the same shape for the CLI, the app and the API."""

    question: str
    took_ms: float
    passages: list[Passage] = field(default_factory=list)

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
                    snap = self.snapshot()
                    ranked, plan = self.rank(question, doc_ids=doc_ids, mode=mode)
                break
            except LibraryError:
                # Two newer writes can remove the vector file of the state being read: read the
                # newest state instead. A damaged file fails every attempt and is reported.
                if attempt == READ_ATTEMPTS - 1:
                    raise
        passages = []
        for rank, (chunk_id, score) in enumerate(ranked[:top_k], start=1):
            chunk = snap.chunks[chunk_id]
            passages.append(
                Passage(
                    rank=rank,
                    doc_id=chunk.doc_id,
                    title=snap.titles.get(chunk.doc_id, ""),
                    section=chunk.section,
                    pages=chunk.pages,
                    text=chunk.text,
                    highlight=highlight(chunk.text, snap.sentences.get(chunk_id, []), plan),
                    score=round(score, 4),
                    chunk_id=chunk.chunk_id,
                )
            )
        took = (time.perf_counter() - started) * 1000
        return Answer(question=question, took_ms=round(took, 2), passages=passages)

    def rank(
        self, question: str, doc_ids: Iterable[str] | None = None, mode: str = "hybrid"
    ) -> tuple[list[tuple[int, float]], QueryPlan]:
        """All candidate chunk ids with fused scores (best first), and the query plan used."""
        snap = self.snapshot()
        plan = plan_query(question, snap.aliases, self._in_vocabulary)
        if not snap.chunks:
            return [], plan
        wanted = set(doc_ids) if doc_ids else None
        if wanted and wanted - set(snap.titles):
            raise QuestionError(
                f"no report {', '.join(sorted(wanted - set(snap.titles)))} in the library; "
                "see `reportqa list` for report ids"
            )
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            dense = self._dense(snap, plan.dense_text)
        if mode in ("hybrid", "lexical"):
            lexical = self._lexical(plan, len(snap.chunks))
        if mode == "lexical":
            ranked = sorted(lexical.items(), key=lambda kv: (-kv[1], kv[0]))
        elif mode == "dense":
            ranked = sorted(dense.items(), key=lambda kv: (-kv[1], kv[0]))
        else:
            # Fuse the best CANDIDATES of each side; the rest cannot reach a reader's top k.
            candidates = set(_top(dense, CANDIDATES)) | set(_top(lexical, CANDIDATES))
            dense = {i: v for i, v in dense.items() if i in candidates}
            lexical = {i: v for i, v in lexical.items() if i in candidates}
            evidence = {i: best_sentence_share(snap.sentences.get(i, []), plan) for i in candidates}
            ranked = fuse_scores(dense, lexical, evidence, plan.coverage, self.weights)
        ranked = [(i, s) for i, s in ranked if i in snap.chunks]
        if wanted:
            ranked = [(i, s) for i, s in ranked if snap.chunks[i].doc_id in wanted]
        return ranked, plan

    def _dense(self, snap: store.Snapshot, text: str) -> dict[int, float]:
        from reportqa.index.search import zscores

        index = snap.index
        if index.ntotal == 0:
            return {}
        vector = self.embedder.embed_query(text).reshape(1, -1).astype(np.float32)
        import faiss

        # One thread: on 2 cores FAISS's threads fight the embedder's (bench: p50 21.7 → 13.6 ms).
        faiss.omp_set_num_threads(1)
        k = int(min(index.ntotal, 1000))
        scores, ids = index.search(vector, k)
        valid = ids[0] >= 0
        ids, scores = ids[0][valid], scores[0][valid]
        z = zscores(scores.astype(np.float64))
        return {int(i): float(s) for i, s in zip(ids, z, strict=True)}

    def _in_vocabulary(self, terms) -> set[str]:
        terms = list(terms)
        if not terms:
            return set()
        with self._lock:
            rows = self._conn.execute(
                f"SELECT term FROM chunks_vocab WHERE term IN ({','.join('?' * len(terms))})",
                terms,
            ).fetchall()
        return {r[0] for r in rows}

    def _lexical(self, plan: QueryPlan, n_chunks: int) -> dict[int, float]:
        """BM25 over the FTS5 index; also weighs the plan's tokens by IDF."""
        tokens = plan.tokens
        if not tokens:
            return {}
        with self._lock:
            doc_freq = dict(
                self._conn.execute(
                    "SELECT term, doc FROM chunks_vocab WHERE term IN "
                    f"({','.join('?' * len(tokens))})",
                    tokens,
                ).fetchall()
            )
            weigh_tokens(plan, doc_freq, n_chunks)
            # FTS5 weighs every term of a query alike: one query per source weight (the
            # question's own words, aliases, translations), summed with those weights.
            groups: dict[float, list[str]] = {}
            for token in doc_freq:
                groups.setdefault(plan.source_weight.get(token, 1.0), []).append(token)
            scores: dict[int, float] = {}
            for weight, group in groups.items():
                query = " OR ".join('"' + t.replace('"', '""') + '"' for t in group)
                for rowid, score in self._conn.execute(
                    "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
                    "ORDER BY bm25(chunks_fts) LIMIT 1000",
                    (query,),
                ):
                    scores[rowid] = scores.get(rowid, 0.0) + weight * score
        return scores
