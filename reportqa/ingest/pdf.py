"""Read a PDF page by page with pypdf; tell the ways a PDF can be unreadable apart."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest import ocr
from reportqa.ingest.model import PageText

# Share of a text layer's visible characters that may be control/unassigned/private-use before
# we call it garbled. Real text has ~0; a broken ToUnicode map gives 25%+ (measured on
# tests/pdf_fixtures.make_garbled_pdf); symbol fonts mapped to private use stay well under.
GARBLED_SHARE = 0.10
# A page with fewer visible characters than this (page numbers aside) and an image on it is a
# scan: its text layer, if any, is a stamped page number or header, so the page is OCR'd.
SPARSE_CHARS = 20
# First bytes of files people mistake for PDFs, for a helpful "not a PDF" message.
MAGIC = {
    b"PK\x03\x04": "a ZIP archive or Office document (.docx?)",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc?)",
    b"{\\rtf": "an RTF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}


def looks_like_pdf(data: bytes) -> bool:
    """True when the data starts (after a little junk, as readers allow) with %PDF-."""
    return b"%PDF-" in data[:1024]


def read_pdf(
    path: Path, data: bytes, ocr_progress: Callable[[int, int], None] | None = None
) -> list[PageText]:
    """Extract text page by page, OCR'ing scanned or garbled pages; IngestError when unreadable."""
    if not looks_like_pdf(data):
        what = _what_it_is(data)
        fix = "pass the real PDF" + (", or name a text report .txt" if "text" in what else "")
        raise IngestError(path, f"not a PDF ({what})", fix)
    try:
        with _quiet_pypdf():
            pages = _extract_pages(path, data)
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises a wide range of errors on damaged files
        truncated = b"%%EOF" not in data[-2048:]
        damage = "truncated (no end-of-file marker, " if truncated else "damaged ("
        raise IngestError(
            path, f"PDF is {damage}{type(exc).__name__})", "download or export it again"
        ) from None
    if not pages:
        raise IngestError(path, "PDF has no pages", "download or export it again")
    wanted = pages_to_ocr(data, pages)
    missing = ocr.ocr_missing() if wanted else None
    if wanted and missing is None:
        pages = _with_ocr(path, data, pages, wanted, ocr_progress)
    elif wanted:  # the text pages are still worth reading; the result says what was left out
        pages = [replace(p, unread_scan=True) if p.number in wanted else p for p in pages]
    if not any(p.text.strip() for p in pages):
        problem = f"PDF has no text layer ({len(pages)} pages, scanned images?)"
        if missing:
            raise IngestError(path, f"{problem} and {missing}", ocr.INSTALL_FIX)
        found = ", and OCR found no text in it" if wanted else ""
        raise IngestError(path, problem + found, "supply the text")
    _check_not_garbled(path, pages, missing)
    return pages


def _visible(text: str) -> int:
    """Visible characters other than digits (a stamped page number is not a text layer)."""
    return sum(1 for ch in text if not ch.isspace() and not ch.isdigit())


def needs_ocr(page: PageText, has_image: bool) -> bool:
    """A page to OCR: a garbled text layer, or a scan (an image and next to no text)."""
    if has_image and _visible(page.text) < SPARSE_CHARS:
        return True
    return junk_share(page.text) > GARBLED_SHARE


def pages_to_ocr(data: bytes, pages: list[PageText]) -> list[int]:
    """Numbers of the pages whose text must come from OCR.

    Images are looked up on sparse pages only: listing a page's images costs a parse.
    """
    reader = None
    wanted = []
    for page in pages:
        has_image = False
        if _visible(page.text) < SPARSE_CHARS:
            with _quiet_pypdf():
                reader = reader or _reader(data)
                has_image = _has_image(reader, page.number)
        if needs_ocr(page, has_image):
            wanted.append(page.number)
    return wanted


def _reader(data: bytes):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # _extract_pages already opened it this way
    return reader


def _has_image(reader, number: int) -> bool:
    try:
        return len(reader.pages[number - 1].images) > 0
    except Exception:  # a damaged image dictionary: treat the page as having one and OCR it
        return True


