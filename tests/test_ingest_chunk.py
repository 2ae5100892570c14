"""Packing blocks into chunks: sentence ends, section breaks, table rows with their header."""

from __future__ import annotations

import itertools
import re

from reportqa.ingest.chunk import MAX, TABLE_MAX, chunk_blocks, size, split_sentences
from reportqa.ingest.model import Line
from reportqa.ingest.outline import outline

SENTENCE = (
    "本次交流活動邀集自然處學門召集人參與，其目的在於透過與國際同類學術政策制定單位深入交流。"
)


def _chunks(*texts: str):
    blocks, _ = outline([Line(t, None) for t in texts])
    return chunk_blocks(blocks, "doc")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_split_sentences_gives_back_the_text():
    text = "第一句。第二句！第三句？第四句；「引號。」最後沒有句號"
    parts = split_sentences(text)
    assert "".join(parts) == text
    assert parts[:5] == ["第一句。", "第二句！", "第三句？", "第四句；", "「引號。」"]


def test_long_latin_sentence_is_never_cut_inside_a_word():
    text = " ".join(f"word{i}" for i in range(200))  # ~1,300 characters, no punctuation
    parts = split_sentences(text)
    assert "".join(parts) == text
    assert len(parts) > 1
    for a, b in itertools.pairwise(parts):
        assert not (a[-1].isalnum() and b[0].isalnum()), (a[-10:], b[:10])
        assert size(a) <= MAX


def test_long_section_splits_at_sentence_ends_near_the_target():
    chunks = _chunks("壹、 參訪目的", *[SENTENCE] * 20)  # ~900 characters in one paragraph
    assert len(chunks) > 1
    assert all(250 <= size(c.text) <= MAX for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert all(c.section == ["壹、 參訪目的"] for c in chunks)
    assert _squash("".join(c.text for c in chunks)) == _squash("壹、 參訪目的" + SENTENCE * 20)


def test_chunks_never_cross_a_level_two_section():
    chunks = _chunks(
        "肆、參訪紀要",
        "一、 台北駐日本經濟文化代表處科技組",
        "短文一。",
        "二、 獨立行政法人物質材料研究機構",
        "短文二。",
        "三、 日本科學技術振興機構",
        "四、 理化學研究所",  # 三、 has no text of its own
        "短文四。",
    )
    texts = [c.text for c in chunks]
    assert texts == [
        "肆、參訪紀要\n一、 台北駐日本經濟文化代表處科技組\n短文一。",
        "二、 獨立行政法人物質材料研究機構\n短文二。",
        "三、 日本科學技術振興機構",
        "四、 理化學研究所\n短文四。",
    ]
    # a chunk's section is where its text is, not its parent heading's
    assert chunks[0].section == ["肆、參訪紀要", "一、 台北駐日本經濟文化代表處科技組"]


def test_small_sub_sections_share_a_chunk():
    chunks = _chunks(
        "一、 台北駐日本經濟文化代表處科技組",
        "(一) 時間：114 年 4 月 14 日(星期一)下午4:30-5:30",
        "(二) 地點：No.20-2 Shirokanedai，5-chome Minato-ku Tokyo 108-0071 Japan",
    )
    assert len(chunks) == 1
    assert chunks[0].section == ["一、 台北駐日本經濟文化代表處科技組"]


def test_heading_stays_with_a_long_first_sentence():
    long_sentence = "這是一個很長的句子" * 50 + "。"  # longer than MAX: split at the limit
    chunks = _chunks("壹、 參訪目的", long_sentence)
    assert chunks[0].text.startswith("壹、 參訪目的\n這是")


def test_big_table_splits_by_rows_with_the_header_repeated():
    header = "序號 學門 姓名 任職單位 職稱 備註"
    rows = [f"{n} 化學 王建隆 國立臺灣大學化學系暨研究所 教授 召集人" for n in range(1, 16)]
    chunks = _chunks("參、訪團成員", header, *rows)
    assert len(chunks) > 1
    assert all(c.kind == "table" for c in chunks)
    assert chunks[0].text.startswith("參、訪團成員\n" + header) and chunks[0].prefix == ""
    for c in chunks[1:]:
        assert c.prefix == header
        assert c.display_text.startswith(header + "\n")
    assert all(size(c.display_text) <= TABLE_MAX for c in chunks)
    # every row whole in exactly one chunk, in order; prefixes are not source text
    got = [line for c in chunks for line in c.text.split("\n")]
    assert got == ["參、訪團成員", header, *rows]
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_sub_sections_of_a_fair_size_are_chunks_of_their_own():
    # Together they would fit one chunk; apart, each is embedded under its own title.
    body = SENTENCE * 5  # 220 characters
    chunks = _chunks("一、 實施方式", "（一）參賽資格", body, "（二）教師研習營", body)
    assert [c.section for c in chunks] == [
        ["一、 實施方式", "（一）參賽資格"],
        ["一、 實施方式", "（二）教師研習營"],
    ]
