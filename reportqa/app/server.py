"""Start the web chat on a Library: safe defaults, uploads kept inside the library."""

from __future__ import annotations

import os
import threading

from reportqa.app.uploads import MAX_UPLOAD_BYTES, upload_dir
from reportqa.errors import ReportQAError
from reportqa.index.library import Library


def serve(
    lib: Library,
    host: str | None = None,
    port: int | None = 7860,
    allow_upload: bool = False,
    top_k: int = 5,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
):
    """Launch without blocking; return (demo, local URL). Close with demo.close()."""
    if allow_upload:
        # Gradio writes uploads to its temp dir before any handler runs: keep it in the library.
        incoming = upload_dir(lib.path) / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        os.environ["GRADIO_TEMP_DIR"] = str(incoming)
    from reportqa.app.service import LibraryService
    from reportqa.app.ui import build_app, launch_options

    service = LibraryService(lib)
    demo = build_app(service, top_k, allow_upload, max_upload_bytes)
    options = launch_options(host, port, allow_upload, max_upload_bytes)
    try:
        _, url, _ = demo.launch(**options)
    except OSError as exc:
        raise ReportQAError(
            f"cannot listen on {options['server_name']}:{port} ({exc}); "
            "pass another --port, or stop what is using it"
        ) from None
    # Only once the page is served: loading the model meanwhile competes with the server's start
    # for the 2 cores (and the GIL); a first question waits for the warm-up's lock instead.
    threading.Thread(target=service.warm_up, name="reportqa-warm-up", daemon=True).start()
    return demo, url
