"""Build PDFs of the bundled sample report, for the package and for tests.

The source is the text-extractor output of the original 16-page PDF
(``reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt``). Two builders:

* :func:`build_reportlab_pdf` redraws the original pages line by line (same line and page breaks)
  with the ``MSung-Light`` CID font, plus a running header and a page-number footer.
* :func:`build_libreoffice_pdf` re-flows the report into a word-processor document (paragraphs,
  headings, real tables, captions, a cover page) as flat ODT and converts it with LibreOffice.

``python scripts/make_sample_pdfs.py`` writes the bundled sample PDF (the LibreOffice one).
Functions are importable; ``tests/pdf_fixtures.py`` loads this file by path.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "reportqa" / "data" / "sample"
SAMPLE_TXT = SAMPLE_DIR / "2025-taiwan-japan-natural-sciences-exchange.txt"
SAMPLE_PDF = SAMPLE_DIR / "2025-taiwan-japan-natural-sciences-exchange.pdf"

TITLE = "台日自然科學研究領域交流"
CID_FONT = "MSung-Light"
FOOTER_RE = re.compile(r"^(?:第\s*\d+\s*頁|-\s*\d+\s*-)$")
_WS_RE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Remove all whitespace (the comparison form used by the tests and the eval set)."""
    return _WS_RE.sub("", text)


def footer_text(page_no: int) -> str:
    return f"第 {page_no} 頁"


# --------------------------------------------------------------------------------------------
# Reading the extractor output
# --------------------------------------------------------------------------------------------


@dataclass
class SourceLine:
    """One visual line of the original PDF, with the extractor's hints about what follows it."""

    text: str  # stripped
    trailing_space: bool  # the extractor wrote "text " (end of a text run)
    gap_after: bool  # a blank line or a page break follows


def _is_page_start(raw: list[str], i: int) -> bool:
    line = raw[i]
    if not line.startswith(" "):
        return False
    if line == "  ":  # page-start space + an empty visual line
        return True
    # A page's text is appended right after the previous page's last line (no blank line);
    # a leading space after a blank line is indentation (e.g. the centred title on the cover).
    return bool(line.strip()) and i > 0 and raw[i - 1] != ""


def _source_lines(txt_path: Path | str = SAMPLE_TXT) -> list[list[SourceLine]]:
    raw = Path(txt_path).read_text(encoding="utf-8").split("\n")
    starts = [i for i in range(len(raw)) if _is_page_start(raw, i)]
    if not starts or any(line.strip() for line in raw[: starts[0]]):
        starts.insert(0, 0)
    bounds = [*starts, len(raw)]
    pages: list[list[SourceLine]] = []
    for a, b in itertools.pairwise(bounds):
        page: list[SourceLine] = []
        for i in range(a, b):
            text = raw[i].strip()
            if not text:
                continue
            last_on_page = not any(raw[j].strip() for j in range(i + 1, b))
            gap = last_on_page or (i + 1 < len(raw) and raw[i + 1] == "")
            page.append(SourceLine(text, raw[i].endswith(" "), gap))
        pages.append(page)
    return pages


def source_pages(txt_path: Path | str = SAMPLE_TXT) -> list[list[str]]:
    """The original pages as lists of non-blank visual lines (stripped)."""
    return [[ln.text for ln in page] for page in _source_lines(txt_path)]


# --------------------------------------------------------------------------------------------
# reportlab: the original layout, line by line
# --------------------------------------------------------------------------------------------


def register_cid_font() -> str:
    """Register MSung-Light so that pypdf can map its codes back to Unicode."""
    from reportlab.pdfbase import _cidfontdata, pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    _cidfontdata.defaultUnicodeEncodings[CID_FONT] = ("cht", "UniCNS-UCS2-H")
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def reportlab_page_lines(
    pages: Sequence[Sequence[str]], header: str | None = TITLE, footer: bool = True
) -> list[list[str]]:
    """The lines each page of :func:`build_reportlab_pdf` shows, top to bottom."""
    out = []
    for n, lines in enumerate(pages, start=1):
        page = []
        if header and n > 1:
            page.append(header)
        page.extend(lines)
        if footer:
            page.append(footer_text(n))
        out.append(page)
    return out


