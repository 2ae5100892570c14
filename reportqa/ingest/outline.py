"""Find the outline of a report: headings, paragraphs, list items, tables, captions, cover."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.clean import display_width, join_with_offsets, join_wrapped
from reportqa.ingest.model import Block, Line

CN_BIG = "壹貳參叁肆伍陸柒捌玖拾"
CN_NUM = "一二三四五六七八九十"
# Heading markers by level; each must open the line. A number inside a sentence never matches.
HEADING_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^[{CN_BIG}]{{1,3}}\s*、")),
    (1, re.compile(rf"^第[{CN_NUM}百\d]+\s*[章篇]")),
    (2, re.compile(rf"^第[{CN_NUM}百\d]+\s*節")),
    (2, re.compile(rf"^[{CN_NUM}]{{1,3}}\s*、")),
    (3, re.compile(rf"^[(（]\s*[{CN_NUM}]{{1,3}}\s*[)）]")),
    (4, re.compile(r"^\d{1,2}\s*[、．](?!\d)|^\d{1,2}\.(?!\d)\s*")),
    (5, re.compile(r"^[(（]\s*\d{1,2}\s*[)）]")),
]
NAMED_SECTIONS = re.compile(r"^(摘\s*要|前\s*言|結\s*論|附\s*錄|參考文獻|目\s*[錄次录])$")
TOC_HEADING = re.compile(r"^目\s*[錄次录]$")
TOC_ENTRY = re.compile(r"(\.{3,}|…{2,}|·{3,}|‧{3,})\s*\d*\s*$|\s\d{1,3}$")
FIGURE_CAPTION = re.compile(r"^圖\s*\d+(-\d+)?\s*[、.．:：\s]")
TABLE_CAPTION = re.compile(r"^表\s*\d+(-\d+)?\s*[、.．:：\s]")
COVER_FIELD = re.compile(r"^([^：:（(]{2,10})[：:]\s*(.+)$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
SENTENCE_END = "。！？；：」』)）!?"
# Row keys of table rows: a date like 04/14, a row number, or an upper-case programme name.
ROW_KEYS = {
    "date": re.compile(r"^\d{1,2}/\d{1,2}"),
    "number": re.compile(r"^(\d{1,3})(\s|$)"),
    "latin": re.compile(r"^[A-Z][A-Za-z0-9-]*[A-Z0-9](\s|$)"),
}
TABLE_HEADER_CELL = re.compile(r"^[\u3400-\u9fff]{1,6}$")
INLINE_TITLE_MAX = 30  # 1、 新興研究領域的發展策略：… — a colon this early ends an inline title


@dataclass
class _Heading:
    level: int
    title: str  # what the section path shows
    inline_body: str  # text after the title on the same item (1、 標題：內文…)


def heading_level(text: str) -> int:
    """The heading level a line's marker implies, or 0."""
    if NAMED_SECTIONS.match(text):
        return 1
    for level, pattern in HEADING_MARKERS:
        if pattern.match(text):
            return level
    return 0


def parse_heading(text: str, level: int) -> _Heading | None:
    """Split a marked line into heading title and inline body; None when it is a list item."""
    colon = min((i for i in (text.find("："), text.find(":")) if i >= 0), default=-1)
    if 0 < colon <= INLINE_TITLE_MAX and not re.search(r"[，。；]", text[:colon]):
        return _Heading(level, text[:colon].strip(), text[colon:])
    if "。" in text or display_width(text) > 120:
        return None
    if level >= 3 and (display_width(text) > 40 or re.search(r"[，,；]", text)):
        return None  # 1、 Dr. Kazuhiro Hono, President — a list item, not a sub-heading
    return _Heading(level, text.strip(), "")


def _balanced(text: str) -> bool:
    return text.count("(") + text.count("（") <= text.count(")") + text.count("）")


def _row_key(text: str) -> str | None:
    for name, pattern in ROW_KEYS.items():
        if pattern.match(text):
            return name
    return None


def _is_table_header(text: str, next_text: str | None) -> bool:
    cells = text.split()
    return (
        len(cells) >= 2
        and all(TABLE_HEADER_CELL.match(c) for c in cells)
        and next_text is not None
        and _row_key(next_text) is not None
    )


