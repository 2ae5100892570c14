"""Pack blocks into section-aware chunks of about 300-500 characters, split at sentence ends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.ingest.model import Block, Chunk

TARGET = 350  # aim: a chunk is closed once it reaches this many characters
MAX = 500  # hard ceiling for prose; a single sentence longer than this is split at commas
MIN_BEFORE_HEADING = 120  # a sub-heading starts a new chunk once the current one has this much
TABLE_MAX = 320  # split tables by rows above this, repeating the header row
SENTENCE = re.compile(r"[^。！？；!?]*(?:[。！？；!?]+[」』）)]*|$)")


def size(text: str) -> int:
    """Characters that count towards a chunk's size (whitespace is free)."""
    return len(text) - text.count(" ") - text.count("\n")


def split_sentences(text: str) -> list[str]:
    """Split after 。！？；; concatenating the parts gives back the text exactly."""
    parts = [m.group(0) for m in SENTENCE.finditer(text) if m.group(0)]
    out: list[str] = []
    for part in parts:
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
class _Open:
    blocks: list[tuple[Block, str, list[int]]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(size(text) for _, text, _ in self.blocks)

    @property
    def only_headings(self) -> bool:
        return all(b.kind == "heading" for b, _, _ in self.blocks)


def _common_prefix(paths: list[list[str]]) -> list[str]:
    out: list[str] = []
    for items in zip(*paths, strict=False):
        if any(x != items[0] for x in items):
            break
        out.append(items[0])
    return out


def _section_of(blocks: list[Block]) -> list[str]:
    """The section a chunk is in: shared by its content (leading parent headings don't count)."""
    content = [b for b in blocks if b.kind != "heading"] or blocks
    return _common_prefix([b.section for b in content])


def _closes(cur: _Open, heading: Block) -> bool:
    """True when the open chunk must end before this heading."""
    if not cur.blocks:
        return False
    if cur.only_headings:
        # Only headings so far: end only if they would cross a section break (an empty 一、
        # followed by 二、); a parent heading (肆、 before 一、) stays with its first child.
        return heading.section_break and any(b.level >= heading.level for b, _, _ in cur.blocks)
    return heading.section_break or cur.size >= MIN_BEFORE_HEADING


def chunk_blocks(blocks: list[Block], doc_id: str) -> list[Chunk]:
    """Pack blocks into chunks; a chunk never crosses a section break (壹、, 一、, #, ##)."""
    chunks: list[Chunk] = []
    cur = _Open()

    def emit(kind: str, parts: list[tuple[Block, str, list[int]]], prefix: str = "") -> None:
        text = ""
        for k, (block, part, _) in enumerate(parts):
            joiner = "" if k == 0 or block.continues_heading else "\n"
            text += joiner + part
        section = _section_of([b for b, _, _ in parts])
        pages = sorted({p for _, _, pp in parts for p in pp})
        chunks.append(Chunk(doc_id, len(chunks), section, pages, kind, text, prefix))

    def flush() -> None:
        if cur.blocks:
            kinds = {b.kind for b, _, _ in cur.blocks} - {"heading"}
            kind = kinds.pop() if len(kinds) == 1 else "text"
            emit(kind, cur.blocks)
            cur.blocks = []

    for block in blocks:
        if block.kind == "heading":
            if _closes(cur, block):
                flush()
            cur.blocks.append((block, block.text, block.pages))
        elif block.kind == "table":
            lead = cur.blocks if cur.only_headings else []  # headings go with the table
            if not lead:
                flush()
            cur.blocks = []
            for parts, prefix in _table_pieces(block, lead):
                emit("table", parts, prefix)
        elif block.kind == "caption":
            flush()
            emit("caption", [(block, block.text, block.pages)])
        else:
            if cur.size + size(block.text) <= MAX:
                cur.blocks.append((block, block.text, block.pages))
            else:
                _add_split(block, cur, flush)
        if cur.size >= TARGET:
            flush()
    flush()
    return chunks


def _add_split(block: Block, cur: _Open, flush) -> None:
    """Add a long block sentence by sentence, closing chunks as they fill."""
    offset = 0
    for sentence in split_sentences(block.text):
        # Headings stay with their first sentence rather than become a chunk of their own.
        if not cur.only_headings and (cur.size + size(sentence) > MAX or cur.size >= TARGET):
            flush()
        piece_pages = block.pages_of(offset, offset + len(sentence))
        if cur.blocks and cur.blocks[-1][0] is block:
            prev_block, prev_text, prev_pages = cur.blocks[-1]
            merged_pages = sorted(set(prev_pages) | set(piece_pages))
            cur.blocks[-1] = (prev_block, prev_text + sentence, merged_pages)
        else:
            cur.blocks.append((block, sentence, piece_pages))
        offset += len(sentence)


def _table_pieces(block: Block, lead):
    """A table whole, or split by rows with the header row repeated as a prefix."""
    if size(block.text) <= TABLE_MAX or not block.table_rows:
        yield [*lead, (block, block.text, block.pages)], ""
        return
    head_lines = block.text[: len(block.text) - len("\n".join(block.table_rows))].rstrip("\n")
    rows = list(zip(block.table_rows, block.row_pages, strict=True))
    piece: list[tuple[str, list[int]]] = []
    first = True

    def emit_piece():
        text = "\n".join(r for r, _ in piece)
        pages = sorted({p for _, pp in piece for p in pp})
        if first:
            text = f"{head_lines}\n{text}" if head_lines else text
            pages = sorted(set(pages) | set(block.pages[:1]))  # the caption's page
            return [*lead, (block, text, pages)], ""
        return [(block, text, pages)], block.table_header

    budget = TABLE_MAX - size(block.table_header)
    for row in rows:
        if piece and sum(size(r) for r, _ in piece) + size(row[0]) > budget:
            yield emit_piece()
            piece, first = [], False
        piece.append(row)
    if piece:
        yield emit_piece()
