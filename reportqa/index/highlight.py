"""Pick the sentence(s) of a passage that best answer a question, as character offsets."""

from __future__ import annotations

import itertools
import math
import re

from reportqa.index.text import fold, tokenize

SENTENCE = re.compile(r"[^。！？；!?\n]+[。！？；!?]*[」』）)]*")


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


def _bigrams(text: str) -> set[str]:
    chars = [c for c in fold(text) if not c.isspace()]
    return {a + b for a, b in itertools.pairwise(chars)}


def highlight(
    text: str, question: str, extra_terms: list[str] | None = None, max_spans: int = 2
) -> list[list[int]]:
    """Offsets of the best-matching sentence, plus the next best if nearly as good."""
    spans = sentence_spans(text)
    if not spans:
        return []
    query_tokens = set(tokenize(" ".join([question, *(extra_terms or [])])))
    query_bigrams = _bigrams(" ".join([question, *(extra_terms or [])]))
    scored = []
    for start, end in spans:
        sentence = text[start:end]
        tokens = set(tokenize(sentence))
        token_hits = sum(len(t) ** 0.5 for t in query_tokens & tokens)
        bigram_hits = len(query_bigrams & _bigrams(sentence))
        # Prefer dense matches over long sentences that match by sheer length.
        score = (2.0 * token_hits + bigram_hits) / math.log(8 + len(sentence))
        scored.append((score, start, end))
    best = max(scored, key=lambda s: s[0])
    if best[0] <= 0:
        return [[spans[0][0], spans[0][1]]]
    chosen = [best]
    for s in sorted(scored, key=lambda s: -s[0])[1:max_spans]:
        if s[0] >= 0.8 * best[0]:
            chosen.append(s)
    return [[s, e] for _, s, e in sorted(chosen, key=lambda c: c[1])]