def _is_structural(text: str) -> bool:
    return bool(heading_level(text) or FIGURE_CAPTION.match(text) or TABLE_CAPTION.match(text))


class _Builder:
    """Accumulates blocks while tracking the current section path."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []

    def section(self) -> list[str]:
        return [title for _, title in self.path]

    def heading(self, level: int, title: str, pages: list[int], text: str = "") -> None:
        self.path = [(lv, t) for lv, t in self.path if lv < level] + [(level, title)]
        block = Block("heading", text or title, pages, self.section(), level=level)
        self.blocks.append(block)

    def add(self, kind: str, text: str, pages: list[int], table_header: str = "") -> None:
        block = Block(kind, text, pages, self.section(), table_header=table_header)
        self.blocks.append(block)


def _pages(lines: list[Line]) -> list[int]:
    return sorted({ln.page for ln in lines if ln.page is not None})


def _full_width(lines: list[Line]) -> int:
    """The width of a full line of body text on this document's pages (90th percentile)."""
    widths = sorted(display_width(ln.text) for ln in lines)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 0


def outline(lines: list[Line]) -> tuple[list[Block], dict[str, str]]:
    """Turn cleaned lines into blocks with section paths, plus cover metadata."""
    meta: dict[str, str] = {}
    full = _full_width(lines)
    b = _Builder()
    i, n = 0, len(lines)
    cover_done = False

    def ends_paragraph(text: str) -> bool:
        return text.endswith(tuple(SENTENCE_END)) and display_width(text) < 0.9 * full

    while i < n:
        line = lines[i]
        text = line.text
        md = MD_HEADING.match(text)
        level = heading_level(text)

        if not cover_done and (level or md):
            cover_done = True
        if not cover_done:
            # Everything before the first heading is the cover: title and key：value fields.
            j = i
            while (
                j < n and not heading_level(lines[j].text) and not MD_HEADING.match(lines[j].text)
            ):
                j += 1
            _cover(lines[i:j], meta, b)
            i, cover_done = j, True
            continue

        if md:
            title = md.group(2).strip()
            meta.setdefault("title", title) if len(md.group(1)) == 1 else None
            b.heading(len(md.group(1)), title, _pages([line]))
            i += 1
            continue

        if TOC_HEADING.match(text):
            b.heading(1, text, _pages([line]))
            i = _skip_toc(lines, i + 1)
            continue

        if FIGURE_CAPTION.match(text):
            j = i + 1
            while j < n and not _balanced(join_wrapped([ln.text for ln in lines[i:j]])):
                j += 1
            b.add("caption", join_wrapped([ln.text for ln in lines[i:j]]), _pages(lines[i:j]))
            i = j
            continue

        if TABLE_CAPTION.match(text) or _is_table_header(
            text, lines[i + 1].text if i + 1 < n else None
        ):
            i = _table(lines, i, b)
            continue

        if level:
            # A heading may wrap: keep taking lines until its parentheses balance.
            j = i + 1
            while j < n and j - i < 4 and not _balanced(join_wrapped([x.text for x in lines[i:j]])):
                j += 1
            joined = join_wrapped([ln.text for ln in lines[i:j]])
            head = parse_heading(joined, level)
            if head is not None:
                body = head.inline_body
                if len(body.strip()) <= 1:  # "(四) 紀要：" — the colon stays with the heading
                    b.heading(level, head.title, _pages(lines[i:j]), text=joined)
                    i = j
                    continue
                b.heading(level, head.title, _pages(lines[i:j]))
                if not body:
                    i = j
                    continue
                # The item's body continues on this line and the following ones.
                i = _paragraph(
                    lines,
                    j,
                    b,
                    "text",
                    ends_paragraph,
                    first=body,
                    first_page=lines[j - 1].page,
                    inline=True,
                )
                continue
            i = _paragraph(lines, i, b, "list", ends_paragraph)
            continue

        i = _paragraph(lines, i, b, "text", ends_paragraph)
    return b.blocks, meta


