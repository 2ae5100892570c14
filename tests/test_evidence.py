"""Sentence evidence as array maths, checked against plain-Python reference computations."""

import numpy as np

from reportqa.index import evidence
from reportqa.index.retriever import Weights
from reportqa.index.sentence_vectors import build


def test_token_presence_matches_set_membership():
    tokens = ["jst spring 博士生", "act-x 經費", "", "spring act-x 3,000"]
    query = ["spring", "act-x", "3,000", "missing", "act"]
    got = evidence.token_presence(tokens, query)
    want = np.array([[t in set(s.split()) for t in query] for s in tokens])
    assert (got == want).all()


def test_lexical_share_is_the_idf_mass_a_sentence_holds():
    presence = np.array([[True, False], [True, True]])
    share = evidence.lexical_share(presence, np.array([1.0, 3.0]), np.array([1.0, 0.5]), 4.0)
    assert np.allclose(share, [0.25, 0.5])


def test_an_entity_named_three_ways_counts_once_and_by_any_one_name_whole():
    # columns: 日本 学术 振兴 会 (the question's name, mass 4) | jsps (its alias) | 成立
    idf = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0])
    concepts = [[[0, 1, 2, 3], [4]]]
    presence = np.array(
        [
            [True, True, True, True, True, False],  # the schedule line: both names, no 成立
            [False, False, False, False, True, True],  # JSPS 成立於 1932 年
            [True, False, False, False, False, False],  # 日本 alone: part of a name
        ]
    )
    share = evidence.concept_share(presence, idf, np.ones(3), concepts)
    assert np.allclose(share, [4 / 7, 7 / 7, 1 / 7])
    # without concepts the names add up: the schedule line outweighs the answer
    plain = evidence.lexical_share(presence, idf, np.ones(3), float(idf.sum()))
    assert plain[0] > plain[1]
    assert np.allclose(evidence.concept_share(presence, idf, np.ones(3), []), plain)


def test_best_per_group_is_the_max_per_chunk():
    groups, best = evidence.best_per_group(np.array([0.1, 0.7, 0.2, 0.9]), np.array([3, 3, 5, 8]))
    assert groups.tolist() == [3, 5, 8] and np.allclose(best, [0.7, 0.2, 0.9])


def test_reachable_keeps_every_candidate_that_could_enter_the_top_k():
    base = np.array([5.0, 4.0, 3.0, 1.0, 0.5])
    keep = evidence.reachable(base, bonus=1.5, k=2)
    assert keep.tolist() == [True, True, True, False, False]
    # exhaustive check: no dropped candidate can beat the k-th base even with the full bonus
    assert all(base[i] + 1.5 < np.sort(base)[-2] for i in np.flatnonzero(~keep))


def test_similarity_evidence_is_bounded_and_ranks_by_cosine():
    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    got = evidence.similarity_evidence(vectors, np.array([1.0, 0.0, 0.0]))
    assert got.argmax() == 0 and got[1] >= got[2] and ((got >= 0) & (got <= 1)).all()


def test_align_gives_each_wanted_id_its_value_or_zero():
    got = evidence.align(np.array([0.5, 0.7, 0.9]), np.array([9, 2, 5]), np.array([5, 3, 9]))
    assert got.tolist() == [0.9, 0.0, 0.5]


def test_highlights_only_above_the_floor():
    assert evidence.pick_highlights(np.array([0.2, 0.3]), floor=0.5, near=0.8) == []
    assert evidence.pick_highlights(np.array([0.9, 0.3, 0.85]), floor=0.5, near=0.9) == [0, 2]


def test_sentence_vectors_gather_the_rows_of_some_chunks():
    table = build(np.array([9, 2, 5, 7]), np.array([1, 1, 4, 2]), np.eye(4), 4, np.zeros(4))
    sids, cids, rows = table.gather(np.array([4, 1, 3]))
    assert sids.tolist() == [2, 9, 5] and cids.tolist() == [1, 1, 4]
    assert np.allclose(rows, np.eye(4)[[1, 0, 2]])


def test_with_preceding_adds_only_within_a_chunk():
    got = evidence.with_preceding(np.array([1.0, 0.2, 0.4]), np.array([7, 7, 8]), 0.5)
    assert got.tolist() == [1.0, 0.7, 0.4]


