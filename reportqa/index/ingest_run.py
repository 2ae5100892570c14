"""One `ingest` call over many files: read each, embed across files, write each on its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import IngestError, ReportQAError
from reportqa.index import store
from reportqa.index.embed_order import text_cost
from reportqa.index.passages import LATE, PASSAGES, EmbedPlan, document_plan, split_vectors
from reportqa.index.read_ahead import read_ahead
from reportqa.ingest import Document, load_document

# Chunk and sentence texts embedded together, across files, sorted by length as one pool
# (reportqa.index.embed_order): the more texts, the less padding.
EMBED_BATCH = 512
READ_AHEAD = 2  # files read and chunked (on a thread of their own) ahead of the embedding


@dataclass
class Pending:
    """A file read and chunked, waiting for its vectors."""

    index: int
    path: str | Path
    doc: Document
    plan: EmbedPlan
    seconds: float  # spent on it so far


@dataclass
class Run:
    """Embedding progress over a whole `ingest` call, in characters of text (`text_cost`)."""

    files: int
    progress: Callable[[int, int], None] | None
    files_read: int = 0
    work_seen: int = 0
    work_done: int = 0
    reported: int = 0

    def add_work(self, cost: int) -> None:
        self.work_seen += cost

    def total(self) -> int:
        """Work to do: exact once every file is read, else extrapolated from those read."""
        if self.files_read >= self.files or not self.files_read:
            return self.work_seen
        return max(self.work_seen, round(self.work_seen * self.files / self.files_read))

    def embed_progress(self, done: int, total: int) -> None:
        if self.progress:
            self.progress(self.work_done + done, self.total())
        if done >= total:
            self.work_done += total


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
    ocr_pages: int = 0  # pages whose text was read by OCR
    unread_pages: int = 0  # scanned pages left unread because Tesseract is not installed


def sentence_kind(conn, embedder) -> str:
    """How this library's sentence vectors are made: as recorded, else as the embedder can.

    A library from before the record (documents, no kind) has separate sentence passages; new
    writes follow the record so that one library never mixes the two (`index --rebuild`
    re-embeds everything the embedder's way).
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'sentence_vector_kind'").fetchone()
    if row:
        return row[0]
    if conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone():
        return PASSAGES
    return LATE if getattr(embedder, "late_chunking", False) else PASSAGES


def _done(path, status: str, doc: Document, seconds: float) -> IngestResult:
    return IngestResult(
        str(path),
        status,
        doc.doc_id,
        len(doc.chunks),
        doc.page_count,
        round(seconds, 2),
        ocr_pages=len(doc.ocr_pages),
        unread_pages=len(doc.unread_pages),
    )


def _failed(path, exc: ReportQAError, seconds: float) -> IngestResult:
    # Library-level failures (locked, read-only, full disk) name the library: say which report
    # was not added, too.
    reason = str(exc) if isinstance(exc, IngestError) else f"{path} not added: {exc}"
    return IngestResult(str(path), "failed", reason=reason, seconds=round(seconds, 2))


class BatchIngest:
    """`ingest` of LibraryWriter (which provides path, _conn, _lock, _embed_spans and _write)."""

    def ingest(
        self,
        paths: Iterable[str | Path],
        doc_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        ocr_progress: Callable[[int, int], None] | None = None,
        on_result: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        """Add or update reports; each file is one all-or-nothing write.

        Files are read and chunked READ_AHEAD ahead, on a thread, while earlier ones embed.
        Chunks of consecutive files are embedded together once EMBED_BATCH texts wait (a
        batched encoder is faster on many texts); each file is written as soon as its vectors
        are ready; a file's sentences are embedded in the same batches as its chunks.
        `progress(done, total)` counts the characters of those texts (chunks and sentences;
        `text_cost`) over the whole run, so that its time left holds while texts of every
        length go at their own speed; `total` is an estimate until every file is read (cost so
        far per file read × files).
        `ocr_progress(done, total)` counts a file's pages read by OCR. `on_result` hears each
        file's result as it is decided, in the order of `paths`.
        """
        paths = list(paths)
        results: list[IngestResult | None] = [None] * len(paths)
        pending: list[Pending] = []
        run = Run(len(paths), progress)

        def decide(index: int, result: IngestResult) -> None:
            results[index] = result
            # Report results in input order: a file waits for those before it.
            while run.reported < len(results) and results[run.reported] is not None:
                if on_result:
                    on_result(results[run.reported])
                run.reported += 1

        def read(path):
            return load_document(path, doc_id=doc_id, ocr_progress=ocr_progress)

        for index, path, doc, seconds in read_ahead(paths, read, READ_AHEAD):
            run.files_read += 1
            if isinstance(doc, ReportQAError):
                decide(index, _failed(path, doc, seconds))
                continue
            started = time.perf_counter() - seconds
            if self._stored_hash(doc.doc_id) == doc.content_hash:
                decide(index, _done(path, "unchanged", doc, time.perf_counter() - started))
                continue
            plan = document_plan(doc, self._sentence_kind() == LATE)
            pending.append(Pending(index, path, doc, plan, time.perf_counter() - started))
            run.add_work(sum(map(text_cost, plan.texts)))
            if sum(len(p.plan.texts) for p in pending) >= EMBED_BATCH:
                self._flush(pending, run, decide)
                pending = []
        self._flush(pending, run, decide)
        return [r for r in results if r is not None]

    def _sentence_kind(self) -> str:
        return sentence_kind(self._conn, self.embedder)

    def _stored_hash(self, doc_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT content_hash FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return row[0] if row else None

    def _flush(self, pending: list[Pending], run: Run, decide) -> None:
        """Embed the pending files' chunks in one go, then write each file on its own."""
        if not pending:
            return
        texts = [t for p in pending for t in p.plan.texts]
        spans = [s for p in pending for s in p.plan.spans]
        started = time.perf_counter()
        try:
            matrix, pooled = self._embed_spans(
                texts, spans, pending[0].plan.late, run.embed_progress
            )
        except ReportQAError as exc:
            for p in pending:
                decide(p.index, _failed(p.path, exc, p.seconds + time.perf_counter() - started))
            return
        per_chunk = (time.perf_counter() - started) / max(len(texts), 1)
        offset = pooled_offset = 0
        for p in pending:
            n, m = len(p.plan.texts), p.plan.count() if p.plan.late else 0
            chunk_vectors, sentence_vectors = split_vectors(
                p.plan, matrix[offset : offset + n], pooled[pooled_offset : pooled_offset + m]
            )
            offset, pooled_offset = offset + n, pooled_offset + m
            written = time.perf_counter()
            try:
                with store.write_lock(self.path), self._lock:
                    old = self._stored_hash(p.doc.doc_id)
                    if old == p.doc.content_hash:
                        status = "unchanged"  # another process stored it meanwhile
                    else:
                        self._write([(p.doc, chunk_vectors, sentence_vectors)])
                        status = "replaced" if old else "added"
            except ReportQAError as exc:
                decide(p.index, _failed(p.path, exc, p.seconds + time.perf_counter() - written))
                continue
            seconds = p.seconds + per_chunk * n + time.perf_counter() - written
            decide(p.index, _done(p.path, status, p.doc, seconds))
