"""One definition of a sentence, as offsets into a text: chunking, evidence, highlights."""

from __future__ import annotations

import itertools
import re

# A sentence ends after 。！？；!? (and any closing quote or bracket), or at a line break that is
# not a wrap: after a short line (a heading, a field line 時間：…, a table row) or a line that
# ends in punctuation. A long line that just stops is a visual wrap of a PDF paragraph.
SENTENCE = re.compile(r"[^。！？；!?]+[。！？；!?]*[」』）)]*|[。！？；!?]+[」』）)]*")
WRAP_MIN = 30  # characters; a line at least this long that ends without punctuation wrapped
LINE_END = "。！？；!?：:」』）)，,、"
MIN_UNIT = 10  # characters; a shorter sentence (a heading, 一、計畫目的) joins the next one


def _size(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\n")


def _line_breaks(text: str) -> list[int]:
    """Offsets of the line breaks that end a sentence (not a paragraph's visual wrap)."""
    breaks, line_start = [], 0
    for m in re.finditer("\n", text):
        line = text[line_start : m.start()].rstrip()
        if line and (_size(line) < WRAP_MIN or line[-1] in LINE_END):
            breaks.append(m.start())
        line_start = m.end()
    return breaks


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or line, leading/trailing whitespace excluded."""
    spans = []
    bounds = [0, *(b + 1 for b in _line_breaks(text)), len(text) + 1]
    for lo, hi in itertools.pairwise(bounds):
        for m in SENTENCE.finditer(text, lo, max(lo, hi - 1)):
            start, end = m.start(), m.end()
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append((start, end))
    return spans


def sentence_pieces(text: str) -> list[str]:
    """The text cut after each sentence; concatenating the pieces gives back the text exactly."""
    cuts = [end for _, end in sentence_spans(text)][:-1]  # whitespace goes with the next one
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def evidence_units(text: str, min_size: int = MIN_UNIT) -> list[tuple[int, int]]:
    """Sentences with tiny ones (headings, labels) joined to the next: what evidence scores."""
    units: list[list[int]] = []
    pending: int | None = None  # start of tiny sentences waiting for the next one
    for start, end in sentence_spans(text):
        if pending is not None:
            start, pending = pending, None
        if _size(text[start:end]) < min_size:
            pending = start
            continue
        units.append([start, end])
    if pending is not None:
        if units:
            units[-1][1] = sentence_spans(text)[-1][1]
        else:
            units.append([pending, sentence_spans(text)[-1][1]])
    return [(a, b) for a, b in units]
