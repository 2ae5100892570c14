"""Pick the sentence(s) of a passage that best answer a question, as character offsets."""

from __future__ import annotations

import re

from reportqa.index.query import QueryPlan, sentence_evidence
from reportqa.index.store import Sentence

SENTENCE = re.compile(r"[^。！？；!?\n]+[。！？；!?]*[」』）)]*")
NEAR_BEST = 0.75  # a second sentence is highlighted when it scores this close to the best
HEADING_WEIGHT = 0.3  # a heading or a field line (時間：…) is weak evidence of an answer


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or line, leading/trailing whitespace excluded."""
    spans = []
    for m in SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def sentence_weight(sentence: str) -> float:
    """Evidence weight of a sentence: headings and short field lines count less."""
    from reportqa.ingest.outline import heading_level

    return HEADING_WEIGHT if heading_level(sentence) and len(sentence) <= 60 else 1.0


def highlight(
    text: str,
    sentences: list[Sentence],
    plan: QueryPlan,
    max_spans: int = 2,
) -> list[list[int]]:
    """Offsets of the best-evidence sentence, plus the next best if nearly as good."""
    scored = sentence_evidence(sentences, plan.idf)
    if not scored:
        spans = sentence_spans(text)
        return [list(spans[0])] if spans else []
    best = max(scored, key=lambda s: s[0])
    if best[0] <= 0:
        return [[scored[0][1], scored[0][2]]]
    chosen = [best] + [
        s for s in sorted(scored, key=lambda s: -s[0])[1:max_spans] if s[0] >= NEAR_BEST * best[0]
    ]
    return [[start, end] for _, start, end in sorted(chosen, key=lambda c: c[1])]
