"""Markdown reports: one line per paragraph, so that blank lines, not widths, end paragraphs."""

from __future__ import annotations

import re

from reportqa.ingest.clean import CONTROL, join_wrapped
from reportqa.ingest.headings import MD_HEADING
from reportqa.ingest.model import Line, PageText

FENCE = re.compile(r"^(```|~~~)")
RULE = re.compile(r"^(-{3,}|\*{3,}|_{3,})$")  # a thematic break: markup, not content
TABLE_ROW = re.compile(r"^\|")
ITEM = re.compile(r"^([-*+]|\d{1,3}[.)])\s|^>")  # list items and quotes start a paragraph


def markdown_lines(pages: list[PageText]) -> list[Line]:
    """Paragraphs re-joined into single lines; headings, table rows and code lines stand alone."""
    out: list[Line] = []
    for page in pages:
        out.extend(Line(text, page.number) for text in _paragraphs(page.text.split("\n")))
    return out


def _paragraphs(raw_lines: list[str]) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []
    fenced = False

    def flush() -> None:
        if paragraph:
            out.append(join_wrapped(paragraph))
            paragraph.clear()

    for raw in raw_lines:
        text = CONTROL.sub("", raw).strip()
        if FENCE.match(text):  # the fence itself is markup; code lines stay as they are
            flush()
            fenced = not fenced
        elif fenced:
            out.extend([text] if text else [])
        elif not text or RULE.match(text):
            flush()
        elif MD_HEADING.match(text) or TABLE_ROW.match(text):
            flush()
            out.append(text)
        else:
            if ITEM.match(text):
                flush()
            paragraph.append(text)
    flush()
    return out
