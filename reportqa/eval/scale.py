"""`reportqa bench` at scale: variant libraries probed in fresh processes, and vector search.

Variant libraries are written with `Library.add_documents`; vector indexes come from
`vectors.build_index`, so both measure what the library itself would build.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from reportqa.eval.evalset import load_eval_set
from reportqa.eval.metrics import percentile

LIBRARY_DENSE_DEPTH = 1000  # Library._dense asks FAISS for min(ntotal, 1000) neighbours
PROBE_QUESTIONS = 20  # per mode and library size (every 4th eval question): big libraries are slow
RECALL_TARGET = 0.95  # the library's index must find this share of the exact top 10
NPROBE_SWEEP = (16, 64)  # other settings of the library's IVF index, for its margin
SCALE_METHOD = (
    "variant i of the sample keeps its text and chunks, gets its own doc id, title and content "
    "hash, and chunk vectors = the sample's vectors from the model + a Gaussian perturbation in "
    "the span of their own spread (variant 0 is the sample itself), all written in one "
    "`Library.add_documents` call; nothing is re-embedded; questions use the model's query "
    "embedder. Texts are copies, so every lexical match repeats N times: a worst case for FTS."
)
SHUFFLED_METHOD = (
    "report i takes the shape (sections, pages, chunk lengths) of one source document (the "
    "sample and the shared real PDFs in turn) and refills every chunk with sentences drawn at "
    "random from all sources, so texts differ across reports; chunk vectors = the model's "
    "vectors of the sample's chunks + a Gaussian perturbation in the span of their spread; all "
    "written in one `Library.add_documents` call; questions use the model's query embedder; "
    "floor = the query embedding + exact one-thread float32 search over as many vectors; x floor "
    "= p50 of hybrid `ask` / p50 of the floor, each question's two timed back to back."
)
VECTOR_METHOD = (
    "vectors drawn around the sample's chunk vectors (the perturbation of the scale libraries); "
    "the library's index = `vectors.build_index` as a write builds it (faiss's default threads); "
    "exact = the same call with the threshold raised above n; queries = the eval questions "
    "embedded by the model, one at a time on one faiss thread (as the library searches), at the "
    "library's depth, one pass; recall@10 = share of the exact top 10 that the library's index "
    "also returns in its top 10."
)


def synthetic_vectors(base: np.ndarray, rows: np.ndarray, rng, spread: float = 0.6) -> np.ndarray:
    """Unit vectors near base[rows]: moved along the base's own spread, plus a little noise."""
    base = base.astype(np.float32)
    residuals = base - base.mean(axis=0)
    scale = float(np.linalg.norm(residuals, axis=1).mean()) or 1.0
    mix = rng.normal(0, 1 / np.sqrt(len(base)), (len(rows), len(base))).astype(np.float32)
    noise = rng.normal(0, scale / np.sqrt(base.shape[1]), (len(rows), base.shape[1]))
    x = base[rows] + spread * (mix @ residuals) + 0.5 * spread * noise.astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


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


def offline_env() -> dict:
    from reportqa.offline import OFFLINE_ENV

    return {**os.environ, **OFFLINE_ENV}


# ----- variant libraries ------------------------------------------------------------------------
def with_vectors(doc, chunk_vectors: np.ndarray, base: np.ndarray, rng) -> tuple:
    """An `add_documents` item: the document, its chunk vectors, and sentence vectors drawn
    near the model's chunk vectors (embedding every sentence would take hours here)."""
    from reportqa.index.writer import sentence_texts

    rows = rng.integers(0, len(base), len(sentence_texts(doc)))
    return doc, chunk_vectors, synthetic_vectors(base, rows, rng)


def variants(doc, vectors: np.ndarray, copies: int, rng) -> list[tuple]:
    """`copies` variants of a document with their vectors; variant 0 is the document itself."""
    rows = np.arange(len(doc.chunks))
    return [
        with_vectors(
            replace(
                doc,
                doc_id=f"{doc.doc_id}-v{i:04d}",
                title=f"{doc.title} (variant {i})",
                content_hash=f"{doc.content_hash}-{i}",
            ),
            vectors if i == 0 else synthetic_vectors(vectors, rows, rng),
            vectors,
            rng,
        )
        for i in range(copies)
    ]


