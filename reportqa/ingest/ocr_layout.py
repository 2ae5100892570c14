"""Ruled tables on a page image: find their grid lines and cut them into cells (numpy only).

Tesseract reads a ruled table poorly: it takes the rules for strokes (王建隆 came out 間崗人生),
and it reads a row whose cells wrap onto two lines as two half-rows, so a row's text is
scattered over the page. Cut into cells and read cell by cell, the same table reads as its text
layer does: row by row, each cell whole. Only ruled tables are found (long straight rules that
cross each other); a table drawn without rules stays with Tesseract's own layout.

Measured on 300 dpi scans read at 150 dpi (character accuracy, NFKC, against the text layer):
the bundled sample 0.969 -> 0.992, 07-ntpc 0.806 -> 0.887, the table pages 5-13 of 02-naer
0.674 -> 0.907; the table pages take no longer (1.8 s a page against 2.1 s: one Tesseract run,
with less layout analysis to do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INK = 160  # grey level below which a pixel is ink (paper is near 255, a shaded header near 220)
MIN_RULE_INCHES = 0.3  # a rule is a straight run of ink at least this long (a glyph stroke: < 0.2)
MAX_RULE_INCHES = 0.04  # and at most this thick
MIN_CELL_INCHES = 0.08  # a cell narrower or lower than this is a gap between double rules
MAX_CELL_INK = 0.35  # a "cell" darker than this is a photo's inside, not a table's
BORDER = 0.8  # share of a grid edge that must be ink for the edge to be a rule
CELL_GAP_INCHES = 0.4  # white between cells laid side by side for Tesseract
SPACE_GAP = 0.15  # a gap between two words wider than this share of their height is a space


@dataclass(frozen=True)
class Box:
    """A rectangle of pixels: rows top..bottom-1, columns left..right-1."""

    top: int
    left: int
    bottom: int
    right: int


@dataclass(frozen=True)
class Cell:
    """One cell of a table: its inside (rules excluded) and the grid row it starts in."""

    box: Box
    row: int


@dataclass(frozen=True)
class Table:
    """A ruled table: where it is on the page and its cells, in reading order."""

    box: Box
    cells: tuple[Cell, ...]


def read_pgm(data: bytes) -> np.ndarray:
    """The grey levels of a binary PGM (P5, 8-bit) image, as pdftoppm -gray writes it."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P5" or maxval != 255:
        raise ValueError(f"not an 8-bit binary PGM image ({magic!r}, maxval {maxval})")
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height, offset=pos + 1)
    return pixels.reshape(height, width)


def write_pgm(image: np.ndarray) -> bytes:
    """A binary PGM (P5) of an 8-bit grey image."""
    height, width = image.shape
    return b"P5\n%d %d\n255\n" % (width, height) + np.ascontiguousarray(image, np.uint8).tobytes()


def _runs_at_least(ink: np.ndarray, length: int) -> np.ndarray:
    """The pixels that lie on a run of ink at least `length` long along axis 1."""
    height, width = ink.shape
    if length > width:
        return np.zeros_like(ink)
    sums = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(ink, axis=1, out=sums[:, 1:])
    starts = (sums[:, length:] - sums[:, :-length]) == length  # a full run starts here
    marks = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(starts, axis=1, out=marks[:, 1 : starts.shape[1] + 1])
    marks[:, starts.shape[1] + 1 :] = marks[:, starts.shape[1] : starts.shape[1] + 1]
    # pixel x is covered when a run starts in [x - length + 1, x]
    upper = marks[:, 1:]
    lower = np.zeros((height, width), np.int32)
    lower[:, length:] = marks[:, 1 : width + 1 - length]
    return (upper - lower) > 0


def _segments(mask: np.ndarray, max_thick: int) -> list[tuple[int, int, int]]:
    """Rules in a mask of long horizontal runs: (row, first column, last column + 1) each.
    Rows of a thick rule come together as one; a band thicker than max_thick is not a rule."""
    rows = np.flatnonzero(mask.any(axis=1))
    found = []
    if rows.size == 0:
        return found
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for band in bands:
        if band.size > max_thick:
            continue
        cols = mask[band[0] : band[-1] + 1].any(axis=0)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], cols.astype(np.int8), [0]])))
        middle = int(band[0] + band[-1]) // 2
        found += [(middle, int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return found


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], a: int, b: int) -> None:
    parent[_root(parent, a)] = _root(parent, b)


