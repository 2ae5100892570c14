"""Outline detection: heading levels, captions, tables, table of contents, cover metadata."""

from __future__ import annotations

import pytest

from reportqa.ingest.headings import heading_level
from reportqa.ingest.markdown import markdown_lines
from reportqa.ingest.model import Line, PageText
from reportqa.ingest.outline import outline
from reportqa.ingest.tables import join_cells

FULL = "在全球科研環境日趨競爭與複雜的背景下如何透過研究資源配置與制度設計有效回應社會需"  # 40


def _lines(*texts: str, page: int | None = None) -> list[Line]:
    return [Line(t, page) for t in texts]


def _blocks(*texts: str):
    return outline(_lines(*texts))[0]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("壹、 參訪目的", 1),
        ("拾、附錄", 1),
        ("第一章 緒論", 1),
        ("第3章 方法", 1),
        ("摘要", 1),
        ("目錄", 1),
        ("目 次", 1),
        ("一、 台北駐日本經濟文化代表處科技組", 2),
        ("十一、 其他", 2),
        ("第二節 背景", 2),
        ("(一) 時間：114 年 4 月 14 日", 3),
        ("（四）紀要", 3),
        ("1、 強化國際合作推動機制", 4),
        ("5 、 Dr. Ching-Kai Chiu", 4),
        ("2. 研究方法", 4),
        ("(1) 申請資格", 5),
        ("（12）審查", 5),
    ],
)
def test_heading_levels(text, level):
    assert heading_level(text) == level


@pytest.mark.parametrize(
    "text",
    [
        "於2002年成立，總部設於茨城縣筑波市",
        "第5期中長期計畫（2025–2031 年）",
        "2025 年 4 月 1 日啟動",
        "1.5 倍的經費",
        "如(一)所述之原則",
        "JST 成立於 2003 年",
        "表示計畫的核心目標",
        "圖表顯示",
        "04/14(一) 台北→日本東京",
    ],
)
def test_numbers_inside_sentences_are_not_headings(text):
    assert heading_level(text) == 0


def test_section_paths_nest_by_level():
    blocks = _blocks(
        "肆、參訪紀要",
        "三、 日本科學技術振興機構(Japan Science and Technology Agency, JST)",
        "(四) 紀要：",
        "2、 人才培育系統：JST 的 ACT-X 計畫為 2020 年啟動。",
        "四、 理化學研究所 (RIKEN)",
        "RIKEN 成立於 1917 年。",
    )
    body = [b for b in blocks if b.kind != "heading"]
    assert body[0].section == [
        "肆、參訪紀要",
        "三、 日本科學技術振興機構(Japan Science and Technology Agency, JST)",
        "(四) 紀要",
        "2、 人才培育系統",
    ]
    assert body[0].text == "：JST 的 ACT-X 計畫為 2020 年啟動。"  # the inline body after the title
    assert body[1].section == ["肆、參訪紀要", "四、 理化學研究所 (RIKEN)"]


def test_wrapped_heading_is_one_heading():
    blocks = _blocks(
        "二、 獨立行政法人物質材料研究機構(National Institute for Materials",
        "Science, NIMS)",
        "NIMS 為日本專責推動材料科學研究之國家級研究機構。",
    )
    assert blocks[0].kind == "heading"
    assert blocks[0].text == (
        "二、 獨立行政法人物質材料研究機構(National Institute for Materials Science, NIMS)"
    )
    assert blocks[1].section == [blocks[0].text]


def test_list_items_are_not_sub_headings():
    blocks = _blocks(
        "(三) 與會人員：",
        "1、 Dr. Kazuhiro Hono, President",
        "2、 Dr. Nobutaka Hanagata, Executive Vice President",
    )
    assert [b.kind for b in blocks] == ["heading", "list", "list"]
    assert blocks[2].section == ["(三) 與會人員"]


def test_marker_at_the_start_of_a_wrapped_line_continues_the_sentence():
    # The page broke the sentence right before 「圖1、」 and 「(一)」: not a caption, not a heading.
    blocks = _blocks(
        "摘要",
        FULL + "求，",
        FULL + "詳見",
        "圖1、圖2所示，其成果",
        FULL + "如",
        "(一)所列之項目。",
    )
    assert [b.kind for b in blocks] == ["heading", "text"]
    assert "詳見圖1、圖2所示" in blocks[1].text
    assert "如(一)所列之項目。" in blocks[1].text


