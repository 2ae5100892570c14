"""Sentence vectors on disk: one memory-mapped .npy per write generation, beside the chunk vectors.

A structured array (sentence id, chunk id, float16 vector, script flag) sorted by chunk then
sentence, saved with allow_pickle=False. Readers map it and read only the rows a question needs;
writers build the next generation's file, fsync it and only then commit (as for the FAISS file).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from reportqa.errors import LibraryError
from reportqa.index.durable import replace_durably

WRITE_ROWS = 65536  # rows per write() call: bounded memory for the bytes of each
READ_ROWS = 8192  # rows per pread() when reading the chunk-id column (6 MB at 384 dimensions)
# A file up to this size is read whole at the first question and gathered from memory: one
# pread per chunk cost 2.1 ms of a question at 20 reports (5 MB), 0.1 ms from memory. Larger
# files (1,000 reports: 245 MB) are read by the rows a question needs.
IN_MEMORY_BYTES = 64 * 2**20


def file_path(path: Path, generation: int) -> Path:
    """Named like the FAISS file so that stale-file cleanup treats both alike."""
    return path / f"vectors-{generation:06d}.sentences.npy"


def row_dtype(dim: int) -> np.dtype:
    """A row: sentence id, chunk id, vector, and whether the sentence is mostly Latin script
    (text.mostly_latin; the ranking compares a sentence's similarity within its script),
    padded to a multiple of 8 bytes: rows of 785 bytes took 1.3 s more to sort and convert
    at 1,000 reports' 342,000 sentences than aligned ones."""
    return np.dtype(
        [("sid", "<i8"), ("cid", "<i8"), ("v", "<f2", (dim,)), ("latin", "u1"), ("pad", "V7")]
    )


def legacy_row_dtype(dim: int) -> np.dtype:
    """Rows as libraries before the script flag wrote them: read as they are (no flags), and
    written with flags at the library's next write."""
    return np.dtype([("sid", "<i8"), ("cid", "<i8"), ("v", "<f2", (dim,))])


@dataclass(frozen=True)
class SentenceVectors:
    """Sentence ids, their chunk ids and vectors; usually a read-only memory map.

    Questions read the rows they need with pread from `source` (the file `rows` maps), not
    through the map: a mapped page stays resident, and the kernel's fault-around maps 64 KB at
    every scattered read, so a few dozen questions made most of the file resident (300 MB at
    1,000 reports). The chunk-id column is read once, in blocks, into memory (8 bytes a row) to
    find each chunk's rows.
    """

    rows: np.ndarray  # structured, see row_dtype
    source: BinaryIO | None = None  # the open file `rows` maps (None: rows in memory)
    _column: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_scripts(self) -> bool:
        """Whether the rows carry the script flag (a legacy file does not)."""
        return "latin" in (self.rows.dtype.names or ())

    def block(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop): from memory, or read from the file (not through the map)."""
        if not self._mapped():
            return self.rows[start:stop]
        return self._pread(start, stop)

    def chunk_column(self) -> np.ndarray:
        """Every row's chunk id (sorted), in memory."""
        if "cid" not in self._column:
            self._column["cid"] = self._read_cids()
        return self._column["cid"]

    def _in_memory(self) -> np.ndarray | None:
        """Every row in memory (read once, when the file is small), else None: read by rows."""
        if not self._mapped():
            return self.rows
        if self.rows.nbytes > IN_MEMORY_BYTES:
            return None
        if "rows" not in self._column:
            self._column["rows"] = self._pread(0, len(self.rows))
        return self._column["rows"]

    def _mapped(self) -> bool:
        return self.source is not None and isinstance(self.rows, np.memmap)

    def _read_cids(self) -> np.ndarray:
        if not self._mapped():
            return np.ascontiguousarray(self.rows["cid"])
        out = np.empty(len(self.rows), dtype=np.int64)
        for start in range(0, len(self.rows), READ_ROWS):
            out[start : start + READ_ROWS] = self._pread(start, start + READ_ROWS)["cid"]
        return out

    def _pread(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) read from the file, not through the map."""
        stop = min(stop, len(self.rows))
        size = self.rows.dtype.itemsize
        want = (stop - start) * size
        data = os.pread(self.source.fileno(), want, self.rows.offset + start * size)
        if len(data) != want:
            raise LibraryError(
                f"{self.rows.filename}: sentence vector file is truncated; "
                "run `reportqa index --rebuild`"
            )
        return np.frombuffer(data, dtype=self.rows.dtype)

    def _read_ranges(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Rows of the sorted, disjoint ranges [lo, hi); adjacent ranges are read as one, each
        straight into its place in the result (no per-range arrays to concatenate)."""
        keep = hi > lo
        lo, hi = lo[keep], hi[keep]
        if lo.size == 0:
            return np.zeros(0, dtype=self.rows.dtype)
        first = np.flatnonzero(np.r_[True, lo[1:] != hi[:-1]])
        starts, stops = lo[first], hi[np.r_[first[1:], lo.size] - 1]
        out = np.empty(int((stops - starts).sum()), dtype=self.rows.dtype)
        size, fd, base = self.rows.dtype.itemsize, self.source.fileno(), self.rows.offset
        view, at = memoryview(out.view(np.uint8)), 0
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            want = (stop - start) * size
            if os.preadv(fd, [view[at : at + want]], base + start * size) != want:
                raise LibraryError(
                    f"{self.rows.filename}: sentence vector file is truncated; "
                    "run `reportqa index --rebuild`"
                )
            at += want
        return out

    def gather(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sentence ids, chunk ids, float32 vectors) of these chunks' sentences, by chunk."""
        picked = self._rows_of(chunk_ids)
        return picked["sid"].copy(), picked["cid"].copy(), picked["v"].astype(np.float32)

    def similarities(
        self, chunk_ids: np.ndarray, query: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(sentence ids, chunk ids, inner products with a float32 query, Latin-script flags or
        None in a legacy file) of these chunks' sentences, by chunk: computed on the float16
        rows by FAISS's half-precision kernel, as `gather` and a float32 dot product would (to
        ~1e-7), without numpy's float16 → float32 conversion (1.0 of 1.1 ms for the ~1,500
        sentences of a question's candidates)."""
        picked = self._rows_of(chunk_ids)
        latin = picked["latin"].astype(bool) if self.has_scripts else None
        cos = half_inner_products(picked["v"], query)
        return picked["sid"].copy(), picked["cid"].copy(), cos, latin

    def _rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The rows of these chunks (structured, see row_dtype), by chunk."""
        chunk_ids = np.unique(np.asarray(chunk_ids, dtype=np.int64))
        if len(self.rows) == 0 or chunk_ids.size == 0:
            return np.zeros(0, dtype=self.rows.dtype)
        cids = self.chunk_column()
        lo, hi = np.searchsorted(cids, chunk_ids), np.searchsorted(cids, chunk_ids, side="right")
        rows = self._in_memory()
        if rows is None:
            return self._read_ranges(lo, hi)
        sizes = hi - lo
        # every row index in the ranges [lo, hi), without a Python loop
        at = np.repeat(lo - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(sizes.sum())
        return rows[at]


def half_inner_products(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Inner products of float16 row vectors with a float32 query (float64 out, as
    `evidence.cosine`), by FAISS's half-precision scan over the rows' bytes."""
    import faiss

    n = len(vectors)
    if n == 0:
        return np.zeros(0)
    dim = vectors.shape[1]
    index = faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    index.add_sa_codes(np.ascontiguousarray(vectors, dtype="<f2").view(np.uint8).reshape(n, -1))
    scores, order = index.search(np.asarray(query, dtype=np.float32).reshape(1, dim), n)
    out = np.empty(n)
    out[order[0]] = scores[0]
    return out


def empty(dim: int) -> SentenceVectors:
    return SentenceVectors(np.zeros(0, dtype=row_dtype(dim)))


def build(
    sids: np.ndarray, cids: np.ndarray, vectors: np.ndarray, dim: int, latin: np.ndarray
) -> SentenceVectors:
    """Rows sorted by chunk id, then sentence id (a chunk's sentences are one range)."""
    rows = np.zeros(len(sids), dtype=row_dtype(dim))
    rows["sid"], rows["cid"], rows["latin"] = sids, cids, latin
    rows["v"] = np.asarray(vectors, dtype=np.float32).reshape(len(sids), dim)
    return SentenceVectors(rows[np.lexsort((rows["sid"], rows["cid"]))])


def next_generation(
    previous: SentenceVectors | None,
    removed_chunks: list[int],
    added: list[tuple[int, int]],
    matrices: list[np.ndarray],
    dim: int,
    latin_of: Callable[[np.ndarray], np.ndarray],
) -> SentenceVectors:
    """The previous rows less the removed chunks', plus the added (sentence id, chunk id) pairs
    with their vectors (`matrices`, in order). `latin_of(sentence ids)` gives script flags: for
    the added sentences, and for all kept ones when the previous file is a legacy one.

    The kept rows are copied in blocks, their half-precision vectors as they are: at 1,000
    reports converting every vector to float32 and back had a write peak at 1.8 GB."""
    if previous is None or previous.rows.dtype not in (row_dtype(dim), legacy_row_dtype(dim)):
        previous = empty(dim)
    keep = ~np.isin(previous.chunk_column(), np.array(removed_chunks, dtype=np.int64))
    n_keep = int(keep.sum())
    out = np.zeros(n_keep + len(added), dtype=row_dtype(dim))
    at = 0
    for start in range(0, len(previous.rows), WRITE_ROWS):
        block = previous.block(start, start + WRITE_ROWS)[keep[start : start + WRITE_ROWS]]
        part = out[at : at + len(block)]
        for name in ("sid", "cid", "v"):
            part[name] = block[name]
        if previous.has_scripts:
            part["latin"] = block["latin"]
        at += len(block)
    if not previous.has_scripts:
        out["latin"][:n_keep] = latin_of(out["sid"][:n_keep])
    new = out[n_keep:]
    new["sid"] = np.array([p[0] for p in added], dtype=np.int64)
    new["cid"] = np.array([p[1] for p in added], dtype=np.int64)
    row = 0
    for matrix in matrices:
        matrix = np.asarray(matrix, dtype=np.float32).reshape(-1, dim)
        new["v"][row : row + len(matrix)] = matrix
        row += len(matrix)
    new["latin"] = latin_of(new["sid"])
    order = np.lexsort((out["sid"], out["cid"]))
    if np.any(order != np.arange(len(out))):  # the new chunks' ids are usually the largest
        out = out[order]
    return SentenceVectors(out)


def write(vectors: SentenceVectors, target: Path) -> None:
    """Write durably: temp file, fsync, rename, fsync the directory."""

    def save(tmp: Path) -> None:
        # Python's own writes, not numpy's fwrite: a full disk or a file-size limit then raises
        # its errno (ENOSPC, EFBIG) instead of "N requested and M written".
        rows = np.ascontiguousarray(vectors.rows)
        with open(tmp, "wb") as fh:
            npy_format.write_array_header_1_0(fh, npy_format.header_data_from_array_1_0(rows))
            for start in range(0, len(rows), WRITE_ROWS):
                fh.write(rows[start : start + WRITE_ROWS].tobytes())

    replace_durably(target, save)


def read(target: Path, dim: int) -> SentenceVectors | None:
    """The generation's sentence vectors, memory-mapped; None when it has none (an old library,
    or a writer removed the file before we opened it: the caller reads the state again)."""
    try:
        source = open(target, "rb")  # noqa: SIM115 (closed with the object, below)
    except FileNotFoundError:
        return None
    # One open file for the header, the map and the preads: a writer removing the name after
    # this leaves everything readable, with no window between two opens.
    try:
        try:
            major, _ = npy_format.read_magic(source)
            header = (
                npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
            )
            shape, fortran, dtype = header(source)
            offset = source.tell()
        except (OSError, ValueError) as exc:
            raise LibraryError(
                f"{target}: sentence vector file is damaged ({exc}); run `reportqa index --rebuild`"
            ) from None
        if dtype not in (row_dtype(dim), legacy_row_dtype(dim)) or len(shape) != 1 or fortran:
            raise LibraryError(
                f"{target}: not this library's sentence vectors ({dtype}); "
                "run `reportqa index --rebuild`"
            )
        if shape[0] == 0:  # numpy cannot map an empty array
            source.close()
            return SentenceVectors(np.empty(0, dtype))
        if source.seek(0, os.SEEK_END) < offset + shape[0] * dtype.itemsize:
            raise LibraryError(
                f"{target}: sentence vector file is damaged (truncated); "
                "run `reportqa index --rebuild`"
            )
        rows = np.memmap(source, dtype=dtype, mode="r", offset=offset, shape=shape)
    except BaseException:
        source.close()
        raise
    vectors = SentenceVectors(rows, source)
    weakref.finalize(vectors, source.close)
    return vectors
