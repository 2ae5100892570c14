"""Eval metrics against hand-computed cases."""

import math

import pytest

from reportqa.eval.evalset import EvalQuestion
from reportqa.eval.metrics import (
    QuestionResult,
    first_hit_rank,
    found_within_chars,
    hit_at_k,
    ndcg_at_k,
    passage_answers,
    reciprocal_rank,
    score_question,
    summarize,
)


def test_passage_answers_ignores_line_wraps_and_spaces():
    text = "JST 成立於 2003\n\n年，為隸屬於文部科學省之獨立行政法人。"
    assert passage_answers(text, ["JST成立於2003年"])
    assert passage_answers("Dr.Kazuhiro\nHono", ["Dr. Kazuhiro Hono"])


def test_passage_answers_unifies_full_and_half_width():
    assert passage_answers("報告日期：１１４年５月１４日", ["報告日期:114年5月14日"])
    assert passage_answers("總預算為3,000億日圓", ["3，000億日圓"])


def test_passage_answers_any_evidence_suffices():
    assert passage_answers("補助期限最長為 7 年", ["不在文中", "最長為7年"])


def test_passage_answers_no_hit():
    assert not passage_answers("補助期限最長為 5 年", ["最長為7年"])
    assert not passage_answers("anything", [])


def test_blank_evidence_matches_nothing():
    assert not passage_answers("anything", ["", " \n"])
    assert first_hit_rank(["a", "b"], [" "]) is None
    assert not found_within_chars(["a"], [""], 800)


def test_first_hit_rank_is_one_based():
    passages = ["無關段落", "JST 成立於\n2003 年", "JST成立於2003年"]
    assert first_hit_rank(passages, ["JST成立於2003年"]) == 2
    assert first_hit_rank(passages[2:], ["JST成立於2003年"]) == 1


def test_first_hit_rank_none():
    assert first_hit_rank(["無關段落"], ["JST成立於2003年"]) is None
    assert first_hit_rank([], ["JST成立於2003年"]) is None


def test_first_hit_rank_accepts_a_generator_of_evidence():
    evidence = (e for e in ["不在文中", "答案"])
    assert first_hit_rank(["無關", "這是答案"], evidence) == 2


def test_hit_at_k():
    assert not hit_at_k(2, 1)
    assert hit_at_k(2, 2)
    assert hit_at_k(1, 10)
    assert not hit_at_k(None, 10)


def test_reciprocal_rank():
    assert reciprocal_rank(1) == 1.0
    assert reciprocal_rank(4) == 0.25
    assert reciprocal_rank(None) == 0.0


