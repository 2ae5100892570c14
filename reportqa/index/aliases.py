"""Aliases mined from the reports themselves: 日本學術振興會(Japan Society for the …, JSPS)."""

from __future__ import annotations

import re
from functools import lru_cache

from reportqa.index.text import fold

GLOSS = re.compile(r"([\u3400-\u9fff]{2,40})\s*[(（]\s*([A-Za-z][^()（）]{1,160}?)\s*[)）]")
LEADING_NOISE = re.compile(r"^(.*?(拜會|主要|其餘則由|則由|及|與|和|由|的|之|設有|另設有|提供))")
MAX_NAME = 16
CJK = re.compile(r"[\u3400-\u9fff]")
PARTICLES = set("的之与和及或在是为了把被对从向于")  # folded (simplified) forms


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


def abbreviated(folded: str, aliases: list[tuple[str, str]]) -> list[str]:
    """The mined names a (folded) question writes abbreviated, as Chinese abbreviates a name
    (物材機構 for 獨立行政法人物質材料研究機構, 國科會 for 國家科學及技術委員會): a stretch of 3
    or more CJK characters that ends as the name does and takes its other characters in order
    from the name, without being a stretch of the name itself."""
    names, pairs = _abbreviation_index(aliases)
    candidates: set[int] = set()
    for end in range(2, len(folded)):  # the stretch's last three characters must fit a name
        last = folded[end]
        before = pairs.get((last, folded[end - 1]))
        if before:
            candidates |= before & pairs.get((last, folded[end - 2]), set())
    found = []
    for k in sorted(candidates):
        name, n = names[k]
        if n not in folded and any(_abbreviates(folded, i, n) for i in range(len(folded))):
            found.append(name)
    return found


_INDEXES: dict[int, tuple[list, tuple]] = {}


def _abbreviation_index(
    aliases: list[tuple[str, str]],
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], set[int]]]:
    """The mined names of 5+ characters as (name, folded), and for each (last character, other
    character) the names that end in the one and hold the other before it: built once per list
    of aliases (a snapshot's), so a question looks at the few names its characters fit."""
    cached = _INDEXES.get(id(aliases))
    if cached is not None and cached[0] is aliases:
        return cached[1]
    names = [(name, _folded(name)) for name in dict.fromkeys(name for _, name in aliases)]
    names = [(name, n) for name, n in names if len(n) >= 5]
    pairs: dict[tuple[str, str], set[int]] = {}
    for k, (_, n) in enumerate(names):
        for c in set(n[:-1]):
            pairs.setdefault((n[-1], c), set()).add(k)
    if len(_INDEXES) >= 4:  # a few snapshots at most (an entry keeps its list alive)
        _INDEXES.clear()
    _INDEXES[id(aliases)] = (aliases, (names, pairs))
    return names, pairs


def _abbreviates(folded: str, start: int, name: str) -> bool:
    """Whether folded[start:end], for some end, abbreviates `name` (see `abbreviated`): before
    the ending it shares with the name (機構 of 物材機構), 2 or more characters the name does not
    hold together (物材: 物質材料; 研究中心 is a word of many names, not one name), and no
    particle (的机构 is 'the institution')."""
    pos = 0  # the question's characters so far are a subsequence of name[:pos]
    for end in range(start, min(len(folded), start + len(name) - 1)):
        c = folded[end]
        if not CJK.match(c) or c in PARTICLES:
            return False
        stretch = folded[start : end + 1]
        if end - start >= 2 and c == name[-1] and pos < len(name) and stretch not in name:
            shared = 1
            while shared < len(stretch) and stretch[-shared - 1] == name[-shared - 1]:
                shared += 1
            own = stretch[:-shared]
            if len(own) >= 2 and own not in name:
                return True
        pos = name.find(c, pos) + 1
        if pos == 0:
            return False
    return False


@lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    """fold() of a mined term or name: the same few thousand strings for every question."""
    return fold(text)


def _contains_term(folded: str, term: str) -> bool:
    if term not in folded or not term.isascii():  # the substring test first: no regex to build
        return term in folded
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", folded) is not None
