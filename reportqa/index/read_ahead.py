"""Reading the next files while the current ones embed: a daemon thread, a few files ahead.

Reading a PDF (pypdf, layout, chunking) is single-threaded Python; embedding runs in torch
kernels that release the GIL. On two cores a reader thread keeps the second one busy instead of
leaving the encoder idle between files. Daemon, so Ctrl-C does not wait for a long OCR.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from reportqa.errors import ReportQAError

T = TypeVar("T")
_END = object()


def read_ahead(
    paths: Sequence, read: Callable[[object], T], depth: int
) -> Iterator[tuple[int, object, T | ReportQAError, float]]:
    """(index, path, read(path) or the ReportQAError it raised, seconds) in the order of paths.

    At most `depth` results wait ahead of the consumer; any other exception from `read` is
    raised here, in the consumer's thread. `depth` 0 reads in the caller's thread.
    """
    if depth <= 0:
        for index, path in enumerate(paths):
            yield (index, path, *_timed(read, path))
        return
    results: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for index, path in enumerate(paths):
                if not put((index, path, *_timed(read, path))):
                    return
        except BaseException as exc:  # a bug in a reader: the consumer re-raises it
            put(exc)
            return
        put(_END)

    thread = threading.Thread(target=work, name="reportqa-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := results.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _timed(read: Callable[[object], T], path) -> tuple[T | ReportQAError, float]:
    started = time.perf_counter()
    try:
        return read(path), time.perf_counter() - started
    except ReportQAError as exc:
        return exc, time.perf_counter() - started
