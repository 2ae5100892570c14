"""One `ingest` call over many files: files waiting for vectors, and chunk progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportqa.ingest import Document

EMBED_BATCH = 256  # chunk texts embedded together, across files
PROGRESS_STEP = 32  # texts per embed_passages call: one progress tick (a few seconds)


@dataclass
class Pending:
    """A file read and chunked, waiting for its vectors."""

    index: int
    path: str | Path
    doc: Document
    texts: list[str]
    seconds: float  # spent on it so far


@dataclass
class Run:
    """Chunk progress over a whole `ingest` call."""

    files: int
    progress: Callable[[int, int], None] | None
    files_read: int = 0
    chunks_seen: int = 0
    chunks_done: int = 0
    reported: int = 0

    def add_chunks(self, count: int) -> None:
        self.chunks_seen += count

    def total(self) -> int:
        """Chunks to embed: exact once every file is read, else extrapolated from those read."""
        if self.files_read >= self.files or not self.files_read:
            return self.chunks_seen
        return max(self.chunks_seen, round(self.chunks_seen * self.files / self.files_read))

    def chunk_progress(self, done: int, total: int) -> None:
        if self.progress:
            self.progress(self.chunks_done + done, self.total())
        if done >= total:
            self.chunks_done += total
