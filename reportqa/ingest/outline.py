"""Find the outline of a report: headings, paragraphs, list items, tables, captions, cover."""

from __future__ import annotations

import re

from reportqa.ingest.chunk import COVER
from reportqa.ingest.clean import close_cjk_gaps, display_width, join_with_offsets, join_wrapped
from reportqa.ingest.headings import (
    FIGURE_CAPTION,
    MD_HEADING,
    TABLE_CAPTION,
    TOC_HEADING,
    TOC_LEADER,
    TOC_PAGE_NUMBER,
    balanced,
    heading_level,
    heading_rank,
    is_article,
    is_caption,
    is_structural,
    parse_heading,
    tidy_report_title,
    tidy_title,
)
from reportqa.ingest.markdown import ITEM as MD_ITEM
from reportqa.ingest.model import Block, Line
from reportqa.ingest.pagelabel import label_blocks, page_labels
from reportqa.ingest.tables import (
    Table,
    is_md_table,
    is_table_header,
    read_cell_table,
    read_md_table,
    read_table,
)
from reportqa.ingest.title import (
    body_font_size,
    first_line_title,
    is_name_field,
    largest_lines_title,
)

SENTENCE_END = "。！？；：」』)）!?"
# A line this close to the full text width was wrapped by the page, not ended by the writer.
FULL_LINE = 0.9
PROSE_MARK = re.compile(r"[，。；]")
PROSE_WIDTH = 0.6  # a cover line is short; a prose line fills most of the text width
COVER_FIELD = re.compile(r"^([^：:（(]{2,10})[：:]\s*(.+)$")
COVER_INNER_FIELD = re.compile(r"[（(]([^：:（()）]{2,10})[：:]\s*([^）)]+)[）)]")
COVER_KIND = re.compile(r"^(公務)?出國報告")
# Cover labels of Taiwanese government trip reports -> metadata keys; others keep their label.
COVER_KEYS = {
    "服務機關": "agency",
    "服務單位": "agency",
    "姓名職稱": "author",
    "派赴國家/地區": "destination",
    "派赴國家": "destination",
    "出國期間": "period",
    "報告日期": "report_date",
    "出國類別": "trip_type",
}
# 114 年 5 月 14 日 → 114年5月14日 in metadata values (LibreOffice spaces CJK from digits)
CJK_DIGIT_GAP = re.compile(
    r"(?<=[\u3400-\u9fff\d]) (?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff]) (?=\d)"
)


class _Builder:
    """Accumulates blocks while tracking the current section path."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[tuple[float, str]] = []

    def section(self) -> list[str]:
        return [title for _, title in self.path]

    def heading(
        self, level: int, title: str, pages: list[int], text: str, breaks: bool, rank: float = 0
    ) -> None:
        rank = rank or level  # where it nests: a law's 編 (1) sits above its 章 (1)
        self.path = [(lv, t) for lv, t in self.path if lv < rank] + [(rank, title)]
        block = Block("heading", text, pages, self.section(), level=level, rank=rank)
        block.section_break = breaks
        self.blocks.append(block)

    def add(self, kind: str, text: str, pages: list[int]) -> Block:
        block = Block(kind, text, pages, self.section())
        self.blocks.append(block)
        return block


def _pages(lines: list[Line]) -> list[int]:
    return sorted({ln.page for ln in lines if ln.page is not None})


def _full_width(lines: list[Line]) -> int:
    """The width of a full line of body text on this document's pages (90th percentile)."""
    widths = sorted(display_width(ln.text) for ln in lines)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 0


def outline(lines: list[Line], markdown: bool = False) -> tuple[list[Block], dict[str, str]]:
    """Turn cleaned lines into blocks with section paths, plus cover metadata.

    With ``markdown`` each line is a whole paragraph and numbered headings nest under the
    current ``#`` heading.
    """
    reader = _Reader(lines, markdown)
    reader.run()
    label_blocks(reader.b.blocks, reader.labels)
    return reader.b.blocks, reader.meta


