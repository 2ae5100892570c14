"""HTML for the web chat, built from `ask --json` dicts; every piece of report text is escaped."""

from __future__ import annotations

import time
from html import escape

from reportqa.citation import answer_source, format_pages

CONTEXT_CHARS = 60  # characters shown around the highlighted sentences before "show full passage"
NO_HIGHLIGHT_CHARS = 220  # how much of a passage to preview when nothing in it is highlighted
TEXT_LANG = "zh-Hant"  # lets the browser pick Traditional Chinese glyphs for report text


def merge_spans(spans: list[list[int]], length: int) -> list[tuple[int, int]]:
    """Highlight spans clamped to the text, sorted, overlaps merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet_windows(
    length: int, spans: list[tuple[int, int]], context: int = CONTEXT_CHARS
) -> list[tuple[int, int]]:
    """Stretches of text to preview: each highlight plus some context, nearby ones joined."""
    if not spans:
        return [(0, min(length, NO_HIGHLIGHT_CHARS))]
    windows: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(0, start - context), min(length, end + context)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def marked(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """text[start:end] escaped, with the highlight spans inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def snippet_html(text: str, spans: list[tuple[int, int]]) -> str:
    """The highlighted sentences with some context, "…" where text is left out."""
    parts = []
    windows = snippet_windows(len(text), spans)
    for start, end in windows:
        parts.append(("…" if start > 0 else "") + marked(text, spans, start, end))
    tail = "…" if windows[-1][1] < len(text) else ""
    return " ".join(parts) + tail


def citation(passage: dict) -> str:
    """report title · section path · p. N (escaped HTML)."""
    pieces = [f'<span class="rqa-title">{escape(passage["title"] or passage["doc_id"])}</span>']
    if passage["section"]:
        pieces.append(f'<span class="rqa-section">{escape(" › ".join(passage["section"]))}</span>')
    if passage["pages"]:
        pieces.append(f'<span class="rqa-pages">{escape(format_pages(passage["pages"]))}</span>')
    return '<span class="rqa-dot"> · </span>'.join(pieces)


def passage_html(passage: dict) -> str:
    """One numbered, cited passage: the highlighted preview, the full text on expand."""
    text = passage["text"]
    spans = merge_spans(passage["highlight"], len(text))
    best = passage["rank"] == 1
    badge = '<span class="rqa-badge">best match</span>' if best else ""
    if passage.get("ocr"):  # read by OCR: the reader should know the text may be misread
        badge += '<span class="rqa-badge rqa-scan">from a scan</span>'
    shown = sum(end - start for start, end in snippet_windows(len(text), spans))
    if len(text) - shown <= 2 * CONTEXT_CHARS:  # the preview would hide little: show it all
        preview, more = marked(text, spans), ""
    else:
        preview = snippet_html(text, spans)
        more = (
            f'<details class="rqa-more"><summary>Full passage ({len(text)} characters)</summary>'
            f'<div class="rqa-full" lang="{TEXT_LANG}">{marked(text, spans)}</div></details>'
        )
    return (
        f'<article class="rqa-passage{" rqa-best" if best else ""}" data-rank="{passage["rank"]}">'
        f'<div class="rqa-cite"><span class="rqa-rank">[{passage["rank"]}]</span> '
        f"{citation(passage)}{badge}</div>"
        f'<div class="rqa-snippet" lang="{TEXT_LANG}">{preview}</div>'
        f"{more}</article>"
    )


def answer_line_html(answer: dict) -> str:
    """The one sentence most likely to answer, with its citation; or why there is none."""
    source = answer_source(answer.get("answer"), answer["passages"])
    if source is None:
        return (
            '<div class="rqa-answer rqa-no-answer">No single sentence in these passages answers '
            "this convincingly; the nearest passages follow.</div>"
        )
    rank, passage = source
    cite = [f"[{rank}] {passage['title'] or passage['doc_id']}"]
    if passage["pages"]:
        cite.append(format_pages(passage["pages"]))
    return (
        '<div class="rqa-answer"><div class="rqa-answer-cite">Answer · '
        f"{escape(' · '.join(cite))}</div>"
        f'<p lang="{TEXT_LANG}">{escape(answer["answer"]["text"])}</p></div>'
    )


def answer_html(answer: dict, turn: int) -> str:
    """One exchange: the question, the answer line, then the passages best first."""
    passages = answer["passages"]
    if passages:
        body = answer_line_html(answer) + "".join(passage_html(p) for p in passages)
        plural = "s" if len(passages) != 1 else ""
        footer = f"{len(passages)} passage{plural} · {answer['took_ms']:.0f} ms"
    else:
        body = notice_html("No passage in the searched reports matches this question.")
        footer = f"{answer['took_ms']:.0f} ms"
    return (
        f'<section class="rqa-turn" data-turn="{turn}">'
        f'<div class="rqa-question"><span class="rqa-you">You asked</span>'
        f"<p>{escape(answer['question'])}</p></div>"
        f'<div class="rqa-passages">{body}</div>'
        f'<div class="rqa-footer">{footer}</div></section>'
    )


def notice_html(message: str, kind: str = "info") -> str:
    """A one-line message (an error the user can fix, an empty library, ...)."""
    return f'<div class="rqa-notice rqa-{escape(kind)}" role="status">{escape(message)}</div>'


def transcript_html(turns: list[str], notice: str = "") -> str:
    """The conversation, newest answer first so its best passage is what the user sees."""
    if not turns and not notice:
        return (
            '<div class="rqa-empty">Ask a question in Chinese or English; the answer is the '
            "report passages that answer it, best first, each cited by report, section and "
            "page.</div>"
        )
    latest, earlier = (turns[0], turns[1:]) if turns else ("", [])
    older = ""
    if earlier:
        older = (
            '<details class="rqa-history"><summary>Earlier questions '
            f"({len(earlier)})</summary>{''.join(earlier)}</details>"
        )
    return f'<div class="rqa-transcript">{notice}{latest}{older}</div>'


def library_html(docs: list[dict], path: str = "") -> str:
    """The reports in the library as a table: title, pages, chunks, when ingested, model."""
    if not docs:
        return notice_html(
            "No reports in the library yet: run `reportqa ingest FILE` and ask again."
        )
    rows = []
    for d in docs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d["ingested_at"]))
        rows.append(
            "<tr>"
            f'<td><span class="rqa-doc-title" lang="{TEXT_LANG}">{escape(d["title"])}</span>'
            f"<br><code>{escape(d['doc_id'])}</code></td>"
            f"<td>{escape(str(d['pages'] or '–'))}</td>"
            f"<td>{escape(str(d['chunks']))}</td>"
            f"<td>{escape(when)}</td>"
            "</tr>"
        )
    model = escape(docs[0]["model"])
    where = f" in <code>{escape(path)}</code>" if path else ""
    return (
        '<table class="rqa-library"><thead><tr><th>Report</th><th>Pages</th><th>Chunks</th>'
        f"<th>Ingested</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="rqa-model">{len(docs)} report{"s" if len(docs) != 1 else ""}{where} · '
        f"model <code>{model}</code></p>"
    )


def ingest_html(result) -> str:
    """What happened to an uploaded report: added / replaced / unchanged, or why it failed."""
    if result.status == "failed":
        return notice_html(f"failed: {result.reason}", "error")
    pages = f", {result.pages} pages" if result.pages else ""
    return notice_html(
        f"{result.status}: {result.doc_id} ({result.chunks} chunks{pages}, {result.seconds:.1f} s)",
        "ok",
    )
