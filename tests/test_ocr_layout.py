"""Ruled tables on scanned pages: finding the grid, the cells, and reading them row by row."""

from __future__ import annotations

import re

import numpy as np
import ocr_fixtures as ofx
import pdf_fixtures as fx
import pytest

from reportqa.ingest import ocr
from reportqa.ingest.ocr_layout import (
    Box,
    Word,
    assemble,
    compose,
    find_tables,
    join_words,
    parse_tsv,
    read_pgm,
    write_pgm,
)

DPI = 150


def page(height: int = 900, width: int = 700) -> np.ndarray:
    return np.full((height, width), 255, np.uint8)


def rule_grid(img: np.ndarray, ys: list[int], xs: list[int], skip=()) -> None:
    """Draw a ruled grid (2 px rules); `skip` holds (row, col) edges left out: ("v", r, c) is the
    rule right of cell (r, c), ("h", r, c) the one below it."""
    for i, y in enumerate(ys):
        for c in range(len(xs) - 1):
            if ("h", i - 1, c) not in skip:
                img[y : y + 2, xs[c] : xs[c + 1] + 2] = 0
    for j, x in enumerate(xs):
        for r in range(len(ys) - 1):
            if ("v", r, j - 1) not in skip:
                img[ys[r] : ys[r + 1] + 2, x : x + 2] = 0


def blot(img: np.ndarray, top: int, left: int, h: int = 14, w: int = 30) -> None:
    """A word's worth of ink (short strokes, no long runs)."""
    for x in range(left, left + w, 4):
        img[top : top + h, x : x + 2] = 0


def test_pgm_round_trip():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert np.array_equal(read_pgm(write_pgm(img)), img)
    assert np.array_equal(read_pgm(b"P5\n# made by hand\n2 1\n255\n\x00\xff"), [[0, 255]])
    with pytest.raises(ValueError, match="not an 8-bit binary PGM"):
        read_pgm(b"P2\n1 1\n255\n0")


def test_a_ruled_grid_is_cut_into_cells_in_reading_order():
    img = page()
    ys, xs = [100, 160, 220, 280], [50, 150, 400, 650]
    rule_grid(img, ys, xs)
    [table] = find_tables(img, DPI)
    assert (table.box.top, table.box.left) <= (100, 50)
    assert (table.box.bottom, table.box.right) >= (282, 652)
    assert len(table.cells) == 9
    assert [c.row for c in table.cells] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    first = table.cells[0].box
    assert 100 < first.top < 110 and 50 < first.left < 60 and 150 < first.bottom < 160
    lefts = [c.box.left for c in table.cells[:3]]
    assert lefts == sorted(lefts)


def test_merged_cells_are_one_cell():
    img = page()
    ys, xs = [100, 160, 220, 280], [50, 150, 400, 650]
    # the first column's cell spans rows 0 and 1 (no rule below it); row 2 spans two columns
    rule_grid(img, ys, xs, skip={("h", 0, 0), ("v", 2, 1)})
    [table] = find_tables(img, DPI)
    assert len(table.cells) == 9 - 1 - 1
    tall = table.cells[0].box
    assert tall.top < 110 and tall.bottom > 210 and tall.right < 150  # rows 0-1, column 0
    wide = [c for c in table.cells if c.row == 2 and c.box.left > 150]
    assert len(wide) == 1 and wide[0].box.right > 600


def test_a_dark_picture_below_a_table_does_not_hide_its_column_rules():
    img = page()
    rule_grid(img, [100, 160, 220], [50, 150, 400, 650])
    img[400:800, 100:600] = 30  # a dark banner under the inner rules' columns
    [table] = find_tables(img, DPI)
    assert len(table.cells) == 6


