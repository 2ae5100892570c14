"""Understand a question before searching: aliases, translation, tokens and their weights."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from reportqa.index import report_names
from reportqa.index.aliases import _contains_term, _folded, abbreviated, expand_query
from reportqa.index.text import (
    _jieba,
    fold,
    is_simplified,
    mostly_latin,
    to_traditional,
    tokenize,
    written_as_names,
)
from reportqa.index.translate import Translation, translate_question

ALIAS_WEIGHT = 0.7  # a name the report glosses for a term of the question
TRANSLATED_WEIGHT = 0.5  # a dictionary translation: likely, not certain, to be the right sense
# A word at either end of a compound of the question (物理學門 → 物理學 → 物理): jieba cuts one
# name differently in different contexts (物理學系 → 物理學 系, a table cell 物理 alone), so the
# report's word may be a part of the question's. Tune split: highlight .955 → .964 (物理學門的召集人
# 是誰？ now highlights the 物理 row); 0.3 the same; nothing else moves; heldout unchanged.
PART_WEIGHT = 0.5
COMMON_WORD_WEIGHT = 0.5  # an ordinary English word of the question that the report also uses
# A question asking what the report concludes, thinks or recommends (報告認為…, 值得我國參考,
# What does the report suggest…): a report says so in its 心得及建議 / 結論 section.
VIEW_ASKED = re.compile(
    r"認為|认为|建議|建议|值得.{0,8}(參考|参考|借鏡|借镜|學習|学习)|借鏡|借镜|心得|啟示|启示|"
    r"收穫|收获|省思|反思|"
    r"\b(suggests?|recommends?|recommendations?|conclusions?|conclude|lessons learned|"
    r"learn from|takeaways?)\b",
    flags=re.IGNORECASE,
)


@dataclass
class QueryPlan:
    """Everything the rankers need to know about one question."""

    question: str
    aliases: list[str]  # names the report glosses for terms the question uses
    translated: list[str]  # Chinese words for the question's English words
    dense_text: str  # what the dense model embeds
    tokens: list[str]  # lexical tokens, deduplicated
    idf: dict[str, float] = field(default_factory=dict)  # for tokens present in the library
    source_weight: dict[str, float] = field(default_factory=dict)  # question 1, added terms less
    unmatched: list[str] = field(default_factory=list)  # English words with no match at all
    coverage: float = 0.0  # share of the query's IDF mass the library contains at all
    # One entry per entity the question names under a mined alias: the token lists of its names
    # (日本學術振興會, JSPS, Japan Society for the Promotion of Science): one concept, not three.
    concepts: list[list[list[str]]] = field(default_factory=list)
    asks_view: bool = False  # asks what the report thinks or recommends (see VIEW_ASKED)
    doc_freq: dict[str, int] = field(default_factory=dict)  # chunks holding each token
    # Tokens of the question that name reports (report_names) → those reports' doc ids, and
    # (set by the retriever) → their chunk ids.
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    named: dict[str, np.ndarray] = field(default_factory=dict)


def plan_query(
    question: str,
    aliases: list[tuple[str, str]],
    in_library: Callable[[Iterable[str]], set[str]],
    co_occur: Callable[[str, list[str]], bool] | None = None,
    titles: Mapping[str, tuple[str, ...]] | None = None,
) -> QueryPlan:
    """Expand a question with mined aliases and dictionary translations (senses chosen by
    `co_occur`, see translate_question); `titles` (report_names.title_index): the dense model
    reads the question without the reports' names it writes."""
    folded = fold(question)
    # A name the question abbreviates (物材機構) is searched as the report writes it in full.
    names = abbreviated(folded, aliases) if aliases else []
    seen = " ".join([question, *names])
    extra = list(dict.fromkeys([*names, *expand_query(seen, aliases)]))
    translated, dense_words, untranslated = (
        translate_question(
            folded,
            in_library,
            co_occur,
            written_as_names(question) if mostly_latin(question) else None,
        )
        if re.search(r"[a-z]{3}", folded)
        else Translation([], [], [])
    )
    naming = report_names.naming(question, titles or {})
    expanded = " ".join([naming.rest, *extra])
    dense_text = to_traditional(expanded) if is_simplified(question) else expanded
    if dense_words:  # the dense model sees Chinese words too (measured: helps English)
        dense_text += " " + to_traditional(" ".join(dense_words))
    sources = {t: TRANSLATED_WEIGHT for t in tokenize(" ".join(translated))}
    sources |= {t: ALIAS_WEIGHT for t in tokenize(" ".join(extra))}
    own = backed_off(tokenize(question), in_library)
    sources |= {t: PART_WEIGHT for t in compound_parts(own, in_library)}
    sources |= {t: _question_weight(t, question) for t in own}
    plan = QueryPlan(question, extra, translated, dense_text, list(sources))
    plan.concepts = alias_concepts(fold(seen), aliases) if extra else []
    plan.source_weight = sources
    plan.asks_view = VIEW_ASKED.search(question) is not None
    plan.names = naming.reports
    # English words the library has neither as such nor in translation (translate_question
    # already leaves out words the library uses): what the lexical index cannot see.
    plan.unmatched = untranslated
    return plan


