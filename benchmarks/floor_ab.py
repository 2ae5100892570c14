"""Hybrid `ask` against its floor, question by question in one process (robust to a drifting load).

    PYTHONPATH=$PWD python benchmarks/floor_ab.py LIBRARY [ROUNDS]

Per question: the floor (the bare question's embedding + an exact one-thread search of the
library's own vectors at its depth), then a hybrid `ask`, then a dense one. Prints p50/p95 and the
median of the per-question ratios. Run two codes alternately (PYTHONPATH) to compare them.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main() -> int:
    import faiss

    from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set
    from reportqa.index.library import Library

    faiss.omp_set_num_threads(1)
    lib = Library.open(sys.argv[1], create=False)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    questions = [q.question for q in load_eval_set(bundled_eval_set_path())]
    questions = questions[:: max(1, len(questions) // 20)][:20]
    index, embedder = lib.snapshot().index, lib.embedder
    for q in questions:  # warm: the first question reads the sentence vectors' chunk column
        lib.ask(q)
    hybrid, dense, floor = [], [], []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            index.search(embedder.embed_query(q).reshape(1, -1).astype(np.float32), 1000)
            floor.append((time.perf_counter() - started) * 1000)
            hybrid.append(lib.ask(q).took_ms)
            dense.append(lib.ask(q, mode="dense").took_ms)
    h, f = np.array(hybrid), np.array(floor)
    print(json.dumps({
        "library": sys.argv[1],
        "hybrid_p50_ms": round(float(np.median(h)), 1),
        "hybrid_p95_ms": round(float(np.percentile(h, 95)), 1),
        "dense_p50_ms": round(float(np.median(dense)), 1),
        "floor_p50_ms": round(float(np.median(f)), 1),
        "hybrid_over_floor": round(float(np.median(h) / np.median(f)), 2),
        "median_ratio": round(float(np.median(h / f)), 2),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
