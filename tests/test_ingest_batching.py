"""`ingest` over many files: embedded together across files, each file its own write."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import LibraryError
from reportqa.index import embed_order, ingest_run, writer
from reportqa.index.embed_order import call_slices, text_cost
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
        want = FakeEmbedder().embed_passages(texts)  # stored in half precision
        assert np.allclose(stored_vectors(lib, doc.doc_id), want, rtol=2**-11, atol=2**-24)
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
    monkeypatch.setattr(embed_order, "CALL_COST", 60)
    paths = reports(tmp_path / "src", 5)
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    seen = []
    lib.ingest(paths, progress=lambda done, total: seen.append((done, total)))
    # In characters of every chunk and sentence text (the cost of embedding them), duplicates
    # included, over the whole run.
    work = sum(text_cost(t) for p in paths for t in document_plan(load_document(p), False).texts)
    dones = [d for d, _ in seen]
    assert len(seen) > len(paths)
    assert dones == sorted(dones) and seen[-1] == (work, work)
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
    assert format_bar(250, 1000, 10.0, unit="%", width=8).startswith("██······ 25 % · 30 s left")


def test_each_distinct_text_is_embedded_once_shortest_first_in_calls_of_similar_cost():
    texts = ["長長長長長長長長", "短", "中中中中", "短", "長長長長長長長長", "中中中"]
    order = embed_order.embed_order(texts)
    assert [texts[i] for i in order.distinct] == ["短", "中中中", "中中中中", "長長長長長長長長"]
    assert [order.distinct[r] for r in order.where] == [0, 1, 2, 1, 0, 5]
    assert sum(order.weight) == sum(map(text_cost, texts))
    parts = call_slices(order, texts, budget=2 * text_cost("中中中中"))
    assert [[texts[i] for i in order.distinct[p]] for p in parts] == [
        ["短", "中中中"], ["中中中中"], ["長長長長長長長長"],
    ]  # fmt: skip


def test_repeated_sentences_are_embedded_once_and_every_one_gets_its_vector(tmp_path):
    # Every report repeats the same closing sentences: one embedding serves them all.
    folder = tmp_path / "src"
    paths = reports(folder, 3)
    for p in paths:
        p.write_text(p.read_text(encoding="utf-8") + "三、 結語\n感謝各方協助。會議圓滿結束。\n")
    embedder = RecordingTexts()
    lib = Library.open(tmp_path / "lib", embedder=embedder)
    assert [r.status for r in lib.ingest(paths)] == ["added"] * 3
    planned = [t for p in paths for t in document_plan(load_document(p), False).texts]
    assert len(embedder.texts) == len(set(embedder.texts)) == len(set(planned)) < len(planned)
    assert sorted(embedder.texts, key=len) == embedder.texts  # shortest first
    snap = lib.snapshot()
    vectors = snap.sentence_vectors
    assert len(vectors.rows) == len(planned) - len(snap.chunks)
    assert lib.check() == []


class RecordingTexts(FakeEmbedder):
    """The fake embedder, remembering every text it embedded, in order."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts += texts
        return super().embed_passages(texts)


def test_the_next_file_is_read_while_the_current_one_embeds(tmp_path, monkeypatch):
    paths = reports(tmp_path / "src", 2)
    monkeypatch.setattr(ingest_run, "EMBED_BATCH", 1)  # embed each file as soon as it is read
    second_read = threading.Event()
    read = ingest_run.load_document

    def load(path, **kw):
        doc = read(path, **kw)
        if Path(path) == paths[1]:
            second_read.set()
        return doc

    monkeypatch.setattr(ingest_run, "load_document", load)

    overlapped = []

    class WaitingEmbedder(FakeEmbedder):
        def embed_passages(self, texts):
            # Reading one file at a time, the second is read only after the first is written.
            overlapped.append(second_read.wait(timeout=10))
            return super().embed_passages(texts)

    lib = Library.open(tmp_path / "lib", embedder=WaitingEmbedder())
    assert [r.status for r in lib.ingest(paths)] == ["added", "added"]
    assert overlapped[0] is True
