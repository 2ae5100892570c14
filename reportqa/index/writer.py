"""Writing to a library: ingest, replace, remove, re-embed; every write all-or-nothing.

Each write builds the next vector file under a new generation name, fsyncs it, and only then
commits the SQLite transaction that points at it (see reportqa.index.store).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import numpy as np

from reportqa.errors import LibraryError
from reportqa.index import doc_rows, postings, sentence_vectors, store, vectors
from reportqa.index.embed_order import call_slices, embed_order
from reportqa.index.embedders import load_embedder, resolve_model_id
from reportqa.index.ingest_run import (  # noqa: F401 (IngestResult: public API)
    BatchIngest,
    IngestResult,
)
from reportqa.index.passages import (  # noqa: F401 (embedding_text: library.py imports it)
    LATE,
    PASSAGES,
    chunk_plan,
    document_plan,
    embedding_text,
    lexical_text,
    sentence_texts,
    split_vectors,
)
from reportqa.index.rows import latin_flags
from reportqa.index.stages import crash_point
from reportqa.ingest import Document


def _rollback(conn) -> None:
    """Roll back the open write; SQLite has already done so itself after SQLITE_FULL."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class LibraryWriter(BatchIngest):
    """The writing half of Library (which provides path, _conn, _lock, embedder, snapshot)."""

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
            plan = document_plan(doc, self._sentence_kind() == LATE)
            vectors = self._embed_spans(plan.texts, plan.spans, plan.late, progress)
            self._write([(doc, *split_vectors(plan, *vectors))])
            return "replaced" if old else "added"

    def add_documents(self, items: list[tuple]) -> None:
        """Store many documents with vectors already computed (bulk loads) in one write.

        Each item is (document, chunk vectors) or (document, chunk vectors, sentence vectors in
        the order of `sentence_texts(document)`); sentence vectors not given are embedded here.
        """
        dim = self.embedder.dim
        for doc, matrix, *rest in items:
            if matrix.shape != (len(doc.chunks), dim):
                raise ValueError(
                    f"{doc.doc_id}: {matrix.shape} vectors for {len(doc.chunks)} chunks"
                )
            if rest and rest[0].shape != (len(sentence_texts(doc)), dim):
                raise ValueError(f"{doc.doc_id}: {rest[0].shape} sentence vectors")
        with store.write_lock(self.path), self._lock:
            self._write(items)

    def _sentence_vectors(self, items: list[tuple], kind: str) -> list[np.ndarray]:
        """Each document's sentence vectors: given, or embedded (each distinct text once)."""
        if kind == LATE:  # pooled from the chunks' own passes
            return [
                np.asarray(rest[0], dtype=np.float32)
                if rest
                else split_vectors(plan, *self._embed_spans(plan.texts, plan.spans, True, None))[1]
                for doc, _, *rest in items
                for plan in [document_plan(doc, True)]
            ]
        missing = {t for doc, _, *rest in items if not rest for t in sentence_texts(doc)}
        unique = sorted(missing)
        embedded = self._embed(unique, None) if unique else None
        where = {t: k for k, t in enumerate(unique)}
        dim = self.embedder.dim
        out = []
        for doc, _, *rest in items:
            if rest:
                out.append(np.asarray(rest[0], dtype=np.float32).reshape(-1, dim))
            else:
                rows = [where[t] for t in sentence_texts(doc)]
                out.append(embedded[rows] if rows else np.zeros((0, dim), dtype=np.float32))
        return out

    def _embed(self, texts: list[str], progress: Callable[[int, int], None] | None) -> np.ndarray:
        """Vectors of texts (each distinct one embedded once, in calls of similar lengths)."""
        return self._embed_spans(texts, [], False, progress)[0]

    def _embed_spans(
        self,
        texts: list[str],
        spans: list[list[tuple[int, int]]],
        late: bool,
        progress: Callable[[int, int], None] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of texts and, when late, of their spans pooled from the same pass.

        Each distinct text is embedded once, all of them shortest first in calls of about
        CALL_COST characters (see reportqa.index.embed_order); `progress(done, total)` counts
        the characters of `texts` done, duplicates included."""
        dim = self.embedder.dim
        order = embed_order(texts, [(t, tuple(s)) for t, s in zip(texts, spans, strict=True)]
                            if late else None)  # fmt: skip
        rows, pooled, pooled_counts = [np.zeros((0, dim))], [np.zeros((0, dim))], []
        done, total = 0, sum(order.weight)
        for part in call_slices(order, texts):
            picked = order.distinct[part]
            if late:
                vectors, spans_vectors = self.embedder.embed_passages_and_spans(
                    [texts[i] for i in picked], [spans[i] for i in picked]
                )
                pooled.append(spans_vectors)
                pooled_counts += [len(spans[i]) for i in picked]
            else:
                vectors = self.embedder.embed_passages([texts[i] for i in picked])
            rows.append(vectors)
            done += sum(order.weight[part])
            if progress:
                progress(done, total)
        matrix = np.vstack(rows).astype(np.float32)[order.where]
        span_matrix = np.vstack(pooled).astype(np.float32)
        if late:  # each text's span rows, from the rows of its distinct twin
            starts = np.concatenate([[0], np.cumsum(pooled_counts)]).astype(np.int64)
            span_matrix = span_matrix[
                np.concatenate(
                    [np.arange(starts[r], starts[r + 1]) for r in order.where]
                    or [np.zeros(0, dtype=np.int64)]
                )
            ]
        return matrix, span_matrix

    def _write(self, items: list[tuple], remove: tuple[str, ...] = ()) -> None:
        """One transaction: replace documents' rows, write the next vector generation, commit."""
        conn = self._conn
        dim = self.embedder.dim if items else int(store.get_meta(conn, "dim", "0"))
        targets = [doc.doc_id for doc, *_ in items] + list(remove)
        kind = self._sentence_kind()
        sentence_matrices = self._sentence_vectors(items, kind)  # embedded before the lock
        conn.execute("BEGIN IMMEDIATE")
        try:
            generation = int(store.get_meta(conn, "generation", "0"))
            old_ids = doc_rows.delete_documents(self._conn, targets)
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
            inserted = [doc_rows.insert_document(self._conn, doc) for doc, *_ in items]
            new_ids = [i for chunk_ids, _ in inserted for i in chunk_ids]
            crash_point("after-rows")
            index = vectors.next_index(
                index,
                np.array(old_ids, dtype=np.int64),
                np.array(new_ids, dtype=np.int64),
                [matrix for _, matrix, *_ in items],
                dim,
            )
            sentences = self._next_sentence_vectors(
                generation, dim, old_ids, inserted, sentence_matrices
            )
            lexical = postings.next_data(conn, self._postings(generation), old_ids, new_ids)
            store.set_meta(conn, "model_id", self.model_id)
            store.set_meta(conn, "dim", str(dim))
            store.set_meta(conn, "generation", str(generation + 1))
            store.set_meta(conn, "sentence_vectors", "1")
            store.set_meta(conn, "sentence_vector_kind", kind)
            store.set_meta(conn, "postings", "1")
            postings.write(lexical, postings.file_path(self.path, generation + 1))
            sentence_vectors.write(sentences, sentence_vectors.file_path(self.path, generation + 1))
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

    def _postings(self, generation: int) -> postings.Postings | None:
        """The current generation's postings file; None if it has none (an older library)."""
        current = self._snapshot
        if current is not None and current.generation == generation:
            return current.postings
        if not generation or store.get_meta(self._conn, "postings") != "1":
            return None
        return postings.read(postings.file_path(self.path, generation))

    def _next_sentence_vectors(
        self,
        generation: int,
        dim: int,
        old_ids: list[int],
        inserted: list[tuple[list[int], list[tuple[int, int]]]],
        matrices: list[np.ndarray],
    ) -> sentence_vectors.SentenceVectors:
        """The current generation's sentence vectors minus removed chunks, plus the new ones."""
        current = self._snapshot
        if current is not None and current.generation == generation:
            previous = current.sentence_vectors
        elif generation:
            path = sentence_vectors.file_path(self.path, generation)
            previous = sentence_vectors.read(path, int(store.get_meta(self._conn, "dim", "0")))
        else:
            previous = None
        pairs = [pair for _, doc_pairs in inserted for pair in doc_pairs]
        return sentence_vectors.next_generation(
            previous, old_ids, pairs, matrices, dim, lambda sids: latin_flags(self._conn, sids)
        )

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
            chunks = {c.id: c for c in snap.chunks.values()}
            ids = sorted(chunks)
            rows = self._conn.execute(
                "SELECT rowid, chunk_id, start, end FROM sentences ORDER BY rowid"
            ).fetchall()
            units: dict[int, list[tuple[int, int, int]]] = {i: [] for i in ids}
            for rowid, chunk_id, start, end in rows:
                if chunk_id in units:
                    units[chunk_id].append((rowid, start, end))
            kind = LATE if getattr(embedder, "late_chunking", False) else PASSAGES
            plan = chunk_plan(
                [
                    (chunks[i].section, chunks[i].text, snap.titles.get(chunks[i].doc_id, ""))
                    for i in ids
                ],
                kind == LATE,
                [[(a, b) for _, a, b in units[i]] for i in ids],
            )
            previous, self._embedder = self._embedder, embedder
            try:
                embedded = self._embed_spans(plan.texts, plan.spans, plan.late, progress)
            finally:
                self._embedder = previous
            new_vectors, sentence_matrix = split_vectors(plan, *embedded)
            kept = [(rowid, i) for i in ids for rowid, _, _ in units[i]]
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
                store.set_meta(conn, "sentence_vectors", "1")
                store.set_meta(conn, "sentence_vector_kind", kind)
                store.set_meta(conn, "postings", "1")
                postings.write(
                    postings.next_data(conn, None, [], []),
                    postings.file_path(self.path, generation + 1),
                )
                kept_sids = np.array([r[0] for r in kept], dtype=np.int64)
                sentence_vectors.write(
                    sentence_vectors.build(
                        kept_sids,
                        np.array([r[1] for r in kept], dtype=np.int64),
                        sentence_matrix.reshape(-1, embedder.dim),
                        embedder.dim,
                        latin_flags(conn, kept_sids),
                    ),
                    sentence_vectors.file_path(self.path, generation + 1),
                )
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
