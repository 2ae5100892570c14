"""Clean extracted pages: drop running headers, footers and page numbers; re-join wrapped lines."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from reportqa.ingest.model import Line, PageText
from reportqa.ingest.normalize import fold_ideographs

# Page-number lines: 第 3 頁, 第3頁/共16頁, - 3 -, — 3 —, 3 / 16, Page 3, p. 3, 頁 3
PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*頁(\s*[/／，,]?\s*共\s*\d+\s*頁)?|[-－—–]\s*\d+\s*[-－—–]"
    r"|\d+\s*[/／]\s*\d+|(page|p\.)\s*\d+(\s*of\s*\d+)?|頁\s*\d+)$",
    re.IGNORECASE,
)
LONE_NUMBER = re.compile(r"^\d{1,4}$")
# Control characters never belong to report text (a PDF font with a broken map emits them).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
SPACED_PAIR = re.compile(r"(?<![\u3400-\u9fff])[\u3400-\u9fff] [\u3400-\u9fff](?![\u3400-\u9fff])")
SPACES = re.compile(r"[ \t\u3000\xa0]+")
LONE_CHAR = re.compile(r"(?:^|(?<= ))[^\x00-\x7f ](?= |$)")  # a non-ASCII character alone
EDGE = 2  # lines at the top and bottom of a page where running headers and footers live
LEADER = re.compile(r"[.．·‧・…_]{2,}|-{3,}")  # dot leaders, as long as the page number lets them
SPACED_DIGITS = re.compile(r"(?<!\d)\d(?: \d(?!\d))+")  # 1 2 3: a letter-spaced number
PAGE_NUMBER_AGREEMENT = 0.75  # share of a header's occurrences whose numbers must agree
SAME_Y = 3.0  # points: a running header sits at the same height on every page


def is_wide(ch: str) -> bool:
    """True for CJK and full-width characters (they take two columns and join without spaces)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


@lru_cache(maxsize=1 << 16)
def display_width(text: str) -> int:
    """Columns a line takes on the page: 2 for CJK/full-width characters, 1 otherwise."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def _edge_key(text: str) -> str:
    """A line's identity for header/footer matching: digits and dot leaders folded, no spaces."""
    return re.sub(r"\d+", "#", LEADER.sub("…", re.sub(r"\s+", "", text)))


def unspace_cjk(line: str) -> str:
    """Undo letter-spacing of justified CJK lines (在 此 次 交 流 → 在此次交流); keep table cells.

    Extractors put a space between every character of a justified line; a table row has spaces
    only between multi-character cells, so a line is unspaced only when most of its CJK runs are
    single characters.
    """
    line = SPACES.sub(" ", line)
    if len(LONE_CHAR.findall(line)) < 4:  # cheap first look: most lines are not letter-spaced
        return line
    runs = line.split()
    wide_runs = [r for r in runs if all(is_wide(c) for c in r)]
    singles = sum(1 for r in wide_runs if len(r) == 1)
    if singles < 4 or singles < 0.6 * len(wide_runs):
        return line
    return re.sub(r"(?<=\S) (?=\S)", lambda m: _space_between(line, m.start()), line)


def _space_between(line: str, i: int) -> str:
    return "" if is_wide(line[i - 1]) or is_wide(line[i + 1]) else " "


def page_lines(pages: list[PageText]) -> list[list[Line]]:
    """Split each page into stripped, non-blank lines (with their x when the PDF gave it)."""
    out = []
    for page in pages:
        text = page.text
        xs: tuple[float | None, ...] = page.line_x
        if "\r" in text or "\f" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
            xs = ()
        raw = text.split("\n")
        if len(xs) != len(raw):
            xs = (None,) * len(raw)
        ys = page.line_y if len(page.line_y) == len(raw) and xs else (None,) * len(raw)
        sizes = page.line_size if len(page.line_size) == len(raw) and xs else (None,) * len(raw)
        lines = [
            Line(unspace_cjk(fold_ideographs(CONTROL.sub("", t)).strip()), page.number, x, y, sz)
            for t, x, y, sz in zip(raw, xs, ys, sizes, strict=True)
        ]
        out.append([line for line in lines if line.text])
    return out


def running_lines(per_page: list[list[Line]]) -> set[tuple[int, int]]:
    """(page index, line index) of headers, footers and page numbers repeated across pages."""
    if len(per_page) < 2:
        return set()
    edges = sorted({e for p in range(len(per_page)) for e in _edge_lines(per_page, p)})
    return _repeated_lines(per_page, edges) | _page_number_lines(per_page, edges)


