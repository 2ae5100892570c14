"""Cleaning extracted pages: re-joined lines, running headers/footers and page numbers dropped."""

from __future__ import annotations

import pytest

from reportqa.ingest.clean import clean_pages, close_cjk_gaps, join_wrapped, unspace_cjk
from reportqa.ingest.model import PageText


def _texts(pages: list[list[str]]) -> list[str]:
    page_texts = [PageText(n, "\n".join(lines)) for n, lines in enumerate(pages, start=1)]
    return [line.text for line in clean_pages(page_texts)]


BODY = [
    ["摘要", "本次交流活動邀集自然處學門召集人參與。"],
    ["壹、 參訪目的", "在全球科研環境日趨競爭與複雜的背景下，"],
    ["貳、 參訪行程", "04/14(一) 台北→日本東京"],
    ["參、訪團成員", "4 物理 王為豪 中央研究院天文及天文物理研究所 研究員 召集人"],
]


def test_join_wrapped_rules():
    assert join_wrapped(["中文換", "行接起來"]) == "中文換行接起來"
    assert join_wrapped(["Japan Science and", "Technology Agency"]) == (
        "Japan Science and Technology Agency"
    )
    assert join_wrapped(["（簡稱 ACT-", "X）計畫"]) == "（簡稱 ACT-X）計畫"
    assert join_wrapped(["科研費補助金（Grants-", "in-Aid for Scientific"]) == (
        "科研費補助金（Grants-in-Aid for Scientific"
    )
    assert join_wrapped(["the NIMS 在", "2001 年"]) == "the NIMS 在2001 年"


@pytest.mark.parametrize(
    "footer",
    [lambda n: f"第 {n} 頁", lambda n: f"- {n} -", lambda n: str(n), lambda n: f"第{n}頁/共4頁"],
    ids=["第 N 頁", "- N -", "lone N", "第N頁/共M頁"],
)
def test_page_number_lines_are_dropped(footer):
    pages = [[*lines, footer(n)] for n, lines in enumerate(BODY, start=1)]
    assert _texts(pages) == [line for page in BODY for line in page]


def test_running_header_dropped_but_cover_title_kept():
    title = "台日自然科學研究領域交流"
    cover = ["出國報告（出國類別：考察）", title, "服務機關：國家科學及技術委員會"]
    pages = [cover] + [[title, *lines, f"第 {n} 頁"] for n, lines in enumerate(BODY, start=2)]
    assert _texts(pages) == cover + [line for page in BODY for line in page]


def test_running_header_on_the_first_page_too():
    # no cover: the first page carries the header in the same place as the others
    pages = [["國科會出國報告", *lines, f"- {n} -"] for n, lines in enumerate(BODY, start=1)]
    assert _texts(pages) == [line for page in BODY for line in page]


def test_numbers_that_are_content_stay():
    # A lone number that does not follow the page numbering is content (a table cell, a count).
    pages = [["摘要", "7"], ["本文", "42"], ["結論", "3"]]
    assert _texts(pages) == ["摘要", "7", "本文", "42", "結論", "3"]
    # One page: nothing repeats, so nothing is a running header.
    assert _texts([["第 1 章", "內容"]]) == ["第 1 章", "內容"]


def test_letter_spaced_line_is_closed_up_but_table_row_is_not():
    assert unspace_cjk("在 此 次 交 流 活 動 中 ， 主 要") == "在此次交流活動中，主要"
    assert unspace_cjk("資 助 （ 如 JST PRESTO 或 CREST） 。") == "資助（如JST PRESTO或CREST）。"
    row = "序號 學門 姓名 任職單位 職稱 備註"
    assert unspace_cjk(row) == row


def test_justification_gaps_between_ideographs():
    assert (
        close_cjk_gaps("1、 世界頂尖國際 研究 中心計畫 (World")
        == "1、 世界頂尖國際研究中心計畫 (World"
    )
    assert close_cjk_gaps("JSPS 討論 Panel Interview") == "JSPS 討論 Panel Interview"
    # a short line closes up only when letter-spaced; names may be separated on purpose
    assert close_cjk_gaps("執行SPRING 計 畫 （ Support", full=False) == "執行SPRING 計畫 （ Support"
    assert close_cjk_gaps("與會人員：鄒幼涵 林育聖", full=False) == "與會人員：鄒幼涵 林育聖"


def test_control_characters_are_not_content():
    pages = [PageText(1, "摘要\n本次\x01交流\x7f活動。")]
    assert [line.text for line in clean_pages(pages)] == ["摘要", "本次交流活動。"]


def test_line_positions_follow_their_lines():
    page = PageText(1, "a\n\n  b  \nc", line_x=(10.0, None, 20.0, 30.0))
    assert [(ln.text, ln.x) for ln in clean_pages([page])] == [
        ("a", 10.0),
        ("b", 20.0),
        ("c", 30.0),
    ]
    # positions that do not line up with the text are ignored, not misapplied
    page = PageText(1, "a\nb", line_x=(10.0,))
    assert [ln.x for ln in clean_pages([page])] == [None, None]
