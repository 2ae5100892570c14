"""Sentence evidence as array maths, pure: lexical share and similarity per sentence, per chunk."""

from __future__ import annotations

import numpy as np

Z_CAP = 3.0  # sentence similarity z-scores above this count as certain (keeps the signal in 0..1)
# How far a script's mean moves (script_centred): n / (n + SCRIPT_PRIOR) of its offset for n
# sentences. Tune split: prior 0 (offsets removed in full) hit@1 .894 -> .903, but a Latin
# command line (yum install httpd) lost a rank; 10 keeps the gain and that rank; 20 loses it.
SCRIPT_PRIOR = 10.0


def token_presence(tokens: list[str], query: list[str]) -> np.ndarray:
    """(sentences × query tokens) booleans: which query tokens each sentence contains.

    One C-level scan per query token over all sentences' tokens joined with per-sentence offsets,
    not a Python loop over each sentence's tokens.
    """
    presence = np.zeros((len(tokens), len(query)), dtype=bool)
    if not tokens or not query:
        return presence
    pieces = [f" {t} " for t in tokens]
    starts = np.cumsum([0] + [len(p) for p in pieces[:-1]])
    joined = "".join(pieces)
    for j, token in enumerate(query):
        needle, at, hits = f" {token} ", joined.find(f" {token} "), []
        while at >= 0:
            hits.append(at)
            at = joined.find(needle, at + 1)
        if hits:
            presence[np.searchsorted(starts, np.array(hits), side="right") - 1, j] = True
    return presence


def lexical_share(
    presence: np.ndarray, idf: np.ndarray, weight: np.ndarray, total: float
) -> np.ndarray:
    """Each sentence's share (0..1) of the question's IDF mass, times its evidence weight."""
    if presence.size == 0 or total <= 0:
        return np.zeros(presence.shape[0])
    return weight * (presence @ idf) / total


def concept_share(
    presence: np.ndarray, idf: np.ndarray, weight: np.ndarray, concepts: list[list[list[int]]]
) -> np.ndarray:
    """`lexical_share` with each concept (the token columns of each of its names) counted once,
    at its heaviest name's mass: a sentence naming it by any one name whole gets all of it (JSPS
    創立於 1932 年 names 日本學術振興會), and one naming it three ways no more."""
    if presence.size == 0 or not concepts:
        return lexical_share(presence, idf, weight, float(idf.sum()))
    grouped = sorted({c for forms in concepts for form in forms for c in form})
    rest = np.setdiff1d(np.arange(idf.size), grouped)
    held = presence[:, rest].astype(float) @ idf[rest]
    total = float(idf[rest].sum())
    for forms in concepts:
        mass = max(float(idf[form].sum()) for form in forms)
        whole = np.any([presence[:, form].all(axis=1) for form in forms], axis=0)
        union = sorted({c for form in forms for c in form})
        held = held + np.where(whole, mass, np.minimum(presence[:, union] @ idf[union], mass))
        total += mass
    return weight * held / total if total > 0 else np.zeros(presence.shape[0])


def cosine(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Question-sentence cosine per sentence (unit vectors): the same in any library."""
    if vectors.shape[0] == 0:
        return np.zeros(0)
    # einsum, not BLAS: on a busy 2-core machine BLAS threads spin against each other
    return np.einsum("ij,j->i", vectors, np.asarray(query, dtype=np.float32).reshape(-1))


def script_centred(
    values: np.ndarray, latin: np.ndarray, prior: float = SCRIPT_PRIOR
) -> np.ndarray:
    """Similarities with each script's offset removed: the mean of the Latin-script sentences
    (and of the Chinese ones) moved to the mean of all, shrunk by n / (n + prior) for n
    sentences. The model ranks text in the question's language higher whatever it says (an
    English question finds an attendee list of English names), so a sentence competes with
    sentences of its own script; a few Latin sentences keep most of their own level."""
    out = np.asarray(values, dtype=np.float64).copy()
    if out.size == 0:
        return out
    mean = float(out.mean())
    for members in (latin, ~latin):
        n = int(members.sum())
        if n:
            out[members] -= n / (n + prior) * (float(out[members].mean()) - mean)
    return out


def zscore(values: np.ndarray) -> np.ndarray:
    """Values as z-scores among themselves (a constant array: all 0)."""
    if values.size == 0:
        return np.zeros(0)
    std = float(values.std())
    return (values - float(values.mean())) / (std if std > 1e-9 else 1.0)


def similarity_z(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Question-sentence cosine as a z-score among these sentences (unclipped): it depends on
    which sentences are among them, so on the library (one report's or a thousand's)."""
    return zscore(cosine(vectors, query))


def stretched(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values mapped linearly from low..high to 0..1, clipped."""
    return np.clip((np.asarray(values, dtype=float) - low) / (high - low), 0.0, 1.0)


def capped(z: np.ndarray, cap: float = Z_CAP) -> np.ndarray:
    """z-scores clipped to 0..cap and scaled to 0..1: a cap of 3 lets many sentences of the
    first passages count as certain (ties); a higher one keeps them apart."""
    return np.clip(z, 0.0, cap) / cap


def similarity_evidence(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Question-sentence cosine as a z-score among these sentences, clipped to 0..1."""
    return capped(similarity_z(vectors, query))


def align(values: np.ndarray, ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values (keyed by ids) for the wanted ids, 0 where an id has none."""
    out = np.zeros(wanted.size)
    if ids.size == 0 or wanted.size == 0:
        return out
    order = np.argsort(ids, kind="stable")
    pos = np.minimum(np.searchsorted(ids[order], wanted), ids.size - 1)
    hit = ids[order][pos] == wanted
    out[hit] = values[order][pos[hit]]
    return out


def with_preceding(scores: np.ndarray, groups: np.ndarray, share: float) -> np.ndarray:
    """Each score plus `share` of the preceding sentence's in the same chunk: an answer often
    follows the sentence that names its topic (SPRING 計畫… → 補助內容包括…)."""
    if scores.size == 0 or share == 0:
        return scores
    same = np.r_[False, groups[1:] == groups[:-1]]
    return scores + share * np.where(same, np.r_[0.0, scores[:-1]], 0.0)


def best_per_group(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group ids, max value per group) for values whose group ids come sorted."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return groups[starts], np.maximum.reduceat(values, starts)


def reachable(base: np.ndarray, bonus: float, k: int) -> np.ndarray:
    """Mask of candidates that can still reach the top k: base plus the largest bonus they
    could get is at least the k-th best base score."""
    if base.size <= k:
        return np.ones(base.size, dtype=bool)
    kth = np.partition(base, base.size - k)[base.size - k]
    return base + bonus >= kth


def pick_highlights(scores: np.ndarray, floor: float, near: float, max_spans: int = 2) -> list[int]:
    """Indices of the best sentence, and the next best if nearly as good; none below floor."""
    if scores.size == 0:
        return []
    order = np.argsort(-scores, kind="stable")[:max_spans]
    best = float(scores[order[0]])
    if best < floor:
        return []
    return sorted(int(i) for i in order if scores[i] >= max(floor, near * best))