def test_ndcg_at_k():
    evidence = ["答案"]
    assert ndcg_at_k(["答案", "x", "y"], evidence, 10) == 1.0
    assert ndcg_at_k(["x", "y", "答案"], evidence, 10) == pytest.approx(0.5)  # 1/log2(4)
    assert ndcg_at_k(["x", "答案"], evidence, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x", "y", "答案"], evidence, 2) == 0.0
    assert ndcg_at_k(["x"], evidence, 10) == 0.0


def test_ndcg_counts_only_the_first_answering_passage():
    assert ndcg_at_k(["答案", "又是答案"], ["答案"], 10) == 1.0


def test_found_within_chars_boundary():
    passages = ["x" * 10, "ANSWER"]  # evidence occupies normalized characters 11..16
    assert found_within_chars(passages, ["ANSWER"], 16)
    assert not found_within_chars(passages, ["ANSWER"], 15)


def test_found_within_chars_does_not_count_whitespace():
    passages = ["a b\n\nc", " 答　案 "]  # normalized: "abc答案", evidence ends at 5
    assert found_within_chars(passages, ["答案"], 5)
    assert not found_within_chars(passages, ["答案"], 4)


def test_found_within_chars_counts_nfkc_characters():
    # "１２３" is three full-width characters and stays three after NFKC
    assert found_within_chars(["１２３", "ＡＢ"], ["AB"], 5)
    assert not found_within_chars(["１２３", "ＡＢ"], ["AB"], 4)


def test_found_within_chars_uses_earliest_occurrence_and_any_evidence():
    passages = ["yyyy答案", "z" * 100, "答案"]
    assert found_within_chars(passages, ["答案"], 6)
    assert found_within_chars(["z" * 50 + "late", "early"], ["late", "early"], 55)
    assert not found_within_chars(["z" * 50 + "late", "early"], ["late", "early"], 53)


def test_found_within_chars_no_hit():
    assert not found_within_chars(["無關", "段落"], ["答案"], 1500)
    assert not found_within_chars([], ["答案"], 1500)


def test_score_question():
    question = EvalQuestion("jst-founded", "en", "When was JST established?", ("JST成立於2003年",))
    passages = ["x" * 500, "JST 成立於 2003 年，為獨立行政法人。"]
    result = score_question(question, passages, latency_ms=12.5)
    assert result.id == "jst-founded"
    assert result.lang == "en"
    assert result.rank == 2
    assert result.found_within == {400: False, 800: True, 1500: True}
    assert result.ndcg10 == pytest.approx(1 / math.log2(3))
    assert result.mean_passage_chars == (500 + 20) / 2
    assert result.latency_ms == 12.5


def test_score_question_with_no_passages():
    question = EvalQuestion("q", "zh", "問題", ("答案",))
    result = score_question(question, [], latency_ms=1.0)
    assert result.rank is None
    assert result.found_within == {400: False, 800: False, 1500: False}
    assert result.mean_passage_chars == 0.0


def _result(id_, lang, rank, found, ndcg, chars, latency):
    found_within = dict(zip((400, 800, 1500), found, strict=True))
    return QuestionResult(id_, lang, rank, found_within, ndcg, chars, latency)


def test_summarize_per_language_and_overall():
    results = [
        _result("a", "zh", 1, (True, True, True), 1.0, 100.0, 10.0),
        _result("b", "zh", None, (False, False, False), 0.0, 300.0, 30.0),
        _result("c", "en", 2, (False, True, True), 1 / math.log2(3), 200.0, 20.0),
    ]
    summaries = summarize(results)
    assert list(summaries) == ["zh", "en", "all"]

    zh = summaries["zh"]
    assert zh.questions == 2
    assert zh.hit_at == {1: 0.5, 3: 0.5, 5: 0.5, 10: 0.5}
    assert zh.mrr == 0.5
    assert zh.found_within == {400: 0.5, 800: 0.5, 1500: 0.5}
    assert zh.mean_passage_chars == 200.0
    assert zh.mean_latency_ms == 20.0

    en = summaries["en"]
    assert en.hit_at[1] == 0.0
    assert en.hit_at[3] == 1.0
    assert en.mrr == 0.5
    assert en.found_within == {400: 0.0, 800: 1.0, 1500: 1.0}

    overall = summaries["all"]
    assert overall.questions == 3
    assert overall.hit_at[1] == pytest.approx(1 / 3)
    assert overall.hit_at[3] == pytest.approx(2 / 3)
    assert overall.mrr == pytest.approx(0.5)
    assert overall.found_within[800] == pytest.approx(2 / 3)
    assert overall.ndcg10 == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert overall.mean_latency_ms == 20.0
    assert overall.p95_latency_ms == 30.0


def test_summarize_custom_cutoffs():
    results = [_result("a", "zh-hans", 4, (False, True, True), 0.43, 50.0, 5.0)]
    summaries = summarize(results, hit_at=(3, 5), found_within=(800,))
    assert summaries["zh-hans"].hit_at == {3: 0.0, 5: 1.0}
    assert summaries["all"].found_within == {800: 1.0}


def test_summarize_empty():
    summaries = summarize([])
    assert list(summaries) == ["all"]
    assert summaries["all"].questions == 0
    assert summaries["all"].mrr == 0.0
