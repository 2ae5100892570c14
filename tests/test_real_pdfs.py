"""Ingest on real PDFs we did not make (../shared/real-pdfs): titles, cover, page spans, the
law's structure, running headers gone and no content lost."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest
from real_pdfs import real_pdfs_or_skip

from reportqa.ingest import load_document
from reportqa.ingest.clean import page_lines, running_lines
from reportqa.ingest.extract import read_input
from reportqa.ingest.headings import TOC_HEADING
from reportqa.ingest.model import Document
from reportqa.ingest.normalize import fold_ideographs

REAL = real_pdfs_or_skip(module=True)

CURRICULUM = "02-naer-curriculum-technology-draft"
LAW = "05-roc-constitution-moj"
MANUAL = "06-taipei-ivoting-install-manual"
PLAN = "07-ntpc-health-literacy-contest-plan"
ALL = (CURRICULUM, LAW, MANUAL, PLAN)


@cache
def doc(stem: str) -> Document:
    return load_document(REAL / f"{stem}.pdf")


def _span(pages: list[int]) -> int:
    return max(pages) - min(pages) + 1


def test_titles_are_what_a_citation_should_show():
    curriculum = doc(CURRICULUM).title
    assert curriculum.startswith("十二年國民基本教育課程綱要")
    assert curriculum.endswith("科技領域（草案）")
    assert doc(LAW).title == "中華民國憲法"
    assert doc(MANUAL).title in ("一、i-Voting安裝流程", MANUAL)
    assert doc(PLAN).title == "111學年度新北市健康識能競賽實施計畫"


@pytest.mark.parametrize("stem", ALL)
def test_cover_holds_no_body_and_spans_stay_short(stem):
    chunks = doc(stem).chunks
    assert all(c.text.strip() for c in chunks), "empty chunk"
    cover = [c for c in chunks if c.section[:1] == ["封面"]]
    assert all(max(c.pages) <= 2 for c in cover)
    long = [(c.section, c.pages) for c in chunks if c.kind != "table" and _span(c.pages) > 2]
    assert long == []
    assert all(_span(c.pages) <= 3 for c in chunks)


def test_law_articles_sit_under_their_chapter():
    chunks = doc(LAW).chunks

    def section_of(text: str) -> list[str]:
        return next(c.section for c in chunks if text in c.text.replace("\n", ""))

    assert section_of("總統、副總統之任期為六年") == ["第四章 總統", "第47條"]
    assert section_of("中華民國國旗定為紅地") == ["第一章 總綱", "第6條"]
    assert section_of("省得召集省民代表大會") == ["第十一章 地方制度", "第一節 省", "第112條"]
    articles = {c.section[-1] for c in chunks if c.section and c.section[-1].endswith("條")}
    assert articles == {f"第{n}條" for n in range(1, 176)}


def test_running_headers_and_page_numbers_are_gone():
    for stem in ALL:
        for chunk in doc(stem).chunks:
            for line in chunk.text.split("\n"):
                assert not re.fullmatch(r"第\s*\d+\s*頁|\d{1,3}", line.strip()), (stem, line)
    assert not any(ln == "競賽實施計畫" for c in doc(PLAN).chunks for ln in c.text.split("\n"))


def test_a_table_row_keeps_its_label_with_its_content():
    rows = [ln for c in doc(CURRICULUM).chunks for ln in c.text.split("\n")]
    assert any("身心素質與自我精進" in r and "科-E-A1具備正確且安全" in r for r in rows)


def test_bopomofo_yi_headings_become_sections():
    sections = {tuple(c.section) for c in doc(CURRICULUM).chunks}
    assert ("陸、實施要點", "一、課程發展") in sections


def _expected_characters(stem: str) -> Counter:
    """Every visible character of the pypdf text, less the running lines and the TOC page."""
    pages, _ = read_input(REAL / f"{stem}.pdf")
    per_page = page_lines(pages)
    dropped = running_lines(per_page)
    out: Counter = Counter()
    for p, lines in enumerate(per_page):
        if any(TOC_HEADING.match(ln.text) for ln in lines):
            continue  # the table of contents is navigation: skipped by design
        raw = fold_ideographs(pages[p].text)
        out.update(ch for ch in raw if not ch.isspace())
        for i in range(len(lines)):
            if (p, i) in dropped:
                out.subtract(ch for ch in lines[i].text if not ch.isspace())
    return +out


@pytest.mark.parametrize("stem", ALL)
def test_no_content_character_is_lost(stem):
    got = Counter(ch for c in doc(stem).chunks for ch in c.text if not ch.isspace())
    missing = _expected_characters(stem) - got
    assert sum(missing.values()) == 0, "".join(sorted(missing.elements()))[:200]


def test_dropped_lines_are_only_headers_and_page_numbers():
    for stem in ALL:
        pages, _ = read_input(REAL / f"{stem}.pdf")
        per_page = page_lines(pages)
        kept = {per_page[p][i].text for p, i in running_lines(per_page)}
        for text in kept:
            assert re.fullmatch(r"第\s*\d+\s*頁|\d{1,3}|競賽實施計畫", text), (stem, text)
