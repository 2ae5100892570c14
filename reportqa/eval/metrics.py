"""Retrieval metrics over ranked passage texts: pure functions, no files and no models."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reportqa.eval.evalset import LANGS, EvalQuestion, normalize_for_match

FOUND_WITHIN_CHARS = (400, 800, 1500)
HIT_AT = (1, 3, 5, 10)


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


def score_question(
    question: EvalQuestion,
    passage_texts: Sequence[str],
    latency_ms: float,
    found_within: Sequence[int] = FOUND_WITHIN_CHARS,
) -> QuestionResult:
    """Score the ranked passages returned for one question."""
    lengths = [len(normalize_for_match(text)) for text in passage_texts]
    return QuestionResult(
        id=question.id,
        lang=question.lang,
        rank=first_hit_rank(passage_texts, question.evidence),
        found_within={
            n: found_within_chars(passage_texts, question.evidence, n) for n in found_within
        },
        ndcg10=ndcg_at_k(passage_texts, question.evidence, 10),
        mean_passage_chars=sum(lengths) / len(lengths) if lengths else 0.0,
        latency_ms=latency_ms,
    )


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
    """Mean metrics over the given results."""
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
    )


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