def build_reportlab_pdf(
    pages: Sequence[Sequence[str]],
    out_path: Path | str,
    header: str | None = TITLE,
    footer: bool = True,
) -> Path:
    """Draw ``pages`` on A4, one visual line per source line, in reading order.

    The first page is laid out as a cover (centred, no running header). Every other page gets
    ``header`` at the top; every page gets ``第 N 頁`` at the bottom when ``footer``.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = register_cid_font()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    width, height = A4
    left, right = 62.0, 62.0
    usable = width - left - right
    top, bottom = height - 88.0, 78.0
    c = canvas.Canvas(str(out_path), pagesize=A4, pageCompression=1)
    c.setTitle(TITLE)
    c.setAuthor("國家科學及技術委員會")
    c.setCreator("reportqa scripts/make_sample_pdfs.py (reportlab)")

    def fit(text: str, size: float) -> float:
        w = stringWidth(text, font, size)
        return size if w <= usable else size * usable / w

    for n, lines in enumerate(pages, start=1):
        if header and n > 1:
            c.setFont(font, 9)
            c.drawCentredString(width / 2, height - 48, header)
            c.setLineWidth(0.4)
            c.line(left, height - 54, width - right, height - 54)
        if n == 1:
            # cover: first lines large and centred, the rest (fields) lower down
            y = height - 190
            for k, text in enumerate(lines):
                size = 20 if k == 0 else 26 if k == 1 else 14
                size = fit(text, size)
                c.setFont(font, size)
                if k < 2:
                    c.drawCentredString(width / 2, y, text)
                    y -= 90 if k == 0 else 260
                else:
                    c.drawString(left + 70, y, text)
                    y -= 28
        else:
            # crowded pages (the members table: 59 lines) get a smaller font
            leading = min(21.0, (top - bottom) / max(len(lines), 1))
            size = min(12.0, leading / 1.2)
            y = top
            for text in lines:
                c.setFont(font, fit(text, size))
                c.drawString(left, y, text)
                y -= leading
        if footer:
            c.setFont(font, 10)
            c.drawCentredString(width / 2, 40, footer_text(n))
        c.showPage()
    c.save()
    return out_path


# --------------------------------------------------------------------------------------------
# Re-flowing the report into a document model (paragraphs, headings, tables, captions)
# --------------------------------------------------------------------------------------------

# Tables, written out by hand: rows of cells, each cell a list of paragraphs. Their text (whitespace
# removed, row by row) must equal the source lines they replace; _reflow checks it.
ITINERARY_TABLE: list[list[list[str]]] = [
    [["日期"], ["拜會機構"]],
    [["04/14(一)"], ["台北→日本東京", "台北駐日本經濟文化代表處科技組"]],
    [
        ["04/15(二)"],
        [
            "獨立行政法人物質材料研究機構(National Institute for Materi-als Science, NIMS)",
            "日本科學技術振興機構(Japan Science and Technology Agency, JST)",
        ],
    ],
    [
        ["04/16(三)"],
        [
            "理化學研究所(RIKEN)",
            "日本學術振興會(Japan Society for the Promotion of Science, JSPS)",
        ],
    ],
    [["04/17(四)"], ["日本東京→台北"]],
]

MEMBERS_TABLE: list[list[list[str]]] = [
    [[c] for c in ["序號", "學門", "姓名", "任職單位", "職稱", "備註"]],
    *[
        [[c] if c else [] for c in row]
        for row in [
            ["1", "-", "賴明治", "國家科學及技術委員會自然處", "處長", "台灣訪團代表"],
            ["2", "數學", "夏俊雄", "國立臺灣大學應用數學科學研究所", "教授", "召集人"],
            ["3", "數學", "陳國璋", "國立清華大學數學系", "教授", "召集人"],
            ["4", "物理", "王為豪", "中央研究院天文及天文物理研究所", "研究員", "召集人"],
            ["5", "化學", "王建隆", "國立臺灣大學化學系暨研究所", "教授", "召集人"],
            ["6", "化學", "葉鎮宇", "國立中興大學化學系", "教授", "召集人"],
            ["7", "空間資訊", "韓仁毓", "國立臺灣大學土木工程學系暨研究所", "教授", "召集人"],
            ["8", "奈米科技", "廖奕翰", "國立陽明交通大學應用化學系", "教授", "召集人"],
            ["9", "基礎研究核心設施", "陳昭岑", "國立臺灣大學化學系暨研究所", "教授", "召集人"],
            [
                "10",
                "國際合作",
                "鄭嘉良",
                "國立東華大學應用物理研究所暨物理學系",
                "特聘教授",
                "召集人",
            ],
            ["11", "化學", "陳軍互", "國立中山大學化學系", "教授", "共同召集人"],
            ["12", "化學", "陳朝榮", "中國醫藥大學中西醫結合研究所", "教授", "共同召集人"],
            [
                "13",
                "-",
                "林俊良",
                "國立陽明交通大學電子物理系",
                "助理教授",
                "隨隊顧問(協助訪團翻譯及接洽)",
            ],
            [
                "14",
                "-",
                "詹益慈",
                "自然科學及永續研究推展中心／國立臺灣大學化學系暨研究所",
                "主任／教授",
                "",
            ],
            ["15", "-", "呂冠樺", "自然科學及永續研究推展中心", "執行長", ""],
        ]
    ],
]

JST_TABLE: list[list[list[str]]] = [
    [[c] for c in row]
    for row in [
        ["計畫名稱", "對象", "支援內容", "執行機構"],
        ["SPRING", "博士生", "生活費 + 研究經費 + 能力訓練", "各大學，由 JST 支援"],
        ["ACT-X", "年輕研究人員", "小額創新型研究經費", "個人或機構申請"],
        ["PRESTO", "博士後期至中堅研究者", "具潛力的個人研究", "JST 主導"],
        ["CREST", "團隊領導者", "大型戰略型研究計畫", "JST 主導"],
    ]
]

# first source line of each table -> (name, rows, relative column widths)
TABLES: dict[str, tuple[str, list[list[list[str]]], list[float]]] = {
    "日期 拜會機構": ("itinerary", ITINERARY_TABLE, [1.0, 4.0]),
    "序號 學門 姓名 任職單位 職稱 備註": ("members", MEMBERS_TABLE, [0.7, 1.2, 1.0, 2.6, 1.1, 1.6]),
    "計畫名稱 對象 支援內容 執行機構": ("jst", JST_TABLE, [1.1, 1.6, 2.2, 1.7]),
}

RE_H1 = re.compile(r"^[壹貳參肆伍陸柒捌玖拾]+、")
RE_H2 = re.compile(r"^[一二三四五六七八九十]+、")
RE_H3 = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
RE_ITEM = re.compile(r"^\d+、")
RE_ITEM2 = re.compile(r"^[(（]\d+[)）]")
RE_CAPTION = re.compile(r"^[圖表]\s*\d+、")
TERMINAL = set("。：:；;)）」』！？!?")


@dataclass
class Block:
    """A block of the re-flowed document."""

    kind: str  # cover-kind, cover-title, cover-field, title, h1, h2, h3, item, body, caption, table
    text: str = ""
    rows: list[list[list[str]]] = field(default_factory=list)
    name: str = ""
    widths: list[float] = field(default_factory=list)

    def content(self) -> str:
        if self.kind == "table":
            return "".join("".join("".join(cell) for cell in row) for row in self.rows)
        return self.text


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def join_wrapped(lines: Iterable[str]) -> str:
    """Re-join the visual lines of one paragraph.

    Between CJK characters the line break disappears; between Latin words it becomes a space;
    a line ending in ``-`` followed by a letter is joined without a space, keeping the hyphen.
    """
    out = ""
    for line in lines:
        line = line.strip()
        if not out:
            out = line
            continue
        if not line:
            continue
        a, b = out[-1], line[0]
        hyphenated = a == "-" and b.isascii() and b.isalpha()
        if hyphenated or _is_cjk(a) or _is_cjk(b):
            out += line
        else:
            out += " " + line
    return out


def _line_kind(text: str) -> str | None:
    if RE_H1.match(text):
        return "h1"
    if RE_H2.match(text):
        return "h2"
    if RE_H3.match(text):
        return "h3"
    if RE_ITEM.match(text) or RE_ITEM2.match(text):
        return "item"
    if RE_CAPTION.match(text):
        return "caption"
    if text == "摘要":
        return "title"
    return None


def _reflow(txt_path: Path | str = SAMPLE_TXT) -> list[Block]:
    pages = _source_lines(txt_path)
    blocks: list[Block] = []
    cover = pages[0]
    for k, ln in enumerate(cover):
        kind = "cover-kind" if k == 0 else "cover-title" if ln.text == TITLE else "cover-field"
        blocks.append(Block(kind, ln.text))

    lines = [ln for page in pages[1:] for ln in page]
    i = 0
    para: list[SourceLine] = []
    para_kind = "body"

    def flush() -> None:
        nonlocal para
        if para:
            blocks.append(Block(para_kind, join_wrapped(ln.text for ln in para)))
            para = []

    while i < len(lines):
        ln = lines[i]
        if ln.text in TABLES:
            flush()
            name, rows, widths = TABLES[ln.text]
            table = Block("table", rows=rows, name=name, widths=widths)
            want, got = squash(table.content()), ""
            while i < len(lines) and len(got) < len(want):
                got += squash(lines[i].text)
                i += 1
            if got != want:
                raise ValueError(f"table {name!r} does not match the source:\n{got}\n{want}")
            blocks.append(table)
            continue
        kind = _line_kind(ln.text)
        if kind is not None:
            flush()
            para_kind = kind
        elif not para:
            para_kind = "body"
        para.append(ln)
        # where does this paragraph end?
        single_line = para_kind in ("title", "h1", "h2", "caption")
        ends = ln.trailing_space and ln.gap_after and ln.text[-1] in TERMINAL
        if single_line or ends:
            flush()
        i += 1
    flush()
    return blocks


def document_blocks(txt_path: Path | str = SAMPLE_TXT) -> list[Block]:
    """The re-flowed report; checks that it holds exactly the source characters."""
    blocks = _reflow(txt_path)
    got = squash("".join(b.content() for b in blocks))
    want = squash("".join("".join(p) for p in source_pages(txt_path)))
    if got != want:
        k = next((n for n, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        raise ValueError(f"re-flowed text differs from the source at {k}")
    return blocks


def source_text_for(kind: str, txt_path: Path | str = SAMPLE_TXT) -> str:
    """The content characters (whitespace removed, no header/footer) a built PDF contains.

    ``kind`` is ``"reportlab"`` (page lines in order) or ``"libreoffice"`` (the re-flowed
    document: paragraphs and table cells row by row). Both equal the report's text.
    """
    if kind == "reportlab":
        return squash("".join("".join(p) for p in source_pages(txt_path)))
    if kind == "libreoffice":
        return squash("".join(b.content() for b in document_blocks(txt_path)))
    raise ValueError(f"unknown kind {kind!r}")


def strip_header_footer(page_texts: Sequence[str], header: str | None = TITLE) -> list[str]:
    """Drop running-header and footer lines from pypdf page texts (the cover keeps its title)."""
    out = []
    for n, text in enumerate(page_texts):
        kept = []
        header_seen = False
        for line in text.splitlines():
            s = line.strip()
            if FOOTER_RE.match(s):
                continue
            if header and n > 0 and not header_seen and s == header:
                header_seen = True
                continue
            kept.append(line)
        out.append("\n".join(kept))
    return out


# --------------------------------------------------------------------------------------------
# LibreOffice: flat ODT -> PDF
# --------------------------------------------------------------------------------------------

_FODT_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta>
 <dc:title>{title}</dc:title>
 <meta:initial-creator>國家科學及技術委員會</meta:initial-creator>
 <dc:language>zh-TW</dc:language>
</office:meta>
<office:font-face-decls>
 <style:font-face style:name="Serif" svg:font-family="'Noto Serif CJK TC'"
  style:font-family-generic="roman" style:font-pitch="variable"/>
 <style:font-face style:name="Sans" svg:font-family="'Noto Sans CJK TC'"
  style:font-family-generic="swiss" style:font-pitch="variable"/>
</office:font-face-decls>
<office:styles>
 <style:default-style style:family="paragraph">
  <style:paragraph-properties fo:line-height="150%" style:line-break="strict"
   style:writing-mode="lr-tb"/>
  <style:text-properties style:font-name="Serif" style:font-name-asian="Serif"
   style:font-name-complex="Serif" fo:font-size="12pt" style:font-size-asian="12pt"
   fo:language="en" fo:country="US" style:language-asian="zh" style:country-asian="TW"
   fo:hyphenate="false"/>
 </style:default-style>
 <style:default-style style:family="table-cell">
  <style:table-cell-properties fo:padding="0.1cm"/>
 </style:default-style>
 <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
 <style:style style:name="Body" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="justify" fo:text-indent="0.85cm"
   fo:margin-top="0cm" fo:margin-bottom="0.1cm"/>
 </style:style>
 <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard"
  style:default-outline-level="1">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="0.2cm"
   fo:margin-bottom="0.3cm" fo:keep-with-next="always"/>
  <style:text-properties style:font-name="Sans" style:font-name-asian="Sans" fo:font-size="18pt"
   style:font-size-asian="18pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="H1" style:family="paragraph" style:parent-style-name="Standard"
  style:default-outline-level="1">
  <style:paragraph-properties fo:margin-top="0.35cm" fo:margin-bottom="0.2cm"
   fo:keep-with-next="always"/>
  <style:text-properties style:font-name="Sans" style:font-name-asian="Sans" fo:font-size="16pt"
   style:font-size-asian="16pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="H2" style:family="paragraph" style:parent-style-name="Standard"
  style:default-outline-level="2">
  <style:paragraph-properties fo:margin-top="0.25cm" fo:margin-bottom="0.1cm"
   fo:keep-with-next="always"/>
  <style:text-properties fo:font-size="14pt" style:font-size-asian="14pt" fo:font-weight="bold"
   style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="H3" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-left="1.55cm" fo:text-indent="-1.1cm"
   fo:margin-bottom="0.05cm"/>
 </style:style>
 <style:style style:name="Item" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="justify" fo:margin-left="2.05cm"
   fo:text-indent="-0.85cm" fo:margin-bottom="0.1cm"/>
 </style:style>
 <style:style style:name="Figure" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="0.3cm"
   fo:keep-with-next="always"/>
 </style:style>
 <style:style style:name="Caption" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="0.1cm"
   fo:margin-bottom="0.3cm"/>
  <style:text-properties fo:font-size="11pt" style:font-size-asian="11pt"/>
 </style:style>
 <style:style style:name="TableCaption" style:family="paragraph"
  style:parent-style-name="Caption">
  <style:paragraph-properties fo:keep-with-next="always"/>
 </style:style>
 <style:style style:name="Cell" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:line-height="130%"/>
  <style:text-properties fo:font-size="11pt" style:font-size-asian="11pt"/>
 </style:style>
 <style:style style:name="CellHead" style:family="paragraph" style:parent-style-name="Cell">
  <style:paragraph-properties fo:text-align="center"/>
  <style:text-properties fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="HeaderP" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:line-height="100%"/>
  <style:text-properties fo:font-size="9pt" style:font-size-asian="9pt" fo:color="#444444"/>
 </style:style>
 <style:style style:name="FooterP" style:family="paragraph" style:parent-style-name="HeaderP"/>
 <style:style style:name="CoverKind" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="2.5cm"/>
  <style:text-properties fo:font-size="20pt" style:font-size-asian="20pt"/>
 </style:style>
 <style:style style:name="CoverTitle" style:family="paragraph"
  style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="3cm"
   fo:margin-bottom="7cm"/>
  <style:text-properties style:font-name="Sans" style:font-name-asian="Sans" fo:font-size="26pt"
   style:font-size-asian="26pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
 </style:style>
 <style:style style:name="CoverField" style:family="paragraph"
  style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-left="3cm" fo:margin-bottom="0.25cm"/>
  <style:text-properties fo:font-size="14pt" style:font-size-asian="14pt"/>
 </style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="PL">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
   fo:margin-top="1.5cm" fo:margin-bottom="1.5cm" fo:margin-left="2.5cm"
   fo:margin-right="2.5cm" style:print-orientation="portrait"/>
  <style:header-style>
   <style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.5cm"
    fo:border-bottom="0.5pt solid #888888" fo:padding-bottom="0.1cm"/>
  </style:header-style>
  <style:footer-style>
   <style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.5cm"/>
  </style:footer-style>
 </style:page-layout>
 <style:page-layout style:name="PLCover">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
   fo:margin-top="2.5cm" fo:margin-bottom="2.5cm" fo:margin-left="2.5cm"
   fo:margin-right="2.5cm" style:print-orientation="portrait"/>
 </style:page-layout>
 <style:style style:name="BodyFirst" style:family="paragraph" style:parent-style-name="Title"
  style:master-page-name="Report">
  <style:paragraph-properties style:page-number="auto"/>
 </style:style>
 <style:style style:name="FigureFrame" style:family="graphic">
  <style:graphic-properties draw:fill="solid" draw:fill-color="#d9dde3" draw:stroke="solid"
   svg:stroke-color="#9aa3ad" svg:stroke-width="0.03cm" style:vertical-pos="top"
   style:vertical-rel="baseline"/>
 </style:style>
 <style:style style:name="CoverFirst" style:family="paragraph"
  style:parent-style-name="CoverKind" style:master-page-name="Cover"/>
{table_styles}
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Cover" style:page-layout-name="PLCover"
  style:next-style-name="Report"/>
 <style:master-page style:name="Report" style:page-layout-name="PL">
{header_footer}
 </style:master-page>
</office:master-styles>
<office:body>
<office:text>
"""