def _paragraph(lines, i, b, kind, ends_paragraph, first=None, first_page=None, inline=False):
    """Collect a paragraph (or list item) from line i; return the index after it."""
    parts, part_pages = ([first], [first_page]) if first is not None else ([], [])
    if first is None:
        parts.append(lines[i].text)
        part_pages.append(lines[i].page)
        i += 1
    while i < len(lines):
        prev = parts[-1]
        text = lines[i].text
        if ends_paragraph(prev) or _is_structural(text) or MD_HEADING.match(text):
            break
        if _is_table_header(text, lines[i + 1].text if i + 1 < len(lines) else None):
            break
        parts.append(text)
        part_pages.append(lines[i].page)
        i += 1
    text, starts = join_with_offsets(parts)
    pages = sorted({p for p in part_pages if p is not None})
    b.add(kind, text, pages)
    block = b.blocks[-1]
    block.continues_heading = inline
    block.page_starts = [
        (off, p)
        for k, (off, p) in enumerate(zip(starts, part_pages, strict=True))
        if p is not None and (k == 0 or part_pages[k - 1] != p)
    ]
    return i


def _table(lines: list[Line], i: int, b: _Builder) -> int:
    """Collect a table (optional 表 N caption, header row, rows); return the index after it."""
    n = len(lines)
    caption = ""
    start = i
    if TABLE_CAPTION.match(lines[i].text):
        caption = lines[i].text
        i += 1
    header = ""
    if i < n and _is_table_header(lines[i].text, lines[i + 1].text if i + 1 < n else None):
        header = lines[i].text
        i += 1
    key = _row_key(lines[i].text) if i < n else None
    rows: list[list[Line]] = []
    last_number = 0
    while i < n:
        text = lines[i].text
        if heading_level(text) or FIGURE_CAPTION.match(text) or TABLE_CAPTION.match(text):
            break
        if MD_HEADING.match(text) or ("。" in text and display_width(text) > 60):
            break
        starts_row = key is not None and _row_key(text) == key
        if starts_row and key == "number":
            number = int(ROW_KEYS["number"].match(text).group(1))
            starts_row = number == last_number + 1
            last_number = number if starts_row else last_number
        if starts_row or not rows:
            rows.append([])
        rows[-1].append(lines[i])
        i += 1
    if not rows and not header:
        # A caption with no table after it: keep it as a caption.
        b.add("caption", caption, _pages(lines[start : start + 1]))
        return start + 1
    row_texts = [_join_cells([ln.text for ln in row]) for row in rows]
    text = "\n".join(t for t in [caption, header, *row_texts] if t)
    b.add("table", text, _pages(lines[start:i]), table_header=header)
    b.blocks[-1].table_rows = row_texts
    b.blocks[-1].row_pages = [_pages(row) for row in rows]
    return i


def _join_cells(parts: list[str]) -> str:
    """Join a table row's lines with spaces (cells), but re-join a word hyphenated at a wrap."""
    out = parts[0]
    for part in parts[1:]:
        out += part if out.endswith("-") else " " + part
    return out


def _skip_toc(lines: list[Line], i: int) -> int:
    """Skip table-of-contents lines: the rest of the 目錄 page, then any lines like TOC entries."""
    if i < len(lines) and lines[i - 1].page is not None:
        toc_page = lines[i - 1].page
        while i < len(lines) and lines[i].page == toc_page:
            i += 1
    while i < len(lines) and TOC_ENTRY.search(lines[i].text) and heading_level(lines[i].text):
        i += 1
    return i


def _cover(lines: list[Line], meta: dict[str, str], b: _Builder) -> None:
    """Cover page: the title and key：value fields become metadata and one cover block."""
    if not lines:
        return
    for ln in lines:
        match = COVER_FIELD.match(ln.text)
        if match:
            meta.setdefault(match.group(1).strip(), match.group(2).strip())
        elif "title" not in meta and not re.match(r"^出國報告", ln.text) and len(ln.text) >= 4:
            meta["title"] = ln.text.strip()
    b.path = [(1, "封面")]
    b.add("text", "\n".join(ln.text for ln in lines), _pages(lines))
    b.path = []
