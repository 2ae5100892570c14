"""Ranking maths, pure: normalise dense and lexical scores and fuse them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    """How much lexical and sentence evidence may move the dense ranking (tuned on the eval set)."""

    lexical: float = 1.0
    sentence: float = 1.0


def zscores(scores: np.ndarray) -> np.ndarray:
    """Standardise dense cosine scores: they bunch in 0.75-0.93, so only their spread means."""
    if scores.size == 0:
        return scores
    std = float(scores.std())
    return (scores - float(scores.mean())) / (std if std > 1e-9 else 1.0)


def fuse_scores(
    dense: dict[int, float],
    lexical: dict[int, float],
    evidence: dict[int, float],
    coverage: float,
    weights: FusionWeights,
) -> list[tuple[int, float]]:
    """Dense z-scores + lexical (BM25 scaled to [0, 1]) + best-sentence evidence; best first.

    Both lexical terms are scaled by coverage, the share of the query's IDF mass that occurs in
    the library at all, so a question whose words match nothing leaves the dense ranking alone.
    """
    ids = sorted(set(dense) | set(lexical))
    if not ids:
        return []
    d = np.array([dense.get(i, 0.0) for i in ids], dtype=np.float64)
    top = max(lexical.values(), default=0.0)
    lx = np.array([lexical.get(i, 0.0) / top if top > 0 else 0.0 for i in ids])
    ev = np.array([evidence.get(i, 0.0) for i in ids])
    fused = d + coverage * (weights.lexical * lx + weights.sentence * ev)
    order = np.argsort(-fused, kind="stable")
    return [(ids[k], float(fused[k])) for k in order]
