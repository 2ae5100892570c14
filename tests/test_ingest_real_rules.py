"""The rules real PDFs need, each on synthetic lines: law headings, covers, titles, running
headers by repetition and position, cell-per-line tables, compatibility ideographs, page spans."""

from __future__ import annotations

import pytest

from reportqa.ingest.chunk import MAX_PAGE_SPAN, chunk_blocks
from reportqa.ingest.clean import clean_pages
from reportqa.ingest.headings import heading_level, parse_heading, tidy_report_title
from reportqa.ingest.model import Line, PageText
from reportqa.ingest.normalize import fold_ideographs
from reportqa.ingest.outline import outline
from reportqa.ingest.pagelabel import page_labels
from reportqa.ingest.tables import read_cell_table
from reportqa.ingest.title import choose_title, largest_lines_title, meaningful_pdf_title


def _lines(*texts: str, page: int = 1) -> list[Line]:
    return [Line(t, page) for t in texts]


# ----- characters ---------------------------------------------------------------------------
def test_compatibility_ideographs_and_kangxi_radicals_map_punctuation_stays():
    assert fold_ideographs("\u2f00\uf900\uf9b5") == "一豈例"
    assert (
        fold_ideographs("（草案），：；「」") == "（草案），：；「」"
    )  # NFKC would make these ASCII


def test_bopomofo_yi_typed_for_one_is_mapped_but_phonetic_text_is_not():
    assert fold_ideographs("ㄧ、課程發展（ㄧ）統ㄧ") == "一、課程發展（一）統一"
    assert fold_ideographs("ㄅㄧˋ") == "ㄅㄧˋ"


# ----- headings -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "level", "title"),
    [
        ("第 一 章 總綱", 1, "第一章 總綱"),
        ("第 十一 章 地方制度", 1, "第十一章 地方制度"),
        ("第 一 節 省", 2, "第一節 省"),
        ("第 47 條", 3, "第47條"),
        ("第十條之一", 3, "第十條之一"),
        ("ㄧ、課程發展", 2, "ㄧ、課程發展"),
        ("（ㄧ）國民中學", 3, "（ㄧ）國民中學"),
        ("壹拾壹、 活動小組聯繫方式", 1, "壹拾壹、 活動小組聯繫方式"),
        ("1-1 研究背景", 2, "1-1 研究背景"),
    ],
)
def test_heading_markers_real_documents_use(line, level, title):
    assert heading_level(line) == level
    assert parse_heading(line, level).title == title


def test_numbers_inside_text_are_no_headings():
    for line in ("第5期報告指出", "第 3 條規定之事項", "1-2月份", "一 每縣市選出代表一人"):
        assert heading_level(line) == 0 or parse_heading(line, heading_level(line)) is None


def test_law_articles_are_sections_under_their_chapter_and_part():
    lines = _lines(
        "法規名稱：測試法",
        "第一編 總則",
        "第 一 章 通則",
        "第 1 條",
        "本法依憲法制定之。",
        "第 2 條",
        "1 本法所稱主管機關為內政部。",
        "2 主管機關得委任所屬機關辦理。",
        "第 二 章 附則",
        "第 3 條 本法自公布日施行。",
    )
    blocks, meta = outline(lines)
    chunks = chunk_blocks(blocks, "law")

    def section_of(text: str) -> list[str]:
        return next(c.section for c in chunks if text in c.text)

    assert section_of("本法依憲法制定之。") == ["第一編 總則", "第一章 通則", "第1條"]
    assert section_of("主管機關得委任") == ["第一編 總則", "第一章 通則", "第2條"]
    assert section_of("本法自公布日施行。") == ["第一編 總則", "第二章 附則", "第3條"]
    assert meta["title"] == "測試法"
    assert not any("本法依憲法" in c.text and "主管機關" in c.text for c in chunks)
    # A part's heading leads its first chapter's chunk: no chunk of 「第一編 總則」 alone.
    assert all(c.text.strip() != "第一編 總則" for c in chunks)
    assert "第一編 總則\n第一章" in next(c.text for c in chunks if "第1條" in c.section)


