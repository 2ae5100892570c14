"""BM25 over postings, exactly as FTS5's `bm25()` computes it (fts5_aux.c): per-term IDF with
FTS5's floor, its term weight in its order of operations, and scores summed term by term."""

from __future__ import annotations

import math

import numpy as np

from reportqa.index.search import Scores

K1, B = 1.2, 0.75  # FTS5's bm25() constants (fts5_aux.c)
IDF_FLOOR = 1e-6  # FTS5 sets an IDF <= 0 to this


def idf(n_chunks: int, n_hit: int) -> float:
    """FTS5's IDF of a phrase matching n_hit of n_chunks rows."""
    value = math.log((n_chunks - n_hit + 0.5) / (n_hit + 0.5))
    return IDF_FLOOR if value <= 0.0 else value


def bm25_part(tf: np.ndarray, dl: np.ndarray, avgdl: float) -> np.ndarray:
    """Per posting, FTS5's term weight before the IDF, in its order of operations."""
    tf, dl = tf.astype(np.float64), dl.astype(np.float64)
    return (tf * (K1 + 1.0)) / (tf + K1 * ((1 - B) + (B * dl) / avgdl))


def score(
    slices: list[np.ndarray], n_chunks: int, total_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, scores) of the rows matching any of the terms (their posting slices, in
    the query's phrase order), each score summed over the terms in that order as FTS5 does."""
    if n_chunks == 0 or not any(len(s) for s in slices):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    avgdl = float(total_tokens) / float(n_chunks)
    cids = np.concatenate([s["cid"].astype(np.int64) for s in slices])
    parts = np.concatenate(
        [idf(n_chunks, len(s)) * bm25_part(s["tf"], s["dl"], avgdl) for s in slices]
    )
    # bincount adds in input order: per row, term by term from 0.0, like FTS5's loop. The rows
    # matched are found in a byte mask (a scan of the float sums costs twice as much).
    sums = np.bincount(cids, weights=parts)
    hit = np.zeros(len(sums), dtype=bool)
    hit[cids] = True
    ids = np.flatnonzero(hit)
    return ids, sums[ids]


def top(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (ties by chunk id), best first."""
    if len(ids) > k:
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        near = scores >= threshold
        ids, scores = ids[near], scores[near]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


def summed(parts: list[tuple[np.ndarray, np.ndarray]]) -> Scores:
    """Each chunk's sum of its scores in these (ids, scores) parts, added in their order."""
    if not parts:
        return Scores.empty()
    ids = np.concatenate([p[0] for p in parts])
    unique, where = np.unique(ids, return_inverse=True)
    sums = np.bincount(where, weights=np.concatenate([p[1] for p in parts]), minlength=len(unique))
    return Scores(unique, sums)
