"""A report's name in a question: it tells which report to read, not which passage.

A question often names the report it asks about: 新北市健康識能競賽的決賽是什麼題型？ Those words
are the report's title's, and inside that report only the passages that repeat the title hold
them (the cover, the opening paragraph), which then outrank the passage the question asks for.
So where a question writes three or more consecutive words of one report's title (a name, not a
topic word such as 交流 or 安裝 alone), or a Latin word of it written as a name (i-Voting):
- BM25 counts each of those words once in every chunk of the reports so named, as one occurrence
  in a chunk of average length, and sentence evidence there scores the question's other words
  alone: the words still tell those reports from the others, and no longer pick a passage;
- the dense model reads the question without the name (決賽是什麼題型？): its chunk vectors carry
  their report's title already (passages.embedding_text), and a sentence that repeats the name
  no longer looks like the answer.
Only a question written in Chinese: an English question names a report in translation
(Constitution → 憲法), and there the rule moved nothing on the eval sets and lost 2 blind ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from reportqa.index.search import Scores
from reportqa.index.text import CJK_RUN, _jieba, fold, mostly_latin, tokenize, written_as_names

# A word in more titles than this is an ordinary word of titles (計畫, 報告), not a report's name.
MAX_REPORTS = 10
# Consecutive title words that make a name. Two would also take a compound that a title and a
# question share as a topic (基本教育 of 十二年國民基本教育課程綱要 in a question on the
# Constitution; 研究領域): the eval sets and both blind sets rank the same with 2 or 3, and 3
# loses one highlight of the second blind set (中華民國憲法 is 2 words).
MIN_RUN = 3


class Naming(NamedTuple):
    """The words of a question that name reports, and the question without them."""

    reports: dict[str, tuple[str, ...]]  # lexical token → the reports it names
    rest: str  # the question less the names (the question itself when nothing else is left)


def title_index(titles: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Lexical token → the reports (doc ids, sorted) whose title holds it."""
    index: dict[str, list[str]] = {}
    for doc_id in sorted(titles):
        for token in dict.fromkeys(tokenize(titles[doc_id])):
            index.setdefault(token, []).append(doc_id)
    return {token: tuple(docs) for token, docs in index.items()}


def naming(question: str, index: Mapping[str, tuple[str, ...]]) -> Naming:
    """Runs of at least MIN_RUN consecutive words of a Chinese question that the title of one
    report (of at most MAX_REPORTS sharing each word) holds."""
    if not index or mostly_latin(" ".join(tokenize(question))):
        return Naming({}, question)
    reports: dict[str, tuple[str, ...]] = {}
    kept, pos = [], 0
    for match in CJK_RUN.finditer(question):
        kept.append(question[pos : match.start()])
        pos = match.end()
        run = match.group(0)
        folded = fold(run)
        if len(folded) != len(run):  # offsets would not map back: keep the run whole
            kept.append(run)
            continue
        words = _jieba().lcut(folded, HMM=False)
        for start, stop, docs in _runs(words, index):
            reports.update((word, docs) for word in words[start:stop])
        named = {i for start, stop, _ in _runs(words, index) for i in range(start, stop)}
        at = 0
        for i, word in enumerate(words):
            if i not in named:
                kept.append(run[at : at + len(word)])
            at += len(word)
    kept.append(question[pos:])
    rest = "".join(kept)
    # A Latin word written as a name (i-Voting, CentOS) is one alone; a number (a year, the 3
    # of 第3名) is not, even where a title holds it.
    for word in written_as_names(rest):
        docs = index.get(word, ())
        if 0 < len(docs) <= MAX_REPORTS and any(c.isalpha() for c in word):
            reports[word] = docs
            rest = re.sub(rf"(?<![a-z0-9-]){re.escape(word)}(?![a-z0-9-])", " ", rest, flags=re.I)
    rest = " ".join(rest.split())
    return Naming(reports, rest if reports and tokenize(rest) else question)


def _runs(
    words: list[str], index: Mapping[str, tuple[str, ...]]
) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, stop, reports) of each maximal run of words one report's title holds."""
    out, start, docs = [], 0, set()
    for i, word in enumerate([*words, ""]):
        held = set(index.get(word, ()))
        if len(held) > MAX_REPORTS:
            held = set()
        if held and held & docs:
            docs &= held
            continue
        if i - start >= MIN_RUN and docs:
            out.append((start, i, tuple(sorted(docs))))
        start, docs = i, held
    return out


def rescored(
    lexical: Scores,
    named: Mapping[str, np.ndarray],
    own: Mapping[str, Scores],
    once: Mapping[str, float],
) -> Scores:
    """BM25 with each naming token's part replaced, in the chunks of the reports it names
    (`named`: token → their chunk ids), by what one occurrence scores (`once`); `own`: each
    token's own BM25 part (its single-term scores, weighted as in `lexical`)."""
    if not named:
        return lexical
    ids, values = [lexical.ids], [lexical.values]
    for token, chunks in named.items():
        held = own[token]
        inside = np.isin(held.ids, chunks)
        ids += [held.ids[inside], chunks]
        values += [-held.values[inside], np.full(len(chunks), once[token])]
    unique, where = np.unique(np.concatenate(ids), return_inverse=True)
    return Scores(unique, np.bincount(where, weights=np.concatenate(values)))


def masked(member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sentence × naming-token membership (does the sentence's chunk belong to a report the
    token names), the distinct patterns and each sentence's pattern: sentences of one pattern
    score their share over the same tokens."""
    patterns, which = np.unique(member, axis=0, return_inverse=True)
    return patterns, which.reshape(-1)
