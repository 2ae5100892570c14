"""Ingest real PDFs of the sample report (reportlab, LibreOffice, the bundled one) and its text.

Checked against the source text and against what pypdf itself extracts from each PDF: nothing
lost or added, headings and section paths, page spans, tables, line re-joining, running
headers and footers.
"""

from __future__ import annotations

import itertools
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

import pdf_fixtures as fx  # noqa: E402

from reportqa.ingest import Document, load_document  # noqa: E402
from reportqa.ingest.chunk import MAX, TABLE_MAX, size  # noqa: E402
from reportqa.ingest.model import KINDS  # noqa: E402

B = fx.builders()
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


@dataclass
class Built:
    """A PDF of the sample report, what ingest made of it, and what pypdf reads on each page."""

    kind: str  # which source_text_for() it holds: "reportlab" or "libreoffice"
    path: Path
    doc: Document
    pages: list[str]  # pypdf's text per page, running header and footer removed


def squash(text: str) -> str:
    return B.squash(text)


def _built(kind: str, path: Path) -> Built:
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    texts = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    return Built(kind, path, load_document(path), B.strip_header_footer(texts))


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ingest-pdfs")


@pytest.fixture(scope="session")
def reportlab(pdf_dir) -> Built:
    return _built("reportlab", fx.make_reportlab_pdf(pdf_dir))


@pytest.fixture(scope="session")
def libreoffice(pdf_dir) -> Built:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return _built("libreoffice", fx.make_libreoffice_pdf(pdf_dir))


@pytest.fixture(scope="session")
def bundled() -> Built:
    if not fx.SAMPLE_PDF.exists():
        pytest.skip("run scripts/make_sample_pdfs.py to build the bundled PDF")
    return _built("libreoffice", fx.SAMPLE_PDF)


@pytest.fixture(
    params=[
        "reportlab",
        pytest.param("libreoffice", marks=[pytest.mark.slow, needs_soffice]),
        "bundled",
    ]
)
def pdf(request) -> Built:
    return request.getfixturevalue(request.param)


def _chunk_with(doc: Document, needle: str):
    found = [c for c in doc.chunks if squash(needle) in squash(c.display_text)]
    assert found, f"no chunk contains {needle!r}"
    return found[0]


# ---- content -----------------------------------------------------------------------------------


def test_no_content_character_lost_or_added(pdf):
    got = squash("".join(c.text for c in pdf.doc.chunks))
    assert got == B.source_text_for(pdf.kind)


def test_running_header_and_page_numbers_are_gone(pdf):
    for chunk in pdf.doc.chunks:
        assert not re.search(r"第\s*\d+\s*頁", chunk.text), chunk.ordinal
    with_title = [c.ordinal for c in pdf.doc.chunks if B.TITLE in c.text]
    assert with_title == [0]  # the cover; never the running header


def test_wrapped_lines_are_rejoined(pdf):
    text = "\n".join(c.text for c in pdf.doc.chunks)
    assert "制度的整體設計與實施效能" in text  # CJK: no space where the line broke
    assert "(Japan Science and Technology Agency, JST)" in text  # Latin: one space
    assert "Grants-in-Aid for Scientific Research" in text  # hyphen at the break kept
    prose = [c.text for c in pdf.doc.chunks if c.kind in ("text", "list")]
    # no space or break left between two ideographs inside a paragraph
    for chunk_text in prose:
        for paragraph in chunk_text.split("\n"):
            body = re.sub(r"^\S+、 ", "", paragraph)  # 壹、 參訪目的 keeps its marker's space
            assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", body), body


def test_cover_fields_are_document_metadata(pdf):
    doc = pdf.doc
    assert doc.title == "台日自然科學研究領域交流"
    assert doc.meta["agency"] == "國家科學及技術委員會"
    assert doc.meta["author"] == "賴明治處長"
    assert doc.meta["period"] == "114年4月14日至114年4月17日"
    assert doc.meta["report_date"] == "114年5月14日"
    assert doc.page_count == len(pdf.pages)


# ---- outline -----------------------------------------------------------------------------------