def _with_ocr(
    path: Path,
    data: bytes,
    pages: list[PageText],
    wanted: list[int],
    progress: Callable[[int, int], None] | None,
) -> list[PageText]:
    """The pages, those in `wanted` replaced by their OCR'd text (flagged ocr=True)."""
    try:
        texts = ocr.ocr_pdf_pages(data, wanted, progress=progress)
    except ocr.OcrError as exc:
        raise IngestError(
            path, f"OCR failed: {exc}", "check the PDF opens in a viewer, or supply the text"
        ) from None
    return [
        PageText(p.number, texts[p.number], (), ocr=True) if p.number in texts else p for p in pages
    ]


@contextlib.contextmanager
def _quiet_pypdf():
    """pypdf logs every repair it tries on a damaged file; the user gets our one line instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _what_it_is(data: bytes) -> str:
    head = data[:16]
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            return f"it is {what}"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "it is an HTML page"
    if _is_utf8_text(data[:4096]):
        return "it is plain text"
    return "no %PDF header"


def _is_utf8_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut off at the end
    return True


def _extract_pages(path: Path, data: bytes) -> list[PageText]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        # An empty user password still opens owner-password-only PDFs.
        try:
            ok = reader.decrypt("")
        except Exception:
            ok = 0
        if not ok:
            raise IngestError(
                path, "PDF is encrypted", "save an unencrypted copy (e.g. qpdf --decrypt)"
            )
    return [_page_text(number, page) for number, page in enumerate(reader.pages, start=1)]


def _page_text(number: int, page) -> PageText:
    """A page's text plus where each of its lines starts (x, y) and its font size."""
    fragments: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font, size) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[1] * cm[0] + tm[3] * cm[2], tm[1] * cm[1] + tm[3] * cm[3])
        fragments.append((text, x, y, (size or 0) * (scale or 1)))

    text = page.extract_text(visitor_text=visit) or ""
    positions = line_positions(text, fragments)
    return PageText(
        number,
        text,
        tuple(p[0] for p in positions),
        line_y=tuple(p[1] for p in positions),
        line_size=tuple(p[2] for p in positions),
    )


Position = tuple[float | None, float | None, float | None]


def line_positions(text: str, fragments: list[tuple]) -> tuple[Position, ...]:
    """(x, y, font size) of each line of text from (text, x, y, size) fragments.

    x and y are those of the line's first visible fragment, if the line began with it; size is
    the largest size of the line's visible fragments. () if the fragments don't add up to text.
    """
    if "".join(f[0] for f in fragments) != text:
        return ()
    lines: list[list] = [[None, None, None]]
    decided = [False]
    for fragment, x, y, size in fragments:
        for k, piece in enumerate(fragment.split("\n")):
            if k:
                lines.append([None, None, None])
                decided.append(False)
            if not piece.strip():
                continue
            if not decided[-1]:
                # A fragment's x is where it starts: it is the line's x only if the line began
                # with this fragment's first piece.
                lines[-1][0:2] = [x, y] if k == 0 else [None, None]
                decided[-1] = True
            if size:
                lines[-1][2] = max(lines[-1][2] or 0.0, round(size, 1))
    return tuple((ln[0], ln[1], ln[2]) for ln in lines)


def pdf_title(data: bytes) -> str:
    """The PDF's /Title metadata, or "" when absent or unreadable."""
    from pypdf import PdfReader

    try:
        with _quiet_pypdf():
            meta = PdfReader(io.BytesIO(data), strict=False).metadata
            title = meta.title if meta else None
    except Exception:  # metadata is a nicety: a damaged info dictionary is no error
        return ""
    return str(title).strip() if title else ""


def junk_share(text: str) -> float:
    """Share of visible characters that are control, unassigned or private-use code points."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    junk = sum(1 for ch in visible if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    return junk / len(visible)


def _check_not_garbled(path: Path, pages: list[PageText], missing: str | None) -> None:
    share = junk_share("".join(p.text for p in pages))
    if share > GARBLED_SHARE:
        problem = f"text layer is garbled ({share:.0%} control characters: a broken font map)"
        if missing:
            raise IngestError(path, f"{problem} and {missing}", ocr.INSTALL_FIX)
        raise IngestError(path, problem, "re-export the PDF from its source or supply the text")
