"""The vector index: exact below the threshold, IVF above it, checked against exact search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reportqa.index import store, vectors
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.ingest import load_document

SAMPLE_TXT = (
    Path(__file__).parent.parent
    / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
)


def _clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Normalized vectors around a few centres, like bunched sentence embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    points = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("threshold", [10_000, 100])
def test_all_vectors_gives_back_what_was_added(monkeypatch, threshold: int) -> None:
    monkeypatch.setattr(vectors, "APPROX_THRESHOLD", threshold)
    data = _clustered(3000)
    ids = np.arange(5, 3005, dtype=np.int64) * 3
    index = vectors.build_index(ids, data, 32)
    assert vectors.is_approximate(index) == (threshold == 100)
    got_ids, got = vectors.all_vectors(index)
    order = np.argsort(got_ids)
    assert np.array_equal(got_ids[order], ids)
    # half precision, exact or IVF: within float16's rounding (one part in 2,048) and no more
    assert np.allclose(got[order], data, rtol=2**-11, atol=2**-24)
    assert not np.array_equal(got[order], data)
    assert vectors.index_ids(index) == set(ids.tolist())


def test_exact_search_in_half_precision_ranks_as_float32_does() -> None:
    import faiss

    data, queries = _clustered(5000, seed=3), _clustered(50, seed=4)
    ids = np.arange(len(data), dtype=np.int64)
    index = vectors.build_index(ids, data, 32)
    assert isinstance(faiss.downcast_index(index.index), faiss.IndexScalarQuantizer)
    flat = faiss.IndexFlatIP(32)
    flat.add(data)
    got_scores, got = index.search(queries, 10)
    want_scores, want = flat.search(queries, 10)
    assert np.abs(got_scores - want_scores).max() < 1e-3
    assert np.mean(got[:, 0] == want[:, 0]) >= 0.98  # a near tie may swap
    assert np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want, got, strict=True)]) >= 0.98


def test_an_older_float32_index_is_read_and_rewritten_in_half_precision(tmp_path: Path) -> None:
    import faiss

    embedder = FakeEmbedder()
    lib = Library.open(tmp_path / "lib", embedder=embedder)
    lib.ingest([SAMPLE_TXT])
    snap = lib.snapshot()
    ids, stored = vectors.all_vectors(snap.index)
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(stored.shape[1]))  # as earlier versions wrote it
    old.add_with_ids(stored, ids)
    path = store.faiss_path(tmp_path / "lib", int(store.get_meta(lib._conn, "generation")))
    store.write_index(old, path)
    lib = Library.open(tmp_path / "lib", embedder=embedder)
    assert isinstance(faiss.downcast_index(lib.snapshot().index.index), faiss.IndexFlatIP)
    assert lib.check() == []
    question = "RIKEN第五期中長期計畫涵蓋哪幾年？"
    before = [p.chunk_id for p in lib.ask(question, top_k=3).passages]
    other = tmp_path / "other.txt"
    other.write_text("另一份報告\n\n壹、前言\n本報告說明新的交流計畫。", encoding="utf-8")
    lib.ingest([other])  # the next write rebuilds the index in half precision
    index = lib.snapshot().index
    assert isinstance(faiss.downcast_index(index.index), faiss.IndexScalarQuantizer)
    assert lib.check() == []
    kept_ids, kept = vectors.all_vectors(index)
    rows = {i: r for r, i in enumerate(kept_ids.tolist())}
    assert np.abs(kept[[rows[i] for i in ids.tolist()]] - stored).max() < 1e-3
    assert [p.chunk_id for p in lib.ask(question, top_k=3).passages] == before


def test_ivf_recall_against_exact_search(monkeypatch, tmp_path: Path) -> None:
    data = _clustered(20_000, seed=1)
    ids = np.arange(len(data), dtype=np.int64)
    queries = _clustered(50, seed=2)
    exact = vectors.build_index(ids, data, 32)
    monkeypatch.setattr(vectors, "APPROX_THRESHOLD", 1000)
    approx = vectors.build_index(ids, data, 32)
    store.write_index(approx, tmp_path / "v.faiss")
    approx = store.read_index(tmp_path / "v.faiss", 32)  # nprobe and the id map survive a reload
    assert vectors.is_approximate(approx)
    _, want = exact.search(queries, 10)
    _, got = approx.search(queries, 10)
    recall = np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want, got, strict=True)])
    assert recall >= 0.9, recall


def test_a_large_library_switches_to_ivf_and_stays_consistent(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(vectors, "APPROX_THRESHOLD", 100)
    embedder = FakeEmbedder()
    doc = load_document(SAMPLE_TXT)
    texts = [c.display_text for c in doc.chunks]
    variants = [
        (replace(doc, doc_id=f"v{i}", content_hash=f"h{i}"), embedder.embed_passages(texts))
        for i in range(4)
    ]
    lib = Library.open(tmp_path / "lib", embedder=embedder)
    lib.add_documents(variants)
    assert vectors.is_approximate(lib.snapshot().index)
    assert lib.check() == []
    answer = lib.ask("RIKEN第五期中長期計畫涵蓋哪幾年？", top_k=4)
    assert any("2025–2031" in p.text for p in answer.passages)
    lib.remove("v3")
    lib.ingest([SAMPLE_TXT])
    assert lib.check() == []
    assert lib.stats()["documents"] == 4


@pytest.mark.parametrize("whole_up_to", [0, 2**20])  # read by rows; the small file read whole
def test_mapped_sentence_vectors_read_the_same_rows_as_in_memory(
    monkeypatch, tmp_path: Path, whole_up_to: int
):
    from reportqa.index import sentence_vectors

    monkeypatch.setattr(sentence_vectors, "IN_MEMORY_BYTES", whole_up_to)

    rng = np.random.default_rng(3)
    cids = np.sort(rng.integers(0, 60, 500))
    latin = rng.random(500) < 0.3
    table = sentence_vectors.build(
        rng.permutation(500) + 10, cids, _clustered(500, dim=8), 8, latin
    )
    target = tmp_path / "s.npy"
    sentence_vectors.write(table, target)
    monkeypatch.setattr(sentence_vectors, "READ_ROWS", 7)  # the chunk-id column in many blocks
    mapped = sentence_vectors.read(target, 8)
    assert mapped.source is not None  # questions read by pread, not through the map
    for wanted in ([3], [0, 1, 2, 3, 4], [59, 61, -1], list(range(0, 60, 7)), []):
        got, want = mapped.gather(np.array(wanted)), table.gather(np.array(wanted))
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b)
    assert np.array_equal(mapped.chunk_column(), cids)
    assert ("rows" in mapped._column) == (whole_up_to > 0)  # whole only when small enough
    query = _clustered(1, dim=8, seed=9)[0]
    sids, cids_got, cos, flags = mapped.similarities(np.arange(0, 60, 3), query)
    want_sids, want_cids, matrix = table.gather(np.arange(0, 60, 3))
    assert np.array_equal(sids, want_sids) and np.array_equal(cids_got, want_cids)
    rows = table.rows
    by_sid = dict(zip(rows["sid"].tolist(), rows["latin"].astype(bool).tolist(), strict=True))
    assert flags.tolist() == [by_sid[s] for s in sids.tolist()]
    assert np.allclose(cos, matrix @ query, atol=1e-6)  # FAISS's float16 kernel, same numbers
    assert mapped.similarities(np.array([1000]), query)[2].size == 0


def test_sentence_vectors_stay_readable_when_a_writer_removes_the_file(tmp_path: Path):
    """A reader opens the file once: a writer's later removal (a new generation) cannot make
    its questions fail, and a file gone before the open reads as 'read the state again'."""
    from reportqa.index import sentence_vectors

    rng = np.random.default_rng(4)
    cids = np.sort(rng.integers(0, 20, 100))
    table = sentence_vectors.build(np.arange(100), cids, _clustered(100, dim=8), 8, np.zeros(100))
    target = tmp_path / "s.npy"
    sentence_vectors.write(table, target)
    mapped = sentence_vectors.read(target, 8)
    target.unlink()
    for a, b in zip(mapped.gather(np.arange(20)), table.gather(np.arange(20)), strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(mapped.chunk_column(), cids)
    assert sentence_vectors.read(target, 8) is None


def test_an_older_ivf_flat_index_is_still_read() -> None:
    import faiss

    data = _clustered(2000, seed=5)
    ids = np.arange(len(data), dtype=np.int64) * 2
    quantizer = faiss.IndexFlatIP(32)
    old = faiss.IndexIVFFlat(quantizer, 32, 16, faiss.METRIC_INNER_PRODUCT)  # as written before
    old.train(data)
    old.add_with_ids(data, ids)
    assert vectors.is_vector_index(old, 32) and vectors.is_approximate(old)
    got_ids, got = vectors.all_vectors(old)
    order = np.argsort(got_ids)
    assert np.array_equal(got_ids[order], ids) and np.array_equal(got[order], data)
    residual = faiss.IndexIVFScalarQuantizer(
        quantizer, 32, 16, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    assert not vectors.is_vector_index(residual, 32)  # codes of residuals cannot be read back


@pytest.mark.parametrize("mapped", [False, True])
def test_next_generation_keeps_added_and_unremoved_rows_sorted(monkeypatch, tmp_path, mapped):
    from reportqa.index import sentence_vectors

    monkeypatch.setattr(sentence_vectors, "WRITE_ROWS", 7)  # kept rows copied in many blocks
    rng = np.random.default_rng(5)
    cids = np.sort(rng.integers(0, 30, 120))
    vecs = _clustered(120, dim=8)
    flags = rng.random(120) < 0.3
    previous = sentence_vectors.build(np.arange(120) + 1, cids, vecs, 8, flags)
    if mapped:
        sentence_vectors.write(previous, tmp_path / "s.npy")
        previous = sentence_vectors.read(tmp_path / "s.npy", 8)
    # new chunk 12 sits among the kept ones (a reused id), chunk 40 after them
    added = [(500, 40), (501, 12), (502, 40)]
    new_vecs = _clustered(3, dim=8, seed=6)
    got = sentence_vectors.next_generation(
        previous, [3, 7], added, [new_vecs[:1], new_vecs[1:]], 8, lambda s: s % 2 == 0
    )
    keep = ~np.isin(cids, [3, 7])
    want = sentence_vectors.build(
        np.r_[np.arange(120)[keep] + 1, 500, 501, 502],
        np.r_[cids[keep], 40, 12, 40],
        np.vstack([vecs[keep], new_vecs]),
        8,
        np.r_[flags[keep], True, False, True],
    )
    for name in ("sid", "cid", "v", "latin"):
        assert np.array_equal(got.rows[name], want.rows[name]), name


def test_next_index_copies_kept_codes_as_a_rebuild_would_encode_them() -> None:
    vecs, ids = _clustered(300, dim=16), np.arange(300, dtype=np.int64) * 3 + 1
    index = vectors.build_index(ids, vecs, 16)
    removed = ids[::7]
    new_ids, new = np.arange(2000, 2010, dtype=np.int64), _clustered(10, dim=16, seed=8)
    got = vectors.next_index(index, removed, new_ids, [new[:4], new[4:]], 16)
    keep = ~np.isin(ids, removed)
    want = vectors.build_index(np.r_[ids[keep], new_ids], np.vstack([vecs[keep], new]), 16)
    for a, b in zip(vectors.all_vectors(got), vectors.all_vectors(want), strict=True):
        assert np.array_equal(a, b)
    queries = _clustered(5, dim=16, seed=9)
    assert np.array_equal(got.search(queries, 20)[1], want.search(queries, 20)[1])
    assert got.reconstruct(int(ids[1])).shape == (16,)  # ids map back to their vectors
    empty = vectors.next_index(
        vectors.build_index(ids[:0], vecs[:0], 16), removed, new_ids, [new], 16
    )
    assert vectors.index_ids(empty) == set(new_ids.tolist())


def test_next_index_of_an_empty_library_takes_the_first_vectors(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    placeholder = lib.snapshot().index  # before any write: no dimension known yet
    got = vectors.next_index(
        placeholder, np.zeros(0, dtype=np.int64), np.arange(3), [_clustered(3)], 32
    )
    assert got.d == 32 and vectors.index_ids(got) == {0, 1, 2}
