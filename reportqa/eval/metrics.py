"""Retrieval metrics over ranked passage texts: pure functions, no files and no models."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportqa.eval.evalset import LANGS, EvalQuestion, normalize_for_match

FOUND_WITHIN_CHARS = (400, 800, 1500)
HIT_AT = (1, 3, 5, 10)
MAX_PAGE_SPAN = 2  # a citation pointing at more pages than this does not tell a reader where
OTHER_DOCUMENT = "\x00"  # stands in for the characters of a passage from another report
ANSWER_STATES = ("right", "wrong", "abstained")


def _normalized_evidence(evidence: Iterable[str]) -> list[str]:
    """Normalize evidence strings, dropping any that normalize to nothing (they would match all)."""
    return [e for e in (normalize_for_match(item) for item in evidence) if e]


def passage_answers(text: str, evidence: Iterable[str]) -> bool:
    """True when the passage contains any evidence string, both sides normalized."""
    normalized = normalize_for_match(text)
    return any(e in normalized for e in _normalized_evidence(evidence))


def first_hit_rank(passage_texts: Sequence[str], evidence: Iterable[str]) -> int | None:
    """1-based rank of the first passage that answers, or None when none does."""
    evidence = list(evidence)
    for rank, text in enumerate(passage_texts, start=1):
        if passage_answers(text, evidence):
            return rank
    return None


def hit_at_k(rank: int | None, k: int) -> bool:
    """True when the first answering passage is within the top k."""
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None) -> float:
    """1/rank of the first answering passage; 0 when nothing answers."""
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(passage_texts: Sequence[str], evidence: Iterable[str], k: int) -> float:
    """Binary-relevance nDCG@k with one relevant passage (ideal DCG = 1); repeats add nothing."""
    rank = first_hit_rank(passage_texts[:k], evidence)
    return 0.0 if rank is None else 1.0 / math.log2(rank + 1)


def found_within_chars(passage_texts: Sequence[str], evidence: Iterable[str], n: int) -> bool:
    """True when an evidence string ends within the first n normalized characters read."""
    read = "".join(normalize_for_match(text) for text in passage_texts)
    for e in _normalized_evidence(evidence):
        start = read.find(e)  # the earliest start is also the earliest end
        if start != -1 and start + len(e) <= n:
            return True
    return False


def chars_read_to_evidence(passage_texts: Sequence[str], evidence: Iterable[str]) -> int | None:
    """Normalized characters read until an evidence string first ends; None when none occurs.

    found_within_chars(texts, evidence, n) is the same as this being at most n.
    """
    read = "".join(normalize_for_match(text) for text in passage_texts)
    ends = [read.find(e) + len(e) for e in _normalized_evidence(evidence) if e in read]
    return min(ends) if ends else None


def mask_other_documents(
    passage_texts: Sequence[str], passage_docs: Sequence[str] | None, doc_id: str | None
) -> list[str]:
    """Texts with passages of other reports blanked (same normalized length, matching nothing).

    A question about one report is answered only by that report's passages; a passage from
    another report still costs its characters to read.
    """
    if doc_id is None or passage_docs is None:
        return list(passage_texts)
    return [
        text if doc == doc_id else OTHER_DOCUMENT * len(normalize_for_match(text))
        for text, doc in zip(passage_texts, passage_docs, strict=True)
    ]


def page_cited(pages: Sequence[int], page: int, max_span: int = MAX_PAGE_SPAN) -> bool:
    """True when a passage's pages include `page` and span at most `max_span` pages."""
    return page in pages and max(pages) - min(pages) + 1 <= max_span


def highlighted_stretches(text: str, spans: Sequence[Sequence[int]]) -> list[str]:
    """The highlighted texts, spans that touch or are separated only by whitespace merged.

    Two adjacent highlighted sentences read as one stretch; anything unhighlighted between two
    spans (a word, a punctuation mark) keeps them apart.
    """
    stretches: list[list[int]] = []
    for start, end in sorted((max(0, int(a)), min(len(text), int(b))) for a, b in spans):
        if end <= start:
            continue
        if stretches and not text[stretches[-1][1] : start].strip():
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([start, end])
    return [text[a:b] for a, b in stretches]


def highlight_contains(text: str, spans: Sequence[Sequence[int]], evidence: Iterable[str]) -> bool:
    """True when one highlighted stretch, normalized, contains a whole evidence string.

    Strict: a highlight inside the evidence (a part of the answer) does not count.
    """
    return any(passage_answers(s, evidence) for s in highlighted_stretches(text, spans))


def answer_state(answer: dict | None, evidence: Iterable[str]) -> str:
    """ "right" when the answer line's text contains an evidence string, "wrong", or "abstained"."""
    if answer is None:
        return "abstained"
    return "right" if passage_answers(answer.get("text") or "", evidence) else "wrong"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    return _percentile(values, q)


@dataclass(frozen=True)
class QuestionResult:
    """Retrieval outcome for one eval question."""

    id: str
    lang: str
    rank: int | None
    found_within: dict[int, bool]
    ndcg10: float
    mean_passage_chars: float
    latency_ms: float
    page_cited: bool | None = None  # None: the question has no page, or nothing answers it
    highlight_ok: bool | None = None  # None: no passage answers the question
    answer: str | None = None  # one of ANSWER_STATES; None: `ask` gave no answer line at all
    answer_chars: int | None = None
    unanswerable: bool = False  # the reports do not answer it: only an abstention is right


