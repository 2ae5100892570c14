"""Aliases mined from the reports themselves: 日本學術振興會(Japan Society for the …, JSPS)."""

from __future__ import annotations

import re
from functools import lru_cache

from reportqa.index.text import fold

GLOSS = re.compile(r"([\u3400-\u9fff]{2,40})\s*[(（]\s*([A-Za-z][^()（）]{1,160}?)\s*[)）]")
LEADING_NOISE = re.compile(r"^(.*?(拜會|主要|其餘則由|則由|及|與|和|由|的|之|設有|另設有|提供))")
MAX_NAME = 16


def mine_aliases(text: str) -> list[tuple[str, str]]:
    """(foreign term, Chinese name) pairs glossed in parentheses in a report's text."""
    pairs: list[tuple[str, str]] = []
    for match in GLOSS.finditer(text):
        name = match.group(1)
        for _ in range(3):  # 主要拜會獨立行政法人… → 獨立行政法人…
            name = LEADING_NOISE.sub("", name) or name
        name = name[-MAX_NAME:]
        if len(name) < 3:
            continue
        gloss = re.sub(r"簡稱|简称", ",", match.group(2))
        for term in re.split(r"[,，;；]", gloss):
            term = " ".join(term.split())
            if len(term) >= 2 and re.search(r"[A-Z]", term):
                pairs.append((term, name))
    return pairs


def expand_query(question: str, aliases: list[tuple[str, str]]) -> list[str]:
    """Names to add to a question: the Chinese for glossed foreign terms it uses, and back."""
    folded = fold(question)
    extra: list[str] = []
    for term, name in aliases:
        t, n = _folded(term), _folded(name)
        if _contains_term(folded, t) and n not in folded:
            extra.append(name)
        elif n in folded and not _contains_term(folded, t):
            extra.append(term)
    return list(dict.fromkeys(extra))


@lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    """fold() of a mined term or name: the same few thousand strings for every question."""
    return fold(text)


def _contains_term(folded: str, term: str) -> bool:
    if term not in folded or not term.isascii():  # the substring test first: no regex to build
        return term in folded
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", folded) is not None
