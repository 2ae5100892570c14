"""The answer line and the highlights, from a ranking's sentence scores (no library needed)."""

import numpy as np

from reportqa.index.highlight import answer_line, best_score, highlight
from reportqa.index.query import QueryPlan
from reportqa.index.retriever import Ranking
from reportqa.index.rows import SentenceRows


def ranking(chunks: list[int], scores: list[float], weights: list[float] | None = None) -> Ranking:
    """Chunks ranked in the given order; sentence i of 10 characters each, chunk by chunk."""
    cids = np.array(chunks, dtype=np.int64)
    order = np.argsort(cids, kind="stable")
    cids, values = cids[order], np.array(scores)[order]
    weight = np.array(weights if weights else [1.0] * cids.size)[order]
    starts = np.concatenate([np.arange((cids == c).sum()) * 10 for c in np.unique(cids)])
    rows = SentenceRows(np.arange(cids.size), cids, starts, starts + 10, weight, [""] * cids.size)
    plan = QueryPlan("q", [], [], "q", [])
    ranked = [(c, 1.0 / (1 + k)) for k, c in enumerate(dict.fromkeys(chunks))]
    return Ranking(ranked, plan, rows, values, np.zeros(cids.size), values, values)


def test_the_answer_line_comes_from_the_first_passage_unless_the_second_is_much_stronger():
    # scores of different passages do not compare well: the second passage's sentence must
    # beat the first's by the rank penalty (0.3), and a third passage is not read
    r = ranking([7, 7, 3], [1.2, 0.2, 1.4])
    line = answer_line(r, [7, 3])
    assert line is not None and line.chunk_id == 7 and (line.start, line.end) == (0, 10)
    line = answer_line(ranking([7, 7, 3], [0.9, 0.2, 1.4]), [7, 3])
    assert line is not None and line.chunk_id == 3
    line = answer_line(ranking([7, 3, 2], [0.9, 0.5, 1.6]), [7, 3, 2])
    assert line is not None and line.chunk_id == 7


def worded(
    question: str, tokens: list[str], scores: list[float], z=None, idf=None, cos=None
) -> Ranking:
    """One passage (chunk 5) whose sentences have these folded tokens and answer scores."""
    n = len(tokens)
    rows = SentenceRows(
        np.arange(n), np.full(n, 5), np.arange(n) * 10, np.arange(n) * 10 + 10, np.ones(n), tokens
    )
    idf = idf or {}
    plan = QueryPlan(question, [], [], question, list(idf), idf=idf)
    values = np.array(scores)
    z = None if z is None else np.array(z, dtype=float)
    cos = None if cos is None else np.array(cos, dtype=float)
    return Ranking([(5, 1.0)], plan, rows, values, np.zeros(n), values, values, z, cos)


def test_the_answer_line_tells_apart_sentences_the_answer_cap_ties():
    # z 3.2 and 3.9 both count as certain at the highlights' cap of 3; at 4 they do not
    line = answer_line(worded("q", ["a", "c", "b"], [1.0, 0.1, 1.0], z=[3.2, 0, 3.9]), [5])
    assert line is not None and (line.start, line.end) == (20, 30)


def test_a_sentence_with_more_of_the_questions_words_answers():
    idf = {"nims": 1.0, "总部": 1.0}
    r = worded("q", ["nims 成立", "其他", "nims 总部 筑波"], [1.0, 0.1, 0.95], idf=idf)
    assert answer_line(r, [5]) is not None and answer_line(r, [5]).start == 20


def test_a_sentence_with_the_kind_of_answer_asked_for_answers():
    # how much → an amount: the sentence with one wins over a slightly better one without
    tokens = ["补助 内容 丰富", "其他", "每月 生活费 约 20 万 日圆"]
    line = answer_line(worded("How much does SPRING pay?", tokens, [1.1, 0.1, 0.9]), [5])
    assert line is not None and (line.start, line.end) == (20, 30)
    # when → a date
    tokens = ["jst 机构", "其他", "成立 于 2003 年"]
    line = answer_line(worded("JST 是什麼時候成立的？", tokens, [1.1, 0.1, 0.9]), [5])
    assert line is not None and (line.start, line.end) == (20, 30)


