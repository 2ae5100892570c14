"""The sample-PDF builders and the bad-input fixtures do what they promise."""

from __future__ import annotations

import logging
import shutil
import unicodedata
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

import pdf_fixtures as fx  # noqa: E402

B = fx.builders()


@pytest.fixture(autouse=True)
def _quiet_pypdf():
    # pypdf logs a warning for every repair it attempts on the broken files
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    yield
    logging.getLogger("pypdf").setLevel(logging.NOTSET)


def _read_all(path: Path) -> list[str]:
    reader = pypdf.PdfReader(path)
    return [page.extract_text() for page in reader.pages]


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if unicodedata.east_asian_width(ch) == "W" and ch.isalpha())


# ---- the source --------------------------------------------------------------------------------


def test_source_pages_match_the_original():
    pages = B.source_pages(fx.SAMPLE_TXT)
    assert len(pages) == 16
    firsts = [p[0] for p in pages]
    assert firsts[0] == "出國報告（出國類別：考察）"
    assert firsts[1] == "摘要"
    assert firsts[2] == "壹、 參訪目的"
    assert firsts[3] == "參、訪團成員"
    assert firsts[4] == "肆、參訪紀要"
    assert firsts[5].startswith("圖1、")
    assert firsts[15].startswith("透過與資助機構 JSPS")
    assert pages[0][1] == B.TITLE  # the centred title stays on the cover
    assert pages[-1][-1].endswith("將有助於全面理解制度落實與操作層面的細節。")
    for page in pages:
        assert all(line and line == line.strip() for line in page)


def test_join_wrapped_rules():
    assert B.join_wrapped(["中文換", "行接起來"]) == "中文換行接起來"
    assert B.join_wrapped(["Japan Science and", "Technology Agency"]) == (
        "Japan Science and Technology Agency"
    )
    assert B.join_wrapped(["（簡稱 ACT-", "X）計畫"]) == "（簡稱 ACT-X）計畫"
    assert B.join_wrapped(["the NIMS 在", "2001 年"]) == "the NIMS 在2001 年"


def test_document_model_keeps_every_character():
    blocks = B.document_blocks(fx.SAMPLE_TXT)
    kinds = [b.kind for b in blocks]
    assert kinds[:2] == ["cover-kind", "cover-title"]
    tables = {b.name: b for b in blocks if b.kind == "table"}
    assert set(tables) == {"itinerary", "members", "jst"}
    assert len(tables["members"].rows) == 1 + 15
    assert all(len(r) == 6 for r in tables["members"].rows)
    assert len(tables["jst"].rows) == 1 + 4
    assert [b.text for b in blocks if b.kind == "h1"] == [
        "壹、 參訪目的",
        "貳、 參訪行程",
        "參、訪團成員",
        "肆、參訪紀要",
        "伍、心得及建議",
    ]
    assert sum(1 for b in blocks if b.kind == "caption") == 6  # 圖1..圖5, 表 1
    assert B.source_text_for("libreoffice") == B.source_text_for("reportlab")


# ---- reportlab ---------------------------------------------------------------------------------


def test_reportlab_pdf_pages_extract_line_by_line(tmp_path):
    path = fx.make_reportlab_pdf(tmp_path)
    pages = B.source_pages(fx.SAMPLE_TXT)
    expected = B.reportlab_page_lines(pages)
    texts = _read_all(path)
    assert len(texts) == len(pages) == 16
    for n, (text, want) in enumerate(zip(texts, expected, strict=True), start=1):
        assert B.squash(text) == B.squash("".join(want)), f"page {n}"
        assert [ln.strip() for ln in text.splitlines() if ln.strip()] == want, f"page {n}"
    # header on every page but the cover, footer on every page
    assert not texts[0].startswith(B.TITLE + "\n" + pages[0][0])
    assert texts[1].splitlines()[0] == B.TITLE
    assert texts[15].splitlines()[-1].strip() == "第 16 頁"
    stripped = B.strip_header_footer(texts)
    assert B.squash("".join(stripped)) == B.source_text_for("reportlab")


def test_reportlab_pdf_without_header_footer(tmp_path):
    pages = B.source_pages(fx.SAMPLE_TXT)[:3]
    path = B.build_reportlab_pdf(pages, tmp_path / "plain.pdf", header=None, footer=False)
    texts = _read_all(path)
    assert [B.squash(t) for t in texts] == [B.squash("".join(p)) for p in pages]


