"""Understand a question before searching: aliases, translation, tokens and their weights."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reportqa.index.aliases import expand_query
from reportqa.index.store import Sentence
from reportqa.index.text import fold, is_simplified, to_traditional, tokenize
from reportqa.index.translate import translate_question


@dataclass
class QueryPlan:
    """Everything the rankers need to know about one question."""

    question: str
    aliases: list[str]  # names the report glosses for terms the question uses
    translated: list[str]  # Chinese words for the question's English words
    dense_text: str  # what the dense model embeds
    tokens: list[str]  # lexical tokens, deduplicated
    idf: dict[str, float] = field(default_factory=dict)  # for tokens present in the library
    coverage: float = 0.0  # share of the query's IDF mass the library contains at all

    @property
    def extra_terms(self) -> list[str]:
        return self.aliases + self.translated


def plan_query(
    question: str,
    aliases: list[tuple[str, str]],
    in_library: Callable[[Iterable[str]], set[str]],
    translate_for_dense: bool = True,
) -> QueryPlan:
    """Expand a question with mined aliases and dictionary translations."""
    extra = expand_query(question, aliases)
    folded = fold(question)
    translated = translate_question(folded, in_library) if re.search(r"[a-z]{3}", folded) else []
    expanded = " ".join([question, *extra])
    dense_text = to_traditional(expanded) if is_simplified(question) else expanded
    if translated and translate_for_dense:
        dense_text += " " + to_traditional(" ".join(translated))
    tokens = list(dict.fromkeys(tokenize(" ".join([expanded, *translated]))))
    return QueryPlan(question, extra, translated, dense_text, tokens)


def weigh_tokens(plan: QueryPlan, doc_freq: dict[str, int], n_chunks: int) -> None:
    """Set IDF weights for the tokens the library has, and the query's coverage."""
    n = max(1, n_chunks)
    plan.idf = {t: math.log(1 + n / (1 + df)) for t, df in doc_freq.items() if df > 0}
    total = len(plan.tokens) * math.log(1 + n) or 1.0
    plan.coverage = sum(plan.idf.values()) / total


def sentence_evidence(
    sentences: list[Sentence], idf: dict[str, float]
) -> list[tuple[float, int, int]]:
    """(score, start, end) per sentence: the IDF mass of query tokens it contains, weighted."""
    return [(s.weight * sum(idf.get(t, 0.0) for t in s.tokens), s.start, s.end) for s in sentences]
