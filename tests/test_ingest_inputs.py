"""Input files: encodings, Markdown, form feeds, and every kind of bad input (one-line errors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

import opencc
import pdf_fixtures as fx
from ocr_fixtures import hide_tesseract

from reportqa.errors import IngestError
from reportqa.ingest import load_document

B = fx.builders()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _same_chunks(a, b) -> bool:
    key = [(c.section, c.pages, c.kind, c.text, c.prefix) for c in a.chunks]
    return key == [(c.section, c.pages, c.kind, c.text, c.prefix) for c in b.chunks]


# ---- encodings ---------------------------------------------------------------------------------


@pytest.fixture
def utf8_doc(tmp_path):
    path = tmp_path / "report-utf8.txt"
    path.write_text(fx.sample_text_part(), encoding="utf-8")
    return load_document(path)


@pytest.mark.parametrize("maker", [fx.make_big5_txt, fx.make_utf8_bom_txt], ids=["big5", "bom"])
def test_big5_and_bom_text_give_the_same_chunks_as_utf8(tmp_path, utf8_doc, maker):
    doc = load_document(maker(tmp_path))
    assert _same_chunks(doc, utf8_doc)
    assert len(doc.chunks) > 3 and doc.chunks[0].section == ["摘要"]


def test_utf16_and_crlf_text(tmp_path, utf8_doc):
    utf16 = tmp_path / "report-utf16.txt"
    utf16.write_bytes(fx.sample_text_part().encode("utf-16"))
    crlf = tmp_path / "report-crlf.txt"
    crlf.write_bytes(fx.sample_text_part().replace("\n", "\r\n").encode("utf-8"))
    assert _same_chunks(load_document(utf16), utf8_doc)
    assert _same_chunks(load_document(crlf), utf8_doc)


def test_gbk_text_is_refused_not_misread_as_big5(tmp_path):
    # Simplified Chinese in GBK often decodes as Big5 without error, into nonsense.
    simplified = opencc.OpenCC("t2s").convert(
        "服務機關：國家科學及技術委員會\n我國相關制度精進與政策規劃"
    )
    path = tmp_path / "report-gbk.txt"
    path.write_bytes(simplified.encode("gbk"))
    path.read_bytes().decode("cp950")  # the trap: it does decode
    with pytest.raises(IngestError, match="GBK"):
        load_document(path)


# ---- other text inputs -------------------------------------------------------------------------


def test_text_file_pages_split_at_form_feeds_lose_running_lines(tmp_path):
    pages = B.source_pages(fx.SAMPLE_TXT)[1:5]
    text = "\f".join(
        "\n".join(["台日自然科學研究領域交流", *lines, f"- {n} -"])
        for n, lines in enumerate(pages, start=2)
    )
    path = tmp_path / "pdftotext.txt"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    assert _squash("".join(c.text for c in doc.chunks)) == _squash("".join(map("".join, pages)))
    assert all(c.pages == [] for c in doc.chunks)


MD = """# 台日自然科學研究領域交流

## 壹、 參訪目的

在全球科研環境日趨競爭與複雜的背景下，如何透過研究資源配置與制度設計有效回應社會需求，
已成為各國學術政策制定機關(構)的重要挑戰。

## 參、訪團成員

| 序號 | 學門 | 姓名 | 任職單位 | 職稱 | 備註 |
|---|---|---|---|---|---|
| 4 | 物理 | 王為豪 | 中央研究院天文及天文物理研究所 | 研究員 | 召集人 |

## 肆、參訪紀要

### 三、 日本科學技術振興機構(Japan Science and Technology Agency, JST)

#### (四) 紀要

2、 人才培育系統：JST 的 ACT-X 計畫（簡稱 ACT-
X）為 2020 年啟動的一項前瞻性探索型研究資助計畫。

### 四、 理化學研究所 (RIKEN)

