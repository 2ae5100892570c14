"""Offline query translation: English words → Chinese words that occur in the library.

Dictionary-based cross-language retrieval: each English content word of a question is looked up
in an English→Chinese dictionary (the `cedict` package's 104k-word table, Simplified) and only
the translations that actually occur in the library's lexical index are kept, so a dictionary
sense that the reports never use cannot pull in noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from reportqa.index import dictionaries
from reportqa.index.text import CJK_RUN, STOPWORDS, _jieba, fold, to_traditional

WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
POS_TAG = re.compile(r"\b(?:n|v|vt|vi|adj|adv|prep|conj|pron|int|num|art|abbr|pl|aux)\.")
NOTE = re.compile(r"\[[^\]]*\]|\([^)]*\)|（[^）]*）|<[^>]*>")
MAX_PER_WORD = 4
# An entry that names its lemma (taught: vbl.teach的过去式和过去分词; abaci: abacus的复数; been:
# (be)的过去分词): 770 of the table's entries. The gloss is grammar, not a translation.
INFLECTION = re.compile(
    r"\(?([A-Za-z][A-Za-z-]*)\)?\s*的\s*(?:过去|复数|现在分词|比较级|最高级|第三人称)[^,，;；A-Za-z]*"
)
# Modals and light verbs: their dictionary senses are not what a question asks about (take →
# 获得, 感受; get → 获得, 成为; should → 应该): they are not translated, and not counted as
# English the library lacks.
NOT_TRANSLATED = frozenset(
    "should must may might would could shall ought get gets got gotten getting take takes took "
    "taken taking make makes making give gives gave given giving put puts let lets keep keeps "
    "kept".split()
)


def _variants(word: str) -> list[str]:
    """The word and its likely base forms (reviewers → reviewer, founded → found, specified →
    specify, submitted → submit)."""
    out = [word]
    if word.endswith(("ies", "ied")):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    stems = []
    if word.endswith("ed"):
        stems.append(word[:-2])
        out.append(word[:-1])
    if word.endswith("ing"):
        stems.append(word[:-3])
        out.append(word[:-3] + "e")
    for stem in stems:
        out.append(stem)
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
            out.append(stem[:-1])  # a doubled final consonant: submitt(ed) → submit
    if word.endswith("ers"):
        out.append(word[:-3])
    return list(dict.fromkeys(out))


def _senses(entry: str) -> list[str]:
    """The Chinese words of one dictionary entry, most common sense first, each followed by the
    word Taiwan uses for it where that differs (服务器 → 伺服器, 软件 → 軟體, 信息 → 資訊),
    folded: the dictionary is mainland usage, the reports are Taiwan's."""
    words = CJK_RUN.findall(NOTE.sub(" ", POS_TAG.sub(",", entry)))
    return list(dict.fromkeys(w for word in words for w in (word, _taiwan(word))))


@lru_cache(maxsize=4096)
def _taiwan(word: str) -> str:
    return fold(to_traditional(word))


def _in_library(
    candidates: list[str], in_library: Callable[[Iterable[str]], set[str]]
) -> list[str]:
    """The candidates (or the words jieba cuts them into) that the library uses, in order."""
    pieces = set(candidates)
    for candidate in candidates:
        pieces.update(w for w in _jieba().lcut(candidate, HMM=False) if len(w) >= 2)
    found = in_library(pieces) if pieces else set()
    ranked = [c for c in candidates if c in found]
    for candidate in candidates:
        ranked += [w for w in _jieba().lcut(candidate, HMM=False) if w in found]
    return list(dict.fromkeys(ranked))


def _entries(word: str) -> list[str]:
    """The dictionary entries of a word's forms, each followed by its lemma's where it names
    one (taught → teach's 讲授, 教授), grammatical glosses removed."""
    out: list[str] = []
    for form in _variants(word):
        entry = dictionaries.general_entry(form)
        if entry is None:
            continue
        out.append(INFLECTION.sub(",", entry))
        for lemma in INFLECTION.findall(entry):
            lemma = lemma.lower()
            lemma_entry = dictionaries.general_entry(lemma) if lemma != form else None
            if lemma_entry is not None:
                out.append(INFLECTION.sub(",", lemma_entry))
    return list(dict.fromkeys(out))


def translate_word(word: str, in_library: Callable[[Iterable[str]], set[str]]) -> list[str]:
    """Chinese words for one English word that the library uses, best first (at most
    MAX_PER_WORD). Tried in turn until one gives words the library has: each form of the word
    the dictionary has (periods → period when 'periods' has only a sense the reports never use),
    the parts of a hyphenated word (junior-high → junior, high), and last the dictionary's
    single-character senses (province → 省, team → 隊), which match too much to come first."""
    entries = _entries(word)
    primary: list[str] = []
    for entry in entries:
        words = [c for c in _senses(entry) if len(c) >= 2 or c in "年月日"]
        primary = _in_library(words, in_library)
        if primary:
            break
    # CC-CEDICT read backwards adds the senses a general table lacks (version → 版本 beside
    # 翻译, credits → 学分), again only those the library uses.
    reverse = [
        w
        for form in _variants(word)
        for sense in dictionaries.reverse_senses(form)
        for w in (sense, _taiwan(sense))
        if len(w) >= 2
    ]
    found = in_library(reverse) if reverse else set()
    ranked = list(dict.fromkeys([*primary, *(w for w in reverse if w in found)]))
    if ranked:
        return ranked[:MAX_PER_WORD]
    if "-" in word:
        parts = [translate_word(part, in_library) for part in word.split("-") if len(part) > 2]
        found = [w for part in parts for w in part[:2]]
        if found:
            return found[:MAX_PER_WORD]
    singles = [c for entry in entries for c in _senses(entry) if len(c) == 1]
    found = in_library(singles) if singles else set()
    return list(dict.fromkeys(c for c in singles if c in found))[:2]


