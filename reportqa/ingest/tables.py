"""Find tables among cleaned lines: a header row, then rows that each start with a row key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from reportqa.ingest.clean import display_width, join_wrapped
from reportqa.ingest.headings import (
    MD_HEADING,
    TABLE_CAPTION,
    heading_level,
    is_caption,
    is_structural,
)
from reportqa.ingest.model import Line

# Row keys of table rows: a date like 04/14, a row number, or an upper-case programme name.
ROW_KEYS = {
    "date": re.compile(r"^\d{1,2}/\d{1,2}"),
    "number": re.compile(r"^(\d{1,3})(\s|$)"),
    "latin": re.compile(r"^[A-Z][A-Za-z0-9-]*[A-Z0-9](\s|$)"),
}
TABLE_HEADER_CELL = re.compile(r"^[\u3400-\u9fff]{1,6}$")
HEADER_LINE_CELL = re.compile(r"^[\u3400-\u9fffA-Za-z]{1,8}$")  # a column name, no punctuation
MD_TABLE_ROW = re.compile(r"^\|.*\|$")
MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
# A cell line continues the cell above it when it starts at the same x (within this many
# points) and the line above fills that column (at least this share of its widest line).
SAME_X = 1.0
FILLS_COLUMN = 0.85


@dataclass
class Table:
    """A table as read from lines: optional caption, header row, and its rows."""

    caption: str = ""
    header: str = ""
    rows: list[str] = field(default_factory=list)
    row_pages: list[list[int]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(t for t in [self.caption, self.header, *self.rows] if t)


def row_key(text: str) -> str | None:
    """Which kind of row key opens the line, if any."""
    for name, pattern in ROW_KEYS.items():
        if pattern.match(text):
            return name
    return None


def is_table_header(text: str, next_text: str | None) -> bool:
    """A row of short CJK column names followed by a line that starts with a row key."""
    cells = text.split()
    return (
        len(cells) >= 2
        and all(TABLE_HEADER_CELL.match(c) for c in cells)
        and next_text is not None
        and row_key(next_text) is not None
    )


def is_md_table(lines: list[Line], i: int) -> bool:
    """A Markdown pipe table starts here: a | row | followed by its |---| rule."""
    return (
        i + 1 < len(lines)
        and MD_TABLE_ROW.match(lines[i].text) is not None
        and MD_TABLE_RULE.match(lines[i + 1].text) is not None
    )


def _pages(lines: list[Line]) -> list[int]:
    return sorted({ln.page for ln in lines if ln.page is not None})


def _ends_table(text: str) -> bool:
    if heading_level(text) or is_caption(text) or MD_HEADING.match(text):
        return True
    return "。" in text and display_width(text) > 60


def read_table(lines: list[Line], i: int) -> tuple[Table, int]:
    """Read a table (optional 表 N caption, header row, rows) from line i; return the next i."""
    n = len(lines)
    start = i
    table = Table()
    if TABLE_CAPTION.match(lines[i].text):
        table.caption = lines[i].text
        i += 1
    if is_md_table(lines, i):
        md, i = read_md_table(lines, i)
        md.caption, md.pages = table.caption, _pages(lines[start:i])
        return md, i
    if i < n and is_table_header(lines[i].text, lines[i + 1].text if i + 1 < n else None):
        table.header = lines[i].text
        i += 1
    key = row_key(lines[i].text) if i < n else None
    rows: list[list[Line]] = []
    last_number = 0
    while i < n and not _ends_table(lines[i].text):
        text = lines[i].text
        starts_row = key is not None and row_key(text) == key
        if starts_row and key == "number":
            number = int(ROW_KEYS["number"].match(text).group(1))
            # rows count up from the first one (a number that breaks the count is cell text)
            starts_row = not rows or number == last_number + 1
            last_number = number if starts_row else last_number
        if starts_row or not rows:
            rows.append([])
        rows[-1].append(lines[i])
        i += 1
    widest = _widest_by_x([ln for row in rows for ln in row])
    table.rows = [join_cells(row, widest) for row in rows]
    table.row_pages = [_pages(row) for row in rows]
    table.pages = _pages(lines[start:i])
    return table, i


def read_md_table(lines: list[Line], i: int) -> tuple[Table, int]:
    """Read a Markdown pipe table from line i (the |---| rule is markup and is dropped)."""
    table = Table(header=lines[i].text, pages=_pages(lines[i : i + 1]))
    i += 2
    while i < len(lines) and MD_TABLE_ROW.match(lines[i].text):
        table.rows.append(lines[i].text)
        table.row_pages.append(_pages(lines[i : i + 1]))
        i += 1
    return table, i


def _x_key(x: float) -> int:
    return round(x / SAME_X)


def _widest_by_x(lines: list[Line]) -> dict[int, int]:
    """The widest line starting at each x: how much a column holds before it wraps."""
    widest: dict[int, int] = {}
    for ln in lines:
        if ln.x is not None:
            key = _x_key(ln.x)
            widest[key] = max(widest.get(key, 0), display_width(ln.text))
    return widest


def continues_cell(first: Line, prev: Line, line: Line, widest: dict[int, int]) -> bool:
    """True when line is the wrapped rest of the cell prev is in (PDF positions only).

    Each cell's text comes out on its own lines; a line that starts at the same x as the one
    above, not in the row's first column, and follows a line that fills that column, is the
    same cell wrapped (國家科學及技術委員會自然 / 處). Without positions (text files, or a PDF
    that draws every line at the margin) nothing is joined.
    """
    if first.x is None or prev.x is None or line.x is None:
        return False
    if abs(line.x - prev.x) > SAME_X or line.x <= first.x + SAME_X:
        return False
    return display_width(prev.text) >= FILLS_COLUMN * widest.get(_x_key(prev.x), 0)


def join_cells(row: list[Line], widest: dict[int, int] | None = None) -> str:
    """Join a table row's lines: cells with a space, a wrapped cell or hyphenated word re-joined."""
    widest = widest or {}
    out = row[0].text
    for prev, line in pairwise(row):
        if continues_cell(row[0], prev, line, widest):
            out = join_wrapped([out, line.text])
        elif out.endswith("-"):
            out += line.text
        else:
            out += " " + line.text
    return out


