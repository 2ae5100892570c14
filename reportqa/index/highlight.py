"""Pick the sentence(s) of a passage that answer a question, and the one answer line."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from reportqa.index import evidence
from reportqa.index.retriever import Ranking

HEADING_WEIGHT = 0.3  # a bare heading (三、 跨領域協作與整合模式觀察) is weak evidence of an answer
SENTENCE_END = "。！？；!?;"
FIELD_VALUE = re.compile(r"[：:]\s*\S")  # a field line with its value (聯絡電話：02-…)
# Answer scores (similarity 0..1 + lexical share 0..1) are calibrated on the eval set's tune split.
HIGHLIGHT_FLOOR = 0.5  # below this a sentence only mentions the question's words
HIGHLIGHT_RELATIVE = 0.5  # a passage's best sentence must be this close to the answer's
NEAR_BEST = 0.5  # a second sentence is highlighted when it scores this close to the best (tune:
# 0.85 → 0.5 highlight .866 → .911, en .812 → .917; 0.7: .902)
# The answer line: the first passage's best sentence, joined by an adjacent one scoring at least
# PAIR_NEAR of it; none below ANSWER_FLOOR. Tune split (sample + real PDFs): from the first 3
# passages with 0.1 per rank, pair 0.9, floor 0.9: right .670, abstain .009; from the first
# passage, pair 0.6, floor 1.0: right .738, abstain .053 (heldout .745, .056). Sentence scores
# of different passages do not compare well; the ranking's first passage is right 4 times in 5.
# Passing over bare headings (below): right .768, abstain .044 at floor 0.8 or 0.9 (1.0: .786,
# .088); 0.8 as on a library of the sample alone 0.9 abstains on .164 of its tune split (0.8: .109).
ANSWER_FLOOR = 0.8  # no answer line below this: say nothing rather than show a weak sentence
ANSWER_PASSAGES = 1  # the answer line comes from the first passages
RANK_PENALTY = 0.1  # per rank below the first: prefer the passage the ranking trusts
PAIR_NEAR = 0.6  # an adjacent sentence this close joins the answer line


@dataclass(frozen=True)
class AnswerLine:
    """The sentence (or two adjacent ones) most likely to answer, as offsets into one passage."""

    chunk_id: int
    start: int
    end: int
    score: float


def sentence_weight(sentence: str) -> float:
    """Evidence weight of a sentence: a bare heading (三、 跨領域協作與整合模式觀察,
    陸、 競賽方式：) counts less; not one that says something after its marker (第 15 條 and
    the article's text, 參、 計畫期程：111 年 11 月至 112 年 7 月。, (二) 聯絡電話：02-2257-7155,
    an item ending its sentence). On the eval library 59 of 1563 sentences; the rule before
    (any marked line up to 60 characters) caught 346, most of them law articles and items."""
    from reportqa.ingest.headings import heading_level

    lines = [line.strip() for line in sentence.splitlines() if line.strip()]
    bare = bool(lines) and all(heading_level(line) for line in lines)
    said = bool(lines) and (lines[-1][-1] in SENTENCE_END or bool(FIELD_VALUE.search(lines[-1])))
    return HEADING_WEIGHT if bare and not said and len(sentence) <= 60 else 1.0


def best_score(ranking: Ranking, chunk_ids: list[int]) -> float:
    """The best highlight score of any sentence of these passages (0 when none)."""
    scores = [ranking.sentences_of(c, for_highlight=True)[1] for c in chunk_ids]
    return max((float(s.max()) for s in scores if s.size), default=0.0)


def highlight(ranking: Ranking, chunk_id: int, best: float) -> list[list[int]]:
    """Offsets of at most two answering sentences of a passage; none when it only mentions words."""
    rows, scores = ranking.sentences_of(chunk_id, for_highlight=True)
    floor = max(HIGHLIGHT_FLOOR, HIGHLIGHT_RELATIVE * best)
    chosen = evidence.pick_highlights(scores, floor, NEAR_BEST)
    s = ranking.sentences
    return [[int(s.start[rows[i]]), int(s.end[rows[i]])] for i in chosen] if s else []


def answer_line(ranking: Ranking, chunk_ids: list[int]) -> AnswerLine | None:
    """The most convincing sentence of the first passages, or None when none is convincing.

    A bare heading or field line (weight below 1) is never the answer line nor joins it: it
    names a topic (五、 日本學術振興會(JSPS)), it does not answer; a passage of nothing else
    is passed over."""
    best: AnswerLine | None = None
    s = ranking.sentences
    if s is None:
        return None
    considered = 0
    for chunk_id in chunk_ids:
        if considered == ANSWER_PASSAGES:
            break
        rows, scores = ranking.sentences_of(chunk_id)
        content = s.weight[rows] >= 1.0
        if not content.any():
            continue
        scores = np.where(content, scores, -np.inf)
        k = int(np.argmax(scores))
        score = float(scores[k]) - RANK_PENALTY * considered
        considered += 1
        if best is None or score > best.score:
            start, end = int(s.start[rows[k]]), int(s.end[rows[k]])
            for j in (k + 1, k - 1):  # one adjacent sentence nearly as good joins it
                if 0 <= j < scores.size and scores[j] >= PAIR_NEAR * scores[k]:
                    start, end = min(start, int(s.start[rows[j]])), max(end, int(s.end[rows[j]]))
                    break
            best = AnswerLine(chunk_id, start, end, score)
    return best if best is not None and best.score >= ANSWER_FLOOR else None
