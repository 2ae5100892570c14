"""Writing to a library: ingest, replace, remove, re-embed; every write all-or-nothing.

Each write builds the next vector file under a new generation name, fsyncs it, and only then
commits the SQLite transaction that points at it (see reportqa.index.store).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.errors import IngestError, LibraryError, ReportQAError
from reportqa.index import store, vectors
from reportqa.index.aliases import mine_aliases
from reportqa.index.embedders import load_embedder, resolve_model_id
from reportqa.index.highlight import sentence_spans, sentence_weight
from reportqa.index.stages import crash_point
from reportqa.index.text import tokenize
from reportqa.ingest import Document, load_document


@dataclass
class IngestResult:
    """What happened to one file: added / replaced / unchanged / failed."""

    path: str
    status: str
    doc_id: str = ""
    chunks: int = 0
    pages: int | None = None
    seconds: float = 0.0
    reason: str = ""


def _context(section: list[str], text: str) -> list[str]:
    """The nearest section titles that the text does not already start with or contain."""
    return [title for title in section[-2:] if title not in text]


def embedding_text(section: list[str], text: str) -> str:
    """What the embedder sees: the nearest section titles give a passage its context."""
    context = " › ".join(_context(section, text))
    return f"{context}\n{text}" if context else text


def lexical_text(section: list[str], text: str) -> str:
    """What the lexical index sees: the text plus section titles it lacks (counted once)."""
    return " ".join([*_context(section, text), text])


def _rollback(conn) -> None:
    """Roll back the open write; SQLite has already done so itself after SQLITE_FULL."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class LibraryWriter:
    """The writing half of Library (which provides path, _conn, _lock, embedder, snapshot)."""

    def ingest(
        self,
        paths: Iterable[str | Path],
        doc_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[IngestResult]:
        """Add or update reports; each file is one all-or-nothing write."""
        results = []
        for path in paths:
            started = time.perf_counter()
            try:
                doc = load_document(path, doc_id=doc_id)
                status = self.add_document(doc, progress=progress)
                results.append(
                    IngestResult(
                        str(path),
                        status,
                        doc.doc_id,
                        len(doc.chunks),
                        doc.page_count,
                        round(time.perf_counter() - started, 2),
                    )
                )
            except ReportQAError as exc:
                # Library-level failures (locked, read-only, full disk) name the library: say
                # which report was not added, too.
                reason = str(exc) if isinstance(exc, IngestError) else f"{path} not added: {exc}"
                results.append(
                    IngestResult(
                        str(path),
                        "failed",
                        reason=reason,
                        seconds=round(time.perf_counter() - started, 2),
                    )
                )
        return results

    def add_document(
        self, doc: Document, progress: Callable[[int, int], None] | None = None
    ) -> str:
        """Store a document: unchanged if the same content is there, else added or replaced."""
        with store.write_lock(self.path), self._lock:
            old = self._conn.execute(
                "SELECT content_hash FROM documents WHERE doc_id = ?", (doc.doc_id,)
            ).fetchone()
            if old and old[0] == doc.content_hash:
                return "unchanged"
            texts = [embedding_text(c.section, c.display_text) for c in doc.chunks]
            self._write([(doc, self._embed(texts, progress))])
            return "replaced" if old else "added"

    def add_documents(self, items: list[tuple[Document, np.ndarray]]) -> None:
        """Store many documents with vectors already computed (bulk loads) in one write."""
        dim = self.embedder.dim
        for doc, matrix in items:
            if matrix.shape != (len(doc.chunks), dim):
                raise ValueError(
                    f"{doc.doc_id}: {matrix.shape} vectors for {len(doc.chunks)} chunks"
                )
        with store.write_lock(self.path), self._lock:
            self._write(items)

    def _embed(self, texts: list[str], progress: Callable[[int, int], None] | None) -> np.ndarray:
        out = []
        batch = 8
        for start in range(0, len(texts), batch):
            out.append(self.embedder.embed_passages(texts[start : start + batch]))
            if progress:
                progress(min(start + batch, len(texts)), len(texts))
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, self.embedder.dim))

    def _write(
        self, items: list[tuple[Document, np.ndarray]], remove: tuple[str, ...] = ()
    ) -> None:
        """One transaction: replace documents' rows, write the next vector generation, commit."""
        conn = self._conn
        dim = self.embedder.dim if items else int(store.get_meta(conn, "dim", "0"))
        targets = [doc.doc_id for doc, _ in items] + list(remove)
        conn.execute("BEGIN IMMEDIATE")
        try:
            generation = int(store.get_meta(conn, "generation", "0"))
            old_ids = self._delete_documents(targets)
            # Only the current vectors are needed, not a whole snapshot of rows and sentences.
            current = self._snapshot
            if current is not None and current.generation == generation:
                index = current.index
            else:
                stored_dim = int(store.get_meta(conn, "dim", "0") or 0)
                index = (
                    store.read_index(store.faiss_path(self.path, generation), stored_dim)
                    if generation
                    else store.new_index(dim)
                )
            kept_ids, kept_vectors = vectors.all_vectors(index)
            keep = ~np.isin(kept_ids, np.array(old_ids, dtype=np.int64))
            new_ids = [i for doc, _ in items for i in self._insert(doc)]
            crash_point("after-rows")
            index = vectors.build_index(
                np.concatenate([kept_ids[keep], np.array(new_ids, dtype=np.int64)]),
                np.vstack(
                    [kept_vectors[keep].reshape(-1, dim)]
                    + [matrix.reshape(-1, dim) for _, matrix in items]
                ),
                dim,
            )
            store.set_meta(conn, "model_id", self.model_id)
            store.set_meta(conn, "dim", str(dim))
            store.set_meta(conn, "generation", str(generation + 1))
            store.write_index(index, store.faiss_path(self.path, generation + 1))
            crash_point("before-commit")
            conn.execute("COMMIT")
        except (OSError, sqlite3.OperationalError) as exc:  # a full disk: ENOSPC / SQLITE_FULL
            _rollback(conn)
            raise LibraryError(
                f"{self.path}: cannot write the library ({getattr(exc, 'strerror', None) or exc}); "
                "free disk space or check permissions — nothing was changed"
            ) from None
        except BaseException:
            _rollback(conn)
            raise
        crash_point("after-commit")
        store.remove_stale_files(self.path, generation + 1)

    def _delete_documents(self, doc_ids: list[str]) -> list[int]:
        """Delete documents' rows (inside the caller's transaction); the chunk ids removed."""
        conn = self._conn
        old_ids: list[int] = []
        for doc_id in doc_ids:
            ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
            conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(i,) for i in ids])
            for table in ("chunks", "aliases", "documents"):
                conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
            old_ids += ids
        return old_ids

    def _insert(self, doc: Document) -> list[int]:
        """Insert a document's rows, sentences, lexical entries and aliases; its chunk ids."""
        conn = self._conn
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                doc.title,
                doc.source,
                doc.content_hash,
                doc.page_count,
                json.dumps(doc.meta, ensure_ascii=False),
                len(doc.chunks),
                time.time(),
            ),
        )
        ids = []
        for chunk in doc.chunks:
            text = chunk.display_text
            cur = conn.execute(
                "INSERT INTO chunks (doc_id, ordinal, section_json, pages_json, kind, text, prefix)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.doc_id,
                    chunk.ordinal,
                    json.dumps(chunk.section, ensure_ascii=False),
                    json.dumps(chunk.pages),
                    chunk.kind,
                    chunk.text,
                    chunk.prefix,
                ),
            )
            ids.append(cur.lastrowid)
            conn.executemany(
                "INSERT INTO sentences (chunk_id, start, end, tokens, weight) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        cur.lastrowid,
                        start,
                        end,
                        " ".join(tokenize(text[start:end])),
                        sentence_weight(text[start:end]),
                    )
                    for start, end in sentence_spans(text)
                ],
            )
            conn.execute(
                "INSERT INTO chunks_fts (rowid, tokens) VALUES (?, ?)",
                (
                    cur.lastrowid,
                    " ".join(tokenize(lexical_text(chunk.section, chunk.display_text))),
                ),
            )
        pairs = {p for c in doc.chunks for p in mine_aliases(c.text)}
        conn.executemany(
            "INSERT OR IGNORE INTO aliases VALUES (?, ?, ?)",
            [(doc.doc_id, term, name) for term, name in sorted(pairs)],
        )
        return ids

    def reembed(
        self, model: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Re-embed every chunk (optionally with another model) and swap the vectors atomically."""
        model_id = resolve_model_id(model) if model else self.model_id
        embedder = load_embedder(model_id)
        with store.write_lock(self.path), self._lock:
            with store.damaged_library(
                self.path
            ):  # the rows only: the vector file may be the damage
                snap = store.load_snapshot(self._conn, self.path, 1, vectors=False)
            ids = sorted(snap.chunks)
            texts = [embedding_text(snap.chunks[i].section, snap.chunks[i].text) for i in ids]
            previous, self._embedder = self._embedder, embedder
            try:
                new_vectors = self._embed(texts, progress)
            finally:
                self._embedder = previous
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                generation = int(store.get_meta(conn, "generation", "0"))
                index = vectors.build_index(
                    np.array(ids, dtype=np.int64), new_vectors, embedder.dim
                )
                store.set_meta(conn, "model_id", model_id)
                store.set_meta(conn, "dim", str(embedder.dim))
                store.set_meta(conn, "generation", str(generation + 1))
                store.write_index(index, store.faiss_path(self.path, generation + 1))
                crash_point("before-commit")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            self.model_id, self._embedder = model_id, embedder
        crash_point("after-commit")
        store.remove_stale_files(self.path, generation + 1)

    def remove(self, doc_id: str) -> None:
        """Remove a report and its chunks in one step."""
        with store.write_lock(self.path), self._lock:
            if not self._conn.execute(
                "SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone():
                raise LibraryError(f"no report {doc_id} in {self.path}; see `reportqa list`")
            self._write([], remove=(doc_id,))