_FODT_TAIL = """</office:text>
</office:body>
</office:document>
"""

_PARA_STYLE = {
    "cover-kind": "CoverKind",
    "cover-title": "CoverTitle",
    "cover-field": "CoverField",
    "title": "Title",
    "h1": "H1",
    "h2": "H2",
    "h3": "H3",
    "item": "Item",
    "body": "Body",
    "caption": "Caption",
}


def _xml(text: str) -> str:
    # keep runs of spaces as they are in the source
    return re.sub(r"  +", lambda m: " " + "<text:s/>" * (len(m.group()) - 1), escape(text))


def _table_xml(block: Block, usable_cm: float) -> tuple[str, str]:
    name = f"T_{block.name}"
    total = sum(block.widths)
    styles = [
        f' <style:style style:name="{name}" style:family="table">'
        f'<style:table-properties style:width="{usable_cm:.2f}cm" table:align="center"'
        ' fo:margin-top="0.15cm" fo:margin-bottom="0.3cm"/></style:style>',
        f' <style:style style:name="{name}.row" style:family="table-row">'
        '<style:table-row-properties fo:keep-together="always"/></style:style>',
        f' <style:style style:name="{name}.cell" style:family="table-cell">'
        '<style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="0.1cm"'
        ' style:vertical-align="middle"/></style:style>',
        f' <style:style style:name="{name}.head" style:family="table-cell">'
        '<style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="0.1cm"'
        ' fo:background-color="#e8ecf1" style:vertical-align="middle"/></style:style>',
    ]
    cols = []
    for k, w in enumerate(block.widths):
        styles.append(
            f' <style:style style:name="{name}.c{k}" style:family="table-column">'
            f'<style:table-column-properties style:column-width="{usable_cm * w / total:.2f}cm"/>'
            "</style:style>"
        )
        cols.append(f'<table:table-column table:style-name="{name}.c{k}"/>')
    body = [f'<table:table table:name="{block.name}" table:style-name="{name}">', *cols]
    for r, row in enumerate(block.rows):
        # The first row is styled as a heading but not repeated on each page: a repeated
        # heading row would add characters that are not in the report.
        head = r == 0
        body.append(f'<table:table-row table:style-name="{name}.row">')
        for cell in row:
            cstyle = f"{name}.head" if head else f"{name}.cell"
            pstyle = "CellHead" if head else "Cell"
            paras = "".join(f'<text:p text:style-name="{pstyle}">{_xml(p)}</text:p>' for p in cell)
            if not paras:
                paras = f'<text:p text:style-name="{pstyle}"/>'
            body.append(
                f'<table:table-cell table:style-name="{cstyle}" office:value-type="string">'
                f"{paras}</table:table-cell>"
            )
        body.append("</table:table-row>")
    body.append("</table:table>")
    return "\n".join(styles), "\n".join(body)