def _positions(values: list[int], near: int) -> list[int]:
    """Distinct positions of rules, those within `near` pixels of each other counted once."""
    merged: list[list[int]] = []
    for v in sorted(values):
        if merged and v - merged[-1][-1] <= near:
            merged[-1].append(v)
        else:
            merged.append([v])
    return [sum(group) // len(group) for group in merged]


def find_tables(gray: np.ndarray, dpi: int) -> list[Table]:
    """The ruled tables on a page image (grey levels), top to bottom, each cut into cells."""
    ink = gray < INK
    length = max(8, round(MIN_RULE_INCHES * dpi))
    thick = max(2, round(MAX_RULE_INCHES * dpi))
    # a rule is long one way and thin the other: ink that is thick both ways is a picture
    tall = _runs_at_least(ink.T, thick + 1).T
    wide = _runs_at_least(ink, thick + 1)
    h_mask = _runs_at_least(ink & ~tall, length)
    v_mask = _runs_at_least((ink & ~wide).T, length).T
    h_rules = _segments(h_mask, thick)  # (y, x0, x1)
    v_rules = [(x, y0, y1) for x, y0, y1 in _segments(v_mask.T, thick)]  # (x, y0, y1)
    if len(h_rules) < 2 or len(v_rules) < 2:
        return []
    parent = list(range(len(h_rules) + len(v_rules)))
    for i, (y, x0, x1) in enumerate(h_rules):
        for j, (x, y0, y1) in enumerate(v_rules):
            if x0 - thick <= x <= x1 + thick and y0 - thick <= y <= y1 + thick:
                _union(parent, i, len(h_rules) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i in range(len(parent)):
        hs, vs = groups.setdefault(_root(parent, i), ([], []))
        (hs if i < len(h_rules) else vs).append(
            h_rules[i] if i < len(h_rules) else v_rules[i - len(h_rules)]
        )
    tables = []
    for hs, vs in groups.values():
        if len(hs) >= 2 and len(vs) >= 2:
            table = _cut(ink, h_mask, v_mask, hs, vs, dpi, thick)
            if table is not None:
                tables.append(table)
    return sorted(tables, key=lambda t: t.box.top)


def _cut(ink, h_mask, v_mask, hs, vs, dpi, thick) -> Table | None:
    """The cells of one grid of rules: grid squares joined where no rule parts them."""
    ys = _positions([y for y, _, _ in hs], thick)
    xs = _positions([x for x, _, _ in vs], thick)
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 1 or cols < 1:
        return None
    parent = list(range(rows * cols))
    near = thick  # look this far either side of a rule's middle for its ink

    def ruled(mask: np.ndarray, a0: int, a1: int, b: int) -> bool:
        """Whether rows a0..a1 of mask have ink within `near` columns of column b, mostly."""
        line = mask[a0:a1, max(0, b - near) : b + near + 1].any(axis=1)
        return line.size > 0 and line.mean() >= BORDER

    for r in range(rows):
        for c in range(cols):
            # no vertical rule at xs[c+1] between (r, c) and (r, c+1): one cell
            if c + 1 < cols and not ruled(v_mask, ys[r], ys[r + 1], xs[c + 1]):
                _union(parent, r * cols + c, r * cols + c + 1)
            # no horizontal rule at ys[r+1] between (r, c) and (r+1, c): one cell
            if r + 1 < rows and not ruled(h_mask.T, xs[c], xs[c + 1], ys[r + 1]):
                _union(parent, r * cols + c, (r + 1) * cols + c)
    spans: dict[int, list[int]] = {}
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        span = spans.setdefault(_root(parent, i), [r, c, r, c])
        span[0], span[1] = min(span[0], r), min(span[1], c)
        span[2], span[3] = max(span[2], r), max(span[3], c)
    smallest = max(2, round(MIN_CELL_INCHES * dpi))
    cells = []
    for r0, c0, r1, c1 in spans.values():
        box = Box(ys[r0] + near + 1, xs[c0] + near + 1, ys[r1 + 1] - near, xs[c1 + 1] - near)
        if box.bottom - box.top < smallest or box.right - box.left < smallest:
            continue
        inside = ink[box.top : box.bottom, box.left : box.right]
        if inside.mean() > MAX_CELL_INK:
            return None  # a photo or a filled shape, not a table
        cells.append(Cell(box, r0))
    if len(cells) < 2:
        return None  # a frame around a figure or a note, not a table
    cells.sort(key=lambda cell: (cell.row, cell.box.left))
    outer = Box(ys[0] - near, xs[0] - near, ys[-1] + near + 1, xs[-1] + near + 1)
    return Table(outer, tuple(cells))


@dataclass(frozen=True)
class Word:
    """One word of Tesseract's TSV output: its line (block, paragraph, line) and its place."""

    line: tuple[int, int, int]
    left: int
    top: int
    width: int
    height: int
    text: str


def parse_tsv(tsv: str) -> list[Word]:
    """The words (level 5 rows) of Tesseract's TSV output, in its reading order."""
    words = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        line = (int(parts[2]), int(parts[3]), int(parts[4]))
        box = [int(v) for v in parts[6:10]]
        words.append(Word(line, *box, parts[11].strip()))
    return words


def join_words(words: list[Word]) -> str:
    """The words of one line as Tesseract's text output writes them: a space only where the
    page has a gap (Tesseract glues the words of a CJK run, which TSV lists one by one)."""
    text = ""
    for before, word in zip([None, *words], words, strict=False):
        if before is not None:
            gap = word.left - (before.left + before.width)
            text += " " if gap > SPACE_GAP * max(before.height, word.height) else ""
        text += word.text
    return text


def _trim(crop: np.ndarray) -> np.ndarray | None:
    """A cell's inside cut to its ink with a small margin; None when the cell is empty."""
    ink = crop < INK
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    m = 3
    return crop[max(0, rows[0] - m) : rows[-1] + m + 1, max(0, cols[0] - m) : cols[-1] + m + 1]


def compose(gray: np.ndarray, tables: list[Table], dpi: int) -> tuple[np.ndarray, list[Box]]:
    """One image for Tesseract: the page with its tables blanked, then below it each table row
    as a strip of its cells side by side, far apart, top-aligned (so a cell's wrapped lines stay
    under each other and Tesseract reads a row as lines of text); and each cell's place there
    (an empty box for an empty cell)."""
    height, width = gray.shape
    page = gray.copy()
    for table in tables:
        b = table.box
        page[max(0, b.top) : b.bottom, max(0, b.left) : b.right] = 255
    gap = max(8, round(CELL_GAP_INCHES * dpi))
    strips: list[tuple[int, list[tuple[int, np.ndarray | None]]]] = []  # (height, cells)
    for table in tables:
        rows: dict[int, list[np.ndarray | None]] = {}
        for cell in table.cells:
            b = cell.box
            rows.setdefault(cell.row, []).append(_trim(gray[b.top : b.bottom, b.left : b.right]))
        for r in sorted(rows):
            tallest = max((c.shape[0] for c in rows[r] if c is not None), default=0)
            strips.append((tallest, rows[r]))
    lengths = [sum(c.shape[1] + gap for c in cs if c is not None) + gap for _, cs in strips]
    wide = max([width, *lengths])
    image = np.full((height + gap + sum(h + gap for h, _ in strips), wide), 255, np.uint8)
    image[:height, :width] = page
    boxes: list[Box] = []
    y = height + gap
    for strip_height, cells in strips:
        x = gap
        for crop in cells:
            if crop is None:
                boxes.append(Box(0, 0, 0, 0))
                continue
            image[y : y + crop.shape[0], x : x + crop.shape[1]] = crop
            boxes.append(Box(y, x, y + crop.shape[0], x + crop.shape[1]))
            x += crop.shape[1] + gap
        y += strip_height + gap
    return image, boxes


def _cell_of(word: Word, boxes: list[Box], slack: int) -> int | None:
    x, y = word.left + word.width // 2, word.top + word.height // 2
    for i, b in enumerate(boxes):
        if b.top - slack <= y < b.bottom + slack and b.left - slack <= x < b.right + slack:
            return i
    return None


def assemble(words: list[Word], page_height: int, tables: list[Table], boxes: list[Box]) -> str:
    """The page's text from Tesseract's words on a composed image: its lines in Tesseract's
    order, each table in its place as one line per row (a row's cells in order, each whole)."""
    cells = [cell for table in tables for cell in table.cells]
    cell_words: list[list[Word]] = [[] for _ in cells]
    lines: dict[tuple[int, int, int], list[Word]] = {}
    slack = min((b.left for b in boxes if b.right), default=0) // 2
    for word in words:
        if word.top + word.height // 2 < page_height:
            lines.setdefault(word.line, []).append(word)
        elif (i := _cell_of(word, boxes, slack)) is not None:
            cell_words[i].append(word)
    rows_of: list[list[str]] = []
    index = 0
    for table in tables:
        rows: dict[int, list[str]] = {}
        for cell in table.cells:
            by_line: dict[tuple[int, int, int], list[Word]] = {}
            for word in cell_words[index]:
                by_line.setdefault(word.line, []).append(word)
            text = " ".join(join_words(ws) for ws in by_line.values())
            if text:
                rows.setdefault(cell.row, []).append(text)
            index += 1
        rows_of.append([" ".join(rows[r]) for r in sorted(rows)])
    out: list[str] = []
    pending = list(zip((t.box.top for t in tables), rows_of, strict=True))
    paragraph = None
    for key, line_words in lines.items():
        top = min(w.top for w in line_words)
        while pending and pending[0][0] < top:
            out += ["", *pending.pop(0)[1]] if out else pending.pop(0)[1]
            paragraph = None
        if out and key[:2] != paragraph:
            out.append("")
        out.append(join_words(line_words))
        paragraph = key[:2]
    for _, rows in pending:
        out += ["", *rows] if out else rows
    return "\n".join(out) + "\n"
