"""The shapes ingest produces: pages in, blocks, chunks and a document out."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("text", "table", "caption", "list")


@dataclass(frozen=True)
class PageText:
    """The raw text of one page; number is 1-based, None for files without pages."""

    number: int | None
    text: str
    # x (points from the left edge) where each "\n"-separated line of text starts, from the PDF's
    # text positions; empty when unknown (text files). Tells a wrapped table cell from a new one.
    line_x: tuple[float | None, ...] = ()
    ocr: bool = False  # the text was read from the page image by OCR, not from a text layer
    unread_scan: bool = False  # a scanned page left unread: OCR (Tesseract) is not installed
    # Baseline y (points from the bottom edge) and font size of each line, like line_x.
    line_y: tuple[float | None, ...] = ()
    line_size: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Line:
    """One cleaned visual line and the page it came from."""

    text: str
    page: int | None
    x: float | None = None  # where the line starts on the page, when the PDF says
    y: float | None = None  # its baseline, points from the bottom edge, when the PDF says
    size: float | None = None  # its largest font size, when the PDF says


@dataclass
class Block:
    """A heading, paragraph, list item, table or caption, with the section it sits in."""

    kind: str  # "heading" | "text" | "list" | "table" | "caption"
    text: str
    pages: list[int]
    section: list[str]
    level: int = 0  # heading level (1 = 壹、, 2 = 一、, ...), 0 for non-headings
    rank: float = 0  # where a heading nests, when not at its level: 附錄二 and a law's 編 (0.5)
    continues_heading: bool = False  # body on the heading's own line: 1、 標題：內文…
    section_break: bool = False  # a heading no chunk may run across (壹、, 一、, # and ##)
    table_header: str = ""  # for tables: the header row, repeated when a table is split
    table_rows: list[str] = field(default_factory=list)
    row_pages: list[list[int]] = field(default_factory=list)  # pages of each table row
    page_starts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page)

    def pages_of(self, start: int, end: int) -> list[int]:
        """Pages that the text[start:end] span lies on."""
        if not self.page_starts:
            return list(self.pages)
        pages = [p for off, p in self.page_starts if off < end]
        first = [p for off, p in self.page_starts if off <= start]
        lo = first[-1] if first else pages[0]
        return sorted({p for p in pages if p >= lo})


@dataclass
class Chunk:
    """A passage a reader would cut: never crosses a level-2 section."""

    doc_id: str
    ordinal: int
    section: list[str]
    pages: list[int]
    kind: str
    text: str
    prefix: str = ""  # repeated context (a split table's header row); not part of the source
    ocr: bool = False  # some of its text was read by OCR from a scanned page

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.ordinal}"

    @property
    def display_text(self) -> str:
        return f"{self.prefix}\n{self.text}" if self.prefix else self.text

    def to_dict(self) -> dict:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "ordinal": self.ordinal,
            "section": list(self.section),
            "pages": list(self.pages),
            "kind": self.kind,
            "text": self.display_text,
            "ocr": self.ocr,
        }


@dataclass
class Document:
    """A report read from a file: its metadata and its chunks."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    page_count: int | None
    meta: dict[str, str] = field(default_factory=dict)
    chunks: list[Chunk] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text came from OCR
    unread_pages: list[int] = field(default_factory=list)  # scans left unread (no Tesseract)