def test_ranking_similarity_keeps_apart_sentences_a_cap_of_three_would_tie():
    # Two chunks' best sentences both stand far above the other candidates' (z > 3): the
    # ranking signal must still prefer the closer one, which a cap of 3 made a tie.
    rng = np.random.default_rng(0)
    query = np.eye(16, dtype=np.float32)[0]
    cos = np.r_[0.95, 0.9, rng.uniform(0.3, 0.5, 60)]  # two close sentences, 60 others
    vectors = np.zeros((62, 16), dtype=np.float32)
    vectors[:, 0], vectors[:, 1] = cos, np.sqrt(1 - cos**2)
    z = evidence.similarity_z(vectors, query)
    assert 5.0 > z[0] > z[1] > 3.0
    chunk_ids = np.r_[1, 2, np.full(60, 3)]
    _, tied = evidence.best_per_group(evidence.capped(z, 3.0), chunk_ids)
    assert tied[0] == tied[1] == 1.0
    _, apart = evidence.best_per_group(evidence.capped(z, Weights().rank_cap), chunk_ids)
    assert apart[0] > apart[1]


def test_the_cosine_does_not_depend_on_the_other_sentences_but_the_z_score_does():
    # one answering sentence among few (a library of one report) or many weaker ones
    query = np.eye(4, dtype=np.float32)[0]

    def unit(c: float) -> list[float]:
        return [c, float(np.sqrt(1 - c * c)), 0.0, 0.0]

    few = np.array([unit(0.9), unit(0.85), unit(0.84)], dtype=np.float32)
    many = np.array([unit(0.9)] + [unit(0.8)] * 50, dtype=np.float32)
    assert abs(evidence.cosine(few, query)[0] - evidence.cosine(many, query)[0]) < 1e-6
    assert evidence.similarity_z(many, query)[0] > 2 * evidence.similarity_z(few, query)[0]
    got = evidence.stretched(np.array([0.75, 0.85, 0.95]), 0.8, 0.9)
    assert np.allclose(got, [0.0, 0.5, 1.0])


def test_the_question_names_one_entity_under_all_its_mined_names():
    from reportqa.index.query import plan_query

    aliases = [("JSPS", "日本學術振興會"), ("Japan Society for the Promotion", "日本學術振興會")]
    plan = plan_query("日本學術振興會是什麼時候成立的？", aliases, lambda terms: set(terms))
    assert len(plan.concepts) == 1
    assert sorted(map(tuple, plan.concepts[0]))[0] == ("japan", "society", "promotion")
    assert ["jsps"] in plan.concepts[0] and len(plan.concepts[0]) == 3
    assert plan_query("JST 成立於何時？", aliases, lambda terms: set(terms)).concepts == []


def test_a_compound_the_library_lacks_is_searched_by_the_words_inside_it():
    from reportqa.index.query import PART_WEIGHT, plan_query

    def library(*words):
        return lambda terms: {t for t in terms if t in set(words)}

    # 參考價值 is one jieba word; a report that writes 參考 and 價值 apart lacks it
    apart = plan_query("這次考察有什麼參考價值？", [], library("考察", "参考", "价值"))
    assert {"参考", "价值"} <= set(apart.tokens) and "参考价值" not in apart.tokens
    whole = plan_query("這次考察有什麼參考價值？", [], library("考察", "参考价值", "参考"))
    assert "参考价值" in whole.tokens and whole.source_weight["参考价值"] == 1.0
    # the compound's first word, which the report may write alone, counts for less
    assert whole.source_weight["参考"] == PART_WEIGHT < 1.0


def test_a_word_at_either_end_of_a_compound_counts_for_less():
    from reportqa.index.query import PART_WEIGHT, compound_parts, plan_query

    def library(*words):
        return lambda terms: {t for t in terms if t in set(words)}

    # jieba cuts 物理學門 as 物理學 門; the report's table writes 物理 alone
    plan = plan_query("物理學門的召集人是誰？", [], library("物理学", "物理", "召集人", "召集"))
    assert plan.source_weight["物理学"] == plan.source_weight["召集人"] == 1.0
    assert plan.source_weight["物理"] == plan.source_weight["召集"] == PART_WEIGHT
    # a word inside (not at an end of) a compound is not one of its parts
    assert compound_parts(["中央研究院"], library("研究", "中央", "研究院")) == ["中央", "研究院"]
    assert compound_parts(["物理学"], library()) == []  # only words the library has


