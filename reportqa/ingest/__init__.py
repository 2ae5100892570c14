"""Ingest: read a report file and cut it into section-aware chunks."""

from __future__ import annotations

from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest.chunk import chunk_blocks
from reportqa.ingest.clean import clean_pages
from reportqa.ingest.extract import content_hash, read_input
from reportqa.ingest.model import Chunk, Document
from reportqa.ingest.outline import outline

__all__ = ["Chunk", "Document", "IngestError", "load_document"]


def load_document(path: str | Path, doc_id: str | None = None) -> Document:
    """Read a PDF/text/markdown report into a Document with its chunks."""
    path = Path(path)
    pages, data = read_input(path)
    doc_id = doc_id or path.stem
    lines = clean_pages(pages)
    blocks, meta = outline(lines)
    chunks = chunk_blocks(blocks, doc_id)
    if not chunks:
        raise IngestError(path, "no text found after cleaning", "check the file has report text")
    title = meta.pop("title", "") or next(
        (b.section[-1] for b in blocks if b.kind == "heading"), path.stem
    )
    is_pdf = pages[0].number is not None
    return Document(
        doc_id=doc_id,
        title=title,
        source=path.name,
        content_hash=content_hash(data),
        page_count=len(pages) if is_pdf else None,
        meta=meta,
        chunks=chunks,
    )
