"""Load (issue 6): 50 concurrent questions to `reportqa app` while another process replaces a
report. Zero errors; every answer is the library's answer in one of its two states.

Throughput and p95 latency are printed and saved to $REPORTQA_ARTIFACTS/load.json (default
artifacts/); they are measurements, not pass/fail thresholds. The questions go on (in rounds of
50) until the report has been replaced at least twice while they ran, so a slow or busy machine
makes the test longer, never red.
"""

import os

os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
)

import json
import math
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from app_process import running_app
from test_reliability import hooked_env, without_timing

from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("REPORTQA_ARTIFACTS") or ROOT / "artifacts")
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
VERSIONS = {
    "A": "壹、 考察行程\n本次考察北海道大學的雪冰研究中心，觀測計畫為期三年，經費新臺幣九百萬元。\n"
    "貳、 建議\n建議與北海道大學簽署雪冰觀測合作備忘錄，每年互派研究人員兩名。\n",
    "B": "壹、 考察行程\n本次考察琉球大學的珊瑚礁研究站，監測計畫為期五年，經費新臺幣六百萬元。\n"
    "貳、 建議\n建議與琉球大學簽署珊瑚礁監測合作備忘錄，每年互派研究人員四名。\n",
}
QUESTIONS = [
    "雪冰研究中心的觀測計畫為期幾年？",
    "珊瑚礁研究站的經費多少？",
    "每年互派幾名研究人員？",
    "RIKEN第五期中長期計畫涵蓋哪幾年？",
    "What does JST's SPRING program fund?",
]
THREADS, PER_THREAD, TOP_K = 10, 5, 5  # 50 questions a round
ROUNDS = 20  # at most; rounds stop once the report was replaced twice meanwhile
DOC = "field-trip"

# Replaces report DOC with version A, B, A, ... until told to stop (bounded in count and time).
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from reportqa.index.library import Library
    lib = Library.open(sys.argv[1])
    files, stop = [Path(sys.argv[2]), Path(sys.argv[3])], Path(sys.argv[4])
    deadline = time.monotonic() + 1800  # a hang guard: the test tells it to stop
    n = 0
    while not stop.exists() and time.monotonic() < deadline and n < 20000:
        [result] = lib.ingest([files[n % 2]], doc_id="field-trip")
        assert result.status == "replaced", result
        n += 1
        print(n, flush=True)
    """
)


def versions(src: Path) -> dict[str, Path]:
    paths = {}
    for name, text in VERSIONS.items():
        paths[name] = src / f"{DOC}-{name}.txt"
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The sample report plus DOC, and the answers to every question in each state of DOC."""
    path = tmp_path_factory.mktemp("load") / "lib"
    files = versions(tmp_path_factory.mktemp("src"))
    expected: dict[str, dict[str, dict]] = {}
    with Library.open(path, embedder=FakeEmbedder()) as lib:
        lib.ingest([SAMPLE_TXT])
        for name in ["A", "B", "A", "B"]:  # twice: a state's answers must not depend on history
            [result] = lib.ingest([files[name]], doc_id=DOC)
            assert result.status in ("added", "replaced")
            answers = {q: without_timing(lib.ask(q, top_k=TOP_K).to_dict()) for q in QUESTIONS}
            assert expected.setdefault(name, answers) == answers
    assert expected["A"] != expected["B"]
    return path, files, expected


@pytest.mark.slow
def test_50_concurrent_questions_while_a_report_is_replaced(library, tmp_path):
    from gradio_client import Client

    path, files, expected = library
    env = hooked_env(tmp_path)
    stop = tmp_path / "stop"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    with running_app(path, env=env) as running:
        url, app = running.url, running.proc
        clients = [Client(url, verbose=False) for _ in range(THREADS)]
        writer = subprocess.Popen(
            [sys.executable, str(script), str(path), str(files["A"]), str(files["B"]), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            replaced = [0]

            def count() -> None:
                for line in writer.stdout:
                    replaced[0] = int(line)

            threading.Thread(target=count, daemon=True).start()
            deadline = time.monotonic() + 300  # a hang guard, not a speed limit
            while replaced[0] < 3 and time.monotonic() < deadline and writer.poll() is None:
                time.sleep(0.01)  # the writer is going
            assert replaced[0] >= 3, writer.stderr.read() if writer.poll() is not None else ""

            def ask(k: int) -> list[tuple[str, float, dict | str]]:
                out = []
                for i in range(PER_THREAD):
                    question = QUESTIONS[(k + i) % len(QUESTIONS)]
                    started = time.perf_counter()
                    try:
                        job = clients[k].submit(question, TOP_K, [], api_name="/ask")
                        answer = job.result(timeout=300)  # a hang guard
                    except Exception as exc:
                        answer = f"{type(exc).__name__}: {exc}"
                    out.append((question, time.perf_counter() - started, answer))
                return out

            replaced_before = replaced[0]
            started = time.perf_counter()
            results = []
            with ThreadPoolExecutor(THREADS) as pool:
                for _ in range(ROUNDS):
                    results += [r for batch in pool.map(ask, range(THREADS)) for r in batch]
                    if replaced[0] - replaced_before >= 2 or writer.poll() is not None:
                        break
            wall = time.perf_counter() - started
            replaced_during = replaced[0] - replaced_before
        finally:
            stop.touch()
            writer.wait(600)
        assert writer.returncode == 0, writer.stderr.read()
        assert app.poll() is None, "the app died"

    errors = [(q, a) for q, _, a in results if isinstance(a, str)]
    assert errors == [], errors[:3]
    assert results and len(results) % (THREADS * PER_THREAD) == 0
    states = []
    for question, _, answer in results:
        state = [
            name
            for name, answers in expected.items()
            if answers[question] == without_timing(answer)
        ]
        assert state, (
            f"answer to {question!r} matches no state of the library: "
            f"{json.dumps(without_timing(answer), ensure_ascii=False)[:3000]} \nA: "
            f"{json.dumps(expected['A'][question], ensure_ascii=False)[:3000]} \nB: "
            f"{json.dumps(expected['B'][question], ensure_ascii=False)[:3000]}"
        )
        states.append(state[0])
    assert replaced_during >= 2, "the report was not replaced while questions were answered"
    latencies = sorted(seconds for _, seconds, _ in results)
    figures = {
        "questions": len(results),
        "threads": THREADS,
        "seconds": round(wall, 3),
        "throughput_qps": round(len(results) / wall, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p95_ms": round(latencies[math.ceil(0.95 * len(latencies)) - 1] * 1000, 1),
        "latency_max_ms": round(latencies[-1] * 1000, 1),
        "replacements_during": replaced_during,
        "answers_from_state": {name: states.count(name) for name in expected},
        "model": "fake",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nload: {json.dumps(figures)}")
