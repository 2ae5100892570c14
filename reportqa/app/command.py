"""`reportqa app`: registered on the CLI's subparsers (thin; the app lives in reportqa.app)."""

from __future__ import annotations

import argparse
import sys
import time

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_app_command(sub: argparse._SubParsersAction) -> None:
    """Register `reportqa app`."""
    p = sub.add_parser("app", help="the web chat over the library (http://127.0.0.1:7860)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    p.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    p.add_argument(
        "--allow-upload",
        action="store_true",
        help="let browser users add reports to the library (off by default)",
    )
    p.add_argument("--top-k", type=int, default=5, help="passages shown per answer (default 5)")
    p.set_defaults(func=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if not 1 <= args.top_k <= 50:
        print("reportqa: error: --top-k must be between 1 and 50", file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print("reportqa: error: --port must be between 1 and 65535", file=sys.stderr)
        return 2
    from reportqa.offline import force_offline

    force_offline()
    from reportqa.app.server import serve
    from reportqa.index.library import Library

    lib = Library.open(args.library, create=True)
    demo, url = serve(lib, args.host, args.port, args.allow_upload, args.top_k)
    reports = len(lib.documents())
    print(
        f"reportqa app: {url} — {reports} report{'s' if reports != 1 else ''} in {lib.path}; "
        f"uploads {'on' if args.allow_upload else 'off'}; "
        f"ready in {time.perf_counter() - started:.1f} s. Ctrl+C to stop.",
        flush=True,
    )
    if args.host not in LOOPBACK:
        print(
            f"reportqa app: listening on {args.host}: anyone who can reach this machine can "
            "read the reports in this library",
            file=sys.stderr,
            flush=True,
        )
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("reportqa app: stopped", file=sys.stderr)
    finally:
        demo.close()
    return 0