def test_captions():
    blocks = _blocks(
        "一、 台北駐日本經濟文化代表處科技組",
        *[FULL + "。"] * 8,
        "圖1、台灣訪團與台北駐日本經濟文化代表處科技組鄒幼涵顧問合影",
        "圖 3、 台灣訪團與 JST Vice President Shigeo MORIMOTO 及機構成員在東京總部大樓",
        "合影",
        "圖4、 台灣訪團與 RIKEN Executive Vice President (Dr. Kyoko",
        "Nozaki) 及機構成員合影",
        "二、 下一節",
    )
    captions = [b for b in blocks if b.kind == "caption"]
    assert [c.text for c in captions] == [
        "圖1、台灣訪團與台北駐日本經濟文化代表處科技組鄒幼涵顧問合影",
        "圖 3、 台灣訪團與 JST Vice President Shigeo MORIMOTO 及機構成員在東京總部大樓合影",
        "圖4、 台灣訪團與 RIKEN Executive Vice President (Dr. Kyoko Nozaki) 及機構成員合影",
    ]


def test_table_caption_header_and_rows():
    blocks = _blocks(
        "2、 人才培育系統",
        "表 1、JST 人才育成計畫列表",
        "計畫名稱 對象 支援內容 執行機構",
        "SPRING 博士生 生活費 + 研究經費 + 能力訓練 各大學，由 JST 支援",
        "ACT-X 年輕研究人員 小額創新型研究經費 個人或機構申請",
        "PRESTO 博士後期至中堅研究者 具潛力的個人研究 JST 主導",
        "3、 研究審查及評量機制：所有計畫均由相關領域之學者專家組成評審委員會進行嚴格審查。",
    )
    table = blocks[1]
    assert table.kind == "table"
    assert table.table_header == "計畫名稱 對象 支援內容 執行機構"
    assert [r.split()[0] for r in table.table_rows] == ["SPRING", "ACT-X", "PRESTO"]
    assert table.text.startswith("表 1、JST 人才育成計畫列表\n計畫名稱")
    assert table.section == ["2、 人才培育系統"]
    assert blocks[-1].section == ["3、 研究審查及評量機制"]


def test_numbered_rows_take_their_wrapped_lines():
    blocks = _blocks(
        "參、訪團成員",
        "序號 學門 姓名 任職單位 職稱 備註",
        "3 數學 陳國璋 國立清華大學數學系 教授 召集人",
        "4 物理 王為豪",
        "中央研究院天文及天文",
        "物理研究所",
        "研究員 召集人",
        "5 化學 王建隆 國立臺灣大學化學系暨研究所 教授 召集人",
    )
    rows = blocks[1].table_rows
    # without positions (text files) the row's lines are joined as cells, with spaces
    assert rows[1] == "4 物理 王為豪 中央研究院天文及天文 物理研究所 研究員 召集人"
    assert len(rows) == 3


def test_wrapped_cell_is_rejoined_by_position():
    # LibreOffice puts each cell line on its own line; a wrapped cell's lines share their x.
    col = {"序號": 73.0, "姓名": 150.0, "單位": 200.0, "職稱": 330.0}
    row = [
        Line("4 物理 王為豪", 3, col["序號"]),
        Line("中央研究院天文及天文物理", 3, col["單位"]),
        Line("研究所", 3, col["單位"]),
        Line("研究員 召集人", 3, col["職稱"]),
    ]
    widest = {round(col["單位"]): 24}
    assert join_cells(row, widest) == "4 物理 王為豪 中央研究院天文及天文物理研究所 研究員 召集人"
    # a second paragraph in a cell (the line above does not fill the column) keeps its space
    row = [
        Line("04/14(一)", 3, 73.0),
        Line("台北→日本東京", 3, 164.5),
        Line("台北駐日本經濟文化代表處科技組", 3, 164.5),
    ]
    assert join_cells(row, {164: 60}) == "04/14(一) 台北→日本東京 台北駐日本經濟文化代表處科技組"
    # every line at the margin (reportlab, the original extractor): nothing to tell, cells stay
    row = [Line("4 物理 王為豪", 3, 62.0), Line("中央研究院天文及天文", 3, 62.0)]
    assert join_cells(row, {62: 30}) == "4 物理 王為豪 中央研究院天文及天文"


