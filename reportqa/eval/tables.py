"""The eval report as text: the metrics table per mode and group, and the misses listing."""

from __future__ import annotations

from collections.abc import Iterable

from reportqa.eval.metrics import FOUND_WITHIN_CHARS, HIT_AT, MAX_PAGE_SPAN

MISS_AT = 5
GROUP_WIDTH = 12

COLUMNS = (  # (header, key in summary_row, format)
    ("n", "questions", "{:d}"),
    *((f"hit@{k}", f"hit@{k}", "{:.3f}") for k in HIT_AT),
    ("MRR", "mrr", "{:.3f}"),
    ("nDCG10", "ndcg@10", "{:.3f}"),
    *((f"≤{n}", f"found_within_{n}", "{:.3f}") for n in FOUND_WITHIN_CHARS),
    ("chars", "mean_passage_chars", "{:.0f}"),
    ("p50 ms", "latency_p50_ms", "{:.1f}"),
    ("p95 ms", "latency_p95_ms", "{:.1f}"),
)
CITATION_COLUMNS = (  # the second table: citations, highlights and the answer line
    ("n", "questions", "{:d}"),
    ("page", "page_cited", "{:.3f}"),
    ("of", "page_n", "{:d}"),
    ("hilite", "highlight", "{:.3f}"),
    ("of", "highlight_n", "{:d}"),
    ("answer", "answer_right", "{:.3f}"),
    ("of", "answered_n", "{:d}"),
    ("abstain", "abstain", "{:.3f}"),
    ("of", "answer_n", "{:d}"),
    ("a chars", "answer_chars", "{:.0f}"),
    ("false", "false_answer", "{:.3f}"),
    ("of", "unanswerable_n", "{:d}"),
)
NOT_MEASURED = "—"


def _width(header: str) -> int:
    return 4 if header in ("n", "of") else 8 if header in ("abstain", "a chars") else 7


def group_label(name: str) -> str:
    """A group's name as the table shows it: a report file by the first two parts of its stem."""
    if "." not in name:
        return name
    stem = name.rsplit(".", 1)[0]
    return "-".join(stem.split("-")[:2])[:GROUP_WIDTH]


def _cells(row: dict, columns) -> str:
    out = []
    for header, key, fmt in columns:
        value = row.get(key)
        text = NOT_MEASURED if value is None else fmt.format(value)
        out.append(f"{text:>{_width(header)}}")
    return "".join(out)


def _block(report: dict, columns) -> list[str]:
    head = f"{'mode':<8} {'group':<{GROUP_WIDTH}}" + "".join(
        f"{h:>{_width(h)}}" for h, _, _ in columns
    )
    lines = [head, "-" * len(head)]
    for mode, block in report["modes"].items():
        for i, (name, row) in enumerate(block["groups"].items()):
            label = group_label(name)
            lines.append(
                f"{mode if i == 0 else '':<8} {label:<{GROUP_WIDTH}}{_cells(row, columns)}"
            )
        lines.append("")
    return lines


def format_table(report: dict) -> str:
    """The readable tables: retrieval, then citations and answers; rows per mode and group."""
    lines = [
        f"reportqa eval: {report['questions']} questions (split {report['split']}), "
        f"top {report['top_k']} passages, model {report['model']}",
        f"library {report['library']}",
    ]
    files = sorted({n for b in report["modes"].values() for n in b["groups"] if "." in n})
    if files:
        lines.append("files: " + ", ".join(f"{group_label(f)} = {f}" for f in files))
    lines += ["", *_block(report, COLUMNS)]
    lines.append(
        "≤N: share of questions whose evidence ends within the first N characters read\n"
        "(passages concatenated, whitespace removed); chars: mean passage length; ms: ask latency."
    )
    lines += ["", *_block(report, CITATION_COLUMNS)]
    lines.append(
        f"page: the first answering passage cites the evidence's page, in a span of ≤ "
        f"{MAX_PAGE_SPAN} pages (of the questions\nwith a page and an answering passage in the "
        "top k); hilite: a highlighted stretch of that passage\ncontains a whole evidence string "
        "(of the questions with an answering passage); answer: the answer\nline contains the "
        "evidence (of the questions it answered); abstain: no answer line (of those asked);\n"
        "a chars: mean answer length; false: an answer line for a question the reports do not\n"
        f"answer (of those asked); of: how many were judged; {NOT_MEASURED}: not measured."
    )
    floor = report["quality_floor"]
    if floor:
        verdict = "ok" if floor["ok"] else "BELOW THE FLOOR"
        lines.append(
            f"quality floor: hybrid hit@5 {floor['value']:.3f} on the sample's "
            f"{floor['questions']} questions (floor {floor['floor']:.2f}) {verdict}"
        )
    return "\n".join(lines)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cite(passage: dict, width: int) -> str:
    where = " › ".join(passage.get("section", [])[-2:]) or "—"
    pages = ",".join(map(str, passage.get("pages", [])))
    return _one_line(
        f"{passage['chunk_id']} · {where}" + (f" · p. {pages}" if pages else ""), width
    )


def format_misses(report: dict, modes: Iterable[str], width: int = 110) -> str:
    """Per mode: questions missing at 5 (with the top passage), then citation, highlight and
    answer-line misses (with what was cited, lit or answered)."""
    lines = []
    for mode in modes:
        block = report["modes"].get(mode)
        if block is None:
            continue
        by_id = {q["id"]: q for q in block["questions"]}
        missed = [by_id[i] for i in block[f"misses_at_{MISS_AT}"]]
        lines.append(f"Misses at {MISS_AT} ({mode}): {len(missed)} of {len(block['questions'])}")
        for q in missed:
            rank = f"rank {q['rank']}" if q["rank"] else f"not in top {report['top_k']}"
            lines.append(f"  {q['id']} [{q['lang']}, {q['split']}] {rank}: {q['question']}")
            lines.append(f"    wanted: {' | '.join(q['evidence'])}")
            if q["top"]:
                lines.append(f"    top:    {_cite(q['top'], width)}")
                lines.append(f"            {_one_line(q['top']['text'], width)}")
            else:
                lines.append("    top:    (nothing returned)")
        lines.extend(_citation_misses(block, by_id, width))
        lines.append("")
    return "\n".join(lines).rstrip()


def _citation_misses(block: dict, by_id: dict, width: int) -> list[str]:
    lines = []
    for key, what in (
        ("page_misses", "Page-citation misses"),
        ("highlight_misses", "Highlight misses"),
        ("answer_misses", "Answer-line misses"),
    ):
        ids = block.get(key, [])
        if not ids:
            continue
        lines.append(f"{what}: {len(ids)}")
        for q in (by_id[i] for i in ids):
            head = f"  {q['id']} [{q['lang']}] {_one_line(q['question'], width - 12)}"
            lines.append(head)
            lines.append(
                f"    wanted: {' | '.join(q['evidence'])}"
                + (f" (p. {q['page']})" if key == "page_misses" else "")
            )
            got = q["answering"]
            if key == "page_misses":
                lines.append(f"    cited:  p. {','.join(map(str, got['pages'])) or '—'}")
            elif key == "highlight_misses":
                lit = " ‖ ".join(got["highlighted"]) or "(nothing highlighted)"
                lines.append(f"    lit:    {_one_line(lit, width)}")
            else:
                said = (q["answer"] or {}).get("text") or "(abstained)"
                lines.append(f"    said:   {_one_line(said, width)}")
    return lines
