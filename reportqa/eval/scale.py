"""`reportqa bench` at scale: variant libraries probed in fresh processes (vector search:
reportqa.eval.bench_ann).

Variant libraries are written with `Library.add_documents`; vector indexes come from
`vectors.build_index`, so both measure what the library itself would build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from reportqa.eval.evalset import load_eval_set
from reportqa.eval.metrics import percentile

LIBRARY_DENSE_DEPTH = 1000  # Library._dense asks FAISS for min(ntotal, 1000) neighbours
PROBE_QUESTIONS = 20  # per mode and library size (every 4th eval question): big libraries are slow
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


def synthetic_vectors(base: np.ndarray, rows: np.ndarray, rng, spread: float = 0.6) -> np.ndarray:
    """Unit vectors near base[rows]: moved along the base's own spread, plus a little noise."""
    base = base.astype(np.float32)
    residuals = base - base.mean(axis=0)
    scale = float(np.linalg.norm(residuals, axis=1).mean()) or 1.0
    mix = rng.normal(0, 1 / np.sqrt(len(base)), (len(rows), len(base))).astype(np.float32)
    noise = rng.normal(0, scale / np.sqrt(base.shape[1]), (len(rows), base.shape[1]))
    x = base[rows] + spread * (mix @ residuals) + 0.5 * spread * noise.astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


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
