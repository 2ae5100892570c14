"""Do the postings file's BM25 scores equal FTS5's `bm25()` on a library? Prints the worst
relative difference, whether the top 1,000 agree, and both times per query.

    PYTHONPATH=$PWD python benchmarks/bm25_agree.py LIBRARY [QUERIES]

Queries: OR groups of 1-11 terms drawn from the library's 2,000 most frequent ones (the
common terms are the expensive ones), as `Retriever.lexical` builds them.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main() -> int:
    from reportqa.index import bm25
    from reportqa.index.library import Library
    from reportqa.index.retriever import SEARCH_K, Retriever

    lib = Library.open(sys.argv[1], create=False)
    queries = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    conn, rng = lib._conn, np.random.default_rng(1)
    with lib._read_view():
        snap = lib.snapshot()
        if snap.postings is None:
            print("this library has no postings file (run any write or `index --rebuild`)")
            return 1
        retriever = Retriever(conn, snap, lambda q: None, lib.weights)
        vocab = [t for (t,) in conn.execute("SELECT term FROM chunks_vocab ORDER BY doc DESC")]
        worst, differ, fts_s, ours_s = 0.0, 0, 0.0, 0.0
        for _ in range(queries):
            size = int(rng.integers(1, 12))
            terms = sorted(rng.choice(vocab[:2000], size=min(size, len(vocab)), replace=False))
            started = time.perf_counter()
            expected = retriever._fts_bm25(list(terms))
            fts_s += time.perf_counter() - started
            started = time.perf_counter()
            ranges = retriever._term_ranges(list(terms))
            slices = [snap.postings.slice(*ranges[t]) for t in sorted(ranges)]
            scored = bm25.score(slices, snap.postings.n_chunks, snap.postings.total_tokens)
            ids, _ = bm25.top(*scored, SEARCH_K)
            ours_s += time.perf_counter() - started
            ours = dict(zip(scored[0].tolist(), scored[1].tolist(), strict=True))
            for rowid, score in expected:
                worst = max(worst, abs(ours[rowid] - score) / abs(score))
            differ += [r for r, _ in expected] != ids.tolist()
    print(
        f"{queries} queries: worst relative difference {worst:.3g}, top {SEARCH_K} differs in "
        f"{differ}; FTS5 {fts_s * 1000 / queries:.1f} ms, postings {ours_s * 1000 / queries:.2f} "
        "ms a query"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