def test_headings_become_section_paths(pdf):
    paths = [[squash(s) for s in c.section] for c in pdf.doc.chunks]
    tops = list(dict.fromkeys(p[0] for p in paths))
    assert tops == [
        "封面",
        "摘要",
        "壹、參訪目的",
        "貳、參訪行程",
        "參、訪團成員",
        "肆、參訪紀要",
        "伍、心得及建議",
    ]
    visits = list(dict.fromkeys(p[1] for p in paths if p[0] == "肆、參訪紀要" and len(p) > 1))
    assert [v[:2] for v in visits] == ["一、", "二、", "三、", "四、", "五、"]
    lessons = list(dict.fromkeys(p[1] for p in paths if p[0] == "伍、心得及建議" and len(p) > 1))
    assert len(lessons) == 6
    act_x = _chunk_with(pdf.doc, "JST的ACT-X計畫（AdaptableandSeamless")
    assert [squash(s) for s in act_x.section] == [
        "肆、參訪紀要",
        "三、日本科學技術振興機構(JapanScienceandTechnologyAgency,JST)",
        "(四)紀要",
        "2、人才培育系統",
    ]


def test_chunks_never_cross_a_level_two_section(pdf):
    top = re.compile(r"^([壹貳參肆伍]|[一二三四五六七八九十])、")
    for chunk in pdf.doc.chunks:
        lines = chunk.text.split("\n")
        # 壹、/一、 headings only open a chunk (壹、 may precede its first 一、), never follow text
        opening = list(itertools.takewhile(top.match, lines))
        assert not any(top.match(line) for line in lines[len(opening) :]), chunk.ordinal
        levels = [1 if line[0] in "壹貳參肆伍" else 2 for line in opening]
        assert levels in ([], [1], [2], [1, 2]), chunk.ordinal


def test_chunk_shape(pdf):
    chunks = pdf.doc.chunks
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert {c.kind for c in chunks} <= set(KINDS)
    assert {"text", "table", "caption", "list"} <= {c.kind for c in chunks}
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        limit = TABLE_MAX if c.kind == "table" else MAX
        assert size(c.display_text) <= limit, (c.ordinal, size(c.display_text))


def test_captions(pdf):
    captions = [squash(c.text) for c in pdf.doc.chunks if c.kind == "caption"]
    assert [c[:2] for c in captions] == ["圖1", "圖2", "圖3", "圖4", "圖5"]


# ---- tables ------------------------------------------------------------------------------------


def test_physics_convener_row_is_whole_with_its_header(pdf):
    chunk = _chunk_with(pdf.doc, "4 物理 王為豪")
    assert chunk.kind == "table"
    assert re.search(r"^4 物理 王為豪 \S.*召集人$", chunk.text, re.M)
    assert chunk.display_text.count("序號 學門 姓名 任職單位 職稱 備註") == 1
    row = next(line for line in chunk.text.split("\n") if line.startswith("4 物理"))
    assert squash(row) == "4物理王為豪中央研究院天文及天文物理研究所研究員召集人"


def test_members_table_rows_are_whole_and_headed(pdf):
    members = [c for c in pdf.doc.chunks if c.section[:1] == ["參、訪團成員"]]
    assert all(c.kind == "table" for c in members)
    rows = [line for c in members for line in c.text.split("\n") if re.match(r"^\d+ ", line)]
    assert [int(r.split()[0]) for r in rows] == list(range(1, 16))
    for c in members:
        assert c.display_text.split("\n")[int(c == members[0])].startswith("序號 學門")


def test_itinerary_and_jst_tables_stay_whole(pdf):
    itinerary = _chunk_with(pdf.doc, "04/14(一)")
    assert itinerary.kind == "table" and "04/17(四)" in itinerary.text
    assert itinerary.text.split("\n")[1] == "日期 拜會機構"
    jst = _chunk_with(pdf.doc, "表 1、JST 人才育成計畫列表")
    assert jst.kind == "table"
    assert [line.split()[0] for line in jst.text.split("\n")[2:]] == [
        "SPRING",
        "ACT-X",
        "PRESTO",
        "CREST",
    ]


@pytest.mark.slow
def test_wrapped_cells_are_rejoined_in_the_libreoffice_pdf(libreoffice):
    text = "\n".join(c.text for c in libreoffice.doc.chunks if c.kind == "table")
    assert "1 - 賴明治 國家科學及技術委員會自然處 處長 台灣訪團代表" in text
    assert "9 基礎研究核心設施 陳昭岑" in text
    assert "PRESTO 博士後期至中堅研究者 具潛力的個人研究 JST 主導" in text
    # two paragraphs in one cell stay apart
    assert "台北→日本東京 台北駐日本經濟文化代表處科技組" in text


