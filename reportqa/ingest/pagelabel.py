"""Near-identical pages (one similar table per organisation): the words that tell them apart.

A register or gazette prints one page per organisation with the same headings, field labels and
row names; only the organisation's name and the values differ. A question naming one
organisation must find its page, so the first line unique to such a page (its name, or a field
like 機關名稱：…) labels the page and joins the section path of what is on it.
"""

from __future__ import annotations

import re
from collections import defaultdict

from reportqa.ingest.headings import heading_level
from reportqa.ingest.model import Block, Line

SHARED_SHARE = 0.6  # a page is templated when this share of its lines occur on other pages too
SHARED_MIN = 3  # ... and at least this many
LABEL_MAX = 40  # characters: a label is a name or a field, not a sentence
CELLS = re.compile(r"[\u3400-\u9fff]\s+[\u3400-\u9fff]")  # table cells side by side: no name
LABEL_LINES = 2  # a page's label is among its first lines (its title or first field)


def _key(text: str) -> str:
    """A line's identity across pages: whitespace removed, numbers (the values) masked."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def page_labels(lines: list[Line]) -> dict[int, str]:
    """Page number -> the first line unique to it, for pages whose other lines repeat elsewhere."""
    by_page: dict[int, list[str]] = defaultdict(list)
    for ln in lines:
        if ln.page is not None:
            by_page[ln.page].append(ln.text)
    pages_with: dict[str, set[int]] = defaultdict(set)
    for page, texts in by_page.items():
        for text in texts:
            pages_with[_key(text)].add(page)
    labels = {}
    for page, texts in by_page.items():
        shared = [t for t in texts if len(pages_with[_key(t)]) > 1]
        if len(shared) < SHARED_MIN or len(shared) < SHARED_SHARE * len(texts):
            continue
        unique = [
            t
            for t in texts[:LABEL_LINES]
            if len(pages_with[_key(t)]) == 1
            and len(t) <= LABEL_MAX
            and "。" not in t
            and not heading_level(t)
            and not CELLS.search(t)
        ]
        if unique:
            labels[page] = re.sub(r"\s+", " ", unique[0]).strip()
    return labels


def label_blocks(blocks: list[Block], labels: dict[int, str]) -> None:
    """A labelled page's label line becomes the heading of what follows it on the page: its
    name joins their section path and no chunk runs from one such page into the next."""
    if not labels:
        return
    for block in blocks:
        pages = set(block.pages)
        if block.kind == "heading" or len(pages) != 1:
            continue
        label = labels.get(next(iter(pages)))
        if not label or label in block.section:
            continue
        block.section = [*block.section, label]
        if re.sub(r"\s+", " ", block.text).strip() == label:
            block.kind, block.level, block.section_break = "heading", len(block.section), True