def test_large_pdf(tmp_path):
    path = fx.make_large_pdf(tmp_path)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 300
    assert "第 300 頁" in reader.pages[299].extract_text()


# ---- LibreOffice -------------------------------------------------------------------------------

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


@pytest.mark.slow
@needs_soffice
def test_libreoffice_pdf_keeps_all_content_in_order(tmp_path):
    path = fx.make_libreoffice_pdf(tmp_path)
    texts = _read_all(path)
    assert 14 <= len(texts) <= 22
    # running header first, footer last on every page after the cover
    for n, text in enumerate(texts[1:], start=2):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        assert lines[0] == B.TITLE, f"page {n}"
        assert lines[-1] == f"第 {n} 頁", f"page {n}"
    assert "頁" not in texts[0]  # the cover has neither
    got = B.squash("".join(B.strip_header_footer(texts)))
    assert got == B.source_text_for("libreoffice")  # tables come out row by row, cell by cell


def test_bundled_pdf_is_the_libreoffice_build():
    if not fx.SAMPLE_PDF.exists():
        pytest.skip("run scripts/make_sample_pdfs.py to build the bundled PDF")
    assert fx.SAMPLE_PDF.stat().st_size < 1_000_000
    reader = pypdf.PdfReader(fx.SAMPLE_PDF)
    texts = [p.extract_text() for p in reader.pages]
    assert B.squash("".join(B.strip_header_footer(texts))) == B.source_text_for("libreoffice")


# ---- bad inputs --------------------------------------------------------------------------------


def test_empty_and_text_named_pdf_fail(tmp_path):
    for maker in (fx.make_empty_pdf, fx.make_text_named_pdf):
        path = maker(tmp_path)
        assert path.suffix == ".pdf"
        with pytest.raises(pypdf.errors.PyPdfError):
            pypdf.PdfReader(path)


@pytest.mark.parametrize("maker", [fx.make_truncated_pdf, fx.make_corrupt_pdf])
def test_truncated_and_corrupt_pdf_fail_to_open_or_read(tmp_path, maker):
    path = maker(tmp_path)
    good = fx.SAMPLE_PDF.stat().st_size if fx.SAMPLE_PDF.exists() else None
    if maker is fx.make_truncated_pdf and good:
        assert path.stat().st_size == int(good * 0.6)
    with pytest.raises((pypdf.errors.PyPdfError, ValueError)):
        _read_all(path)


def test_garbled_pdf_opens_but_extracts_junk(tmp_path):
    texts = _read_all(fx.make_garbled_pdf(tmp_path))
    text = "".join(texts)
    assert len(text) > 1000
    assert _cjk_count(text) < 0.05 * _cjk_count(B.source_text_for("libreoffice"))


def test_encrypted_pdf(tmp_path):
    path = fx.make_encrypted_pdf(tmp_path)
    reader = pypdf.PdfReader(path)
    assert reader.is_encrypted
    with pytest.raises(pypdf.errors.FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert reader.decrypt(fx.ENCRYPTED_PASSWORD)
    assert "出國報告" in reader.pages[0].extract_text()


def test_image_only_pdf_has_no_text(tmp_path):
    path = fx.make_image_only_pdf(tmp_path)
    texts = _read_all(path)
    assert len(texts) == 2
    assert all(t.strip() == "" for t in texts)


def test_text_encodings(tmp_path):
    part = fx.sample_text_part()
    big5 = fx.make_big5_txt(tmp_path).read_bytes()
    assert big5.decode("cp950") == part
    with pytest.raises(UnicodeDecodeError):
        big5.decode("utf-8")
    bom = fx.make_utf8_bom_txt(tmp_path).read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and bom.decode("utf-8-sig") == part
    junk = fx.make_undecodable_txt(tmp_path).read_bytes()
    for enc in ("utf-8", "cp950", "big5"):
        with pytest.raises(UnicodeDecodeError):
            junk.decode(enc)


def test_every_maker_writes_into_the_given_dir(tmp_path):
    for name, maker in {**fx.BAD_INPUTS, **fx.ODD_GOOD_INPUTS}.items():
        d = tmp_path / name
        d.mkdir()
        path = maker(d)
        assert path.parent == d and path.exists(), name