def test_an_appendix_with_its_own_numbering_holds_its_sections():
    body = "本附錄說明各項議題如何融入課程，並臚列各議題之學習目標，供學校規劃課程時參考。"
    lines = _lines(
        "柒、附錄",
        "附錄一：學習重點呼應表",
        "一、資訊科技",
        body,
        "附錄二：議題融入說明",
        "壹、前言",
        body,
        "貳、議題學習目標",
        body,
    )
    blocks, _ = outline(lines)
    chunks = chunk_blocks(blocks, "d")
    assert [c.section for c in chunks] == [
        ["附錄一：學習重點呼應表", "一、資訊科技"],
        ["附錄二：議題融入說明", "壹、前言"],
        ["附錄二：議題融入說明", "貳、議題學習目標"],
    ]
    # The empty headings lead the first chunk under them.
    assert chunks[0].text.startswith("柒、附錄\n附錄一：學習重點呼應表\n一、資訊科技\n")
    assert chunks[1].text.startswith("附錄二：議題融入說明\n壹、前言\n")


# ----- cover --------------------------------------------------------------------------------
def test_cover_ends_at_prose_and_never_runs_past_page_two():
    prose = (
        "中華民國國民大會受全體國民之付託，依據孫中山先生創立中華民國之遺教，制定本憲法，頒行全國。"
    )
    lines = [
        Line("公布日期：民國 36 年 01 月 01 日", 1),
        Line(prose, 1),
        *[
            Line(f"本文第{k}段，內容一直寫到頁面右邊的邊界為止，沒有任何標題出現在這裡。", k)
            for k in (2, 3, 4)
        ],
        Line("壹、 結論", 5),
    ]
    blocks, _ = outline(lines)
    assert [b.pages for b in blocks if b.section == ["封面"]] == [[1]]
    assert prose not in blocks[0].text
    chunks = chunk_blocks(blocks, "d")
    assert all(max(c.pages) - min(c.pages) < MAX_PAGE_SPAN for c in chunks if c.kind == "text")


def test_a_title_block_above_the_body_leads_its_first_chunk():
    # The cover lines share page 1 with the body: no cover chunk of a few words to outrank it.
    body = "本計畫為使健康觀念從小扎根，爰規劃舉辦競賽，讓參賽隊伍於參賽過程中獲得正確之知識。"
    lines = [Line("某市健康競賽實施計畫", 1), Line("壹、 計畫緣起", 1), Line(body, 1)]
    chunks = chunk_blocks(outline(lines)[0], "d")
    assert [c.section for c in chunks] == [["壹、 計畫緣起"]]
    assert chunks[0].text.startswith("某市健康競賽實施計畫\n壹、 計畫緣起\n")
    assert chunks[0].pages == [1]


def test_a_cover_page_of_its_own_stays_a_chunk_of_its_own():
    body = "本計畫為使健康觀念從小扎根，爰規劃舉辦競賽，讓參賽隊伍於參賽過程中獲得正確之知識。"
    lines = [Line("某市健康競賽實施計畫", 1), Line("壹、 計畫緣起", 2), Line(body, 2)]
    chunks = chunk_blocks(outline(lines)[0], "d")
    assert [c.section for c in chunks] == [["封面"], ["壹、 計畫緣起"]]
    assert chunks[0].text == "某市健康競賽實施計畫"


# ----- titles -------------------------------------------------------------------------------
def test_pdf_title_only_when_it_names_the_document():
    assert meaningful_pdf_title("Microsoft Word - doc1.docx") == ""
    assert meaningful_pdf_title("報告.pdf") == ""
    assert meaningful_pdf_title("中華民國憲法") == "中華民國憲法"


def test_title_order_field_size_pdf_title_guess_heading_file_name():
    assert choose_title("測試法", "field", "別的標題", "一、總則", "f") == "測試法"
    assert choose_title("封面第一行", "", "年度施政報告", "一、總則", "f") == "年度施政報告"
    assert choose_title("", "", "Microsoft Word - a.doc", "一、總則", "f") == "一、總則"
    assert choose_title("", "", "", "", "file-stem") == "file-stem"


def test_largest_cover_lines_make_the_title_a_subtitle_does_not():
    cover = [
        Line("十二年國民基本教育課程綱要", 1, size=26),
        Line("國民中小學暨普通型高級中等學校", 1, size=22),
        Line("科技領域", 1, size=26),
        Line("（草案）", 1, size=26),
        Line("中華民國一○五年二月", 1, size=24),
    ]
    assert largest_lines_title(cover, 12) == "十二年國民基本教育課程綱要 科技領域（草案）"
    plan = [Line("111 學年度健康競賽實施計畫", 1, size=16), Line("偵探 Online", 1, size=16)]
    assert largest_lines_title(plan, 12) == "111學年度健康競賽實施計畫"
    assert largest_lines_title(plan, 15) == ""  # not clearly larger than the body: no title
    person = [Line("王小明 研究員", 1, size=20)]
    assert largest_lines_title(person, 12) == ""
    assert tidy_report_title("111 學年度 計畫") == "111學年度 計畫"


