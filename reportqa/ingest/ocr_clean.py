"""Clean Tesseract's output for Chinese: join CJK it spaced apart, drop noise lines, keep lines."""

from __future__ import annotations

import re
import unicodedata

# Ideographs (with extension A and compatibility forms), CJK symbols and punctuation (、。「」),
# Bopomofo, radicals and full-width forms: characters that never have a space between them.
CJK = r"\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \t\u3000]+(?=[{CJK}])")
# Tesseract's chi_tra model writes ASCII , : ; ? ! where the page has their full-width forms.
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
ASCII_PUNCT_AFTER_CJK = re.compile(rf"(?<=[{CJK}])[ \t]*([,:;?!])[ \t]*")
# A table's vertical rules come out as | glued to or between the cells' text.
RULE = re.compile(r"(?<![A-Za-z0-9])[|｜]|[|｜](?![A-Za-z0-9])")
SPACES = re.compile(r"[ \t]{2,}")
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def join_cjk(line: str) -> str:
    """Remove the spaces Tesseract puts between CJK characters; keep spaces between Latin words."""
    return CJK_SPACE.sub("", line)


def full_width_punctuation(line: str) -> str:
    """Write , : ; ? ! after CJK full-width, as Chinese text does (學生,3人 → 學生，3人)."""
    return ASCII_PUNCT_AFTER_CJK.sub(lambda m: FULL_WIDTH[m.group(1)], line)


def drop_table_rules(line: str) -> str:
    """Turn the | that Tesseract reads from a table's vertical rules into a space."""
    return SPACES.sub(" ", RULE.sub(" ", line)).strip()


def is_noise_line(line: str) -> bool:
    """A stray mark read from a speck, a rule or a picture: one character that is not an
    ideograph or a digit, or only punctuation and symbols (| — ~ ' ...)."""
    visible = "".join(line.split())
    if not visible:
        return False
    if len(visible) == 1 and not (IDEOGRAPH.match(visible) or visible.isdigit()):
        return True
    return all(unicodedata.category(ch)[0] in "PS" for ch in visible)


def clean_ocr_text(text: str) -> str:
    """Tesseract's text of one page as report lines: CJK joined, noise lines and blank runs gone."""
    lines = []
    for raw in text.replace("\f", "\n").split("\n"):
        line = join_cjk(full_width_punctuation(drop_table_rules(raw)))
        if is_noise_line(line):
            continue
        if line or (lines and lines[-1]):  # one blank line at most, as a paragraph break
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
