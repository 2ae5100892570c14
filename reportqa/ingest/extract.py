"""Read a file into pages of raw text: PDF page by page, or a UTF-8/Big5 text file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest.model import PageText
from reportqa.ingest.pdf import read_pdf

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED = sorted(TEXT_SUFFIXES | PDF_SUFFIXES)
BIG5_ENCODINGS = ("cp950", "big5hkscs")  # tried, in this order, when a file is not UTF-8
# Big5 puts the 5,401 common characters in its level 1 (A440-C67E), the rare ones in level 2.
# Real Traditional Chinese text is >95% level 1 (the sample report: 99.99%); GBK/GB2312 bytes
# read as Big5 land in level 2 about half the time (measured: 0.5-0.78 per line of the sample
# report in GBK). Below this share we refuse instead of guessing.
BIG5_LEVEL1_MIN = 0.85
BIG5_JUDGE_MIN = 8  # ideographs needed before the level-1 share means anything
RE_SAVE = "re-save it as UTF-8 (e.g. iconv -f <encoding> -t utf-8)"


def content_hash(data: bytes) -> str:
    """Hash file content for deduplication."""
    return hashlib.sha256(data).hexdigest()


def is_markdown(path: str | Path) -> bool:
    """True for files whose name says Markdown (their # headings become sections)."""
    return Path(path).suffix.lower() in MARKDOWN_SUFFIXES


def read_input(
    path: str | Path, ocr_progress: Callable[[int, int], None] | None = None
) -> tuple[list[PageText], bytes]:
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
    # A PDF saved under a text name is still a PDF.
    if suffix in PDF_SUFFIXES or data.startswith(b"%PDF-"):
        return read_pdf(path, data, ocr_progress), data
    text = decode_text(path, data)
    if not text.strip():
        raise IngestError(path, "file is empty", "pass a report with text in it")
    return text_pages(text), data


def text_pages(text: str) -> list[PageText]:
    """A text file as pages: split at form feeds (pdftotext output), else one page; no numbers."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [PageText(None, part) for part in text.split("\f") if part.strip()]


def decode_text(path: Path, data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or Big5/CP950; refuse rather than guess wrong."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _utf8(path, data[3:])
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError(path, "text is broken UTF-16", RE_SAVE) from None
    if b"\x00" in data:
        raise IngestError(
            path,
            "text is neither UTF-8 nor Big5/CP950 (NUL bytes: binary data, or UTF-16 without BOM)",
            RE_SAVE,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    for encoding in BIG5_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if big5_level1_share(text) < BIG5_LEVEL1_MIN:
            raise IngestError(
                path,
                "text is not UTF-8 and reads as nonsense in Big5 (GBK or another encoding?)",
                RE_SAVE,
            )
        return text
    raise IngestError(
        path,
        f"text is neither UTF-8 (invalid byte at offset {utf8_error}) nor Big5/CP950",
        RE_SAVE,
    )


def _utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"text has a UTF-8 BOM but an invalid byte at offset {exc.start + 3}", RE_SAVE
        ) from None


def big5_level1_share(text: str) -> float:
    """Share of the text's ideographs that are in Big5 level 1 (1.0 when too few to judge)."""
    codes = []
    for ch in text:
        if "\u3400" <= ch <= "\u9fff":
            try:
                codes.append(int.from_bytes(ch.encode("cp950"), "big"))
            except UnicodeEncodeError:
                codes.append(0)  # an HKSCS-only character: not level 1
    if len(codes) < BIG5_JUDGE_MIN:
        return 1.0
    return sum(1 for c in codes if 0xA440 <= c <= 0xC67E) / len(codes)