# ----- running headers and footers ----------------------------------------------------------
def _pages(make_lines, n=6) -> list[PageText]:
    pages = []
    for p in range(1, n + 1):
        lines = make_lines(p)  # [(text, y)]
        pages.append(
            PageText(
                p,
                "\n".join(t for t, _ in lines),
                tuple(72.0 for _ in lines),
                line_y=tuple(y for _, y in lines),
                line_size=tuple(12.0 for _ in lines),
            )
        )
    return pages


WORDS = "甲乙丙丁戊己庚辛"


def _body(p: int) -> list[tuple[str, float]]:
    return [(f"{WORDS[p]}案的內文，第一行。", 700.0), (f"{WORDS[p]}案的內文，第二行。", 680.0)]


@pytest.mark.parametrize(
    "header",
    [
        lambda p: f"第 {p} 頁，共 6 頁",
        lambda p: "臺 北 市 政 府 公 報 ........ 第 1 2 卷 第 3 期 " + " ".join(str(100 + p)),
        lambda p: f"{2 * p + 10} {2 * p + 11} 某某公報 某某公報",
        lambda p: f"競賽實施計畫 {p}",
    ],
    ids=["第N頁共M頁", "gazette letter-spaced", "facing spread", "plan name + page"],
)
def test_running_headers_go_wherever_the_text_puts_them(header):
    # The extractor emits the footer first although it sits at the bottom of the page.
    pages = _pages(lambda p: [(header(p), 40.0), *_body(p)])
    texts = [ln.text for ln in clean_pages(pages)]
    assert texts == [t for p in range(1, 7) for t, _ in _body(p)]


def test_article_markers_at_the_page_top_are_content_not_headers():
    pages = _pages(lambda p: [(f"第 {p * 7 + p % 3} 條", 760.0), *_body(p)])
    texts = [ln.text for ln in clean_pages(pages)]
    assert sum(t.endswith("條") for t in texts) == 6


# ----- tables extracted one cell per line ---------------------------------------------------
def test_cells_extracted_one_per_line_are_rejoined_into_rows():
    cells = [  # (text, x, y): each cell top to bottom, the next cell starting higher again
        ("A1", 100, 600), ("身心素質", 95, 585), ("自我精進", 95, 570),
        ("具備身心健全", 170, 610), ("發展的素質。", 170, 595),
        ("科-E-A1", 270, 610), ("具備正確且安全", 270, 595), ("地使用科技。", 270, 580),
        ("A2", 100, 520), ("系統思考", 95, 505),
        ("具備問題理解", 170, 530),
        ("科-E-A2", 270, 530), ("具備探索問題", 270, 515),
    ]  # fmt: skip
    lines = [Line(t, 3, x=float(x), y=float(y)) for t, x, y in cells]
    table, j = read_cell_table(lines, 0, full=80)
    assert j == len(lines)
    assert table.rows == [
        "A1身心素質自我精進 具備身心健全發展的素質。 科-E-A1具備正確且安全地使用科技。",
        "A2系統思考 具備問題理解 科-E-A2具備探索問題",
    ]


def test_a_header_row_on_one_line_heads_the_cell_table_below_it():
    cells = [  # the column names share a baseline and come out as one line
        ("賽事 獎項 資格", 90, 700),
        ("初賽", 60, 650), ("大獎抽", 80, 635),
        ("平板電腦、", 160, 680), ("智慧手環", 160, 665),
        ("遊戲次數超過", 320, 685), ("24 次之隊伍。", 320, 670),
        ("決賽", 60, 600), ("造型獎", 160, 600), ("進入決賽隊伍。", 320, 600),
    ]  # fmt: skip
    lines = [Line(t, 6, x=float(x), y=float(y)) for t, x, y in cells]
    table, j = read_cell_table(lines, 0, full=80)
    assert j == len(lines)
    assert table.header == "賽事 獎項 資格"
    assert table.rows[0] == "初賽大獎抽 平板電腦、智慧手環 遊戲次數超過24 次之隊伍。"
    prose = "更多內容請洽官方網站，或於上班時間來電洽詢承辦單位，我們將盡快回覆您的問題與建議。"
    after = [Line(prose, 6, x=57.0, y=560.0 - 20 * k) for k in range(3)]
    blocks, _ = outline([Line("4. 其他：", 6, x=60.0, y=730.0), *lines, *after])
    assert [b.kind for b in blocks][:3] == ["heading", "table", "text"]


