"""Start `reportqa app` as a user does, for the tests that drive it over HTTP or a browser."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)  # what the app printed
    printed_s: float = 0.0  # start → URL printed
    served_s: float = 0.0  # start → first page served


@contextlib.contextmanager
def running_app(library: Path, *options: str, env: dict | None = None):
    """`reportqa --library LIB app --port P [options]` on 127.0.0.1, stopped afterwards."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportqa", "--library", str(library), "app", "--port", str(port),
         *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=(os.environ if env is None else env)
        | {"PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    app = RunningApp(f"http://127.0.0.1:{port}/", proc)
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            app.lines.append(line)
            if line.startswith("reportqa app: http"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(300), "".join(app.lines)  # a hang guard, not a speed limit
        app.printed_s = time.perf_counter() - started
        deadline = time.monotonic() + 300
        while httpx.get(app.url, timeout=300).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        app.served_s = time.perf_counter() - started
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# The `ask --json` passage keys, as DESIGN.md's contract lists them (written out, not derived
# from the code, so a changed dataclass fails the tests).
PASSAGE_KEYS = {
    "rank", "doc_id", "title", "section", "pages", "text", "highlight", "score", "chunk_id", "ocr"
}  # fmt: skip
ANSWER_KEYS = {"question", "took_ms", "passages", "answer"}
ANSWER_LINE_KEYS = {"text", "chunk_id", "start", "end"}


@contextlib.contextmanager
def served(lib, **options):
    """An in-process app on 127.0.0.1 (reportqa.app.server.serve), closed afterwards.

    serve() points GRADIO_TEMP_DIR into the library for uploads; the test process gets its own
    value back so later tests are unaffected.
    """
    from reportqa.app.server import serve

    saved = os.environ.get("GRADIO_TEMP_DIR")
    demo, url = serve(lib, "127.0.0.1", free_port(), **options)
    try:
        yield demo, url
    finally:
        demo.close()
        if saved is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved
