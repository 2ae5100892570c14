"""`make bench`: the full `reportqa bench`, results written to benchmarks/out/ (not committed)."""

from __future__ import annotations

import sys
from pathlib import Path

from reportqa.cli import main

OUT = Path(__file__).resolve().parent / "out"

if __name__ == "__main__":
    args = sys.argv[1:] or ["--json", str(OUT / "bench.json"), "--plot", str(OUT / "bench.png")]
    raise SystemExit(main(["bench", *args]))
