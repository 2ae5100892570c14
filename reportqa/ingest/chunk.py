"""Pack blocks into section-aware chunks of about 300-500 characters, split at sentence ends."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.model import Block, Chunk
from reportqa.ingest.sentences import sentence_pieces

TARGET = 350  # the chunk size that costs nothing
MAX = 500  # hard ceiling for prose; a single sentence longer than this is split at commas
TABLE_MAX = 320  # split tables by rows above this, repeating the header row


def size(text: str) -> int:
    """Characters that count towards a chunk's size (whitespace is free)."""
    return len(text) - text.count(" ") - text.count("\n")


def split_sentences(text: str) -> list[str]:
    """Split into sentences (see reportqa.ingest.sentences); the parts give back the text."""
    out: list[str] = []
    for part in sentence_pieces(text):
        out.extend(_split_long(part) if size(part) > MAX else [part])
    return out


def _split_long(sentence: str) -> list[str]:
    """Split an over-long sentence at commas, or at spaces, never inside a Latin word."""
    pieces = re.findall(r"[^，、,]*[，、,]?", sentence)
    pieces = [p for p in pieces if p]
    out, cur = [], ""
    for piece in pieces:
        while size(piece) > MAX:  # no comma at all: cut at the last space or CJK char
            cut = _safe_cut(piece, MAX)
            out.append(cur + piece[:cut]) if cur else out.append(piece[:cut])
            cur, piece = "", piece[cut:]
        if cur and size(cur) + size(piece) > TARGET:
            out.append(cur)
            cur = ""
        cur += piece
    if cur:
        out.append(cur)
    return out


def _safe_cut(text: str, limit: int) -> int:
    """An index <= limit to cut text at that is not inside a Latin word."""
    for k in range(min(limit, len(text) - 1), 0, -1):
        if not (
            text[k - 1].isascii()
            and text[k - 1].isalnum()
            and text[k].isascii()
            and text[k].isalnum()
        ):
            return k
    return limit


@dataclass
class _Unit:
    """An uncuttable piece of a chunk: a heading, a list item, or a sentence of a paragraph."""

    block: Block
    text: str
    pages: list[int]
    first_of_block: bool

    @property
    def size(self) -> int:
        return size(self.text)


# What it costs to end a chunk before a unit, by what that unit starts (tuned on the eval set's
# tune split together with the sizes above): cutting at a heading earns a little (a chunk that is
# one sub-section is embedded under that sub-section's title: (六) 教師研習營), between
# paragraphs is cheap, between two sentences of one paragraph dear. Re-tuned once the whole
# section path went into the embedded text: -0.2 to -0.4 all gave real-PDF tune hit@1 .810
# (0: .793, -0.6: .793) with the sample's tune split unchanged.
CUT_BEFORE_HEADING = -0.3
CUT_BETWEEN_BLOCKS = 0.15
CUT_MID_PARAGRAPH = 0.6
SMALL = 100  # a chunk smaller than this (an orphan) costs extra, unless its run is that small
LABEL_MAX = 40  # characters: a one-line label before a table goes with it
NOTE_MAX = 80  # characters: a one-line note after a table, ending its section, goes with it
MAX_PAGE_SPAN = 2  # a chunk of several units covers at most this many pages (cite one place)
COVER = "封面"  # the section of a report's cover: a chunk of its own, never mixed with body


