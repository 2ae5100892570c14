"""Sentence vectors on disk, lazy rows, the v1 → v2 migration and the answer line (fake model)."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import reportqa
from reportqa.errors import LibraryError
from reportqa.index import postings, sentence_vectors, store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.index.rows import fetch_sentences
from reportqa.index.text import mostly_latin

SAMPLE_TXT = (
    Path(reportqa.__file__).parent / "data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
)


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    with Library.open(tmp_path / "lib", embedder=FakeEmbedder()) as opened:
        yield opened


def second(tmp_path: Path) -> Path:
    path = tmp_path / "second.txt"
    path.write_text("壹、 目的\n第二份報告說明 PRESTO 的審查共有三個階段。\n", encoding="utf-8")
    return path


def stored_sentence_vectors(lib: Library) -> np.ndarray:
    generation = lib.snapshot().generation
    return np.load(sentence_vectors.file_path(lib.path, generation), allow_pickle=False)


def test_every_sentence_row_has_one_vector_after_adds_and_removes(lib, tmp_path):
    lib.ingest([SAMPLE_TXT, second(tmp_path)])
    lib.remove("second")
    rows = stored_sentence_vectors(lib)
    sql = "SELECT rowid, chunk_id FROM sentences ORDER BY chunk_id, rowid"
    sentences = lib._conn.execute(sql).fetchall()
    assert rows["sid"].tolist() == [s for s, _ in sentences]
    assert rows["cid"].tolist() == [c for _, c in sentences]
    texts = [lib.snapshot().chunks[c].text[a:b] for c, a, b in lib._conn.execute(
        "SELECT chunk_id, start, end FROM sentences ORDER BY chunk_id, rowid LIMIT 3")]  # fmt: skip
    assert np.allclose(rows["v"][:3], lib.embedder.embed_passages(texts), atol=1e-3)
    assert rows["latin"].tolist() == script_flags(lib, rows["sid"])
    assert 0 < rows["latin"].sum() < len(rows)  # the sample's attendee lists, not its prose
    assert lib.check() == []


def test_sentence_rows_come_by_chunk_then_position_after_adds_and_removes(lib, tmp_path):
    """fetch_sentences orders by (chunk_id, rowid), the index's order: that is position order
    because a chunk's sentences are inserted together, in order."""
    lib.ingest([second(tmp_path), SAMPLE_TXT])
    lib.remove("second")
    lib.ingest([second(tmp_path)])
    ids = [r[0] for r in lib._conn.execute("SELECT id FROM chunks")]
    rows = fetch_sentences(lib._conn, ids)
    by_position = lib._conn.execute(
        "SELECT rowid, chunk_id, start FROM sentences ORDER BY chunk_id, start"
    ).fetchall()
    got = zip(rows.sid.tolist(), rows.cid.tolist(), rows.start.tolist(), strict=True)
    assert list(got) == by_position
    assert len(set(rows.cid.tolist())) == len(ids) > 40


def script_flags(lib: Library, sids: np.ndarray) -> list[int]:
    tokens = dict(lib._conn.execute("SELECT rowid, tokens FROM sentences").fetchall())
    return [int(mostly_latin(tokens[s])) for s in sids.tolist()]


def test_a_legacy_sentence_file_is_read_then_rewritten_with_script_flags(lib, tmp_path):
    lib.ingest([SAMPLE_TXT])
    path, generation = lib.path, lib.snapshot().generation
    rows = stored_sentence_vectors(lib)
    target = sentence_vectors.file_path(path, generation)
    legacy = np.zeros(len(rows), dtype=sentence_vectors.legacy_row_dtype(rows["v"].shape[1]))
    for name in legacy.dtype.names:
        legacy[name] = rows[name]
    np.save(target, legacy, allow_pickle=False)  # as libraries before the flag wrote it
    with Library.open(path, embedder=FakeEmbedder()) as old:
        vectors = old.snapshot().sentence_vectors
        assert not vectors.has_scripts
        assert vectors.similarities(rows["cid"][:5], rows["v"][0].astype(np.float32))[3] is None
        assert "ACT-X" in old.ask("ACT-X 的支援對象是誰？", top_k=3).passages[0].text
        old.ingest([second(tmp_path)])  # the next write gives every sentence its flag
        again = stored_sentence_vectors(old)
        assert again["latin"].tolist() == script_flags(old, again["sid"])
        kept = np.isin(again["sid"], rows["sid"])
        assert np.array_equal(again["v"][kept], rows["v"]) and old.check() == []


def test_opening_reads_no_chunk_rows(lib):
    lib.ingest([SAMPLE_TXT])
    snap = lib.snapshot()
    assert not hasattr(snap, "sentences") and not isinstance(snap.chunks, dict)
    assert len(snap.chunks) == lib.stats()["chunks"]


def test_v1_library_migrates_and_answers_without_sentence_vectors(lib, tmp_path):
    lib.ingest([SAMPLE_TXT])
    path, generation = lib.path, lib.snapshot().generation
    lib.close()
    with sqlite3.connect(path / store.DB_NAME) as conn:  # make it what v1 wrote
        conn.execute("ALTER TABLE chunks DROP COLUMN ocr")
        conn.execute("DELETE FROM meta WHERE key IN ('sentence_vectors', 'postings')")
        conn.execute("DROP TABLE terms")
        conn.execute("PRAGMA user_version=1")
    sentence_vectors.file_path(path, generation).unlink()
    postings.file_path(path, generation).unlink()
    with Library.open(path, embedder=FakeEmbedder()) as old:
        assert store.schema_version(old._conn) == store.SCHEMA_VERSION
        assert old.snapshot().postings is None  # FTS5 scores until the next write
        answer = old.ask("ACT-X 的支援對象是誰？", top_k=3)
        assert "ACT-X" in answer.passages[0].text and answer.passages[0].ocr is False
        old.reembed()
        assert old.snapshot().postings is not None and old.check() == []
        assert (
            len(stored_sentence_vectors(old))
            == old._conn.execute("SELECT COUNT(*) FROM sentences").fetchone()[0]
        )


