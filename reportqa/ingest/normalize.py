"""Characters that look like ordinary ideographs but are not: map them, keep everything else.

PDF fonts often map glyphs to Kangxi radicals (⼀ U+2F00) or CJK compatibility ideographs
(U+F900-U+FAFF, U+2F800-U+2FA1F) that render like 一 or 陸 but never match them in a search.
NFKC maps them, but NFKC on the whole text would also turn full-width punctuation (，：（）)
into ASCII, which the reports use on purpose: so only these characters are mapped.
Word users also type the Bopomofo letter ㄧ (U+3127) for the numeral 一 (ㄧ、課程發展); it is
mapped when it is not part of a run of Bopomofo (real phonetic annotation).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

FOLDED_RANGES = (
    ("\u2e80", "\u2eff"),  # CJK radicals supplement (only some have an NFKC mapping)
    ("\u2f00", "\u2fdf"),  # Kangxi radicals
    ("\uf900", "\ufaff"),  # CJK compatibility ideographs
    ("\U0002f800", "\U0002fa1f"),  # CJK compatibility ideographs supplement
)
_FOLDED = re.compile("[" + "".join(f"{lo}-{hi}" for lo, hi in FOLDED_RANGES) + "]")
BOPOMOFO = "\u3100-\u312f\u31a0-\u31bf\u02ca\u02c7\u02cb\u02d9"  # letters and tone marks
# ㄧ not touching another Bopomofo character: a mistyped 一, not phonetic annotation.
_LONE_YI = re.compile(rf"(?<![{BOPOMOFO}])\u3127(?![{BOPOMOFO}])")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    mapped = unicodedata.normalize("NFKC", ch)
    # Only a mapping to one ideograph is wanted (no radicals that decompose to nothing useful).
    return mapped if len(mapped) == 1 and unicodedata.category(mapped) == "Lo" else ch


def fold_ideographs(text: str) -> str:
    """Map compatibility ideographs, Kangxi radicals and a lone ㄧ to the unified ideographs."""
    if _FOLDED.search(text):
        text = _FOLDED.sub(lambda m: _fold_char(m.group(0)), text)
    if "\u3127" in text:
        text = _LONE_YI.sub("一", text)
    return text
