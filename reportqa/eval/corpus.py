"""Varied real text for speed and agreement checks: the sample, the shared real PDFs, English.

Nothing here is tuned to a question: texts are chunks, sentences, raw page text and
concatenations drawn in a fixed order (or with a seeded generator), so runs are repeatable.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from pathlib import Path

from reportqa.eval.runner import bundled_sample_path

REPO = Path(__file__).resolve().parents[2]


def real_pdf_dir() -> Path | None:
    """The shared real PDFs (../shared/real-pdfs beside the repo, or $REPORTQA_REAL_PDFS)."""
    folder = Path(os.environ.get("REPORTQA_REAL_PDFS") or REPO.parent / "shared" / "real-pdfs")
    return folder if folder.is_dir() and any(folder.glob("*.pdf")) else None


def source_documents() -> list:
    """The sample report and every shared real PDF, chunked as ingest chunks them."""
    from reportqa.ingest import load_document

    paths = [bundled_sample_path()]
    folder = real_pdf_dir()
    if folder:
        paths += sorted(folder.glob("*.pdf"))
    return [load_document(p) for p in paths]


def raw_page_texts() -> list[str]:
    """pypdf's text of every page of the real PDFs, as extracted (wrapped lines, headers)."""
    from pypdf import PdfReader

    folder = real_pdf_dir()
    out = []
    for path in sorted(folder.glob("*.pdf")) if folder else []:
        out += [t for page in PdfReader(path).pages if (t := (page.extract_text() or "").strip())]
    return out


def english_texts() -> list[str]:
    """English prose: the README's paragraphs and the eval set's English questions."""
    from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set

    out = [q.question for q in load_eval_set(bundled_eval_set_path()) if q.lang == "en"]
    readme = REPO / "README.md"
    if readme.exists():
        out += [p.strip() for p in readme.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return out


def sentences(docs: list) -> list[str]:
    from reportqa.ingest.sentences import sentence_spans

    return [
        c.display_text[a:b]
        for d in docs
        for c in d.chunks
        for a, b in sentence_spans(c.display_text)
    ]


def varied_texts(limit: int | None = None, seed: int = 0) -> list[str]:
    """Chunks, sentences, raw pages, English, very short and over-512-token texts, mixed."""
    from reportqa.index.writer import embedding_text

    docs = source_documents()
    chunks = [embedding_text(c.section, c.display_text) for d in docs for c in d.chunks]
    rng = random.Random(seed)
    long = ["\n".join(rng.sample(chunks, 4)) for _ in range(12)]  # 1,200+ chars: windows
    short = [s[:12] for s in rng.sample(sentences(docs), 40)] + ["RIKEN", "JST", "科技", "?"]
    groups = [chunks, sentences(docs), raw_page_texts(), english_texts(), long, short]
    texts = [t for g in groups for t in g if t.strip()]
    rng.shuffle(texts)
    return texts[:limit] if limit else texts


def shuffled_reports(docs: list, count: int, seed: int = 0) -> list:
    """`count` reports with sentences shuffled across the source documents (not copies).

    Each keeps the shape of a source document (its sections, pages and chunk lengths) but
    every chunk's text is refilled with sentences drawn from all sources.
    """
    pool = sentences(docs)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        base = docs[i % len(docs)]
        chunks = []
        for chunk in base.chunks:
            text, target = "", len(chunk.text)
            while len(text) < target:
                text += rng.choice(pool)
            chunks.append(replace(chunk, doc_id=f"scale-{i:05d}", text=text, prefix=""))
        out.append(
            replace(
                base, doc_id=f"scale-{i:05d}", title=f"{base.title} ({i})",
                content_hash=f"scale-{seed}-{i}", chunks=chunks,
            )
        )  # fmt: skip
    return out
