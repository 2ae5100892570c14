"""Ingest: read a report file and cut it into section-aware chunks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest.chunk import chunk_blocks
from reportqa.ingest.clean import clean_pages
from reportqa.ingest.extract import content_hash, is_markdown, read_input
from reportqa.ingest.markdown import markdown_lines
from reportqa.ingest.model import Chunk, Document
from reportqa.ingest.outline import outline
from reportqa.ingest.pdf import pdf_title
from reportqa.ingest.title import choose_title

__all__ = ["Chunk", "Document", "IngestError", "load_document"]
NO_TEXT_HINT = "check the file has report text (a scanned page is OCR'd when it holds an image)"


def load_document(
    path: str | Path,
    doc_id: str | None = None,
    ocr_progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Read a PDF/text/markdown report into a Document with its chunks.

    ocr_progress(done, total) is called after each page read by OCR (a few seconds each).
    """
    path = Path(path)
    pages, data = read_input(path, ocr_progress=ocr_progress)
    is_pdf = pages[0].number is not None
    markdown = is_markdown(path) and not is_pdf
    lines = markdown_lines(pages) if markdown else clean_pages(pages)
    blocks, meta = outline(lines, markdown=markdown)
    chunks = chunk_blocks(blocks, doc_id or path.stem)
    if not chunks:
        problem = "no text besides page numbers and running headers" if is_pdf else "no text"
        fix = NO_TEXT_HINT if is_pdf else "check the file has report text"
        raise IngestError(path, problem, fix)
    ocr_pages = [p.number for p in pages if p.ocr]
    for chunk in chunks:
        chunk.ocr = any(n in ocr_pages for n in chunk.pages)
    first_heading = next((b.section[-1] for b in blocks if b.kind == "heading"), "")
    title = choose_title(
        meta.pop("title", ""),
        meta.pop("title_source", ""),
        pdf_title(data) if is_pdf else "",
        first_heading,
        path.stem,
    )
    unread = [p.number for p in pages if p.unread_scan]
    return Document(
        doc_id=doc_id or path.stem,
        title=title,
        source=path.name,
        # Scans left unread make another version: ingesting again once OCR is installed reads
        # them instead of finding the file unchanged.
        content_hash=content_hash(data) + ("+unread-scans" if unread else ""),
        page_count=len(pages) if is_pdf else None,
        meta=meta,
        chunks=chunks,
        ocr_pages=ocr_pages,
        unread_pages=unread,
    )
