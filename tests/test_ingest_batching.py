"""`ingest` over many files: embedded together across files, each file its own write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import LibraryError
from reportqa.index import ingest_run, writer
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library, embedding_text
from reportqa.index.passages import document_plan
from reportqa.ingest import load_document
from reportqa.progress import eta_seconds, format_bar, format_duration

REPORT = """\
第{n}號出國報告
壹、 目的
本次第{n}號訪問旨在交流{topic}研究，並討論雙邊合作計畫。
貳、 紀要
一、 {topic}研發
雙方介紹{topic}研發進度，預計於{year}年完成原型。
二、 人才交流
雙方同意每年互派{n}名博士生。
"""
TOPICS = ["量子", "材料", "海洋", "地震", "天文", "數學"]


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, remembering how many passages each call embedded."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed_passages(self, texts):
        self.calls.append(len(texts))
        return super().embed_passages(texts)


def reports(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"report-{n}.txt"
        topic = TOPICS[n % len(TOPICS)]
        path.write_text(REPORT.format(n=n + 1, topic=topic, year=2026 + n), encoding="utf-8")
        paths.append(path)
    return paths


def stored_vectors(lib: Library, doc_id: str) -> np.ndarray:
    snap = lib.snapshot()
    rows = sorted((c.ordinal, i) for i, c in snap.chunks.items() if c.doc_id == doc_id)
    return np.stack([snap.index.reconstruct(i) for _, i in rows])


def test_files_are_embedded_together_and_each_gets_its_own_vectors(tmp_path):
    paths = reports(tmp_path / "src", 6)
    embedder = RecordingEmbedder()
    lib = Library.open(tmp_path / "lib", embedder=embedder)
    results = lib.ingest(paths)
    assert [r.status for r in results] == ["added"] * 6
    assert [r.path for r in results] == [str(p) for p in paths]
    # Each file's chunks and sentences, embedded once each, in calls that span files.
    per_file = [len(document_plan(load_document(p), False).texts) for p in paths]
    assert len(embedder.calls) < len(paths)
    assert max(embedder.calls) > max(per_file)
    assert sum(embedder.calls) == sum(per_file)
    for path in paths:
        doc = load_document(path)
        texts = [embedding_text(c.section, c.display_text, doc.title) for c in doc.chunks]
        assert np.allclose(stored_vectors(lib, doc.doc_id), FakeEmbedder().embed_passages(texts))
    assert lib.check() == []
    assert lib.ask("海洋研發進度", top_k=1).passages[0].doc_id == "report-2"


def test_a_bad_file_or_a_failed_write_fails_alone_and_results_keep_their_order(
    tmp_path, monkeypatch
):
    paths = reports(tmp_path / "src", 4)
    bad = tmp_path / "src" / "empty.txt"
    bad.write_text("", encoding="utf-8")
    paths.insert(1, bad)
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    write = writer.LibraryWriter._write

    def refuse_report_3(self, items, remove=()):
        if any(doc.doc_id == "report-3" for doc, *_ in items):
            raise LibraryError("disk full (simulated)")
        return write(self, items, remove)

    monkeypatch.setattr(writer.LibraryWriter, "_write", refuse_report_3)
    heard = []
    results = lib.ingest(paths, on_result=heard.append)
    assert heard == results
    assert [r.status for r in results] == ["added", "failed", "added", "added", "failed"]
    assert "empty.txt" in results[1].reason
    assert "report-3" in results[4].reason and "disk full" in results[4].reason
    assert sorted(d["doc_id"] for d in lib.documents()) == ["report-0", "report-1", "report-2"]
    assert lib.check() == []
    again = lib.ingest(paths[:1])
    assert [r.status for r in again] == ["unchanged"]


def test_progress_counts_every_text_of_the_run_once(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_run, "EMBED_BATCH", 8)
    monkeypatch.setattr(writer, "PROGRESS_STEP", 3)
    paths = reports(tmp_path / "src", 5)
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    seen = []
    lib.ingest(paths, progress=lambda done, total: seen.append((done, total)))
    texts = sum(len(document_plan(load_document(p), False).texts) for p in paths)  # with sentences
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and seen[-1] == (texts, texts)
    assert all(d <= t for d, t in seen)


def test_the_bar_shows_counts_and_time_left():
    assert format_duration(4) == "4 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(7620) == "2 h 07 min"
    assert eta_seconds(0, 10, 5.0) is None
    assert eta_seconds(25, 100, 10.0) == pytest.approx(30.0)
    line = format_bar(25, 100, 10.0, note="2/8 files", width=8)
    assert line == "██······ 25/100 chunks · 30 s left · 2/8 files"
    assert "left" not in format_bar(100, 100, 40.0)
