"""How a passage is cited: report title · section path · pages."""

from __future__ import annotations


def format_pages(pages: list[int]) -> str:
    """p. 3 / pp. 3-4 / pp. 3, 5; empty for text files, which have no pages."""
    if not pages:
        return ""
    if len(pages) == 1:
        return f"p. {pages[0]}"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"pp. {pages[0]}-{pages[-1]}"
    return "pp. " + ", ".join(map(str, pages))


def format_citation(title: str, section: list[str], pages: list[int]) -> str:
    """台日自然科學研究領域交流 · 肆、參訪紀要 › 三、… · p. 9"""
    return " · ".join(x for x in [title, " › ".join(section), format_pages(pages)] if x)


def answer_source(answer: dict | None, passages: list) -> tuple[int, object] | None:
    """(rank, passage) the answer line was taken from; passages are dicts or objects."""
    if not answer:
        return None
    for passage in passages:
        chunk_id = passage["chunk_id"] if isinstance(passage, dict) else passage.chunk_id
        if chunk_id == answer["chunk_id"]:
            rank = passage["rank"] if isinstance(passage, dict) else passage.rank
            return rank, passage
    return None


def format_answer_citation(rank: int, title: str, pages: list[int]) -> str:
    """Answer · [1] 台日自然科學研究領域交流 · p. 9"""
    return " · ".join(x for x in ["Answer", f"[{rank}] {title}".strip(), format_pages(pages)] if x)