@dataclass(frozen=True)
class Summary:
    """Mean metrics over a group of questions (one language, or all)."""

    questions: int
    hit_at: dict[int, float]
    mrr: float
    found_within: dict[int, float]
    ndcg10: float
    mean_passage_chars: float
    mean_latency_ms: float
    p95_latency_ms: float
    page_cited: float | None = None  # of the page_n questions with a page and an answering passage
    page_n: int = 0
    highlight: float | None = None  # of the highlight_n questions with an answering passage
    highlight_n: int = 0
    answer_right: float | None = None  # of the answered_n questions the answer line answered
    answered_n: int = 0
    abstain: float | None = None  # of the answer_n questions where `ask` has an answer line
    answer_n: int = 0
    false_answer: float | None = None  # of the unanswerable_n questions, those given an answer
    unanswerable_n: int = 0


def scored_texts(question: EvalQuestion, passages: Sequence[str | dict]) -> list[str]:
    """The passage texts as scored: other reports' passages masked when the question names one."""
    dicts = [p if isinstance(p, dict) else {"text": p} for p in passages]
    docs = [p.get("doc_id") for p in dicts]
    doc_id = Path(question.file).stem if question.file else None
    return mask_other_documents([p["text"] for p in dicts], docs if all(docs) else None, doc_id)


def score_question(
    question: EvalQuestion,
    passages: Sequence[str | dict],
    latency_ms: float,
    found_within: Sequence[int] = FOUND_WITHIN_CHARS,
    answer: dict | None = None,
    answer_measured: bool = False,
) -> QuestionResult:
    """Score the ranked passages (texts, or `ask --json` passage dicts) returned for a question.

    With dicts, a question naming a `file` is answered only by passages of that report (doc id =
    file stem), page citation and highlight are judged on the first answering passage, and
    `answer` (the answer line, None when it abstained) is judged when `answer_measured`.
    """
    dicts = [p if isinstance(p, dict) else {"text": p} for p in passages]
    texts = [p["text"] for p in dicts]
    scored = scored_texts(question, dicts)
    rank = first_hit_rank(scored, question.evidence)
    lengths = [len(normalize_for_match(text)) for text in texts]
    first = dicts[rank - 1] if rank else None
    page_ok = highlight_ok = None
    if first is not None:
        if question.page is not None and "pages" in first:
            page_ok = page_cited(first["pages"], question.page)
        if "highlight" in first:
            highlight_ok = highlight_contains(first["text"], first["highlight"], question.evidence)
    return QuestionResult(
        id=question.id,
        lang=question.lang,
        rank=rank,
        found_within={n: found_within_chars(scored, question.evidence, n) for n in found_within},
        ndcg10=ndcg_at_k(scored, question.evidence, 10),
        mean_passage_chars=sum(lengths) / len(lengths) if lengths else 0.0,
        latency_ms=latency_ms,
        page_cited=page_ok,
        highlight_ok=highlight_ok,
        answer=answer_state(answer, question.evidence) if answer_measured else None,
        answer_chars=len((answer or {}).get("text") or "") if answer_measured and answer else None,
        unanswerable=question.unanswerable,
    )


def _share(flags: Sequence[bool | None]) -> tuple[float | None, int]:
    """Share of True among the measured (non-None) flags, and how many were measured."""
    measured = [f for f in flags if f is not None]
    return (sum(measured) / len(measured) if measured else None), len(measured)


def _mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0 for no values."""
    return sum(values) / len(values) if values else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]


def summarize_group(
    results: Sequence[QuestionResult],
    hit_at: Sequence[int] = HIT_AT,
    found_within: Sequence[int] = FOUND_WITHIN_CHARS,
) -> Summary:
    """Mean metrics over the given results; unanswerable questions count only in false_answer."""
    unanswerable = [r for r in results if r.unanswerable]
    results = [r for r in results if not r.unanswerable]
    false_answer, unanswerable_n = _share(
        [r.answer != "abstained" for r in unanswerable if r.answer is not None]
    )
    latencies = [r.latency_ms for r in results]
    return Summary(
        questions=len(results),
        hit_at={k: _mean([float(hit_at_k(r.rank, k)) for r in results]) for k in hit_at},
        mrr=_mean([reciprocal_rank(r.rank) for r in results]),
        found_within={n: _mean([float(r.found_within[n]) for r in results]) for n in found_within},
        ndcg10=_mean([r.ndcg10 for r in results]),
        mean_passage_chars=_mean([r.mean_passage_chars for r in results]),
        mean_latency_ms=_mean(latencies),
        p95_latency_ms=_percentile(latencies, 95),
        **_citation_summary(results),
        false_answer=false_answer,
        unanswerable_n=unanswerable_n,
    )


def _citation_summary(results: Sequence[QuestionResult]) -> dict:
    """Page citation, highlight and answer-line shares over the results where each is measured."""
    page, page_n = _share([r.page_cited for r in results])
    highlight, highlight_n = _share([r.highlight_ok for r in results])
    answers = [r.answer for r in results if r.answer is not None]
    answered = [a for a in answers if a != "abstained"]
    right, answered_n = _share([a == "right" for a in answered])
    abstain, answer_n = _share([a == "abstained" for a in answers])
    return {
        "page_cited": page,
        "page_n": page_n,
        "highlight": highlight,
        "highlight_n": highlight_n,
        "answer_right": right,
        "answered_n": answered_n,
        "abstain": abstain,
        "answer_n": answer_n,
    }


def summarize(
    results: Sequence[QuestionResult],
    hit_at: Sequence[int] = HIT_AT,
    found_within: Sequence[int] = FOUND_WITHIN_CHARS,
) -> dict[str, Summary]:
    """Summaries per language present (in LANGS order, then any others) plus "all"."""
    present = {r.lang for r in results}
    langs = [lang for lang in LANGS if lang in present] + sorted(present - set(LANGS))
    summaries = {
        lang: summarize_group([r for r in results if r.lang == lang], hit_at, found_within)
        for lang in langs
    }
    summaries["all"] = summarize_group(results, hit_at, found_within)
    return summaries
