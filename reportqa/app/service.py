"""One shared Library for every browser tab and API call, one request at a time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from reportqa.index.library import Answer, IngestResult, Library


class LibraryService:
    """Serialises calls into the Library: its SQLite connection and embedder are shared."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.lib.path

    def ask(self, question: str, top_k: int = 5, doc_ids: list[str] | None = None) -> Answer:
        with self._lock:
            return self.lib.ask(question, top_k=top_k, doc_ids=doc_ids or None)

    def documents(self) -> list[dict]:
        with self._lock:
            return self.lib.documents()

    def ingest(
        self, path: Path, doc_id: str, progress: Callable[[int, int], None] | None = None
    ) -> IngestResult:
        with self._lock:
            [result] = self.lib.ingest([path], doc_id=doc_id, progress=progress)
            return result

    def warm_up(self) -> None:
        """Load the model and tokenizer now, so the first question is as fast as the rest.

        Best effort: a problem with the library shows up, as a message, on the first question.
        """
        with self._lock:
            try:
                self.lib.ask("warm up 暖機", top_k=1)
            except Exception as exc:
                print(f"reportqa app: warm-up skipped ({type(exc).__name__})", file=sys.stderr)
