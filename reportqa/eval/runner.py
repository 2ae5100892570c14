"""Run eval sets against a library: per-question outcomes per search mode, summaries, groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportqa.eval.evallib import (  # noqa: F401 (the eval library's API, re-exported)
    EVAL_MARKER,
    SAMPLE_STEM,
    bundled_sample_path,
    default_eval_library_dir,
    find_reports,
    model_slug,
    open_eval_library,
    report_search_dirs,
    shared_real_pdfs_dir,
)
from reportqa.eval.evalset import LANGS, SPLITS, EvalQuestion
from reportqa.eval.metrics import (
    FOUND_WITHIN_CHARS,
    HIT_AT,
    QuestionResult,
    Summary,
    chars_read_to_evidence,
    highlighted_stretches,
    hit_at_k,
    percentile,
    score_question,
    scored_texts,
    summarize_group,
)
from reportqa.eval.tables import (  # noqa: F401 (format_*: re-exported)
    MISS_AT,
    format_misses,
    format_table,
)

if TYPE_CHECKING:
    from reportqa.index.library import Library

# CI fails when hybrid hit@5 on the bundled sample's questions drops below this (a quality guard).
QUALITY_FLOOR_HIT5 = 0.95
MODES = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class QuestionOutcome:
    """What one mode returned for one question, scored; `top` is the first passage returned."""

    question: EvalQuestion
    result: QuestionResult
    chars_to_evidence: int | None
    top: dict = field(default_factory=dict)
    answering: dict = field(default_factory=dict)  # the first answering passage, if any
    answer: dict | None = None  # the answer line `ask` returned (None: abstained or absent)


@dataclass
class EvalRun:
    """One `reportqa eval`: which library and questions, and the outcomes per mode."""

    model: str
    library: str
    eval_sets: list[str]
    split: str
    top_k: int
    outcomes: dict[str, list[QuestionOutcome]]
    reports: list[str] = field(default_factory=list)  # the report files the library holds


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
        outcomes[mode] = [
            score_answer(q, lib.ask(q.question, top_k=top_k, mode=mode).to_dict())
            for q in questions
        ]
    return outcomes


def score_answer(question: EvalQuestion, answer: dict) -> QuestionOutcome:
    """Score one `ask --json` object; its "answer" key may be absent (answer line not built)."""
    passages = answer["passages"]
    result = score_question(
        question,
        passages,
        answer["took_ms"],
        answer=answer.get("answer"),
        answer_measured="answer" in answer,
    )
    top = passages[0] if passages else None
    first = passages[result.rank - 1] if result.rank else None
    return QuestionOutcome(
        question=question,
        result=result,
        chars_to_evidence=chars_read_to_evidence(
            scored_texts(question, passages), question.evidence
        ),
        top={k: top[k] for k in ("chunk_id", "doc_id", "section", "pages", "text")} if top else {},
        answering=_answering(first),
        answer=answer.get("answer"),
    )


def _answering(passage: dict | None) -> dict:
    """The first answering passage, as the misses listing shows it: where, and what is lit."""
    if passage is None:
        return {}
    return {
        "rank": passage["rank"],
        "chunk_id": passage["chunk_id"],
        "pages": passage.get("pages", []),
        "highlighted": highlighted_stretches(passage["text"], passage.get("highlight", [])),
    }


def groups(outcomes: Sequence[QuestionOutcome]) -> dict[str, list[QuestionOutcome]]:
    """Outcomes by group: all, each language, each split, each report file (when more than one).

    A file group is named by the file name; questions that name no file are grouped under "-".
    """
    out = {"all": list(outcomes)}
    for lang in [*LANGS, *sorted({o.question.lang for o in outcomes} - set(LANGS))]:
        members = [o for o in outcomes if o.question.lang == lang]
        if members:
            out[lang] = members
    splits = [s for s in SPLITS if any(o.question.split == s for o in outcomes)]
    if len(splits) > 1:
        for split in splits:
            out[split] = [o for o in outcomes if o.question.split == split]
    files = list(dict.fromkeys(o.question.file or "-" for o in outcomes))
    if len(files) > 1:
        for name in files:
            out[name] = [o for o in outcomes if (o.question.file or "-") == name]
    return out


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def summary_row(outcomes: Sequence[QuestionOutcome]) -> dict:
    """Flat, JSON-ready metrics for a group of outcomes; None where nothing was measured."""
    s: Summary = summarize_group([o.result for o in outcomes])
    latencies = [o.result.latency_ms for o in outcomes]
    answer_chars = [
        o.result.answer_chars
        for o in outcomes
        if o.result.answer_chars is not None and not o.result.unanswerable
    ]
    return {
        "questions": s.questions,
        **{f"hit@{k}": round(s.hit_at[k], 4) for k in HIT_AT},
        "mrr": round(s.mrr, 4),
        "ndcg@10": round(s.ndcg10, 4),
        **{f"found_within_{n}": round(s.found_within[n], 4) for n in FOUND_WITHIN_CHARS},
        "mean_passage_chars": round(s.mean_passage_chars, 1),
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p95_ms": round(s.p95_latency_ms, 2),
        "page_cited": _round(s.page_cited),
        "page_n": s.page_n,
        "highlight": _round(s.highlight),
        "highlight_n": s.highlight_n,
        "answer_right": _round(s.answer_right),
        "answered_n": s.answered_n,
        "abstain": _round(s.abstain),
        "answer_n": s.answer_n,
        "answer_chars": round(sum(answer_chars) / len(answer_chars), 1) if answer_chars else None,
        "false_answer": _round(s.false_answer),
        "unanswerable_n": s.unanswerable_n,
    }


def misses(outcomes: Sequence[QuestionOutcome], k: int = MISS_AT) -> list[QuestionOutcome]:
    """The (answerable) questions no passage in the top k answers."""
    return [o for o in outcomes if not o.result.unanswerable and not hit_at_k(o.result.rank, k)]


def floor_check(run: EvalRun, floor: float = QUALITY_FLOOR_HIT5) -> dict | None:
    """Hybrid hit@5 against the quality floor, on the questions about the bundled sample.

    Those are the questions naming the sample's file or no file at all (a user's own set over
    the sample); None when hybrid was not run or no such question was asked.
    """
    sample = bundled_sample_path().name
    outcomes = [o for o in run.outcomes.get("hybrid", []) if o.question.file in (None, sample)]
    if not outcomes:
        return None
    value = summary_row(outcomes)[f"hit@{MISS_AT}"]
    return {
        "mode": "hybrid",
        "metric": "hit@5",
        "questions": len(outcomes),
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
        "file": o.question.file,
        "page": o.question.page,
        "page_cited": r.page_cited,
        "highlight_ok": r.highlight_ok,
        "answer_state": r.answer,
        "unanswerable": r.unanswerable,
        "top": o.top,
        "answering": o.answering,
        "answer": o.answer,
    }


def report_dict(run: EvalRun) -> dict:
    """The whole run as JSON: summaries per mode and group, misses, and every question."""
    any_mode = next(iter(run.outcomes.values()), [])
    return {
        "model": run.model,
        "library": run.library,
        "eval_sets": run.eval_sets,
        "reports": run.reports,
        "split": run.split,
        "top_k": run.top_k,
        "questions": len(any_mode),
        "quality_floor": floor_check(run),
        "modes": {
            mode: {
                "groups": {name: summary_row(members) for name, members in groups(out).items()},
                f"misses_at_{MISS_AT}": [o.question.id for o in misses(out)],
                "page_misses": [o.question.id for o in out if o.result.page_cited is False],
                "highlight_misses": [o.question.id for o in out if o.result.highlight_ok is False],
                "answer_misses": [
                    o.question.id
                    for o in out
                    if o.result.answer == "wrong"
                    or (o.result.answer == "abstained" and not o.result.unanswerable)
                ],
                "questions": [outcome_dict(o) for o in out],
            }
            for mode, out in run.outcomes.items()
        },
    }