# ---- pages -------------------------------------------------------------------------------------


def _page_of_each_char(pages: list[str]) -> list[int]:
    return [n for n, text in enumerate(pages, start=1) for _ in squash(text)]


def test_page_spans_match_the_pdf(pdf):
    """Each chunk's pages are exactly the pages its characters are on, as pypdf reads them."""
    owner = _page_of_each_char(pdf.pages)
    offset = 0
    for chunk in pdf.doc.chunks:
        n = len(squash(chunk.text))
        assert chunk.pages == sorted(set(owner[offset : offset + n])), chunk.ordinal
        offset += n
    assert offset == len(owner)


@pytest.mark.parametrize(
    "sentence",
    ["JST 成立於 2003 年", "RIKEN 成立於 1917 年", "Moonshot 計畫共設定十項目標", "4 物理 王為豪"],
)
def test_known_sentence_is_cited_on_its_page(pdf, sentence):
    on = [n for n, text in enumerate(pdf.pages, start=1) if squash(sentence) in squash(text)]
    assert len(on) == 1
    assert on[0] in _chunk_with(pdf.doc, sentence).pages


# ---- the bundled text file: PDF-extractor output ------------------------------------------------


def test_text_file_is_cleaned_like_the_pdf(reportlab):
    doc = load_document(fx.SAMPLE_TXT)
    assert [c.text for c in doc.chunks] == [c.text for c in reportlab.doc.chunks]
    assert [c.section for c in doc.chunks] == [c.section for c in reportlab.doc.chunks]
    assert all(c.pages == [] for c in doc.chunks)
    assert doc.page_count is None
    assert doc.title == reportlab.doc.title and doc.meta == reportlab.doc.meta
    assert doc.doc_id == fx.SAMPLE_TXT.stem


# ---- other layouts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "footer"),
    [
        ("國家科學及技術委員會 出國報告", lambda n: f"- {n} -"),
        (None, lambda n: str(n)),
        ("台日交流 2025", lambda n: f"第{n}頁/共16頁"),
    ],
    ids=["header + - N -", "lone N", "header + 第N頁/共M頁"],
)
def test_other_running_headers_and_footers(tmp_path, header, footer):
    pages = B.source_pages(fx.SAMPLE_TXT)
    drawn = [
        ([header] if header and n > 1 else []) + lines + [footer(n)]
        for n, lines in enumerate(pages, start=1)
    ]
    path = B.build_reportlab_pdf(drawn, tmp_path / "variant.pdf", header=None, footer=False)
    doc = load_document(path)
    assert squash("".join(c.text for c in doc.chunks)) == B.source_text_for("reportlab")


def test_table_of_contents_page_is_skipped(tmp_path, reportlab):
    pages = B.source_pages(fx.SAMPLE_TXT)
    toc = ["目錄", "摘要 ........................ 2"]
    toc += [
        f"{h} ........................ {n}" for n, h in [(3, "壹、 參訪目的"), (4, "參、訪團成員")]
    ]
    toc += ["圖1、台灣訪團合影 .................. 6"]
    path = B.build_reportlab_pdf([pages[0], toc, *pages[1:]], tmp_path / "toc.pdf")
    doc = load_document(path)
    assert squash("".join(c.text for c in doc.chunks)) == B.source_text_for("reportlab")
    assert not any("目錄" in c.section or "....." in c.text for c in doc.chunks)
    # everything after the TOC moved one page on
    assert [c.pages for c in doc.chunks][1:] == [
        [p + 1 for p in c.pages] for c in reportlab.doc.chunks[1:]
    ]


def test_large_pdf(tmp_path):
    path = fx.make_large_pdf(tmp_path)
    doc = load_document(path)
    assert doc.page_count == 300
    pages = B.source_pages(fx.SAMPLE_TXT)
    want = squash("".join("".join(pages[i % len(pages)]) for i in range(300)))
    assert squash("".join(c.text for c in doc.chunks)) == want
    assert doc.chunks[-1].pages == [300]
