"""Ranking maths, pure: normalise dense scores, score lists as arrays (fusion lives in
reportqa.index.retriever)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def zscores(scores: np.ndarray) -> np.ndarray:
    """Standardise dense cosine scores: they bunch in 0.75-0.93, so only their spread means."""
    if scores.size == 0:
        return scores
    std = float(scores.std())
    return (scores - float(scores.mean())) / (std if std > 1e-9 else 1.0)


class Scores(NamedTuple):
    """One ranker's scores: distinct chunk ids and a float64 score each, in any order."""

    ids: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> Scores:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    def best(self) -> float:
        """The highest score (0.0 when there is none)."""
        return float(self.values.max()) if self.values.size else 0.0

    def order(self) -> np.ndarray:
        """Positions best first, ties by chunk id."""
        return np.lexsort((self.ids, -self.values))

    def top(self, k: int) -> np.ndarray:
        """The k best chunk ids, ties by id."""
        return self.ids[self.order()[:k]]

    def at(self, wanted: np.ndarray) -> np.ndarray:
        """The scores of these chunk ids, 0.0 for ids not scored."""
        if self.ids.size == 0:
            return np.zeros(len(wanted))
        by_id = np.argsort(self.ids, kind="stable")
        where = np.minimum(np.searchsorted(self.ids, wanted, sorter=by_id), self.ids.size - 1)
        found = self.ids[by_id[where]] == wanted
        return np.where(found, self.values[by_id[where]], 0.0)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.ids.tolist(), self.values.tolist(), strict=True))