def build_variant_library(
    path: Path, doc, vectors: np.ndarray, copies: int, embedder, rng
) -> float:
    """Write `copies` variants of a document in one `add_documents` write; its seconds."""
    from reportqa.index.library import Library

    items = variants(doc, vectors, copies, rng)
    started = time.perf_counter()
    with Library.open(path, embedder=embedder) as lib:
        lib.add_documents(items)
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    """Peak resident memory of this process; VmHWM, as ru_maxrss carries the parent's over exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def probe_library(path: str, eval_set: str, top_k: int = 5) -> dict:
    """Run in a fresh process: open a library, answer questions in each mode, report peak memory."""
    from reportqa.index import vectors
    from reportqa.index.library import Library

    started = time.perf_counter()
    lib = Library.open(path, create=False)
    snap = lib.snapshot()
    open_s = time.perf_counter() - started
    items = load_eval_set(eval_set)
    items = items[:: max(1, len(items) // PROBE_QUESTIONS)][:PROBE_QUESTIONS]
    questions = [q.question for q in items]
    started = time.perf_counter()
    lib.ask(questions[0], top_k=top_k)
    first_s = time.perf_counter() - started
    modes = {}
    for mode in ("dense", "lexical", "hybrid"):
        times = [lib.ask(q, top_k=top_k, mode=mode).took_ms for q in questions]
        modes[mode] = {
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
        }
    # The library's memory: open and questions. The floor below builds its own index of as many
    # random vectors, which is the bench's memory, not the library's.
    peak_mb = peak_rss_mb()
    from reportqa.eval.bench_speed import floor_ms

    floor = floor_ms(lib.embedder, questions, lib.stats(), lib, [q.lang for q in items])
    return {
        "open_s": round(open_s, 3),
        "floor_p50_ms": floor["p50_ms"],
        "floor_p95_ms": floor["p95_ms"],
        "hybrid_over_floor": floor["ratio"],  # each question's ask and floor back to back
        "floor_by_lang": floor["by_lang"],
        "first_answer_s": round(first_s, 3),
        "index": "IVF" if vectors.is_approximate(snap.index) else "exact",
        "questions": len(questions),
        "query_p50_ms": modes["hybrid"]["p50_ms"],
        "query_p95_ms": modes["hybrid"]["p95_ms"],
        "modes": modes,
        "peak_rss_mb": round(peak_mb, 1),
        "problems": lib.check(),
    }


def run_probe(path: Path, eval_set: Path) -> dict:
    """`probe_library` in a fresh Python process (its memory and open time are the library's)."""
    code = (
        "import json, sys; from reportqa.eval.scale import probe_library; "
        "print(json.dumps(probe_library(sys.argv[1], sys.argv[2])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(eval_set)],
        capture_output=True, text=True, check=True, env=offline_env(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_shuffled_library(
    path: Path, sources: list, vectors: np.ndarray, count: int, embedder, rng
) -> float:
    """Write `count` shuffled-sentence reports (corpus.shuffled_reports) in one write; seconds.

    Chunk vectors are drawn near the model's vectors of real chunks (`synthetic_vectors`), as
    embedding tens of thousands of chunks would take hours here.
    """
    from reportqa.eval.corpus import shuffled_reports
    from reportqa.index.library import Library

    docs = shuffled_reports(sources, count, seed=int(rng.integers(1 << 30)))
    items = [
        with_vectors(
            d, synthetic_vectors(vectors, rng.integers(0, len(vectors), len(d.chunks)), rng),
            vectors, rng,
        )
        for d in docs
    ]  # fmt: skip
    started = time.perf_counter()
    with Library.open(path, embedder=embedder) as lib:
        lib.add_documents(items)
    return time.perf_counter() - started


def bench_scale(
    doc, vectors, embedder, sizes, work: Path, eval_set: Path, rng, log, sources=None
) -> dict:
    """Query time, peak memory and the cost of adding one report as the library grows."""
    from reportqa.index.library import Library

    rows = []
    for copies in sizes:
        path = work / f"scale-{copies}"
        if sources:
            build_s = build_shuffled_library(path, sources, vectors, copies, embedder, rng)
        else:
            build_s = build_variant_library(path, doc, vectors, copies, embedder, rng)
        index_mb = sum(f.stat().st_size for f in path.glob("vectors-*.faiss")) / 2**20
        probe = run_probe(path, eval_set)
        with Library.open(path, embedder=embedder) as lib:
            chunks = lib.stats()["chunks"]
            started = time.perf_counter()
            added = replace(doc, doc_id=f"{doc.doc_id}-added")
            lib.add_documents([with_vectors(added, vectors, vectors, rng)])
            add_s = time.perf_counter() - started
        rows.append(
            {"reports": copies, "chunks": chunks, "build_s": round(build_s, 2),
             **probe, "add_report_s": round(add_s, 3), "faiss_file_mb": round(index_mb, 1)}
        )  # fmt: skip
        log(f"  scale {copies:>5} reports: query p50 {probe['query_p50_ms']} ms")
    return {"method": SHUFFLED_METHOD if sources else SCALE_METHOD, "rows": rows}


# ----- vector search ----------------------------------------------------------------------------
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
