"""OCR of scanned and garbled pages: cleaning, which pages, with and without Tesseract."""

from __future__ import annotations

import difflib
import re
import unicodedata

import ocr_fixtures as ofx
import pdf_fixtures as fx
import pytest

from reportqa import cli
from reportqa.errors import IngestError
from reportqa.index.library import Library
from reportqa.ingest import load_document, ocr
from reportqa.ingest.clean import clean_pages
from reportqa.ingest.model import PageText
from reportqa.ingest.ocr_clean import (
    clean_ocr_text,
    drop_table_rules,
    full_width_punctuation,
    is_noise_line,
    join_cjk,
)
from reportqa.ingest.outline import outline
from reportqa.ingest.pdf import needs_ocr, read_pdf


def squeezed(text: str) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))


def similarity(a: str, b: str) -> float:
    """How alike two texts are, whitespace and full/half width aside (1.0 = the same)."""
    return difflib.SequenceMatcher(None, squeezed(a), squeezed(b), autojunk=False).ratio()


def source_text(index: int) -> str:
    return "\n".join(fx.builders().source_pages(fx.SAMPLE_TXT)[index])


# ---- cleaning Tesseract's output (pure) --------------------------------------------------------


def test_join_cjk_removes_spaces_between_cjk_and_keeps_latin_word_spaces():
    assert join_cjk("本 次 交 流 活 動 邀 集") == "本次交流活動邀集"
    assert join_cjk("壹 、 參 訪 目 的") == "壹、參訪目的"
    assert join_cjk("拜會 Japan Science and Technology Agency 總部") == (
        "拜會 Japan Science and Technology Agency 總部"
    )
    assert join_cjk("JSPS 日 本 學 術 振 興 會") == "JSPS 日本學術振興會"


def test_full_width_punctuation_after_cjk_only():
    assert full_width_punctuation("學生,3人一組 , 同校組隊") == "學生，3人一組，同校組隊"
    assert full_width_punctuation("辦理時間: 112年") == "辦理時間：112年"
    assert full_width_punctuation("NIMS, JST, 1,000 and https://x.tw") == (
        "NIMS, JST, 1,000 and https://x.tw"
    )


def test_table_rules_become_spaces():
    assert drop_table_rules("序號| 學門    姓名 |任職單位|") == "序號 學門 姓名 任職單位"
    assert drop_table_rules("3 |數學    陳國璋|國立清華大學") == "3 數學 陳國璋 國立清華大學"
    assert drop_table_rules("a|b x||y") == "a|b x y"  # between Latin letters it may be real


@pytest.mark.parametrize("line", ["|", "'", "e", " ~ ", "——", "| _ .", "“ ’"])
def test_noise_lines(line):
    assert is_noise_line(line)


@pytest.mark.parametrize("line", ["", "表", "3", "一、", "AI", "(一)", "壹、目的"])
def test_lines_that_are_not_noise(line):
    assert not is_noise_line(line)


def test_clean_ocr_text_keeps_the_lines_the_outline_needs():
    raw = (
        "台 日 自 然 科 學 研 究 領 域 交 流\n\n|\n"
        "壹 、 參 訪 目 的\n"
        "在 全 球 科 研 環 境 日 趨 競 爭 與 複 雜 的 背 景 下 , 如 何 透 過 研 究 資 源\n"
        "配 置 與 制 度 設 計 有 效 回 應 社 會 需 求 。\n\n\n"
        "一 、 拜 會 National Institute for Materials Science\n"
        "e\n"
        "本 次 交 流 內 容 涵 蓋 學 術 政 策 規 劃 。\n\f"
    )
    cleaned = clean_ocr_text(raw)
    assert cleaned.split("\n") == [
        "台日自然科學研究領域交流",
        "",
        "壹、參訪目的",
        "在全球科研環境日趨競爭與複雜的背景下，如何透過研究資源",
        "配置與制度設計有效回應社會需求。",
        "",
        "一、拜會 National Institute for Materials Science",
        "本次交流內容涵蓋學術政策規劃。",
    ]
    blocks, _ = outline(clean_pages([PageText(1, cleaned, ocr=True)]))
    headings = [b.section for b in blocks if b.kind == "heading"]
    assert ["壹、參訪目的"] in headings
    assert ["壹、參訪目的", "一、拜會 National Institute for Materials Science"] in headings