def test_no_answer_line_when_no_sentence_holds_the_kind_of_answer_asked_for():
    # 物質材料研究機構的研究人員有多少人？: the passage names the institute, never a head count
    tokens = ["拜会 物质 材料 研究 机构", "研究 人员 具备 创业 意愿"]
    assert answer_line(worded("研究人員有多少人？", tokens, [0.95, 0.9]), [5]) is None
    assert answer_line(worded("研究人員做什麼？", tokens, [0.95, 0.9]), [5]) is not None


def test_an_adjacent_sentence_well_above_half_as_good_joins_the_answer_line():
    line = answer_line(ranking([5, 5, 5], [0.3, 1.2, 0.8]), [5])
    assert line is not None and (line.start, line.end) == (10, 30)
    alone = answer_line(ranking([5, 5, 5], [0.3, 1.2, 0.5]), [5])
    assert alone is not None and (alone.start, alone.end) == (10, 20)


def test_no_answer_line_from_a_weak_sentence():
    assert answer_line(ranking([5, 5], [0.75, 0.4]), [5]) is None


def test_a_bare_heading_is_never_the_answer_line():
    # 五、 日本學術振興會(JSPS) names the topic: the sentence after it answers
    line = answer_line(ranking([5, 5, 5], [1.4, 1.1, 0.2], [0.3, 1.0, 1.0]), [5])
    assert line is not None and (line.start, line.end) == (10, 20)
    # a passage of headings only is passed over for the next one
    line = answer_line(ranking([5, 3, 3], [1.4, 0.1, 1.0], [0.3, 1.0, 1.0]), [5, 3])
    assert line is not None and line.chunk_id == 3 and (line.start, line.end) == (10, 20)


def test_a_bare_heading_is_highlighted_only_in_a_passage_of_nothing_else():
    # 壹拾壹、 活動小組聯繫方式 outscores the contact line it heads; the contact line answers
    r = ranking([5, 5], [1.4, 1.0], [0.3, 1.0])
    assert highlight(r, 5, best=1.4) == [[10, 20]]
    assert highlight(ranking([5], [1.4], [0.3]), 5, best=1.4) == [[0, 10]]


def test_the_sentence_holding_the_kind_of_answer_asked_for_is_highlighted():
    from dataclasses import replace

    text = "訪團抵達物質材料機構" + "時間10:00開始了"  # two 10-character sentences
    r = ranking([5, 5], [0.6, 0.45])
    assert highlight(r, 5, best=0.6, text=text) == [[0, 10]]  # a question asking no kind
    r = replace(r, plan=QueryPlan("訪團幾點到？", [], [], "", []))
    assert highlight(r, 5, best=0.6, text=text) == [[10, 20]]  # a time for 幾點


def test_a_second_highlight_when_it_scores_half_the_best():
    r = ranking([5, 5, 5], [1.2, 0.2, 0.7])
    assert highlight(r, 5, best=1.2) == [[0, 10], [20, 30]]
    assert highlight(ranking([5, 5, 5], [1.2, 0.2, 0.55]), 5, best=1.2) == [[0, 10]]


def test_only_bare_headings_weigh_less():
    from reportqa.index.highlight import HEADING_WEIGHT, sentence_weight

    weak = [
        "三、 跨領域協作與整合模式觀察",
        "陸、 競賽方式：\n一、 個人賽：",
        "第四節社會安全\n第 152 條",
        # a bracketed gloss does not make it longer than a heading
        "二、 獨立行政法人物質材料研究機構(National Institute for Materials Science, NIMS)",
    ]
    said = [
        "第 15 條\n人民之生存權、工作權及財產權，應予保障。",
        "參、 計畫期程：111 年 11 月至 112 年 7 月。",
        "（三）資訊科技與溝通表達：能利用資訊科技表達想法並與他人溝通。",
        "JST 成立於 2003 年。",
        "(二) 聯絡電話：02-2257-7155 #1771",
        "(一) 時間：114 年 4 月 16日(星期三)",
    ]
    assert [sentence_weight(s) for s in weak] == [HEADING_WEIGHT] * 4
    assert [sentence_weight(s) for s in said] == [1.0] * 6


