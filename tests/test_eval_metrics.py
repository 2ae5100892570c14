"""Eval metrics against hand-computed cases."""

import math

import pytest

from reportqa.eval.evalset import EvalQuestion
from reportqa.eval.metrics import (
    QuestionResult,
    answer_state,
    first_hit_rank,
    found_within_chars,
    highlight_contains,
    highlighted_stretches,
    hit_at_k,
    mask_other_documents,
    ndcg_at_k,
    page_cited,
    passage_answers,
    reciprocal_rank,
    score_question,
    summarize,
    summarize_group,
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


# ----- page citation, highlight and answer line ------------------------------------------------


def test_page_cited_needs_the_page_and_a_short_span():
    assert page_cited([5], 5)
    assert page_cited([4, 5], 5)
    assert page_cited([5, 6], 5)
    assert not page_cited([6], 5)
    assert not page_cited([4, 5, 6], 5)  # three pages: too wide a citation
    assert not page_cited([1, 13], 5)
    assert not page_cited([], 5)
    assert page_cited([4, 5, 6], 5, max_span=3)


def test_highlighted_stretches_merge_spans_that_touch_or_are_split_by_whitespace():
    text = "第一句。第二句。\n第三句。其他"
    assert highlighted_stretches(text, [[0, 4], [4, 8]]) == ["第一句。第二句。"]
    assert highlighted_stretches(text, [[4, 8], [9, 13]]) == ["第二句。\n第三句。"]
    assert highlighted_stretches(text, [[0, 3], [4, 8]]) == ["第一句", "第二句。"]  # 。 between
    assert highlighted_stretches(text, [[9, 13], [0, 4]]) == ["第一句。", "第三句。"]  # sorted
    assert highlighted_stretches(text, [[2, 2], [20, 30]]) == []  # empty or out of range
    assert highlighted_stretches(text, []) == []


def test_highlight_contains_the_whole_evidence_only():
    text = "補助期限最長為 7 年。補助內容包括每月生活費約 20 萬日圓。"
    first, second = [0, text.index("補助內容")], [text.index("補助內容"), len(text)]
    assert highlight_contains(text, [second], ["每月生活費約20萬日圓"])
    assert highlight_contains(text, [first, second], ["最長為7年"])
    # strict: a highlight that holds only part of the evidence does not count
    assert not highlight_contains(text, [[0, 6]], ["補助期限最長為7年"])
    assert not highlight_contains(text, [second], ["最長為7年"])
    assert not highlight_contains(text, [], ["最長為7年"])
    # evidence across two adjacent highlighted sentences counts; across a gap it does not
    assert highlight_contains(text, [first, second], ["7年。補助內容"])
    assert not highlight_contains(text, [[0, first[1] - 1], second], ["7年。補助內容"])


def test_highlight_contains_normalizes_like_passage_answers():
    text = "總預算為３，０００億\n日圓。"
    assert highlight_contains(text, [[0, len(text)]], ["3,000億日圓"])


def test_answer_state():
    assert answer_state({"text": "JST 成立於 2003 年。"}, ["JST成立於2003年"]) == "right"
    assert answer_state({"text": "JST 隸屬文部科學省。"}, ["JST成立於2003年"]) == "wrong"
    assert answer_state(None, ["JST成立於2003年"]) == "abstained"


def test_mask_other_documents_keeps_lengths_and_matches_nothing():
    texts = ["答案在此", "答 案"]
    masked = mask_other_documents(texts, ["a", "b"], "b")
    assert masked[0] != texts[0] and len(masked[0]) == 4
    assert masked[1] == texts[1]
    assert first_hit_rank(masked, ["答案"]) == 2
    assert mask_other_documents(texts, ["a", "b"], None) == texts
    assert mask_other_documents(texts, None, "b") == texts


def _passage(text, doc="rep", pages=(1,), highlight=()):
    return {
        "text": text,
        "doc_id": doc,
        "pages": list(pages),
        "highlight": [list(h) for h in highlight],
    }


def test_score_question_judges_only_the_named_reports_passages():
    question = EvalQuestion("q", "zh", "?", ("答案",), file="rep.pdf", page=3)
    passages = [
        _passage("另一份報告也有答案", doc="other", pages=[3], highlight=[(0, 9)]),
        _passage("無關", pages=[3]),
        _passage("這裡有答案。", pages=[2, 3], highlight=[(0, 6)]),
    ]
    result = score_question(question, passages, latency_ms=1.0)
    assert result.rank == 3
    assert result.found_within[400]  # 9 + 2 + 5 characters read, the first 9 masked
    assert result.page_cited is True
    assert result.highlight_ok is True
    assert result.answer is None  # no answer line measured
    unnamed = EvalQuestion("q", "zh", "?", ("答案",))
    assert score_question(unnamed, passages, latency_ms=1.0).rank == 1


def test_score_question_citation_and_highlight_misses():
    question = EvalQuestion("q", "en", "?", ("答案",), file="rep.pdf", page=3)
    wide = [_passage("這裡有答案。其他。", pages=[1, 2, 3], highlight=[(6, 9)])]
    result = score_question(question, wide, latency_ms=1.0)
    assert (result.rank, result.page_cited, result.highlight_ok) == (1, False, False)
    nothing = score_question(question, [_passage("無關")], latency_ms=1.0)
    assert (nothing.rank, nothing.page_cited, nothing.highlight_ok) == (None, None, None)
    no_page = EvalQuestion("q", "en", "?", ("答案",), file="rep.pdf")
    assert score_question(no_page, wide, latency_ms=1.0).page_cited is None


def test_score_question_answer_line():
    question = EvalQuestion("q", "zh", "?", ("答案",))
    passages = ["這裡有答案。"]
    right = score_question(question, passages, 1.0, answer={"text": "答案。"}, answer_measured=True)
    assert (right.answer, right.answer_chars) == ("right", 3)
    wrong = score_question(question, passages, 1.0, answer={"text": "無關"}, answer_measured=True)
    assert wrong.answer == "wrong"
    abstained = score_question(question, passages, 1.0, answer=None, answer_measured=True)
    assert (abstained.answer, abstained.answer_chars) == ("abstained", None)


def test_summary_of_citations_highlights_and_answers():
    def result(page, hl, answer):
        return QuestionResult("x", "zh", 1, {400: True}, 1.0, 1.0, 1.0, page, hl, answer)

    results = [
        result(True, True, "right"),
        result(False, True, "wrong"),
        result(None, False, "abstained"),
        result(None, None, "right"),
    ]
    s = summarize_group(results, found_within=(400,))
    assert (s.page_cited, s.page_n) == (0.5, 2)
    assert (s.highlight, s.highlight_n) == (pytest.approx(2 / 3), 3)
    assert (s.answer_right, s.answered_n) == (pytest.approx(2 / 3), 3)
    assert (s.abstain, s.answer_n) == (0.25, 4)
    unmeasured = summarize_group([result(None, None, None)], found_within=(400,))
    assert unmeasured.page_cited is unmeasured.highlight is unmeasured.abstain is None
    assert (unmeasured.page_n, unmeasured.answer_n) == (0, 0)


def test_unanswerable_questions_count_only_in_the_false_answer_rate():
    unanswerable = EvalQuestion("u", "zh", "?", (), unanswerable=True)
    answerable = EvalQuestion("q", "zh", "?", ("答案",))
    passages = ["這裡有答案。"]
    line = {"text": "答案。"}
    said = score_question(unanswerable, passages, 1.0, answer=line, answer_measured=True)
    quiet = score_question(unanswerable, passages, 1.0, answer=None, answer_measured=True)
    right = score_question(answerable, passages, 1.0, answer=line, answer_measured=True)
    assert (said.unanswerable, said.answer, quiet.answer) == (True, "wrong", "abstained")
    s = summarize_group([said, quiet, right], found_within=(400,))
    assert (s.questions, s.hit_at[1], s.mrr) == (1, 1.0, 1.0)
    assert (s.answer_right, s.answered_n, s.abstain, s.answer_n) == (1.0, 1, 0.0, 1)
    assert (s.false_answer, s.unanswerable_n) == (0.5, 2)
    assert summarize_group([right], found_within=(400,)).false_answer is None
