"""`reportqa bench`'s vector search: the library's own index (exact, or IVF above its threshold)
against exact search at each size: time, recall@10, build time, and where exact stops paying."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import numpy as np

from reportqa.eval.metrics import percentile
from reportqa.eval.scale import LIBRARY_DENSE_DEPTH, synthetic_vectors

RECALL_TARGET = 0.95  # the library's index must find this share of the exact top 10
NPROBE_SWEEP = (16, 64)  # other settings of the library's IVF index, for its margin
VECTOR_METHOD = (
    "vectors drawn around the sample's chunk vectors (the perturbation of the scale libraries); "
    "the library's index = `vectors.build_index` as a write builds it (faiss's default threads); "
    "exact = the same call with the threshold raised above n; queries = the eval questions "
    "embedded by the model, one at a time on one faiss thread (as the library searches), at the "
    "library's depth, one pass; recall@10 = share of the exact top 10 that the library's index "
    "also returns in its top 10."
)


def recall_at(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of each exact top-k list that the approximate top-k also holds."""
    return float(
        np.mean([len(set(f[:k]) & set(e[:k])) / k for f, e in zip(found, exact, strict=True)])
    )


def exact_search_limit(
    sizes: Sequence[int], flat_ms: Sequence[float], budget_ms: float
) -> int | None:
    """Vectors at which exact search reaches the budget: a line through the origin, as a scan is."""
    n, t = np.asarray(sizes, float), np.asarray(flat_ms, float)
    slope = float(n @ t / (n @ n)) if len(n) and n @ n > 0 else 0.0
    return int(budget_ms / slope) if slope > 0 else None


@contextlib.contextmanager
def approx_threshold(threshold: int | None):
    """Within it, the library switches to IVF at `threshold` vectors (None: at its own)."""
    from reportqa.index import vectors

    original = vectors.APPROX_THRESHOLD
    if threshold is not None:
        vectors.APPROX_THRESHOLD = threshold
    try:
        yield vectors.APPROX_THRESHOLD
    finally:
        vectors.APPROX_THRESHOLD = original


def search_p50_ms(index, queries: np.ndarray, k: int) -> float:
    """p50 time of one search per query, in ms (one pass)."""
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50)


def _timed_build(ids: np.ndarray, x: np.ndarray):
    from reportqa.index import vectors

    started = time.perf_counter()
    index = vectors.build_index(ids, x, x.shape[1])
    return index, round(time.perf_counter() - started, 3)


def _describe(index) -> str:
    from reportqa.index import vectors

    if vectors.is_approximate(index):
        return f"IVF nlist {index.nlist} nprobe {index.nprobe}"
    return "exact"


def _nprobe_sweep(index, queries: np.ndarray, k: int, truth: np.ndarray) -> list[dict]:
    """The library's IVF index at other nprobe settings: how much recall margin it has."""
    chosen, out = index.nprobe, []
    try:
        for nprobe in NPROBE_SWEEP:
            index.nprobe = min(nprobe, index.nlist)
            out.append(
                {"index": f"IVF nprobe {index.nprobe}", "kind": "same IVF", "build_s": None,
                 "p50_ms": round(search_p50_ms(index, queries, k), 3),
                 "recall@10": round(recall_at(index.search(queries, k)[1], truth), 3)}
            )  # fmt: skip
    finally:
        index.nprobe = chosen
    return out