# ---- which pages are OCR'd (pure) ---------------------------------------------------------------


def test_needs_ocr_decides_per_page():
    full = PageText(1, "本次交流活動邀集自然處學門召集人參與，其目的在於透過交流。")
    assert not needs_ocr(full, has_image=True)  # a usable text layer, even beside a picture
    assert needs_ocr(PageText(2, "", ()), has_image=True)  # a scan
    assert needs_ocr(PageText(3, "第 3 頁", ()), has_image=True)  # a scan with a stamped number
    assert not needs_ocr(PageText(4, "", ()), has_image=False)  # a blank page
    garbled = PageText(5, "\x01\x02\x03\x04 abc \x05\x06\x07 本次交流活動邀集自然處學門")
    assert needs_ocr(garbled, has_image=False)


# ---- without Tesseract: the one-line error naming the packages ---------------------------------


def assert_install_error(path, words: list[str], monkeypatch) -> None:
    ofx.hide_tesseract(monkeypatch)
    with pytest.raises(IngestError) as info:
        load_document(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    for word in [*words, "apt-get install tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-eng"]:
        assert word in message, message


def test_scan_without_tesseract_is_refused_in_one_line(tmp_path, monkeypatch):
    path = fx.make_image_only_pdf(tmp_path)
    assert_install_error(path, ["no text layer", "Tesseract is not installed"], monkeypatch)


def test_garbled_pdf_without_tesseract_is_refused_in_one_line(tmp_path, monkeypatch):
    path = fx.make_garbled_pdf(tmp_path)
    assert_install_error(path, ["garbled", "Tesseract is not installed"], monkeypatch)


def test_tesseract_without_the_chinese_model_is_named(tmp_path, monkeypatch):
    path = fx.make_image_only_pdf(tmp_path)
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd, *a, **k: f"/usr/bin/{cmd}")
    monkeypatch.setattr(ocr, "installed_languages", lambda _binary: frozenset({"eng", "osd"}))
    with pytest.raises(IngestError, match=r"no Traditional Chinese model \(chi_tra\).*chi-tra"):
        load_document(path)


def test_mixed_pdf_without_tesseract_keeps_its_text_pages(tmp_path, monkeypatch):
    mixed, _ = ofx.make_mixed_pdf(tmp_path)
    ofx.hide_tesseract(monkeypatch)
    doc = load_document(mixed)
    assert doc.ocr_pages == [] and not any(c.ocr for c in doc.chunks)
    assert max(p for c in doc.chunks for p in c.pages) == 2
    assert doc.unread_pages == [3]  # said, not silently dropped


