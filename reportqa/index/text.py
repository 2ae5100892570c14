"""Text for matching: NFKC, Traditional → Simplified folding, CJK-aware tokens."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-&][A-Za-z0-9]+)*|\d+(?:[.,]\d+)*")
POSSESSIVE = re.compile(r"(?<=[a-z0-9])['’]s\b")  # JST's → JST
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
STOPWORDS = frozenset(
    "a an and are as at be by can did do does for from has have how i in is it its of on or "
    "the to was were what when where which who whom whose why will with about into than that "
    "this these those there their they them he she his her you your we our me my tell list "
    "give show please much many any 的 了 是 在 和 與 及 或 有 為 于 于是 什么 哪些 哪个 哪 "
    "吗 呢 吧 啊 请问 多少 几 怎么 如何 什么样 谁 是否 之 其 这 那 个 也 都 而 就 被 对 将 把 "
    "从 到 以 由 等".split()
)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2twp")


def is_simplified(text: str) -> bool:
    """True when the text has Simplified characters (converting it to Traditional changes it)."""
    return CJK_RUN.search(text) is not None and _to_traditional().convert(text) != text


def to_traditional(text: str) -> str:
    """Simplified → Traditional (Taiwan phrasing), so a question matches the report's wording."""
    return _to_traditional().convert(text)


def fold(text: str) -> str:
    """NFKC, lower-case, Traditional → Simplified: one form for matching, never for display."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).lower()


class _Segmenter:
    """jieba's word segmentation, from rjieba (jieba-rs: same dictionary and cut, compiled in).

    rjieba starts in ~0.1 s where jieba's `initialize` spends ~0.9 s unmarshalling its
    dictionary, and cuts ~8x faster; on the sample and the real PDFs both give the same
    tokens (benchmarks/tokens_agree.py). Python jieba is the fallback where rjieba is absent.
    """

    def __init__(self) -> None:
        try:
            import rjieba

            self._cut = rjieba.cut  # the module's own segmenter, built once at import
            self._cut_search = rjieba.cut_for_search
            self._add = lambda word, freq: rjieba.add_word(word, freq, None)
            self.backend = "rjieba"
        except ImportError:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            self._cut = lambda text, hmm: jieba.lcut(text, HMM=hmm)
            self._cut_search = lambda text, hmm: jieba.lcut_for_search(text, HMM=hmm)
            self._add = jieba.add_word
            self.backend = "jieba"

    def add_word(self, word: str, freq: int | None = None) -> None:
        """A user-dictionary word (as jieba's add_word); freq None lets it win a cut."""
        self._add(word, freq)

    def lcut(self, text: str, HMM: bool = False) -> list[str]:  # jieba's parameter name
        return list(self._cut(text, HMM))

    def lcut_for_search(self, text: str, HMM: bool = False) -> list[str]:
        """jieba's search mode: the dictionary words of 2-3 characters inside each word, then
        the word (参考价值 → 参考 价值 参考价 参考价值)."""
        return list(self._cut_search(text, HMM))


@lru_cache(maxsize=1)
def _jieba() -> _Segmenter:
    return _Segmenter()


def tokenize(text: str, scheme: str = "jieba") -> list[str]:
    """Search tokens of a text: CJK words (jieba) or bigrams, plus Latin words and numbers."""
    folded = POSSESSIVE.sub("", fold(text))
    tokens = [m.group(0) for m in LATIN.finditer(folded)]
    for run in CJK_RUN.findall(folded):
        if scheme == "bigram":
            tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        else:
            tokens.extend(w for w in _jieba().lcut(run, HMM=False) if w.strip())
    return [t for t in tokens if t not in STOPWORDS]


def mostly_latin(tokens: str) -> bool:
    """Whether most of a sentence's lexical tokens (space-separated) are Latin-script words
    (an attendee list, an English title, a command line), not Chinese words or numbers."""
    words = tokens.split()
    latin = sum(w.isascii() and any(c.isalpha() for c in w) for w in words)
    return latin > len(words) / 2


def written_as_names(question: str) -> set[str]:
    """The question's Latin words written as names (JST, SPRING, CentOS, ACT-X, i-Voting),
    folded: two or more capitals, a digit or a hyphen. President, Executive or server are not."""
    return {
        w.lower()
        for w in re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", question)
        if sum(c.isupper() for c in w) >= 2 or "-" in w or any(c.isdigit() for c in w)
    }