def build_fodt(blocks: Sequence[Block], header: bool = True) -> str:
    """The flat-ODT document for ``blocks`` (cover page, then the report with header/footer)."""
    usable_cm = 21.0 - 2.5 - 2.5
    table_styles = []
    body: list[str] = []
    first_after_cover = True
    seen_kind = False
    for b in blocks:
        if b.kind == "table":
            styles, xml = _table_xml(b, usable_cm)
            table_styles.append(styles)
            body.append(xml)
            continue
        style = _PARA_STYLE[b.kind]
        if b.kind == "cover-kind" and not seen_kind:
            style, seen_kind = "CoverFirst", True
        elif not b.kind.startswith("cover") and first_after_cover:
            # the first paragraph after the cover switches to the report page style (page break)
            if b.kind != "title":
                raise ValueError("expected 摘要 right after the cover")
            style, first_after_cover = "BodyFirst", False
        text = _xml(b.text)
        if b.kind in ("title", "h1", "h2"):
            level = 1 if b.kind in ("title", "h1") else 2
            body.append(
                f'<text:h text:style-name="{style}" text:outline-level="{level}">{text}</text:h>'
            )
            continue
        if b.kind == "caption" and b.text.startswith("圖"):
            body.append(
                '<text:p text:style-name="Figure"><draw:rect draw:style-name="FigureFrame"'
                ' text:anchor-type="as-char" svg:width="12cm" svg:height="6.5cm"'
                ' draw:z-index="0"/></text:p>'
            )
        if b.kind == "caption" and b.text.startswith("表"):
            style = "TableCaption"
        body.append(f'<text:p text:style-name="{style}">{text}</text:p>')
    head = _FODT_HEAD.format(
        title=escape(TITLE),
        header_footer=(
            '  <style:header><text:p text:style-name="HeaderP">'
            f"{escape(TITLE)}</text:p></style:header>\n"
            '  <style:footer><text:p text:style-name="FooterP">第 <text:page-number'
            ' text:select-page="current">1</text:page-number> 頁</text:p></style:footer>'
            if header
            else ""
        ),
        table_styles="\n".join(table_styles),
    )
    return head + "\n".join(body) + "\n" + _FODT_TAIL


