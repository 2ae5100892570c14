"""The vector index: exact inner-product search, or IVF once a library grows large.

Both keep their vectors in half precision (faiss's fp16 scalar quantizer, decoded in
SIMD as it scans): a scan reads half the bytes, and at this size it is bound by memory, not by
arithmetic. Over 89,200 vectors (k = 1000, one thread) it took 2.8 ms against 6.6 ms for
float32, with inner products within 3e-5 of float32's (the sentence vectors are float16 too);
the index file and its memory are halved. An older library's float32 index is read as it is
and written in half precision at its next write. (IVF's codes are the vectors themselves, not
residuals, so that a write can read every vector back.)

`reportqa bench` measured it on 2 cores (k = 1000, one thread): exact float32 search over
50,000 vectors takes ~2 ms and over 200,000 ~11 ms, more than embedding the question (~7 ms);
IVF with nlist = 2·√n and nprobe = 32 takes under 1 ms with recall@10 ≥ 0.96 against exact
search. HNSW reached only 0.72 recall on these tightly bunched e5 vectors and cannot remove ids.
"""

from __future__ import annotations

import math

import numpy as np

APPROX_THRESHOLD = 150_000  # vectors; below this exact search costs less than the query embedding
NPROBE = 32
TRAIN_PER_LIST = 50  # training vectors per IVF list (faiss wants at least 39)


def _faiss():
    import faiss

    return faiss


def build_index(ids: np.ndarray, vectors: np.ndarray, dim: int):
    """A searchable index of these vectors under these ids: exact, or IVF when large."""
    faiss = _faiss()
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), dim)
    if len(ids) < APPROX_THRESHOLD:
        index = faiss.IndexIDMap2(exact_index(dim))
    else:
        nlist = max(1, int(2 * math.sqrt(len(ids))))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        index.by_residual = False  # codes hold the vectors themselves, in half precision
        index.own_fields = True
        quantizer.this.disown()
        rng = np.random.default_rng(0)
        sample = rng.choice(len(ids), size=min(len(ids), TRAIN_PER_LIST * nlist), replace=False)
        index.train(vectors[np.sort(sample)])
        index.nprobe = min(NPROBE, nlist)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct(id), remove_ids
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index


def next_index(index, removed: np.ndarray, ids: np.ndarray, matrices: list[np.ndarray], dim: int):
    """The index less the removed ids, plus these ids' vectors (`matrices`, in order).

    An exact half-precision index that stays under APPROX_THRESHOLD copies its kept codes as
    they are; anything else (IVF, an older float32 index, a library crossing the threshold) is
    decoded and built anew. At 1,000 reports the float32 round trip held ~400 MB more at the
    write's peak; the vectors, their order and so every search come out the same."""
    faiss = _faiss()
    ids = np.asarray(ids, dtype=np.int64)
    new = np.vstack(
        [np.asarray(m, dtype=np.float32).reshape(-1, dim) for m in matrices]
        or [np.zeros((0, dim), dtype=np.float32)]
    )
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else None
    if isinstance(inner, faiss.IndexScalarQuantizer) and index.d == dim:
        old_ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        keep = ~np.isin(old_ids, removed)
        if int(keep.sum()) + len(ids) < APPROX_THRESHOLD:
            out = faiss.IndexIDMap2(exact_index(dim))
            if keep.any():
                size = index.ntotal * inner.code_size
                codes = faiss.rev_swig_ptr(inner.codes.data(), size).reshape(index.ntotal, -1)
                out.add_sa_codes(np.ascontiguousarray(codes[keep]), old_ids[keep])
            if len(ids):
                out.add_with_ids(new, ids)
            return out
    kept_ids, kept_vectors = all_vectors(index)
    keep = ~np.isin(kept_ids, removed)
    kept = kept_vectors[keep].reshape(-1, dim)  # an empty library's placeholder index: (0, 1)
    return build_index(np.concatenate([kept_ids[keep], ids]), np.vstack([kept, new]), dim)


def exact_index(dim: int):
    """Exact inner-product search over half-precision vectors (no training needed)."""
    faiss = _faiss()
    return faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )


def is_vector_index(index, dim: int) -> bool:
    """True for an index this library writes, of the right dimension."""
    faiss = _faiss()
    if index.d != dim:
        return False
    if isinstance(index, faiss.IndexIDMap2):
        inner = faiss.downcast_index(index.index)
        return isinstance(inner, faiss.IndexFlatIP) or (
            isinstance(inner, faiss.IndexScalarQuantizer)
            and inner.sq.qtype == faiss.ScalarQuantizer.QT_fp16
            and inner.metric_type == faiss.METRIC_INNER_PRODUCT
        )
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return index.sq.qtype == faiss.ScalarQuantizer.QT_fp16 and not index.by_residual
    return isinstance(index, faiss.IndexIVFFlat)  # an older library's


def is_approximate(index) -> bool:
    faiss = _faiss()
    return isinstance(index, faiss.IndexIVFFlat | faiss.IndexIVFScalarQuantizer)


def all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) in the index, read in bulk (no per-id reconstruct)."""
    faiss = _faiss()
    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, index.d), dtype=np.float32)
    if isinstance(index, faiss.IndexIDMap2):
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexScalarQuantizer):
            codes = faiss.vector_to_array(inner.codes).reshape(index.ntotal, inner.code_size)
            return ids, inner.sa_decode(codes).astype(np.float32, copy=False)
        matrix = faiss.rev_swig_ptr(inner.get_xb(), index.ntotal * index.d)  # an older library
        return ids, np.array(matrix, dtype=np.float32).reshape(index.ntotal, index.d)
    invlists = index.invlists
    # half-precision codes (IVF-SQ fp16, not by residual), or an older library's float32
    code_type = np.float16 if isinstance(index, faiss.IndexIVFScalarQuantizer) else np.float32
    id_parts, vector_parts = [], []
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size == 0:
            continue
        ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size)
        codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * index.code_size)
        id_parts.append(np.array(ids, dtype=np.int64))
        matrix = np.frombuffer(bytes(codes), dtype=code_type).reshape(size, index.d)
        vector_parts.append(matrix.astype(np.float32))
    return np.concatenate(id_parts), np.vstack(vector_parts)


def index_ids(index) -> set[int]:
    """The ids an index holds (for the library's consistency check), read without decoding a
    single vector."""
    faiss = _faiss()
    if isinstance(index, faiss.IndexIDMap2):
        return set(faiss.vector_to_array(index.id_map).tolist())
    invlists = index.invlists
    ids: set[int] = set()
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size:
            ids.update(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).tolist())
    return ids
