"""A report's name in a question selects the report, not the passage that repeats the name."""

from pathlib import Path

import numpy as np
import pytest

from reportqa.index import report_names
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.index.search import Scores

CONTEST = "111學年度新北市健康識能競賽實施計畫"
TITLES = {
    "contest": CONTEST,
    "exchange": "台日自然科學研究領域交流",
    "manual": "一、i-Voting安裝流程",
    "curriculum": "十二年國民基本教育課程綱要",
}


def test_the_title_index_maps_each_word_to_the_reports_whose_title_holds_it():
    index = report_names.title_index({**TITLES, "another": "新北市健康促進計畫"})
    assert index["竞赛"] == ("contest",)  # folded, as lexical tokens are
    assert index["健康"] == ("another", "contest")
    assert index["i-voting"] == ("manual",)


def test_consecutive_title_words_name_a_report_and_leave_the_dense_model_the_rest():
    naming = report_names.naming(
        "新北市健康識能競賽的決賽是什麼題型？", report_names.title_index(TITLES)
    )
    assert set(naming.reports.values()) == {("contest",)}
    assert {"健康", "竞赛"} <= set(naming.reports) and "决赛" not in naming.reports
    assert naming.rest == "的決賽是什麼題型？"


def test_a_latin_word_written_as_a_name_names_a_report_alone():
    naming = report_names.naming(
        "安裝i-Voting時，資料庫要用哪個指令？", report_names.title_index(TITLES)
    )
    assert naming.reports == {"i-voting": ("manual",)}
    assert naming.rest == "安裝 時，資料庫要用哪個指令？"  # 安裝 alone is a topic word


def test_a_number_in_a_title_names_no_report():
    index = report_names.title_index({"third": "第3次會議紀錄", "year": "2025年度報告"})
    assert report_names.naming("第3名的學校有什麼獎勵？", index).reports == {}
    assert report_names.naming("2025年的預算是多少？", index).reports == {}


@pytest.mark.parametrize(
    "question",
    [
        "這次交流邀請了哪些人一起參加？",  # one title word is a topic word, not a name
        "未受基本教育的國民怎麼辦？",  # two: a topic the title shares (十二年國民基本教育…)
        "What is the final's question format in the New Taipei health literacy contest?",
        "新北市健康識能競賽",  # nothing left to ask: the dense model reads the question
    ],
)
def test_what_does_not_name_a_report(question):
    naming = report_names.naming(question, report_names.title_index(TITLES))
    assert naming.rest == question
    if question != "新北市健康識能競賽":
        assert naming.reports == {}


def test_a_word_in_many_titles_is_no_name():
    titles = {f"r{i}": f"健康識能計畫第{i}號" for i in range(report_names.MAX_REPORTS + 1)}
    assert (
        report_names.naming("健康識能的定義為何？", report_names.title_index(titles)).reports == {}
    )


def test_bm25_counts_a_naming_word_once_in_every_chunk_of_the_named_report():
    lexical = Scores(np.array([1, 2, 3]), np.array([5.0, 1.0, 4.0]))
    own = {"健康": Scores(np.array([1, 3]), np.array([3.0, 2.0]))}
    named = {"健康": np.array([1, 2, 7])}  # chunk 3 is another report's; 7 matched nothing
    got = report_names.rescored(lexical, named, own, {"健康": 1.5}).as_dict()
    assert got == {1: 5.0 - 3.0 + 1.5, 2: 1.0 + 1.5, 3: 4.0, 7: 1.5}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path: Path) -> Library:
    contest = write(
        tmp_path / "contest.txt",
        [
            CONTEST,
            "壹、計畫緣起",
            f"{CONTEST}：為使新北市健康識能競賽的觀念從小扎根，規劃舉辦新北市健康識能競賽。",
            "貳、決賽",
            "決賽於112年5月27日舉行，題型為是非題或選擇題，每隊3人。",
            "參、獎勵",
            "決賽前三名學校頒發獎狀，每隊提供獎金五千元。",
        ],
    )
    other = write(
        tmp_path / "other.txt",
        [
            "台日自然科學研究領域交流",
            "壹、參訪目的",
            "拜會日本學術振興會，了解其題型多元的審查制度。",
        ],
    )
    with Library.open(tmp_path / "lib", embedder=FakeEmbedder()) as opened:
        opened.ingest([contest, other])
        yield opened


def test_a_question_naming_its_report_finds_the_passage_it_asks_for(library):
    """The opening paragraph repeats the name three times; the question asks for the final's
    question format. Before: the opening ranked first by BM25 and sentence evidence."""
    answer = library.ask("新北市健康識能競賽的決賽是什麼題型？", top_k=3, mode="lexical")
    assert "題型為是非題" in answer.passages[0].text
    # the name still tells the reports apart: the other report's 題型 comes after the contest's
    assert [p.doc_id for p in answer.passages] == ["contest", "contest", "contest"]


def test_a_question_without_a_name_ranks_as_before(library):
    plain = library.ask("決賽是什麼題型？", top_k=3, mode="lexical")
    assert "題型為是非題" in plain.passages[0].text


def test_named_scores_are_the_same_from_fts5_as_from_the_postings_file(library):
    """A library built before the postings file scores by FTS5: a name counts alike there."""
    import dataclasses

    from reportqa.index.query import plan_query
    from reportqa.index.retriever import Retriever

    snap = library.snapshot()
    got = []
    for view in (snap, dataclasses.replace(snap, postings=None)):
        retriever = Retriever(library._conn, view, lambda q: None, library.weights)
        titles = report_names.title_index(view.titles)
        plan = plan_query(
            CONTEST + "的決賽是什麼題型？", view.aliases, retriever.in_vocabulary, None, titles
        )
        got.append(retriever.report_named(plan, retriever.lexical(plan)).as_dict())
        assert plan.named and all(len(chunks) for chunks in plan.named.values())
    postings, fts = got
    assert postings.keys() == fts.keys()
    assert all(postings[i] == pytest.approx(fts[i], rel=1e-9) for i in fts)