class _Reader:
    """One pass over the lines, dispatching each to the block it opens."""

    def __init__(self, lines: list[Line], markdown: bool) -> None:
        self.lines, self.n = lines, len(lines)
        self.markdown = markdown
        self.full = _full_width(lines)
        self.b = _Builder()
        self.meta: dict[str, str] = {}
        self.md_depth = 0  # level of the current # heading (Markdown)
        # Near-identical pages: the line naming each (its organisation) stands alone.
        self.labels = {} if markdown else page_labels(lines)

    def run(self) -> None:
        i = self._cover()
        while i < self.n:
            i = self._step(i)

    def _step(self, i: int) -> int:
        text = self.lines[i].text
        if MD_HEADING.match(text):
            return self._md_heading(i)
        if TOC_HEADING.match(text):
            return self._skip_toc(i + 1)  # navigation, not content: no heading, no chunk
        if FIGURE_CAPTION.match(text):
            return self._caption(i)
        if is_md_table(self.lines, i):
            return self._table(*read_md_table(self.lines, i))
        if TABLE_CAPTION.match(text) or is_table_header(text, self._text(i + 1)):
            return self._table(*read_table(self.lines, i))
        if heading_level(text):
            return self._marked(i)
        if self._is_label(i):
            self.b.add("text", text, _pages(self.lines[i : i + 1]))
            return i + 1
        if not self.markdown:
            cell_table, j = read_cell_table(self.lines, i, self.full)
            if cell_table is not None:
                return self._table(cell_table, j)
        return self._paragraph(i, "list" if self.markdown and MD_ITEM.match(text) else "text")

    def _is_label(self, i: int) -> bool:
        line = self.lines[i]
        return bool(self.labels) and self.labels.get(line.page) == tidy_title(line.text)

    def _text(self, i: int) -> str | None:
        return self.lines[i].text if i < self.n else None

    def _prose(self, line: Line) -> str:
        """A prose line's text, without the gaps justification put between CJK characters."""
        if self.markdown:  # a Markdown line is a whole paragraph, written, not laid out
            return line.text
        return close_cjk_gaps(line.text, display_width(line.text) >= FULL_LINE * self.full)

    def ends_paragraph(self, text: str) -> bool:
        if self.markdown:
            return True
        return text.endswith(tuple(SENTENCE_END)) and display_width(text) < FULL_LINE * self.full

    def mid_sentence(self, text: str) -> bool:
        """A full line ending in running CJK text: the next line cannot start a heading."""
        if self.markdown or display_width(text) < FULL_LINE * self.full:
            return False
        return bool(re.search(r"[\u3400-\u9fff，、]$", text))

    def _cover(self) -> int:
        """The lines before the first heading on the first page or two, up to the first prose
        paragraph: title and key：value fields. Body text before a heading is no cover."""
        first_page = self.lines[0].page if self.lines else None
        j = 0
        while j < self.n and not heading_level(self.lines[j].text):
            line = self.lines[j]
            if MD_HEADING.match(line.text) or self._is_prose(line.text):
                break
            if first_page is not None and line.page is not None and line.page > first_page + 1:
                break
            j += 1
        lines = self.lines[:j]
        if lines:
            read_cover(lines, self.meta, self.lines)
            self.b.path = [(1, COVER)]
            self.b.add("text", "\n".join(ln.text for ln in lines), _pages(lines))
            self.b.path = []
        return j

    def _is_prose(self, text: str) -> bool:
        """A line of running text: sentence punctuation in a line that fills most of the width."""
        if self.markdown:
            return bool(PROSE_MARK.search(text)) and not COVER_FIELD.match(text)
        wide = display_width(text) >= PROSE_WIDTH * self.full
        return bool(PROSE_MARK.search(text)) and wide and not COVER_FIELD.match(text)

    def _md_heading(self, i: int) -> int:
        md = MD_HEADING.match(self.lines[i].text)
        level, title = len(md.group(1)), tidy_title(md.group(2))
        if level == 1:
            self.meta.setdefault("title", title)
        self.md_depth = level
        marker = heading_level(title)  # ### 三、 … breaks chunks as 三、 does anywhere
        breaks = level <= 2 or 0 < marker <= 2
        self.b.heading(level, title, _pages(self.lines[i : i + 1]), title, breaks)
        return i + 1

    def _heading(self, i: int, j: int, level: int, title: str, text: str = "") -> None:
        marker_level = level
        rank = heading_rank(self.lines[i].text, level)
        if self.markdown and self.md_depth:
            level += self.md_depth  # 一、 under ## 壹、 nests below it
            rank += self.md_depth
        # A law's article is the unit it is cited by: no chunk runs across two articles.
        breaks = marker_level <= 2 or is_article(self.lines[i].text)
        self.b.heading(level, title, _pages(self.lines[i:j]), text or title, breaks, rank)

    def _skip_toc(self, i: int) -> int:
        """Skip the table of contents: the rest of the 目錄 page, then lines like TOC entries."""
        toc_page = self.lines[i - 1].page
        if toc_page is not None:
            while i < self.n and self.lines[i].page == toc_page:
                i += 1
        while i < self.n and _is_toc_entry(self.lines[i].text):
            i += 1
        return i

    def _caption(self, i: int) -> int:
        """A figure caption, with the lines it wrapped onto (open parenthesis, or a full line)."""
        j = i + 1
        while j < self.n and not is_structural(self.lines[j].text):
            prev = self.lines[j - 1].text
            wrapped = display_width(prev) >= FULL_LINE * self.full and not self.ends_paragraph(prev)
            if balanced(self._join(i, j)) and not wrapped:
                break
            j += 1
        text = join_wrapped([self._prose(ln) for ln in self.lines[i:j]])
        self.b.add("caption", text, _pages(self.lines[i:j]))
        return j

    def _table(self, table: Table, j: int) -> int:
        if not table.rows and not table.header:
            # A caption with no table after it: keep it as a caption.
            self.b.add("caption", table.caption, table.pages)
            return j
        block = self.b.add("table", table.text, table.pages)
        block.table_header = table.header
        block.table_rows = table.rows
        block.row_pages = table.row_pages
        return j

    def _marked(self, i: int) -> int:
        """A line opening with a heading marker: a heading (maybe with inline body) or an item."""
        level = heading_level(self.lines[i].text)
        # A heading may wrap: keep taking lines until its parentheses balance.
        j = i + 1
        while j < self.n and j - i < 4 and not balanced(self._join(i, j)):
            j += 1
        if is_article(self.lines[i].text):  # 第 3 條 本文…: the space ends the marker
            joined = self._join(i, j)
        else:
            joined = join_wrapped([self._prose(ln) for ln in self.lines[i:j]])
        head = parse_heading(joined, level)
        if head is None:
            return self._paragraph(i, "list")
        body = head.inline_body
        if len(body.strip()) <= 1:  # "(四) 紀要：" — the colon stays with the heading
            self._heading(i, j, level, head.title, joined)
            return j
        self._heading(i, j, level, head.title)
        # The item's body continues on this line and the following ones.
        return self._paragraph(j, "text", first=body, first_page=self.lines[j - 1].page)

    def _join(self, i: int, j: int) -> str:
        return join_wrapped([ln.text for ln in self.lines[i:j]])

    def _paragraph(
        self, i: int, kind: str, first: str | None = None, first_page: int | None = None
    ) -> int:
        """Collect a paragraph (or list item) from line i; return the index after it."""
        inline = first is not None
        if first is None:
            first, first_page = self._prose(self.lines[i]), self.lines[i].page
            i += 1
        parts, part_pages = [first], [first_page]
        while i < self.n:
            prev, text = parts[-1], self.lines[i].text
            if self.ends_paragraph(prev) or MD_HEADING.match(text) or is_md_table(self.lines, i):
                break
            if is_structural(text) and not self.mid_sentence(prev):
                break
            if is_table_header(text, self._text(i + 1)) or self._is_label(i):
                break
            parts.append(self._prose(self.lines[i]))
            part_pages.append(self.lines[i].page)
            i += 1
        text, starts = join_with_offsets(parts)
        block = self.b.add(kind, text, sorted({p for p in part_pages if p is not None}))
        block.continues_heading = inline
        block.page_starts = [
            (off, p)
            for k, (off, p) in enumerate(zip(starts, part_pages, strict=True))
            if p is not None and (k == 0 or part_pages[k - 1] != p)
        ]
        return i