def test_damaged_sentence_vector_file_is_a_clean_error(lib):
    lib.ingest([SAMPLE_TXT])
    target = sentence_vectors.file_path(lib.path, lib.snapshot().generation)
    target.write_bytes(b"\x93NUMPY garbage")
    with (
        Library.open(lib.path, embedder=FakeEmbedder()) as reopened,
        pytest.raises(LibraryError, match=r"sentence vector file is damaged"),
    ):
        reopened.ask("JST")


def test_answer_line_is_a_sentence_of_a_returned_passage(lib, monkeypatch):
    # the answer floor is calibrated on the real model; the fake model's similarities are noise
    monkeypatch.setattr("reportqa.index.highlight.ANSWER_FLOOR", 0.0)
    lib.ingest([SAMPLE_TXT])
    answer = lib.ask("SPRING 計畫補助每月生活費多少日圓？", top_k=5).to_dict()
    line = answer["answer"]
    assert line is not None and "20 萬日圓" in line["text"]
    source = next(p for p in answer["passages"] if p["chunk_id"] == line["chunk_id"])
    assert source["text"][line["start"] : line["end"]] == line["text"]


def test_at_most_two_highlights_and_none_on_passages_that_only_mention_a_word(lib):
    lib.ingest([SAMPLE_TXT])
    answer = lib.ask("SPRING 計畫補助每月生活費多少日圓？", top_k=10)
    assert all(len(p.highlight) <= 2 for p in answer.passages)
    assert any(not p.highlight for p in answer.passages)


def test_doc_filter_keeps_only_that_report(lib, tmp_path):
    lib.ingest([SAMPLE_TXT, second(tmp_path)])
    answer = lib.ask("PRESTO 審查有幾個階段？", top_k=5, doc_ids=["second"])
    assert answer.passages and {p.doc_id for p in answer.passages} == {"second"}


def test_chunks_read_by_ocr_say_so_in_the_answer(lib):
    from reportqa.ingest import load_document

    doc = load_document(SAMPLE_TXT)
    for chunk in doc.chunks:
        chunk.ocr = "ACT-X" in chunk.text
    texts = [c.text for c in doc.chunks]
    lib.add_documents([(doc, lib.embedder.embed_passages(texts))])
    passages = lib.ask("ACT-X", top_k=10).passages
    assert {p.ocr for p in passages} == {True, False}
    assert all(p.ocr == ("ACT-X" in p.text) for p in passages)


def test_a_word_keeps_the_senses_a_chunk_uses_beside_the_other_question_words(lib, tmp_path):
    voting = tmp_path / "voting.txt"
    voting.write_text("壹、 投票\n啟用投票功能是維持系統的最後步驟。\n", encoding="utf-8")
    funding = tmp_path / "funding.txt"
    funding.write_text("壹、 經費\n本計畫支持研究人員持續發展。\n", encoding="utf-8")
    lib.ingest([voting, funding])
    translated = lib.ranking("What is the last step of voting?").plan.translated
    # last → 持續, 支持, 維持: only 維持 stands beside 步驟 and 投票 in a chunk
    assert "维持" in translated and "步骤" in translated
    assert "支持" not in translated and "持续" not in translated


def test_a_question_asking_the_reports_view_favours_its_section_of_views(lib, tmp_path):
    from dataclasses import replace

    from reportqa.index.query import VIEW_ASKED

    assert VIEW_ASKED.search("報告認為理化學研究所哪些做法值得我國參考？")
    assert VIEW_ASKED.search("What does the report suggest Taiwan learn from NIMS?")
    assert VIEW_ASKED.search("這次考察對我國有什麼啟示？")
    assert VIEW_ASKED.search("What are the report's main takeaways?")
    assert not VIEW_ASKED.search("In what kind of classroom should technology lessons be taught?")
    assert not VIEW_ASKED.search("RIKEN第五期中長期計畫涵蓋哪幾年？")
    report = tmp_path / "views.txt"
    report.write_text(
        "壹、 參訪紀要\n一、 理化學研究所\n理化學研究所的跨領域整合模式與研究制度介紹。\n\n"
        "貳、 心得及建議\n一、 整合模式\n理化學研究所的跨領域整合模式值得我國參考。\n",
        encoding="utf-8",
    )
    lib.ingest([report])
    question = "報告認為理化學研究所的跨領域整合模式如何？"
    snap = lib.snapshot()
    chunks = snap.chunks.get_many(range(1, 100))
    view = next(i for i, c in chunks.items() if "心得及建議" in c.section[0])
    favoured = lib.ranking(question, top_k=2)
    plain = lib._retriever(snap)
    plain.weights = replace(plain.weights, view_section=0.0)
    with lib._read_view():
        unfavoured = plain.rank(question, top_k=2)
    assert favoured.plan.asks_view
    gained = dict(favoured.ranked)[view] - dict(unfavoured.ranked)[view]
    assert gained == pytest.approx(lib.weights.view_section)
    others = [i for i, _ in unfavoured.ranked if i != view]
    assert all(dict(favoured.ranked)[i] == dict(unfavoured.ranked)[i] for i in others)