def _units(block: Block) -> list[_Unit]:
    spread = bool(block.pages) and block.pages[-1] - block.pages[0] + 1 > MAX_PAGE_SPAN
    if block.kind == "heading" or (size(block.text) <= MAX // 2 and not spread):
        return [_Unit(block, block.text, block.pages, True)]
    units, offset = [], 0
    for k, sentence in enumerate(split_sentences(block.text)):
        pages = block.pages_of(offset, offset + len(sentence))
        units.append(_Unit(block, sentence, pages, k == 0))
        offset += len(sentence)
    return units


def _cut_cost(prev: _Unit, nxt: _Unit) -> float:
    """Cost of ending a chunk between two units; infinite right after a heading."""
    if prev.block.section == [COVER]:
        return float("inf")  # a title block on the first body page leads that page's chunk
    if prev.block.kind == "heading":
        # An empty heading (its content an image) followed by its sibling may end a chunk.
        empty = nxt.block.kind == "heading" and 0 < nxt.block.level <= prev.block.level
        return CUT_BEFORE_HEADING if empty else float("inf")
    if nxt.block.kind == "heading":
        return CUT_BEFORE_HEADING
    return CUT_BETWEEN_BLOCKS if nxt.first_of_block else CUT_MID_PARAGRAPH


def _size_cost(total: int, whole_run: bool) -> float:
    if total > MAX:
        return float("inf")
    cost = ((total - TARGET) / TARGET) ** 2
    if total < SMALL and not whole_run:
        cost += 1.0
    return cost


def segment(units: list[_Unit]) -> list[list[_Unit]]:
    """Split a run of units into chunks at the least total cost (as in optimal line breaking)."""
    n = len(units)
    sizes = [u.size for u in units]
    best = [0.0] + [float("inf")] * n  # best[j]: cost of packing units[:j]
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        total = 0
        lo, hi = None, None
        for i in range(j - 1, -1, -1):
            total += sizes[i]
            if total > MAX and i < j - 1:
                break  # a single over-long unit still forms a chunk on its own
            if units[i].pages:
                lo = min(lo or units[i].pages[0], units[i].pages[0])
                hi = max(hi or units[i].pages[-1], units[i].pages[-1])
                if hi - lo + 1 > MAX_PAGE_SPAN and i < j - 1:
                    break  # across more pages than a citation should name
            cut = 0.0 if j == n else _cut_cost(units[j - 1], units[j])
            cost = best[i] + _size_cost(min(total, MAX), i == 0 and j == n) + cut
            if cost < best[j]:
                best[j], back[j] = cost, i
    pieces, j = [], n
    while j > 0:
        pieces.append(units[back[j] : j])
        j = back[j]
    return pieces[::-1]


def _section_of(blocks: list[Block]) -> list[str]:
    """The section a chunk is in: shared by its content (leading parent headings don't count)."""
    body = [b for b in blocks if b.section != [COVER]] or blocks
    content = [b for b in body if b.kind != "heading"] or body
    return _common_prefix([b.section for b in content])


def _common_prefix(paths: list[list[str]]) -> list[str]:
    out: list[str] = []
    for items in zip(*paths, strict=False):
        if any(x != items[0] for x in items):
            break
        out.append(items[0])
    return out


def chunk_blocks(blocks: list[Block], doc_id: str) -> list[Chunk]:
    """Cut blocks into chunks; a chunk never crosses a section break (壹、, 一、, #, ##)."""
    chunks: list[Chunk] = []
    run: list[_Unit] = []

    def emit(kind: str, parts: list[tuple[Block, str, list[int]]], prefix: str = "") -> None:
        text = ""
        for k, (block, part, _) in enumerate(parts):
            same_block = k > 0 and parts[k - 1][0] is block
            joiner = "" if k == 0 or same_block or block.continues_heading else "\n"
            text += joiner + part
        section = _section_of([b for b, _, _ in parts])
        pages = sorted({p for _, _, pp in parts for p in pp})
        chunks.append(Chunk(doc_id, len(chunks), section, pages, kind, text, prefix))

    def close_run() -> None:
        for piece in segment(run) if run else []:
            kinds = {u.block.kind for u in piece} - {"heading"}
            kind = kinds.pop() if len(kinds) == 1 else "text"
            emit(kind, [(u.block, u.text, u.pages) for u in piece])
        run.clear()

    notes: set[int] = set()  # blocks already in a chunk as the note under a table
    for k_block, block in enumerate(blocks):
        if k_block in notes:
            continue
        if block.kind == "heading" and block.section_break:
            # An empty 一、 followed by 二、 must not share a chunk; a parent (肆、) may lead 一、.
            if any(_ends_before(u, block) for u in run):
                close_run()
            run.append(_Unit(block, block.text, block.pages, True))
        elif block.kind == "table":
            # Headings right before a table (表1's section title) go with the table; empty
            # sibling headings before those (1. … 2. … whose content is an image) do not.
            k = len(run)
            while k > 0 and _leads(run[k - 1].block, block):
                k -= 1
            # So does a one-line label just before it on its page (an organisation's name).
            if k > 0 and _is_label(run[k - 1].block, block) and run[k - 1].first_of_block:
                k -= 1
                while k > 0 and run[k - 1].block.kind == "heading":
                    k -= 1
            lead = [(u.block, u.text, u.pages) for u in run[k:]]
            del run[k:]
            close_run()
            pieces = list(_table_pieces(block, lead))
            if _is_note(block, blocks[k_block + 1 : k_block + 3]):
                note = blocks[k_block + 1]
                pieces[-1][0].append((note, note.text, note.pages))
                notes.add(k_block + 1)
            for parts, prefix in pieces:
                emit("table", parts, prefix)
        elif block.section == [COVER] and _shares_page(block, blocks[k_block + 1 : k_block + 2]):
            # A title block above the body on one page is no cover page: it leads the body's
            # first chunk, and never outranks the body as a chunk of a few words of its own.
            close_run()
            run.append(_Unit(block, block.text, block.pages, True))
        elif block.kind == "caption" or block.section == [COVER]:
            close_run()
            emit(block.kind, [(block, block.text, block.pages)])
        else:
            run.extend(_units(block))
    close_run()
    return chunks


def _ends_before(unit: _Unit, heading: Block) -> bool:
    """True when a section heading must not join the run holding this unit."""
    if unit.block.section == [COVER]:
        return False
    if unit.block.kind != "heading":
        return True
    if 0 < heading.rank < heading.level:
        return False  # 柒、附錄 (nothing else) leads 附錄一：…, which outranks its level
    # A parent leads its first child (肆、 then 一、; 附錄二：… then its own 壹、).
    return (unit.block.rank or unit.block.level) >= (heading.rank or heading.level)


def _leads(heading: Block, table: Block) -> bool:
    """True when a heading just before a table is one of the sections the table is in."""
    return heading.kind == "heading" and heading.section == table.section[: len(heading.section)]


def _is_note(table: Block, following: list[Block]) -> bool:
    """True when the block after a table is its note: one short line on the table's last page,
    in its section, that ends the section (※為選授內容。, 更多獎項內容請洽官方網站 …)."""
    if not following or following[0].kind != "text":
        return False
    note = following[0]
    if "\n" in note.text or size(note.text) > NOTE_MAX or note.section != table.section:
        return False
    if note.pages != table.pages[-1:]:
        return False
    after = following[1] if len(following) > 1 else None
    return after is None or after.kind == "heading" or after.section != note.section


def _shares_page(cover: Block, following: list[Block]) -> bool:
    """True when the body starts on the cover's last page (the cover is a title block)."""
    return bool(cover.pages and following and following[0].pages[:1] == cover.pages[-1:])


def _is_label(block: Block, table: Block) -> bool:
    """A short one-line text block on the table's first page: the table's name or label."""
    return (
        block.kind == "text"
        and "\n" not in block.text
        and size(block.text) <= LABEL_MAX
        and block.pages[-1:] == table.pages[:1]
        and not block.text.endswith("。")
    )


def _table_pieces(block: Block, lead):
    """A table whole, or split by rows with the header row repeated as a prefix."""
    if size(block.text) <= TABLE_MAX or not block.table_rows:
        yield [*lead, (block, block.text, block.pages)], ""
        return
    head_lines = block.text[: len(block.text) - len("\n".join(block.table_rows))].rstrip("\n")
    rows = list(zip(block.table_rows, block.row_pages, strict=True))
    # Later pieces repeat the table's label (an organisation's name) along with its header row.
    label = next((text for b, text, _ in lead if b.kind == "text"), "")
    piece: list[tuple[str, list[int]]] = []
    first = True

    def emit_piece():
        text = "\n".join(r for r, _ in piece)
        pages = sorted({p for _, pp in piece for p in pp})
        if first:
            text = f"{head_lines}\n{text}" if head_lines else text
            pages = sorted(set(pages) | set(block.pages[:1]))  # the caption's page
            return [*lead, (block, text, pages)], ""
        return [(block, text, pages)], "\n".join(t for t in (label, block.table_header) if t)

    budget = TABLE_MAX - size(block.table_header)
    for row in rows:
        if piece and sum(size(r) for r, _ in piece) + size(row[0]) > budget:
            yield emit_piece()
            piece, first = [], False
        piece.append(row)
    if piece:
        yield emit_piece()