def test_text_lines_a_rule_under_a_header_and_a_framed_photo_are_not_tables():
    img = page()
    img[50:52, 60:640] = 0  # the header's rule
    for y in range(100, 400, 30):  # lines of text
        for x in range(60, 600, 40):
            blot(img, y, x)
    img[450:452, 100:600] = 0  # a frame around a photo: one "cell"
    img[650:652, 100:600] = 0
    img[450:652, 100:102] = 0
    img[450:652, 598:600] = 0
    assert find_tables(img, DPI) == []
    photo = page()
    rule_grid(photo, [100, 300, 500], [100, 350, 600])
    photo[110:290, 110:340] = 40  # dark pictures inside the "cells"
    photo[310:490, 360:590] = 40
    assert find_tables(photo, DPI) == []


def test_parse_tsv_keeps_words_with_their_lines_and_places():
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "4\t1\t1\t1\t1\t0\t10\t20\t100\t20\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t20\t20\t95.1\t日期\n"
        "5\t1\t1\t1\t1\t2\t60\t20\t30\t20\t90.0\t \n"
        "5\t1\t2\t1\t1\t1\t10\t60\t40\t20\t91.0\tJST\n"
    )
    assert parse_tsv(tsv) == [
        Word((1, 1, 1), 10, 20, 20, 20, "日期"),
        Word((2, 1, 1), 10, 60, 40, 20, "JST"),
    ]


def test_join_words_puts_spaces_only_where_the_page_has_a_gap():
    def w(left: int, width: int, text: str) -> Word:
        return Word((1, 1, 1), left, 0, width, 20, text)

    assert join_words([w(0, 20, "台北"), w(22, 10, "駐"), w(34, 40, "日本")]) == "台北駐日本"
    assert join_words([w(0, 60, "Japan"), w(66, 60, "Science")]) == "Japan Science"


def test_cells_are_read_as_rows_and_the_table_sits_between_the_lines_around_it():
    img = page()
    ys, xs = [300, 360, 420], [50, 150, 650]
    rule_grid(img, ys, xs)
    blot(img, 320, 70)
    blot(img, 320, 170)  # a cell whose text wraps: two lines
    blot(img, 340, 170)
    blot(img, 380, 70)  # the last cell is empty
    tables = find_tables(img, DPI)
    composed, boxes = compose(img, tables, DPI)
    assert composed.shape[0] > img.shape[0] and composed[300:420, 50:650].min() == 255
    assert [b.bottom > b.top for b in boxes] == [True, True, True, False]
    one, two, three = boxes[:3]
    assert one.top == two.top  # a row's cells side by side, top-aligned
    assert three.top > max(one.bottom, two.bottom)

    def at(box: Box, text: str, line: int, dy: int = 0) -> Word:
        return Word((9, 1, line), box.left + 1, box.top + 1 + dy, 10, 10, text)

    words = [
        Word((1, 1, 1), 60, 100, 40, 20, "壹、行程"),
        Word((2, 1, 1), 60, 600, 40, 20, "第3頁"),
        at(one, "1", 1),
        at(two, "國立臺灣大學化學系暨研究", 1),
        at(three, "2", 2),
        at(two, "所", 3, dy=20),  # the wrapped line of cell two, read after the next row
    ]
    text = assemble(words, img.shape[0], tables, boxes)
    assert text.splitlines() == ["壹、行程", "", "1 國立臺灣大學化學系暨研究 所", "2", "", "第3頁"]


def test_a_scanned_ruled_table_reads_row_by_row(tmp_path):
    """The bundled report's page 3 (its itinerary and members tables) as an image: each table
    row comes out as one line, with its cells whole, as in the text layer."""
    ofx.require_tesseract()
    image = ocr.render_page(fx.SAMPLE_PDF, 3, ocr.DPI, tmp_path)
    assert len(find_tables(read_pgm(image.read_bytes()), ocr.DPI)) == 2
    lines = [re.sub(r"\s+", "", line) for line in ocr.read_page(image).splitlines()]
    assert any(line.startswith("04/16(三)理化學研究所(RIKEN)") for line in lines), lines
    assert any(line.startswith("4物理王為豪中央研究院") for line in lines), lines
    assert any(line.startswith("3數學陳國璋國立清華大學數學系教授召集人") for line in lines), lines
    assert lines[-1] == "第3頁"  # the page number after the table, not inside it