def _edge_lines(per_page: list[list[Line]], p: int) -> list[tuple[int, int]]:
    """The lines at a page's top and bottom: first and last in the text, and highest and lowest
    on the page when the PDF gives positions (an extractor may emit a footer first)."""
    lines = per_page[p]
    out = [(p, i) for i in range(len(lines)) if i < EDGE or i >= len(lines) - EDGE]
    placed = sorted((ln.y, i) for i, ln in enumerate(lines) if ln.y is not None)
    out += [(p, i) for _, i in placed[:EDGE] + placed[-EDGE:]]
    return out


def _repeated_lines(
    per_page: list[list[Line]], edges: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Text repeated at the page edge on at least 40% of pages (and 2+): headers and footers."""
    n_pages = len(per_page)
    keys = {(p, i): _edge_key(per_page[p][i].text) for p, i in edges}
    threshold = max(2, int(0.4 * n_pages + 0.5)) if n_pages >= 3 else 2
    pages_of: dict[str, set[int]] = {}
    for (p, _), key in keys.items():
        pages_of.setdefault(key, set()).add(p)
    repeated = {
        k
        for k, pages in pages_of.items()
        if len(pages) >= threshold
        and _numbers_are_page_numbers(
            [(p, per_page[p][i].text) for (p, i), kk in keys.items() if kk == k]
        )
    }
    # Where each text sits on the later pages: its line index from the nearer end, and its y.
    where = {
        key: Counter(_position(per_page, p, i) for (p, i), k in keys.items() if k == key and p)
        for key in repeated
    }
    heights = {
        key: [per_page[p][i].y for (p, i), k in keys.items() if k == key and p] for key in repeated
    }
    drop = set()
    for (p, i), key in keys.items():
        # A lone number is left to the page-number rule: it may be content.
        if key not in where or len(key) > 80 or not key.strip("#"):
            continue
        # The first page is often a cover whose title the later pages repeat as their header:
        # drop it there only in the place the header takes on the other pages.
        if p == 0 and not _same_place(
            per_page[p][i], _position(per_page, p, i), where[key], heights[key]
        ):
            continue
        drop.add((p, i))
    return drop


def page_numbers_in(text: str) -> list[int]:
    """The numbers in a line, letter-spaced digits read as one (1 2 3 → 123, but 12 13 stays)."""
    text = SPACED_DIGITS.sub(lambda m: m.group(0).replace(" ", ""), text)
    return [int(d) for d in re.findall(r"\d+", text)]


def _numbers_are_page_numbers(occurrences: list[tuple[int, str]]) -> bool:
    """True when each number of a repeated line is fixed (an issue number, a year) or counts
    with the page (a page number, or both of a spread's): 第 21 條 … 第 39 條 is content."""
    numbers = [(p, page_numbers_in(text)) for p, text in occurrences]
    counts = Counter(len(ns) for _, ns in numbers)
    width = counts.most_common(1)[0][0]
    same = [(p, ns) for p, ns in numbers if len(ns) == width]
    for k in range(width):
        fixed = Counter(ns[k] for _, ns in same).most_common(1)[0][1]
        # A PDF page may hold one printed page or a spread of two (numbers step by 2).
        tracking = max(
            Counter(ns[k] - step * p for p, ns in same).most_common(1)[0][1] for step in (1, 2)
        )
        if max(fixed, tracking) < PAGE_NUMBER_AGREEMENT * len(same):
            return False
    return True


def _same_place(line: Line, position: int, where: Counter, heights: list) -> bool:
    if line.y is not None and any(h is not None for h in heights):
        return any(h is not None and abs(h - line.y) <= SAME_Y for h in heights)
    return bool(where) and where.most_common(1)[0][0] == position


def _position(per_page: list[list[Line]], p: int, i: int) -> int:
    return i if i < EDGE else i - len(per_page[p])


def _page_number_lines(
    per_page: list[list[Line]], edges: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """第 3 頁 / - 3 - lines at the page edge, and lone numbers that track the page index."""
    drop = {(p, i) for p, i in edges if PAGE_NUMBER.match(per_page[p][i].text)}
    lone = [
        (p, i, int(per_page[p][i].text)) for p, i in edges if LONE_NUMBER.match(per_page[p][i].text)
    ]
    offsets = Counter(number - p for p, _, number in lone)
    if offsets:
        offset, count = offsets.most_common(1)[0]
        if count >= max(2, 0.4 * len(per_page)):
            drop.update((p, i) for p, i, number in lone if number - p == offset)
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


def close_cjk_gaps(line: str, full: bool = True) -> str:
    """Drop single spaces between two CJK ideographs: gaps a justified line was stretched by.

    For prose lines only (table rows keep the spaces between cells), and only when the line
    fills the text width or shows letter-spacing (two lone ideographs: 計 畫); a short line may
    separate names with spaces on purpose.
    """
    if full or SPACED_PAIR.search(line):
        return CJK_GAP.sub("", line)
    return line