def test_the_answer_line_stands_on_the_cosine_not_on_the_libraries_z_score():
    # among a thousand weaker sentences a middling one has a high z; among one report's few
    # a good one has a low z: the cosine (the same in any library) decides, not the z
    tokens = ["a", "b"]
    weak = worded("q", tokens, [1.0, 0.1], z=[4.5, 0.0], cos=[0.84, 0.8])
    assert answer_line(weak, [5]) is None
    good = worded("q", tokens, [1.0, 0.1], z=[1.5, 0.0], cos=[0.89, 0.8])
    assert answer_line(good, [5]) is not None and answer_line(good, [5]).start == 0
    # without cosines (no sentence vectors) the z-score path still answers the strong one
    assert answer_line(worded("q", tokens, [1.0, 0.1], z=[4.5, 0.0]), [5]) is not None


def texts_of(sentences: list[str]) -> dict[int, str]:
    """Chunk 5's text with sentence i at [10 i, 10 i + 10), as `worded` places them."""
    return {5: "".join(s.ljust(10)[:10] for s in sentences)}


def test_the_kind_of_answer_is_read_from_the_passages_text_not_its_sorted_tokens():
    # a sentence's stored tokens are distinct and sorted: 114年4月14日 is not in them
    sentences = ["派赴日本東京", "出國期間114年4月"]
    tokens = ["派 赴 日本 东京", "114 4 出国 期间 年 月"]
    r = worded("When did the trip take place?", tokens, [0.4, 0.9], cos=[0.89, 0.87])
    line = answer_line(r, [5], texts_of(sentences))
    assert line is not None and (line.start, line.end) == (10, 20)


def test_a_how_many_question_naming_its_unit_needs_a_number_in_it():
    # 物質材料研究機構的研究人員有多少人？: the report names the institute, never a head count
    sentences = ["拜會物質材料研究機構", "研究人員具創業意願"]
    tokens = ["拜会 物质 材料 研究 机构", "研究 人员 具 创业 意愿"]
    r = worded("研究人員有多少人？", tokens, [0.4, 0.9], cos=[0.95, 0.94])
    assert answer_line(r, [5], texts_of(sentences)) is None
    counted = texts_of(["拜會物質材料研究機構", "研究員1,500人"])
    line = answer_line(r, [5], counted)
    assert line is not None and (line.start, line.end) == (10, 20)
    # the same sentences answer a question asking no number
    assert answer_line(worded("研究人員做什麼？", tokens, [1.0, 0.9], cos=[0.95, 0.94]), [5])


def test_the_unit_asked_for():
    from reportqa.index.highlight import asked_unit, states_unit
    from reportqa.index.text import fold

    assert asked_unit("物質材料研究機構的研究人員有多少人？") == "person"
    assert asked_unit("How many days did the study tour last?") == "day"
    assert asked_unit("憲法規定總統的年薪是多少？") == "money"
    assert asked_unit("How much prize money does each team get?") == "money"
    assert asked_unit("登月計畫十年一共有多少预算？") == "money"  # 多少 before the money word
    assert asked_unit("這次考察花了多少的總經費？") == "money"
    assert asked_unit("進入決賽的隊伍每隊能拿到多少補助費用？") == "money"
    assert asked_unit("教育經費最少要占總預算的多少比例？") is None  # a share, not an amount
    # which ones, a number of years, a percentage: no unit of these
    assert asked_unit("數學學門的召集人有哪幾位？") is None
    assert asked_unit("特別推進研究最多能補助幾年？") is None
    assert asked_unit("經費不得少於其預算總額的百分之多少？") is None
    assert states_unit(fold("此行四天三夜的考察行程"), "day")
    assert states_unit(fold("每年 5,000 萬至數億日圓"), "money")
    assert not states_unit(fold("111 學年度健康識能競賽"), "money")
    assert states_unit(fold("每隊提供現金新台幣伍仟元整"), "money")  # financial numerals


def test_a_sentence_with_the_words_of_the_questions_last_clause_answers():
    # i-Voting 建議系統架構中，資料庫版本的需求為何？: the setting's words (系統 架構) are
    # in the section's first sentence, the words asked about (資料庫 版本) in the table's row
    idf = {"系统": 1.0, "架构": 1.0, "建议": 1.0, "资料库": 1.0, "版本": 1.0, "需求": 1.0}
    tokens = ["系统 需求 说明 建议 系统 架构", "其他", "资料库 版本 mariadb 5.5"]
    q = "建議系統架構中，資料庫版本的需求為何？"
    r = worded(q, tokens, [0.5, 0.1, 0.5], idf=idf, cos=[0.87, 0.8, 0.865])
    line = answer_line(r, [5])
    assert line is not None and (line.start, line.end) == (20, 30)