def test_table_of_contents_is_skipped():
    toc = _lines(
        "目錄", "壹、 參訪目的 ........ 1", "貳、 參訪行程 ........ 2", "圖1、合影 3", page=2
    )
    # the TOC page's last line looks like nothing in particular: the page rule drops it too
    toc.append(Line("其他", 2))
    body = _lines("壹、 參訪目的", "在全球科研環境日趨競爭與複雜的背景下。", page=3)
    blocks, _ = outline(_lines("出國報告", "台日自然科學研究領域交流", page=1) + toc + body)
    assert [b.text for b in blocks] == [
        "出國報告\n台日自然科學研究領域交流",
        "壹、 參訪目的",
        "在全球科研環境日趨競爭與複雜的背景下。",
    ]
    # a text file has no pages: entries with dot leaders or page numbers are skipped
    blocks = _blocks("目次", "壹、 參訪目的 ...... 1", "貳、 參訪行程 2", "壹、 參訪目的", "內容。")
    assert [b.text for b in blocks] == ["壹、 參訪目的", "內容。"]


def test_cover_fields_become_metadata():
    blocks, meta = outline(
        _lines(
            "出國報告（出國類別：考察）",
            "台日自然科學研究領域交流",
            "服務機關：國家科學及技術委員會",
            "姓名職稱：賴明治處長",
            "派赴國家/地區：日本/東京",
            "出國期間：114年4月14日至114年4月17日",
            "報告日期：114 年 5 月 14 日",
            "摘要",
            "本次交流活動邀集自然處學門召集人參與。",
        )
    )
    assert meta == {
        "title": "台日自然科學研究領域交流",
        "trip_type": "考察",
        "agency": "國家科學及技術委員會",
        "author": "賴明治處長",
        "destination": "日本/東京",
        "period": "114年4月14日至114年4月17日",
        "report_date": "114年5月14日",
    }
    assert blocks[0].section == ["封面"]
    assert blocks[1].section == ["摘要"]


MD = """# 台日自然科學研究領域交流

## 壹、 參訪目的

在全球科研環境日趨競爭與複雜的背景下，
如何透過研究資源配置與制度設計有效回應社會需求。

## 肆、參訪紀要

### 三、 日本科學技術振興機構(JST)

(四) 紀要：

2、 人才培育系統：JST 的 ACT-X 計畫。

| 計畫名稱 | 對象 |
|---|---|
| ACT-X | 年輕研究人員 |

- 清單項目一
- 清單項目二
"""


def test_markdown_headings_and_paragraphs():
    blocks, meta = outline(markdown_lines([PageText(None, MD)]), markdown=True)
    assert meta["title"] == "台日自然科學研究領域交流"
    text = {b.text: b for b in blocks}
    para = text[
        "在全球科研環境日趨競爭與複雜的背景下，如何透過研究資源配置與制度設計有效回應社會需求。"
    ]
    assert para.section == ["台日自然科學研究領域交流", "壹、 參訪目的"]
    act_x = text["：JST 的 ACT-X 計畫。"]
    assert act_x.section == [
        "台日自然科學研究領域交流",
        "肆、參訪紀要",
        "三、 日本科學技術振興機構(JST)",
        "(四) 紀要",
        "2、 人才培育系統",
    ]
    table = next(b for b in blocks if b.kind == "table")
    assert table.table_header == "| 計畫名稱 | 對象 |"
    assert table.table_rows == ["| ACT-X | 年輕研究人員 |"]  # the |---| rule is markup
    assert [b.kind for b in blocks][-2:] == ["list", "list"]
    breaks = [b.text for b in blocks if b.kind == "heading" and b.section_break]
    assert "三、 日本科學技術振興機構(JST)" in breaks and "(四) 紀要：" not in breaks
