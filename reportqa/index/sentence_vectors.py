"""Sentence vectors on disk: one memory-mapped .npy per write generation, beside the chunk vectors.

A structured array (sentence id, chunk id, float16 vector) sorted by chunk then sentence, saved with
allow_pickle=False. Readers map it and read only the rows a question needs; writers build the
next generation's file, fsync it and only then commit (as for the FAISS file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.errors import LibraryError


def file_path(path: Path, generation: int) -> Path:
    """Named like the FAISS file so that stale-file cleanup treats both alike."""
    return path / f"vectors-{generation:06d}.sentences.npy"


def row_dtype(dim: int) -> np.dtype:
    return np.dtype([("sid", "<i8"), ("cid", "<i8"), ("v", "<f2", (dim,))])


@dataclass(frozen=True)
class SentenceVectors:
    """Sentence ids, their chunk ids and vectors; usually a read-only memory map."""

    rows: np.ndarray  # structured, see row_dtype

    def gather(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sentence ids, chunk ids, float32 vectors) of these chunks' sentences, by chunk."""
        dim = self.rows.dtype["v"].shape[0]
        chunk_ids = np.unique(np.asarray(chunk_ids, dtype=np.int64))
        if len(self.rows) == 0 or chunk_ids.size == 0:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros((0, dim), dtype=np.float32)
        cids = self.rows["cid"]
        lo, hi = np.searchsorted(cids, chunk_ids), np.searchsorted(cids, chunk_ids, side="right")
        sizes = hi - lo
        # every row index in the ranges [lo, hi), without a Python loop
        at = np.repeat(lo - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(sizes.sum())
        picked = self.rows[at]
        return picked["sid"].copy(), picked["cid"].copy(), picked["v"].astype(np.float32)


def empty(dim: int) -> SentenceVectors:
    return SentenceVectors(np.zeros(0, dtype=row_dtype(dim)))


def build(sids: np.ndarray, cids: np.ndarray, vectors: np.ndarray, dim: int) -> SentenceVectors:
    """Rows sorted by chunk id, then sentence id (a chunk's sentences are one range)."""
    rows = np.zeros(len(sids), dtype=row_dtype(dim))
    rows["sid"], rows["cid"] = sids, cids
    rows["v"] = np.asarray(vectors, dtype=np.float32).reshape(len(sids), dim)
    return SentenceVectors(rows[np.lexsort((rows["sid"], rows["cid"]))])


def write(vectors: SentenceVectors, target: Path) -> None:
    """Write durably: temp file, fsync, rename, fsync the directory."""
    tmp = target.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, vectors.rows, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read(target: Path, dim: int) -> SentenceVectors | None:
    """The generation's sentence vectors, memory-mapped; None when it has none (an old library)."""
    if not target.exists():
        return None
    try:
        try:
            rows = np.load(target, mmap_mode="r", allow_pickle=False)
        except ValueError:  # numpy cannot map an empty array; read it (it is tiny)
            rows = np.load(target, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise LibraryError(
            f"{target}: sentence vector file is damaged ({exc}); run `reportqa index --rebuild`"
        ) from None
    if rows.dtype != row_dtype(dim) or rows.ndim != 1:
        raise LibraryError(
            f"{target}: not this library's sentence vectors ({rows.dtype}); "
            "run `reportqa index --rebuild`"
        )
    return SentenceVectors(rows)