def test_a_name_the_question_abbreviates_is_searched_in_full():
    from reportqa.index.aliases import abbreviated
    from reportqa.index.query import plan_query

    aliases = [("NIMS", "獨立行政法人物質材料研究機構"), ("RIKEN", "理化學研究所")]
    plan = plan_query("訪團去物材機構是幾點到幾點？", aliases, lambda terms: set(terms))
    assert "獨立行政法人物質材料研究機構" in plan.aliases and "NIMS" in plan.aliases
    assert "物質材料研究機構" in plan.dense_text and "nims" in plan.tokens
    full = ["獨立行政法人物質材料研究機構", "國家科學及技術委員會", "理化學研究所"]
    names = [("", n) for n in full]
    assert abbreviated("国科会的预算", names) == ["國家科學及技術委員會"]  # folded: simplified
    # a stretch of the name itself, too short a stretch, or other characters: no abbreviation
    assert abbreviated("研究机构有几位", names) == []
    assert abbreviated("材构", names) == [] and abbreviated("物材大楼", names) == []


def test_script_centred_compares_each_sentence_within_its_script():
    # 30 Chinese sentences around 0.80, 20 English ones around 0.86: the model's preference for
    # the question's language, not what they say
    rng = np.random.default_rng(1)
    cos = np.r_[0.80 + 0.01 * rng.standard_normal(30), 0.86 + 0.01 * rng.standard_normal(20)]
    latin = np.r_[np.zeros(30, bool), np.ones(20, bool)]
    got = evidence.script_centred(cos, latin, prior=0.0)
    assert abs(got[latin].mean() - got[~latin].mean()) < 1e-9  # offsets removed in full
    assert np.allclose(np.diff(got[latin]), np.diff(cos[latin]))  # order within a script kept
    shrunk = evidence.script_centred(cos, latin, prior=10.0)
    gap = cos[latin].mean() - cos[~latin].mean()
    assert 0 < shrunk[latin].mean() - shrunk[~latin].mean() < gap  # part way
    # one Latin sentence among many keeps most of its lead: n / (n + prior) = 1/11 of it moves
    lone = evidence.script_centred(np.r_[np.full(40, 0.8), 0.9], np.r_[np.zeros(40, bool), True])
    assert lone[-1] > 0.88
    assert evidence.script_centred(np.zeros(0), np.zeros(0, bool)).size == 0
    assert np.allclose(evidence.script_centred(cos, np.zeros(50, bool)), cos)  # one script


def test_mostly_latin_reads_the_sentence_tokens():
    from reportqa.index.text import mostly_latin, tokenize

    assert mostly_latin(" ".join(tokenize("2、 Mr. Yukihiro HISANAGA, Director")))
    assert mostly_latin(" ".join(tokenize("yum -y install httpd")))
    assert not mostly_latin(
        " ".join(tokenize("JST 成立於 2003 年，為隸屬於文部科學省之獨立行政法人"))
    )
    assert not mostly_latin(" ".join(tokenize("114 年 4 月 14 日")))  # numbers are not words
    assert not mostly_latin("")


def test_scores_as_arrays_rank_and_look_up_as_the_dicts_did():
    from reportqa.index.search import Scores

    scores = Scores(np.array([7, 3, 9, 5]), np.array([0.5, 2.0, 0.5, -1.0]))
    assert scores.top(3).tolist() == [3, 7, 9]  # ties (7, 9 at 0.5) by chunk id
    assert scores.at(np.array([9, 4, 3, 11, 1])).tolist() == [0.5, 0.0, 2.0, 0.0, 0.0]
    assert scores.best() == 2.0 and scores.as_dict() == {7: 0.5, 3: 2.0, 9: 0.5, 5: -1.0}
    empty = Scores.empty()
    assert empty.best() == 0.0 and empty.top(5).size == 0
    assert empty.at(np.array([1, 2])).tolist() == [0.0, 0.0]
