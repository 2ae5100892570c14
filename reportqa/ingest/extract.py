"""Read a file into pages of raw text: PDF page by page, or a UTF-8/Big5 text file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest.model import PageText

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED = sorted(TEXT_SUFFIXES | PDF_SUFFIXES)
# Encodings Taiwanese documents come in, in the order we try them after a BOM check.
TEXT_ENCODINGS = ("utf-8", "cp950", "big5hkscs")


def content_hash(data: bytes) -> str:
    """Hash file content for deduplication."""
    return hashlib.sha256(data).hexdigest()


def read_input(path: str | Path) -> tuple[list[PageText], bytes]:
    """Read a PDF or text file into pages; raise IngestError naming the file on any problem."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path, "no such file", "check the path")
    if path.is_dir():
        raise IngestError(path, "is a directory", "pass the report files inside it")
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | PDF_SUFFIXES:
        raise IngestError(
            path,
            f"unsupported file type {suffix or '(none)'}",
            f"use one of {', '.join(SUPPORTED)}",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read ({exc.strerror})", "check its permissions") from None
    if not data.strip():
        raise IngestError(path, "file is empty", "pass a report with text in it")
    if suffix in PDF_SUFFIXES:
        return read_pdf(path, data), data
    return [PageText(None, decode_text(path, data))], data


def decode_text(path: Path, data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or Big5/CP950; refuse rather than guess wrong."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise IngestError(
        path,
        "text is neither UTF-8 nor Big5/CP950",
        "re-save it as UTF-8 (e.g. iconv -f <encoding> -t utf-8)",
    )


def read_pdf(path: Path, data: bytes) -> list[PageText]:
    """Extract text page by page with pypdf; classify the ways a PDF can be unreadable."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError(
            path, "not a PDF (no %PDF header)", "pass the real PDF or rename the file"
        )
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # An empty user password still allows reading (owner-password-only PDFs).
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise IngestError(
                    path, "PDF is encrypted", "save an unencrypted copy (e.g. qpdf --decrypt)"
                )
        pages = [
            PageText(number, page.extract_text() or "")
            for number, page in enumerate(reader.pages, start=1)
        ]
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise IngestError(
            path,
            f"PDF is damaged or truncated ({type(exc).__name__})",
            "download or export it again",
        ) from None
    except Exception as exc:  # pypdf raises a wide range of errors on damaged files
        raise IngestError(
            path, f"PDF cannot be read ({type(exc).__name__}: {exc})", "export it again"
        ) from None
    if not pages:
        raise IngestError(path, "PDF has no pages", "download or export it again")
    if not any(p.text.strip() for p in pages):
        raise IngestError(
            path,
            f"PDF has no text layer ({len(pages)} pages, scanned images?)",
            "OCR is not supported: run OCR (e.g. ocrmypdf) first or supply the text",
        )
    return pages