def test_empty_sibling_headings_before_a_table_do_not_lead_it():
    lines = [Line("1. 決賽隊伍：", 4), Line("2. 指導老師：", 5), Line("3. 其他：", 6)]
    lines += [Line("項目 名額", 6), Line("1 初賽 十名", 6), Line("2 決賽 五名", 6)]
    chunks = chunk_blocks(outline(lines)[0], "d")
    table = next(c for c in chunks if c.kind == "table")
    assert table.text.startswith("3. 其他：") and table.pages == [6]
    assert "1. 決賽隊伍" in chunks[0].text


def test_prose_without_positions_is_no_cell_table():
    lines = _lines("第一行文字", "第二行文字")
    assert read_cell_table(lines, 0, full=80) == (None, 0)


# ----- page spans ---------------------------------------------------------------------------
def test_a_section_over_many_pages_is_cut_into_chunks_of_at_most_two_pages():
    lines = [Line("壹、 長章", 1)]
    lines += [Line(f"第{p}頁短句。", p) for p in range(1, 9)]
    blocks, _ = outline(lines)
    chunks = chunk_blocks(blocks, "d")
    assert all(max(c.pages) - min(c.pages) + 1 <= MAX_PAGE_SPAN for c in chunks)
    assert "".join(c.text for c in chunks).count("短句") == 8


def test_empty_sibling_headings_over_pages_do_not_glue_into_one_chunk():
    lines = [Line(f"{k}. 圖表{k}：", k) for k in range(1, 6)] + [Line("說明文字。", 5)]
    blocks, _ = outline(lines)
    chunks = chunk_blocks(blocks, "d")
    assert all(max(c.pages) - min(c.pages) + 1 <= MAX_PAGE_SPAN for c in chunks)


# ----- near-identical pages -----------------------------------------------------------------
def test_near_identical_pages_carry_their_distinguishing_name():
    orgs = ["國家發展委員會", "文化部", "海洋委員會"]
    intro = "本章列出各機關的基本資料，每一機關一頁，欄位相同，數值不同，請依機關名稱查閱。"
    lines = [Line("壹、 各機關資料", 1), Line(intro, 1)]
    for page, org in enumerate(orgs, start=2):
        lines += [
            Line(org, page),
            Line("機關基本資料表", page),
            Line("預算員額", page),
            Line(f"{120 + page} 人", page),
            Line("年度預算", page),
            Line(f"{3 + page} 億元", page),
        ]
    assert page_labels(lines) == {2: orgs[0], 3: orgs[1], 4: orgs[2]}
    chunks = chunk_blocks(outline(lines)[0], "register")
    for page, org in enumerate(orgs, start=2):
        on_page = [c for c in chunks if c.pages == [page]]
        assert on_page and all(org in c.section and org in c.display_text for c in on_page)


def test_ordinary_pages_get_no_label():
    lines = [Line(f"第{k}段不同的內文，各頁不重複。", k) for k in range(1, 5)]
    lines += [Line("同一行頁首", k) for k in range(1, 5)]
    assert page_labels(lines) == {}


# ----- list items and figures ----------------------------------------------------------------
def test_a_one_line_note_under_a_table_goes_with_the_table():
    cells = [  # a table read cell by cell, then a note line under it, then the next section
        ("壹、 獎項", 57, 760), ("初賽", 60, 700), ("平板電腦、智慧手環", 160, 705),
        ("遊戲次數超過 24 次", 320, 705), ("決賽", 60, 650), ("造型獎", 160, 650),
        ("進入決賽隊伍", 320, 650), ("更多獎項內容請洽官方網站", 57, 600), ("貳、 其他", 57, 570),
    ]  # fmt: skip
    lines = [Line(t, 6, x=float(x), y=float(y)) for t, x, y in cells]
    prose = "在事先告知之原則下，承辦單位保留更動競賽規則及賽程之權利，並於官方網站公告周知。"
    lines += [Line(prose, 6, x=57.0, y=540.0 - 20 * k) for k in range(3)]
    chunks = chunk_blocks(outline(lines)[0], "d")
    table = next(c for c in chunks if c.kind == "table")
    assert table.text.endswith("更多獎項內容請洽官方網站")
    assert sum("更多獎項" in c.text for c in chunks) == 1
