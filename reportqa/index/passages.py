"""The texts a library embeds and indexes for a chunk: pure functions of ingest's output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportqa.ingest import Document
from reportqa.ingest.sentences import evidence_units

# How sentence vectors are made (recorded per library, meta key sentence_vector_kind):
# "late": pooled from the chunk's own forward pass (one text per chunk);
# "passages": each sentence embedded as a short passage of its own.
LATE, PASSAGES = "late", "passages"


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


@dataclass(frozen=True)
class EmbedPlan:
    """What to embed for some chunks, and how their sentence vectors come out of it.

    `texts` go to the embedder; `spans[i]` are character spans of `texts[i]` whose vectors are
    pooled from that text's own pass (late chunking: one span per sentence, chunk texts only).
    Without late chunking the sentences are extra texts after the chunks' and spans are empty.
    """

    texts: list[str]
    spans: list[list[tuple[int, int]]]
    chunks: int  # the first `chunks` texts are the chunks'
    late: bool

    def count(self) -> int:
        """Sentence vectors this plan yields."""
        return sum(map(len, self.spans)) if self.late else len(self.texts) - self.chunks


def chunk_plan(
    chunks: list[tuple[list[str], str, str]],
    late: bool,
    units: list[list[tuple[int, int]]] | None = None,
) -> EmbedPlan:
    """The plan for (section, display text, report title) chunks; `units`: each one's sentence
    spans (default: `evidence_units` of its text, as ingest stores them)."""
    if units is None:
        units = [evidence_units(text) for _, text, _ in chunks]
    texts = [embedding_text(section, text, title) for section, text, title in chunks]
    if not late:
        sentences = [text[a:b] for (_, text, _), spans in zip(chunks, units, strict=True)
                     for a, b in spans]  # fmt: skip
        return EmbedPlan(texts + sentences, [[] for _ in texts + sentences], len(texts), False)
    spans = []
    for embedded, (_, text, _), own in zip(texts, chunks, units, strict=True):
        if not embedded.endswith(text):
            raise ValueError("embedding_text must end with the chunk's text for late chunking")
        skip = len(embedded) - len(text)  # the sentence offsets, moved past the section titles
        spans.append([(a + skip, b + skip) for a, b in own])
    return EmbedPlan(texts, spans, len(texts), True)


def document_plan(doc: Document, late: bool) -> EmbedPlan:
    """What ingest embeds for a document (chunks, then sentences in `sentence_texts` order)."""
    return chunk_plan([(c.section, c.display_text, doc.title) for c in doc.chunks], late)


def split_vectors(
    plan: EmbedPlan, text_vectors: np.ndarray, span_vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(chunk vectors, sentence vectors) from the vectors of a plan's texts and spans."""
    if plan.late:
        return text_vectors[: plan.chunks], span_vectors
    return text_vectors[: plan.chunks], text_vectors[plan.chunks :]
