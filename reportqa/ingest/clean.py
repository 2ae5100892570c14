"""Clean extracted pages: drop running headers, footers and page numbers; re-join wrapped lines."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from reportqa.ingest.model import Line, PageText

# Page-number lines: 第 3 頁, 第3頁/共16頁, - 3 -, — 3 —, 3 / 16, Page 3, p. 3, 頁 3
PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*頁(\s*[/／，,]?\s*共\s*\d+\s*頁)?|[-－—–]\s*\d+\s*[-－—–]"
    r"|\d+\s*[/／]\s*\d+|(page|p\.)\s*\d+(\s*of\s*\d+)?|頁\s*\d+)$",
    re.IGNORECASE,
)
LONE_NUMBER = re.compile(r"^\d{1,4}$")
EDGE = 2  # lines at the top and bottom of a page where running headers and footers live


def is_wide(ch: str) -> bool:
    """True for CJK and full-width characters (they take two columns and join without spaces)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def display_width(text: str) -> int:
    """Columns a line takes on the page: 2 for CJK/full-width characters, 1 otherwise."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def _edge_key(text: str) -> str:
    """A line's identity for header/footer matching: digits folded, whitespace removed."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def unspace_cjk(line: str) -> str:
    """Undo letter-spacing of justified CJK lines (在 此 次 交 流 → 在此次交流); keep table cells.

    Extractors put a space between every character of a justified line; a table row has spaces
    only between multi-character cells, so a line is unspaced only when most of its CJK runs are
    single characters.
    """
    line = re.sub(r"[ \t\u3000\xa0]+", " ", line)
    runs = re.findall(r"[^\s]+", line)
    wide_runs = [r for r in runs if all(is_wide(c) for c in r)]
    singles = sum(1 for r in wide_runs if len(r) == 1)
    if singles < 4 or singles < 0.6 * len(wide_runs):
        return line
    return re.sub(r"(?<=\S) (?=\S)", lambda m: _space_between(line, m.start()), line)


def _space_between(line: str, i: int) -> str:
    return "" if is_wide(line[i - 1]) or is_wide(line[i + 1]) else " "


def page_lines(pages: list[PageText]) -> list[list[Line]]:
    """Split each page into stripped, non-blank lines."""
    out = []
    for page in pages:
        text = page.text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
        lines = [Line(unspace_cjk(t.strip()), page.number) for t in text.split("\n")]
        out.append([line for line in lines if line.text])
    return out


def running_lines(per_page: list[list[Line]]) -> set[tuple[int, int]]:
    """(page index, line index) of headers, footers and page numbers repeated across pages."""
    n_pages = len(per_page)
    drop: set[tuple[int, int]] = set()
    if n_pages < 2:
        return drop
    edges = [
        (p, i)
        for p, lines in enumerate(per_page)
        for i in range(len(lines))
        if i < EDGE or i >= len(lines) - EDGE
    ]
    counts = Counter(_edge_key(per_page[p][i].text) for p, i in edges)
    # Text repeated at the page edge on at least 40% of pages (and 2+) is a running header/footer.
    threshold = max(2, int(0.4 * n_pages + 0.5)) if n_pages >= 3 else 2
    for p, i in edges:
        text = per_page[p][i].text
        key = _edge_key(text)
        # The cover page has no running header: its title often repeats as the header later.
        repeated = p > 0 and counts[key] >= threshold and len(key) <= 80
        if PAGE_NUMBER.match(text) or repeated:
            drop.add((p, i))
    # A lone number at the page edge is a page number when it tracks the page index.
    offsets = Counter()
    lone = []
    for p, i in edges:
        text = per_page[p][i].text
        if LONE_NUMBER.match(text) and (p, i) not in drop:
            lone.append((p, i))
            offsets[int(text) - p] += 1
    if offsets:
        offset, count = offsets.most_common(1)[0]
        if count >= max(2, 0.4 * n_pages):
            drop.update((p, i) for p, i in lone if int(per_page[p][i].text) - p == offset)
    return drop


def clean_pages(pages: list[PageText]) -> list[Line]:
    """All content lines of a document in order, without running headers/footers."""
    per_page = page_lines(pages)
    drop = running_lines(per_page) if len(pages) > 1 else set()
    return [
        line
        for p, lines in enumerate(per_page)
        for i, line in enumerate(lines)
        if (p, i) not in drop
    ]


def join_wrapped(parts: list[str]) -> str:
    """Re-join visual lines: no space around CJK, keep a trailing hyphen, else one space."""
    return join_with_offsets(parts)[0]


def join_with_offsets(parts: list[str]) -> tuple[str, list[int]]:
    """join_wrapped, plus the offset in the result where each part starts."""
    out, starts = "", []
    for part in parts:
        if out and not (is_wide(out[-1]) or is_wide(part[0]) or out.endswith(("-", "/"))):
            out += " "
        starts.append(len(out))
        out += part
    return out, starts