def _is_toc_entry(text: str) -> bool:
    """A TOC line: dot leaders, or a heading/caption-like line ending in a page number."""
    if TOC_LEADER.search(text):
        return True
    return bool((heading_level(text) or is_caption(text)) and TOC_PAGE_NUMBER.search(text))


def read_cover(lines: list[Line], meta: dict[str, str], document: list[Line] = ()) -> None:
    """Cover page: the title and key：value fields (服務機關：…, 出國類別：…) become metadata.

    meta["title"] is the cover's title and meta["title_source"] how it was found: "field" (a
    field naming the document), "size" (the cover's largest font); absent for a guess (the
    first title-like line).
    """
    plain: list[Line] = []  # lines that are not fields: where a title can be
    for ln in lines:
        match = COVER_FIELD.match(ln.text)
        if match:
            _set_field(meta, match.group(1), match.group(2))
            if is_name_field(re.sub(r"\s+", "", match.group(1))) and "title" not in meta:
                meta["title"] = tidy_report_title(match.group(2))
                meta["title_source"] = "field"
            continue
        inner = list(COVER_INNER_FIELD.finditer(ln.text))
        for m in inner:
            _set_field(meta, m.group(1), m.group(2))
        if not inner and not COVER_KIND.match(ln.text):
            plain.append(ln)
    if "title" in meta:
        return
    for source, title in (
        ("size", largest_lines_title(plain, body_font_size(list(document) or lines))),
        ("line", first_line_title(plain)),
    ):
        if title:
            meta["title"] = title
            if source != "line":  # a guess is marked by the absence of a source
                meta["title_source"] = source
            return


def _set_field(meta: dict[str, str], label: str, value: str) -> None:
    label = re.sub(r"\s+", "", label)
    value = CJK_DIGIT_GAP.sub("", tidy_title(value))
    meta.setdefault(COVER_KEYS.get(label, label), value)
