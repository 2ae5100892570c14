"""The texts a library embeds and indexes for a chunk: pure functions of ingest's output."""

from __future__ import annotations

from reportqa.ingest import Document
from reportqa.ingest.sentences import evidence_units


def _context(section: list[str], text: str) -> list[str]:
    """The nearest section titles that the text does not already start with or contain."""
    return [title for title in section[-2:] if title not in text]


def embedding_text(section: list[str], text: str, title: str = "") -> str:
    """What the embedder sees: the report's title and the whole section path, less what the
    text already holds. A short section (參、計畫期程：111年11月至112年7月。) says what it is
    about only under its report's name, and a question naming the report finds its chunks."""
    context = " › ".join(t for t in [title, *section] if t and t not in text)
    return f"{context}\n{text}" if context else text


def sentence_texts(doc: Document) -> list[str]:
    """The texts whose vectors `add_documents` takes: each chunk's evidence units, in order."""
    return [
        chunk.display_text[start:end]
        for chunk in doc.chunks
        for start, end in evidence_units(chunk.display_text)
    ]


def lexical_text(section: list[str], text: str) -> str:
    """What the lexical index sees: the text plus section titles it lacks (counted once)."""
    return " ".join([*_context(section, text), text])