@lru_cache(maxsize=1)
def glossary() -> list[tuple[re.Pattern[str], list[str]]]:
    """The shipped termbase, longest phrase first: (phrase pattern, Chinese terms folded)."""
    terms: dict[str, list[str]] = {}
    path = Path(__file__).resolve().parent.parent / "data" / "glossary.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, chinese = line.partition("\t")
        terms[english.strip().lower()] = [fold(t.strip()) for t in chinese.split(",") if t.strip()]
    return [
        (re.compile(rf"(?<![a-z0-9-]){re.escape(phrase)}(?![a-z0-9-])"), terms[phrase])
        for phrase in sorted(terms, key=len, reverse=True)
    ]


def _glossary_terms(folded_question: str) -> tuple[list[str], str]:
    """Termbase translations of the question's phrases (longest first), and what is left over."""
    found: list[str] = []
    rest = f" {folded_question} "
    for pattern, chinese in glossary():
        if pattern.search(rest):
            found.extend(chinese)
            rest = pattern.sub(" ", rest)
    return found, rest


class Translation(NamedTuple):
    """What an English question becomes: Chinese words (Simplified, as the library spells
    them) for the lexical side, the subset the dense model reads, and the English content words
    that found no translation in the library."""

    words: list[str]
    dense: list[str]  # termbase terms, base forms and each word's first sense only
    untranslated: list[str]


def translate_question(
    folded_question: str,
    in_library: Callable[[Iterable[str]], set[str]],
    co_occur: Callable[[str, list[str]], bool] | None = None,
    names: set[str] | None = None,
) -> Translation:
    """Chinese words for a question's English words (see Translation).

    The dense model reads one sense a word: with every sense (up to MAX_PER_WORD) the question
    it embeds was ~2.1x the bare question's tokens, and on 166 English questions (the eval
    set's 72 and 94 written later, blind) the first sense alone ranked as well or better (127
    against 124 first), its tune split 2 worse.

    With `co_occur` (does some chunk hold this word and one of those?), an English word with
    several senses in the library keeps only the senses that a chunk uses beside the question's
    other words (last → 持續, 支持, 支援, 維持 in a question about a voting feature's steps
    keeps those a chunk pairs with 步驟 or 投票), or all of them when none is so used.

    A word the reports use as such is searched as such and not translated; with `names` (the
    words an English question writes as names: JST, SPRING, CentOS), only those are: a report
    that lists "Dr. Kazuhiro Hono, President" must not keep "impeach the President" from 總統.
    Blind set English hit@1 .702 → .734, the eval sets unchanged; a Chinese question's Latin
    words are names (Apache, Joomla) and it passes no `names`."""
    termbase, rest = _glossary_terms(folded_question)
    present_terms = in_library(termbase)
    out: list[str] = [t for t in termbase if t in present_terms]
    untranslated: list[str] = []
    words = [
        w
        for w in WORD.findall(rest)
        if w not in STOPWORDS and w not in NOT_TRANSLATED and len(w) > 2
    ]
    # A word the reports use as such (JST, SPRING, RIKEN) is a name: the general dictionary's
    # senses (JST → 日本標準時間, spring → 彈性) would only add noise. The termbase still applies.
    # So is a word whose base form the reports use (installs → install). See `names`.
    present = in_library(words)
    if names is not None:  # an English question: only what it writes as a name is kept as such
        present &= names
    forms = {w: [f for f in _variants(w)[1:] if f.isascii() and len(f) > 2] for w in words}
    forms_present = in_library({f for fs in forms.values() for f in fs})
    senses: list[list[str]] = []
    for word in words:
        if word in present:
            continue
        base = [f for f in forms[word] if f in forms_present]
        if base:  # installs → install, as a manual's command line has it: English, not Chinese
            out.append(base[0])
            continue
        ranked = translate_word(word, in_library)
        if ranked:
            senses.append(ranked)
        else:
            untranslated.append(word)
    if co_occur is not None:
        anchors = out + [w for w in words if w in present]
        senses = [
            _supported(
                group,
                anchors + [t for other in senses if other is not group for t in other],
                co_occur,
            )
            for group in senses
        ]
    dense = list(dict.fromkeys(out + [group[0] for group in senses if group]))
    out += [t for group in senses for t in group]
    return Translation(list(dict.fromkeys(out)), dense, untranslated)


def _supported(
    group: list[str], others: list[str], co_occur: Callable[[str, list[str]], bool]
) -> list[str]:
    """The senses of one word that a chunk uses beside another word of the question; all of
    them if it has one sense, there are no other words, or no sense is so used."""
    if len(group) < 2 or not others:
        return group
    kept = [sense for sense in group if co_occur(sense, others)]
    return kept or group
