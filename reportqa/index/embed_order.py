"""The order a write embeds its texts in: each distinct text once, shortest first.

A batched encoder pads every text of a batch to the batch's longest, so texts of one length
should share batches: short sentences padded to long chunks cost as much as long chunks. All
the texts of a write (chunks and sentences of every pending file) are sorted by length together
and cut into calls of about equal cost, which also makes the progress bar tick evenly. A text
that occurs twice (a sentence repeated across chunks or files) is embedded once.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

# Characters a text costs beyond its own: the "passage: " prefix and <s> </s> (~4 tokens).
TEXT_OVERHEAD = 8
# Characters of text per embed call, one progress tick each: ~2-4 s of the torch encoder on
# 2 cores. Calls of equal cost rather than equal count: 256 long chunks take 10x 256 sentences.
CALL_COST = 6000


def text_cost(text: str) -> int:
    """What embedding a text costs, in characters (a proxy for its tokens)."""
    return len(text) + TEXT_OVERHEAD


@dataclass(frozen=True)
class EmbedOrder:
    """Distinct texts shortest first, and where each of the original texts went."""

    distinct: list[int]  # index (into the texts) of each distinct text's first occurrence
    where: np.ndarray  # for each text, its row among `distinct`
    weight: list[int]  # each distinct text's cost times the times it occurs


def embed_order(texts: Sequence[str], keys: Sequence[Hashable] | None = None) -> EmbedOrder:
    """Each distinct key's first text, shortest first (ties in input order); keys default to
    the texts themselves (late chunking passes (text, spans): same text, other spans differ)."""
    keys = texts if keys is None else keys
    first: dict[Hashable, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    distinct = sorted(first.values(), key=lambda i: (len(texts[i]), i))
    row = {keys[i]: r for r, i in enumerate(distinct)}
    where = np.array([row[key] for key in keys], dtype=np.int64)
    counts = np.bincount(where, minlength=len(distinct)) if len(where) else np.zeros(0, int)
    weight = [text_cost(texts[i]) * int(n) for i, n in zip(distinct, counts, strict=True)]
    return EmbedOrder(distinct, where, weight)


def call_slices(order: EmbedOrder, texts: Sequence[str], budget: int | None = None) -> list[slice]:
    """Consecutive runs of `order.distinct`, each costing about `budget` (default CALL_COST;
    at least one text)."""
    budget = budget or CALL_COST
    out, start, cost = [], 0, 0
    for r, i in enumerate(order.distinct):
        if r > start and cost + text_cost(texts[i]) > budget:
            out.append(slice(start, r))
            start, cost = r, 0
        cost += text_cost(texts[i])
    if start < len(order.distinct):
        out.append(slice(start, len(order.distinct)))
    return out