RIKEN 成立於 1917 年。
"""


def test_markdown_report(tmp_path):
    path = tmp_path / "report.md"
    path.write_text(MD, encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "台日自然科學研究領域交流" and doc.page_count is None
    act_x = next(c for c in doc.chunks if "ACT-X）為" in c.text)
    assert act_x.section == [
        "台日自然科學研究領域交流",
        "肆、參訪紀要",
        "三、 日本科學技術振興機構(Japan Science and Technology Agency, JST)",
        "(四) 紀要",
        "2、 人才培育系統",
    ]
    riken = next(c for c in doc.chunks if "RIKEN 成立於" in c.text)
    assert riken.text == "四、 理化學研究所 (RIKEN)\nRIKEN 成立於 1917 年。"  # 三、 and 四、 apart
    physics = next(c for c in doc.chunks if "王為豪" in c.text)
    assert physics.kind == "table" and "| 序號 | 學門 |" in physics.text
    # every content character kept; only Markdown markup (#, the |---| rule) is gone
    content = re.sub(r"^#+ |^\|---.*$", "", MD, flags=re.M)
    assert _squash("".join(c.text for c in doc.chunks)) == _squash(content)


def test_pdf_with_a_text_name_is_read_as_pdf(tmp_path):
    pdf = fx.make_reportlab_pdf(tmp_path)
    path = pdf.rename(tmp_path / "actually-a-pdf.txt")
    doc = load_document(path)
    assert doc.page_count == 16 and doc.chunks[1].pages == [2]


# ---- bad inputs --------------------------------------------------------------------------------


def _missing(d: Path) -> Path:
    return d / "no-such-report.pdf"


def _directory(d: Path) -> Path:
    (d / "reports.pdf").mkdir()
    return d / "reports.pdf"


def _unsupported(d: Path) -> Path:
    path = d / "report.docx"
    path.write_bytes(b"PK\x03\x04 not really")
    return path


def _docx_named_pdf(d: Path) -> Path:
    path = d / "report.pdf"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    return path


def _page_numbers_only(d: Path) -> Path:
    return B.build_reportlab_pdf([[], [], []], d / "blank-pages.pdf", header=None)


def _bom_only(d: Path) -> Path:
    path = d / "bom-only.txt"
    path.write_bytes(b"\xef\xbb\xbf\n\n")
    return path


INSTALL = "apt-get install tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-eng"
NO_TESSERACT = "Tesseract is not installed"
# refused only where Tesseract is missing (with it they are OCR'd: tests/test_ocr.py)
WITHOUT_TESSERACT = {"image-only", "garbled"}
# maker -> words the one-line reason must contain
BAD = {
    "missing": (_missing, ["no such file"]),
    "directory": (_directory, ["is a directory"]),
    "unsupported": (_unsupported, ["unsupported file type .docx"]),
    "empty": (fx.make_empty_pdf, ["empty"]),
    "bom-only": (_bom_only, ["empty"]),
    "text-named-pdf": (fx.make_text_named_pdf, ["not a PDF", "plain text"]),
    "docx-named-pdf": (_docx_named_pdf, ["not a PDF", "Office document"]),
    "truncated": (fx.make_truncated_pdf, ["truncated"]),
    "corrupt": (fx.make_corrupt_pdf, ["damaged"]),
    "encrypted": (fx.make_encrypted_pdf, ["encrypted"]),
    "image-only": (
        fx.make_image_only_pdf,
        ["no text layer", "Tesseract is not installed", INSTALL],
    ),
    "page-numbers-only": (_page_numbers_only, ["no text"]),
    "garbled": (fx.make_garbled_pdf, ["garbled", "Tesseract is not installed", INSTALL]),
    "undecodable-txt": (fx.make_undecodable_txt, ["neither UTF-8 nor Big5"]),
}


def test_every_fixture_bad_input_is_covered():
    assert set(fx.BAD_INPUTS) <= set(BAD)


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_gives_a_one_line_error_naming_the_file(tmp_path, name, monkeypatch):
    if name in WITHOUT_TESSERACT:
        hide_tesseract(monkeypatch)
    maker, words = BAD[name]
    path = maker(tmp_path)
    with pytest.raises(IngestError) as info:
        load_document(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for word in words:
        assert word in message
    assert info.value.fix  # and says what to do
