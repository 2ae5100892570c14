"""CC-CEDICT read backwards: which Chinese words an English word's glosses give, and the cache."""

from reportqa.index import cedict_reverse
from reportqa.index.translate import translate_word

LINES = [
    "# CC-CEDICT header",
    "版本 版本 [ban3 ben3] /version/edition/release/",
    "學分 学分 [xue2 fen1] /course credit/",
    "信用 信用 [xin4 yong4] /to trust/credit (commercial)/",
    "主機 主机 [zhu3 ji1] /main engine/(computing) host computer/server/",
    "簽署 签署 [qian1 shu3] /to sign (an agreement)/",
    "个 個 [ge4] /CL:個|个[ge4]/variant of 個|个/",
    "抽獎 抽奖 [chou1 jiang3] /to draw a prize/a lottery/",
]


def test_a_word_glossed_alone_comes_before_one_glossed_by_a_phrase():
    table = cedict_reverse.reverse(LINES)
    assert table["credit"] == ["信用", "学分"]  # 'credit (commercial)' alone, then 'course credit'
    assert table["version"] == ["版本"] and table["edition"] == ["版本"]
    assert table["sign"] == ["签署"]  # 'to' and the parenthesis dropped
    assert table["draw"] == ["抽奖"] and table["prize"] == ["抽奖"]  # a first-gloss phrase


def test_a_phrase_after_the_first_gloss_and_references_give_nothing():
    table = cedict_reverse.reverse(LINES)
    assert "host" not in table and "computer" not in table  # 主机's third gloss, a phrase
    assert table["server"] == ["主机"]  # a later gloss that is the word alone still counts
    assert "cl" not in table and "variant" not in table


def library(*words: str):
    vocabulary = set(words)
    return lambda terms: {t for t in terms if t in vocabulary}


def test_senses_the_general_table_lacks_come_from_the_reversed_dictionary():
    # the cedict table knows version only as 译文/翻译; CC-CEDICT has 版本
    assert translate_word("version", library("翻译", "版本")) == ["翻译", "版本"]
    assert translate_word("credits", library("学分")) == ["学分"]
    assert translate_word("contractor", library("承包商")) == ["承包商"]
    # only what the library uses
    assert translate_word("version", library("翻译")) == ["翻译"]