def test_unread_scans_are_reported_and_read_once_tesseract_is_there(tmp_path, monkeypatch, capsys):
    from reportqa.cli import main

    mixed, _ = ofx.make_mixed_pdf(tmp_path)
    library = str(tmp_path / "lib")
    with monkeypatch.context() as m:
        ofx.hide_tesseract(m)
        m.setenv("REPORTQA_LIBRARY", library)
        assert main(["ingest", str(mixed), "--model", "fake"]) == 0
    out = capsys.readouterr().out
    assert "1 scanned pages not read" in out and "tesseract-ocr-chi-tra" in out
    if ocr.ocr_missing() is None:  # with Tesseract, the same file is no longer "unchanged"
        monkeypatch.setenv("REPORTQA_LIBRARY", library)
        assert main(["ingest", str(mixed)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("replaced") and "1 OCR'd" in out and "not read" not in out


# ---- wiring: progress, the ingest result and the CLI line (OCR faked) ---------------------------


def test_ocr_progress_result_and_cli_line(tmp_path, monkeypatch, capsys):
    scan = fx.make_image_only_pdf(tmp_path)
    seen = []

    def fake_ocr(data, numbers, progress=None, **kw):
        for done, _ in enumerate(numbers, start=1):
            if progress:
                progress(done, len(numbers))
        texts = ["壹、參訪目的\n拜會日本學術振興會。", "貳、參訪行程\n四天三夜的考察行程。"]
        return dict(zip(numbers, texts, strict=True))

    monkeypatch.setattr(ocr, "ocr_missing", lambda: None)
    monkeypatch.setattr(ocr, "ocr_pdf_pages", fake_ocr)
    with Library.open(tmp_path / "lib", model="fake") as lib:
        [result] = lib.ingest([scan], ocr_progress=lambda done, total: seen.append((done, total)))
    assert result.status == "added" and result.ocr_pages == 2, result
    assert seen == [(1, 2), (2, 2)]
    args = ["--library", str(tmp_path / "lib2"), "ingest", "--model", "fake", str(scan)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "2 pages, 2 OCR'd" in out, out


# ---- with Tesseract: the real OCR path ----------------------------------------------------------


def test_mixed_pdf_keeps_text_pages_and_ocrs_the_scanned_one(tmp_path):
    ofx.require_tesseract()
    mixed, text_pdf = ofx.make_mixed_pdf(tmp_path)
    pages = read_pdf(mixed, mixed.read_bytes())
    text_pages = read_pdf(text_pdf, text_pdf.read_bytes())
    assert [p.ocr for p in pages] == [False, False, True]
    assert pages[:2] == text_pages  # pypdf's text and line positions, untouched
    assert similarity(pages[2].text, source_text(1)) > 0.9, pages[2].text

    doc = load_document(mixed)
    assert doc.ocr_pages == [3]
    assert doc.chunks and all(c.ocr == (3 in c.pages) for c in doc.chunks)
    assert any(c.ocr for c in doc.chunks) and any(not c.ocr for c in doc.chunks)


def test_dense_ideographs_at_a_line_start_are_kept(tmp_path):
    """圖 (a box around three 口) is thrown away as noise by Tesseract's defaults: on a scan of
    the bundled report's page 16 the caption read "5、台灣訪團與 JSPS 機構成員合影", no caption."""
    ofx.require_tesseract()
    scan = ofx.scan_pages(fx.SAMPLE_PDF, 16, 16, tmp_path)
    image = ocr.render_page(scan, 1, ocr.DPI, tmp_path)
    lines = [squeezed(line) for line in clean_ocr_text(ocr.read_page(image)).splitlines()]
    assert "圖5、台灣訪團與JSPS機構成員合影" in lines, lines


@pytest.mark.slow
def test_image_only_pdf_is_read_by_ocr(tmp_path):
    ofx.require_tesseract()
    path = fx.make_image_only_pdf(tmp_path, n_pages=2)
    seen = []
    doc = load_document(path, ocr_progress=lambda done, total: seen.append((done, total)))
    assert doc.ocr_pages == [1, 2] and all(c.ocr for c in doc.chunks)
    assert seen == [(1, 2), (2, 2)]
    assert ["壹、參訪目的"] in [c.section[:1] for c in doc.chunks]  # the outline found 壹、
    text = "\n".join(c.text for c in doc.chunks)
    assert similarity(text, source_text(1) + source_text(2)) > 0.9
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text)  # no spaces inside Chinese


@pytest.mark.slow
def test_garbled_pages_are_read_by_ocr(tmp_path):
    ofx.require_tesseract()
    garbled = ofx.first_pages(fx.make_garbled_pdf(tmp_path), 2, tmp_path / "garbled-2.pdf")
    good = ofx.first_pages(fx.SAMPLE_PDF, 2, tmp_path / "good-2.pdf")
    pages = read_pdf(garbled, garbled.read_bytes())
    assert [p.ocr for p in pages] == [True, True]
    reference = "".join(p.text for p in read_pdf(good, good.read_bytes()))
    assert similarity("".join(p.text for p in pages), reference) > 0.9


def test_the_tesseract_program_can_be_named(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTQA_TESSERACT", str(tmp_path / "no-such-tesseract"))
    assert ocr.ocr_missing() == "Tesseract is not installed"
