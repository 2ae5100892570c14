"""One definition of a sentence: offsets, wraps vs line breaks, tiny units joined."""

from reportqa.ingest.chunk import split_sentences
from reportqa.ingest.sentences import evidence_units, sentence_pieces, sentence_spans

WRAPPED = (
    "人民因犯罪嫌疑被逮捕拘禁時，其逮捕拘禁機關應將逮捕拘禁原因，以書面告知本人及其本人指\n"
    "定之親友，並至遲於二十四小時內移送該管法院審問。"
)


def texts(text, spans):
    return [text[a:b] for a, b in spans]


def test_sentences_end_at_punctuation_and_short_lines():
    text = "一、計畫目的\n本計畫支持博士生。補助每月生活費約 20 萬日圓！\n時間：3月"
    assert texts(text, sentence_spans(text)) == [
        "一、計畫目的",
        "本計畫支持博士生。",
        "補助每月生活費約 20 萬日圓！",
        "時間：3月",
    ]


def test_a_wrapped_line_does_not_end_a_sentence():
    assert texts(WRAPPED, sentence_spans(WRAPPED)) == [WRAPPED]


def test_pieces_give_back_the_text_and_chunking_uses_them():
    text = "第 1 條\n" + WRAPPED + "第二句。\n第三句"
    assert "".join(sentence_pieces(text)) == text
    assert split_sentences(text) == sentence_pieces(text)


def test_tiny_sentences_join_the_next_one():
    text = "(一) 目的\n本計畫旨在支持博士生專注研究。另有研究相關的差旅費補助。完。"
    assert texts(text, evidence_units(text)) == [
        "(一) 目的\n本計畫旨在支持博士生專注研究。",
        "另有研究相關的差旅費補助。完。",  # a tiny last one joins the one before
    ]
    assert texts("短。", evidence_units("短。")) == ["短。"]