def bench_vector_search(
    base, queries, sizes, budget_ms: float, chunks_per_report: int, threads: int, rng, log
) -> dict:
    """The library's own index against exact search at each size: time, recall, build, kind."""
    import faiss

    from reportqa.index import vectors

    threshold = vectors.APPROX_THRESHOLD
    rows = []
    for n in sizes:
        x = synthetic_vectors(base, rng.integers(0, len(base), n), rng)
        ids = np.arange(n, dtype=np.int64)
        k = min(LIBRARY_DENSE_DEPTH, n)
        faiss.omp_set_num_threads(threads)  # a write builds on faiss's default threads
        index, build_s = _timed_build(ids, x)
        with approx_threshold(n + 1):
            exact, exact_build_s = _timed_build(ids, x)
        all_threads_ms = search_p50_ms(exact, queries, k)
        faiss.omp_set_num_threads(1)  # as Library._dense searches
        truth = exact.search(queries, k)[1]
        library = {
            "index": "library index", "kind": _describe(index), "build_s": build_s,
            "p50_ms": round(search_p50_ms(index, queries, k), 3),
            "recall@10": round(recall_at(index.search(queries, k)[1], truth), 3),
        }  # fmt: skip
        approximate = vectors.is_approximate(index)
        sweep = _nprobe_sweep(index, queries, k, truth) if approximate else []
        # flat_* = the exact index on one thread and on all of faiss's (plot_bench reads these keys)
        rows.append(
            {"chunks": n, "approximate": approximate, "exact_build_s": exact_build_s,
             "flat_1thread_p50_ms": round(search_p50_ms(exact, queries, k), 3),
             "flat_p50_ms": round(all_threads_ms, 3), "candidates": [library, *sweep]}
        )  # fmt: skip
        log(f"  vectors {n:>7}: library {library['kind']}, recall@10 {library['recall@10']}")
    return {
        "method": VECTOR_METHOD, "depth": LIBRARY_DENSE_DEPTH, "recall_target": RECALL_TARGET,
        "threshold": threshold, "faiss_threads": threads, "budget_ms": round(budget_ms, 2),
        "rows": rows, **_summary(rows, threshold, budget_ms, chunks_per_report),
    }  # fmt: skip


def _summary(rows: list[dict], threshold: int, budget_ms: float, per_report: int) -> dict:
    """Where the library switches, where exact search would stop paying, and the recall above."""
    sizes = [r["chunks"] for r in rows]
    limit = exact_search_limit(sizes, [r["flat_1thread_p50_ms"] for r in rows], budget_ms)
    per_report = max(per_report, 1)

    def where(n: int | None) -> str:
        return "never" if n is None else f"~{n:,} vectors (~{n // per_report:,} reports)"

    text = (
        f"the library switches to IVF at {threshold:,} vectors (~{threshold // per_report:,} "
        f"reports like the sample); exact search (k={LIBRARY_DENSE_DEPTH}, one thread) costs as "
        f"much as embedding the question ({budget_ms:.1f} ms) at {where(limit)}"
        + (" (extrapolated)" if (limit or 0) > max(sizes, default=0) else "")
    )
    above = [r for r in rows if r["approximate"]]
    ok = None
    if above:
        worst = min(above, key=lambda r: r["candidates"][0]["recall@10"])
        lib = worst["candidates"][0]
        ok = lib["recall@10"] >= RECALL_TARGET
        text += (
            f"; above the switch its index keeps recall@10 >= {lib['recall@10']} "
            f"({'meets' if ok else 'BELOW'} the target {RECALL_TARGET}; worst at "
            f"{worst['chunks']:,} vectors: {lib['p50_ms']} ms vs exact "
            f"{worst['flat_1thread_p50_ms']} ms, build {lib['build_s']} s)"
        )
    else:
        text += "; no size above the switch was measured (add one to --ann-sizes)"
    return {"exact_limit_vectors": limit, "meets_recall_target": ok, "summary": text}


def format_vector_search(a: dict) -> list[str]:
    """The vector-search section as printed lines."""
    out = [
        f"Vector search: the library's own index vs exact (IVF from {a['threshold']:,} vectors)",
        f"  k = {a['depth']} (the library's depth), one query at a time on one faiss thread; "
        f"exact also on {a['faiss_threads']} threads",
        f"  {'vectors':>9}  {'index':<26}{'build s':>8}{'p50 ms':>9}{'recall@10':>10}"
        f"{'exact build s':>15}{'p50 ms':>8}{str(a['faiss_threads']) + ' thr ms':>10}",
    ]
    for row in a["rows"]:
        lib, *sweep = row["candidates"]
        out.append(
            f"  {row['chunks']:>9,}  {lib['kind']:<26}{lib['build_s']:>8.2f}{lib['p50_ms']:>9.2f}"
            f"{lib['recall@10']:>10.3f}{row['exact_build_s']:>15.2f}"
            f"{row['flat_1thread_p50_ms']:>8.2f}{row['flat_p50_ms']:>10.2f}"
        )
        for cand in sweep:
            out.append(
                f"  {'':>9}  {'  same, ' + cand['index']:<26}{'':>8}{cand['p50_ms']:>9.2f}"
                f"{cand['recall@10']:>10.3f}"
            )
    return out