# Word tables often come out one cell at a time: a cell's lines top to bottom, then the next
# cell of the row starting higher up again. These constants read such rows from positions.
CELL_UP = 1.0  # points: a line this much above the one before starts the row's next cell
NEW_ROW_LEFT = 20.0  # points: a line below, this far left of its cell, starts a new row
CELL_WIDTH = 0.75  # share of the text width: a line wider than this is prose, not a cell


def _cell_row(lines: list[Line], i: int, full: int) -> tuple[list[list[Line]], int]:
    """The cells of the table row starting at line i (by position), and the index after it."""
    first = lines[i]
    cells: list[list[Line]] = [[first]]
    left = first.x
    j = i + 1
    while j < len(lines):
        line, prev = lines[j], lines[j - 1]
        if line.page != first.page or line.x is None or line.y is None:
            break
        if display_width(line.text) > CELL_WIDTH * full or is_structural(line.text):
            break
        # Back up the page, or on the same baseline further right: the row's next cell.
        if line.y > prev.y + CELL_UP or (line.y >= prev.y - CELL_UP and line.x > prev.x):
            cells.append([line])
            left = line.x
        elif line.x < left - NEW_ROW_LEFT:  # below and back to the left: the next row
            break
        else:
            cells[-1].append(line)
            left = min(left, line.x)
        j += 1
    return cells, j


def read_cell_table(lines: list[Line], i: int, full: int) -> tuple[Table | None, int]:
    """Rows of a table extracted one cell per line, from line i; (None, i) if there is none.

    Each row becomes one line: its cells in order, a cell's wrapped lines re-joined, cells
    separated by a space, so that a row's label stays with its content. A header row whose
    column names sit on one baseline comes out as one line of short names above the rows: it
    is the table's header (repeated when the table is split), not a paragraph that swallows
    the first row's cells.
    """
    table, j = _read_cell_rows(lines, i, full)
    if table is None and _is_header_line(lines, i):
        table, j = _read_cell_rows(lines, i + 1, full)
        if table is not None:
            table.header = lines[i].text
            table.pages = _pages(lines[i:j])
            return table, j
        return None, i
    return table, j


def _is_header_line(lines: list[Line], i: int) -> bool:
    """Column names on one line (賽事 獎項數 資格 方式), above the next line on the same page."""
    if i + 1 >= len(lines):
        return False
    line, below = lines[i], lines[i + 1]
    if line.y is None or below.y is None or line.page != below.page or below.y >= line.y:
        return False
    cells = line.text.split()
    return len(cells) >= 2 and all(HEADER_LINE_CELL.match(c) for c in cells)


def _read_cell_rows(lines: list[Line], i: int, full: int) -> tuple[Table | None, int]:
    """The rows of a cell-per-line table from line i (see read_cell_table)."""
    start = lines[i]
    if start.x is None or start.y is None or display_width(start.text) > CELL_WIDTH * full:
        return None, i
    rows: list[list[list[Line]]] = []
    j = i
    while j < len(lines) and lines[j].x is not None and lines[j].y is not None:
        if display_width(lines[j].text) > CELL_WIDTH * full:
            break
        cells, after = _cell_row(lines, j, full)
        if len(cells) < 2:
            break
        rows.append(cells)
        j = after
    # One stray jump up the page (a text box, a footnote) is no table: two rows, or three cells.
    if not rows or (len(rows) == 1 and len(rows[0]) < 3):
        return None, i
    table = Table()
    for cells in rows:
        table.rows.append(" ".join(join_wrapped([ln.text for ln in cell]) for cell in cells))
        table.row_pages.append(_pages([ln for cell in cells for ln in cell]))
    table.pages = _pages(lines[i:j])
    return table, j