def test_a_question_for_a_phone_number_is_answered_by_the_line_that_gives_one():
    # the label (聯絡電話) is Chinese and the question English: the number itself says it answers
    r = worded(
        "What phone number do I call?", ["卫生局 联络人", "其他"], [0.2, 0.9], cos=[0.85, 0.86]
    )
    line = answer_line(r, [5], texts_of(["衛生局聯絡人葉先生", "02-225-715"]))
    assert line is not None and (line.start, line.end) == (10, 20)


def test_an_english_questions_coverage_counts_its_translations():
    # "When did the trip take place?": no English word is in the Chinese lines; the line with
    # 出國 (trip, translated) answers, not the one the model likes slightly more
    tokens = ["派 赴 国家 地区 日本", "114 出国 期间 年 月"]
    plan = QueryPlan("When did the trip happen?", [], ["出国"], "q", ["trip", "出国"])
    plan.idf, plan.source_weight, plan.coverage = {"trip": 1.0, "出国": 0.5}, {"出国": 0.5}, 1.0
    rows = SentenceRows(np.arange(2), np.full(2, 5), np.array([0, 10]), np.array([10, 20]),
                        np.ones(2), tokens)  # fmt: skip
    values, share, cos = np.array([0.1, 0.3]), np.array([0.0, 1.0]), np.array([0.89, 0.83])
    r = Ranking([(5, 1.0)], plan, rows, values, share, values, values, None, cos)
    line = answer_line(r, [5])
    assert line is not None and (line.start, line.end) == (10, 20)


def test_which_two_people_asks_for_people_not_a_number():
    from reportqa.index.highlight import asks_for, gives

    assert asks_for("在駐日代表處科技組跟訪團開會的是哪兩位？") == ("person",)
    assert asks_for("哪幾位教授參加？") == ("person",)
    assert asks_for("有幾位研究人員？") == ("number",)
    from reportqa.index.text import fold

    assert gives(fold("鄒幼涵顧問、林育聖秘書"), ["person"])  # sentences are matched folded


def test_each_passage_is_scored_once_per_ranking_and_a_replaced_ranking_starts_afresh(
    monkeypatch,
):
    from dataclasses import replace

    from reportqa.index import highlight as module

    calls = []
    scores_of = module._highlight_scores_of
    monkeypatch.setattr(
        module, "_highlight_scores_of", lambda *a: calls.append(a[1:]) or scores_of(*a)
    )
    text = "訪團抵達物質材料機構" + "時間10:00開始了"
    r = ranking([5, 5], [0.6, 0.45])
    best = best_score(r, [5], {5: text})
    assert highlight(r, 5, best, text) == highlight(r, 5, best, text) == [[0, 10]]
    assert calls == [(5, text)]  # best_score and both highlights: one scoring
    asked = replace(r, plan=QueryPlan("訪團幾點到？", [], [], "", []))
    assert highlight(asked, 5, best, text) == [[10, 20]]  # not the first plan's scores
    assert len(calls) == 2


def test_more_ways_of_asking_for_a_date_and_of_giving_one():
    from reportqa.index.highlight import asks_for, gives
    from reportqa.index.text import fold

    assert asks_for("What are the dates for the individual contest?") == ("date",)
    assert asks_for("How often are National Assembly delegates elected?") == ("date",)
    assert asks_for("What is the registration deadline?") == ("date",)
    assert gives(fold("代理總統之期限不得逾三個月"), ("date",))
    assert not gives(fold("每隊三人"), ("date",))


def test_a_version_asked_for_and_a_version_stated():
    from reportqa.index.highlight import asked_unit, asks_for, gives
    from reportqa.index.text import fold

    assert asks_for("What is the minimum Apache version recommended?") == ("version",)
    assert asks_for("資料庫版本的需求為何？") == ("version",)
    assert asks_for("網站要安裝哪一版的Joomla？") == ("version",)
    assert asks_for("Which letter updated the version of Appendix 2?") == ()
    assert gives(fold("2 網頁伺服器 Apache 2.2 含以上"), ("version",))
    assert not gives(fold("網頁伺服器 Apache"), ("version",))
    assert asked_unit("How many students are on a team?") == "person"