def backed_off(tokens: list[str], in_library: Callable[[Iterable[str]], set[str]]) -> list[str]:
    """The question's tokens, a compound the library never uses replaced by the dictionary words
    inside it that it does (jieba's search mode: 联络人员 → 联络, 人员): the report may write
    the parts, or other compounds of them, where the question joins them."""
    long = [t for t in dict.fromkeys(tokens) if len(t) > 2 and not t.isascii()]
    if not long:
        return tokens
    have = in_library(long)
    parts = {t: [w for w in _jieba().lcut_for_search(t) if w != t] for t in long if t not in have}
    found = in_library({w for ws in parts.values() for w in ws}) if parts else set()
    out: list[str] = []
    for t in tokens:
        kept = [w for w in parts.get(t, []) if w in found]
        out.extend(kept or [t])
    return out


def compound_parts(tokens: list[str], in_library: Callable[[Iterable[str]], set[str]]) -> list[str]:
    """The words that begin or end the question's Chinese compounds (jieba's search mode:
    物理学 → 物理, 理学; 召集人 → 召集), those the library uses and the question does not."""
    parts = [
        w
        for t in dict.fromkeys(tokens)
        if len(t) > 2 and not t.isascii()
        for w in _jieba().lcut_for_search(t)
        if w != t and len(w) >= 2 and (t.startswith(w) or t.endswith(w))
    ]
    found = in_library(set(parts)) if parts else set()
    return [w for w in dict.fromkeys(parts) if w in found and w not in tokens]


def alias_concepts(folded: str, aliases: list[tuple[str, str]]) -> list[list[list[str]]]:
    """The names of each entity the (folded) question names by a mined term or name: the name's
    tokens and each of its terms' (several terms gloss one name: JSPS, Japan Society for …)."""
    forms: dict[str, list[str]] = {}
    for term, name in aliases:
        t, n = _folded(term), _folded(name)
        if _contains_term(folded, t) or n in folded:
            forms.setdefault(n, [name]).append(term)
    concepts = []
    for names in forms.values():
        tokens = [tokenize(name) for name in dict.fromkeys(names)]
        if len([t for t in tokens if t]) > 1:
            concepts.append([t for t in tokens if t])
    return concepts


def _question_weight(token: str, question: str) -> float:
    """1 for a question's words, less for ordinary lower-case English ones (program, fund):
    a Chinese report uses those only in passing, while names (SPRING, JST) are what it cites."""
    if not token.isascii() or not token.isalpha():
        return 1.0
    named = re.search(rf"\b{re.escape(token)}\b", question, flags=re.IGNORECASE)
    return 1.0 if named is None or not named.group(0).islower() else COMMON_WORD_WEIGHT


def weigh_tokens(plan: QueryPlan, doc_freq: dict[str, int], n_chunks: int) -> None:
    """Set IDF weights for the tokens the library has, and the query's coverage."""
    n = max(1, n_chunks)
    plan.doc_freq = dict(doc_freq)
    plan.idf = {
        t: math.log(1 + n / (1 + df)) * plan.source_weight.get(t, 1.0)
        for t, df in doc_freq.items()
        if df > 0
    }
    # Coverage: the share of the question the lexical index can see. Tokens it lacks and
    # untranslatable English words count as missing mass, at the highest IDF.
    present = sum(plan.idf.values())
    missing_cjk = [
        t
        for t in plan.tokens
        if t not in plan.idf and plan.source_weight.get(t) == 1.0 and not t.isascii()
    ]
    missing = (len(missing_cjk) + len(plan.unmatched)) * math.log(1 + n)
    plan.coverage = present / (present + missing) if present + missing else 0.0