def soffice_convert(src: Path, out_dir: Path, timeout: float = 120.0) -> Path:
    """Convert ``src`` to PDF with a throw-away LibreOffice profile (safe to run in parallel)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = Path(tempfile.mkdtemp(prefix="reportqa-lo-profile-"))
    try:
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            str(src),
        ]
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        pdf = out_dir / (src.stem + ".pdf")
        if proc.returncode != 0 or not pdf.exists():
            raise RuntimeError(
                f"soffice failed ({proc.returncode}): {proc.stdout.strip()} {proc.stderr.strip()}"
            )
        return pdf
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def build_libreoffice_pdf(
    out_path: Path | str, header: bool = True, txt_path: Path | str = SAMPLE_TXT
) -> Path:
    """Re-flow the report into a word-processor document and convert it with LibreOffice."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fodt = build_fodt(document_blocks(txt_path), header=header)
    with tempfile.TemporaryDirectory(prefix="reportqa-lo-") as tmp:
        src = Path(tmp) / f"{out_path.stem}-{uuid.uuid4().hex[:8]}.fodt"
        src.write_text(fodt, encoding="utf-8")
        pdf = soffice_convert(src, Path(tmp))
        shutil.move(str(pdf), out_path)
    return out_path


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=SAMPLE_PDF, help="the LibreOffice PDF")
    ap.add_argument("--reportlab", type=Path, help="also write the reportlab PDF here")
    ap.add_argument("--fodt", type=Path, help="also write the flat-ODT source here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    build_libreoffice_pdf(args.out)
    print(
        f"{args.out}  {args.out.stat().st_size / 1024:.0f} KiB  {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    if args.fodt:
        args.fodt.write_text(build_fodt(document_blocks()), encoding="utf-8")
    if args.reportlab:
        t0 = time.perf_counter()
        build_reportlab_pdf(source_pages(), args.reportlab)
        print(
            f"{args.reportlab}  {args.reportlab.stat().st_size / 1024:.0f} KiB  "
            f"{time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
