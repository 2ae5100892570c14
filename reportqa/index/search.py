"""Ranking maths, pure: normalise dense scores (fusion lives in reportqa.index.retriever)."""

from __future__ import annotations

import numpy as np


def zscores(scores: np.ndarray) -> np.ndarray:
    """Standardise dense cosine scores: they bunch in 0.75-0.93, so only their spread means."""
    if scores.size == 0:
        return scores
    std = float(scores.std())
    return (scores - float(scores.mean())) / (std if std > 1e-9 else 1.0)
