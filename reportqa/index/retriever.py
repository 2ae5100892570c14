"""Ranking in one place: plan → candidates → evidence → fusion, over one read of the library."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from reportqa.errors import QuestionError
from reportqa.index import bm25, evidence, report_names
from reportqa.index.query import QueryPlan, plan_query, weigh_tokens
from reportqa.index.rows import SentenceRows, fetch_sentences
from reportqa.index.search import Scores, zscores
from reportqa.index.store import Snapshot

VIEW_SECTION = re.compile(
    r"心得|建議|結論|结论|結語|感想|檢討|省思|啟示|conclusion|recommendation", re.IGNORECASE
)
VIEW_DEPTH = 20  # passages whose sections are read for it
CANDIDATES = 200  # per side (dense, lexical) considered for fusion
SEARCH_K = 1000  # nearest chunk vectors and best BM25 rows read per question


@dataclass(frozen=True)
class Weights:
    """How far each signal may move the dense ranking; how sentences score (tune split)."""

    lexical: float = 2.0  # BM25 of the chunk, scaled to 0..1
    sentence: float = 1.5  # the best sentence's share of the question's IDF mass
    similarity: float = 4.0  # the best sentence's similarity to the question (0..1)
    # A sentence's answer score: similarity plus lexical share where the question's words are seen.
    answer_similarity: float = 1.0
    answer_lexical: float = 0.5
    # Share of the preceding sentence's score a highlight adds: 0.5 helped the sample's tune split
    # alone (.745 → .836) but on the tune split of the sample and the real PDFs together 0 is best
    # (highlight .865 vs .784; heldout .846 vs .750).
    highlight_context: float = 0.0
    # z-score (among the candidates' sentences) at which a sentence's similarity counts fully.
    # For ranking 5: at 3 most of the first passages' best sentences reached it and tied (tune
    # hit@1 .743 → .805 with similarity 4, heldout .741 → .741, MRR .830 → .840). For answer and
    # highlight scores 3: there the tie lets the lexical share pick (4 or 5: tune highlight .82).
    rank_cap: float = 5.0
    answer_cap: float = 3.0
    # Added to a passage in a section of views (心得, 建議, 結論) among the first VIEW_DEPTH when
    # the question asks for the report's view (query.VIEW_ASKED). Tune split: 0.5 hit@1 .885 →
    # .894, MRR .924 → .929, answer line .848 → .857 (sample-only library: tune hit@1 .873 →
    # .891); 1.0 also lifts one question from rank 6 to 2 (MRR .932), a push twice as strong on
    # questions whose view sits elsewhere for one question: 0.5 taken. Heldout unchanged by both.
    view_section: float = 0.5


@dataclass
class Ranking:
    """Chunk ids with fused scores, best first, and the sentence evidence behind them."""

    ranked: list[tuple[int, float]]
    plan: QueryPlan
    sentences: SentenceRows | None = None  # of the chunks whose evidence was computed
    sentence_scores: np.ndarray | None = None  # answer score per sentence (same order)
    share: np.ndarray | None = None  # lexical share per sentence (0..1)
    similarity: np.ndarray | None = None  # similarity evidence per sentence (0..1)
    highlight_scores: np.ndarray | None = None  # answer scores with the preceding sentence's
    similarity_z: np.ndarray | None = None  # question-sentence cosine z-score per sentence
    similarity_cos: np.ndarray | None = None  # question-sentence cosine per sentence (raw)
    # What the highlight and the answer line derive from this ranking, kept for the other:
    # both read the same passages' folded sentences and highlight scores. Not an init field:
    # dataclasses.replace (another plan, other evidence) starts a fresh one.
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def sentences_of(
        self, chunk_id: int, for_highlight: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, answer or highlight scores) of one chunk's sentences."""
        scores = self.highlight_scores if for_highlight else self.sentence_scores
        if self.sentences is None or scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        lo, hi = np.searchsorted(self.sentences.cid, [chunk_id, chunk_id + 1])
        return np.arange(lo, hi), scores[lo:hi]


def _quoted(term: str) -> str:
    """A term as an FTS5 string (its own quotes doubled)."""
    return '"' + term.replace('"', '""') + '"'


class Retriever:
    """Ranks a library's chunks for a question; the caller holds the read transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        snapshot: Snapshot,
        embed_query: Callable[[str], np.ndarray],
        weights: Weights,
    ) -> None:
        self.conn, self.snap, self.embed_query, self.weights = conn, snapshot, embed_query, weights

    def rank(
        self,
        question: str,
        top_k: int = 10,
        doc_ids: Iterable[str] | None = None,
        mode: str = "hybrid",
    ) -> Ranking:
        snap = self.snap
        titles = snap.cached("title index", lambda: report_names.title_index(snap.titles))
        plan = plan_query(question, snap.aliases, self.in_vocabulary, self.co_occur, titles)
        wanted = set(doc_ids) if doc_ids else None
        if wanted and wanted - set(snap.titles):
            raise QuestionError(
                f"no report {', '.join(sorted(wanted - set(snap.titles)))} in the library; "
                "see `reportqa list` for report ids"
            )
        if not snap.titles:
            return Ranking([], plan)
        query = None
        dense = lexical = Scores.empty()
        if mode in ("hybrid", "dense"):
            query = self.embed_query(plan.dense_text).reshape(-1).astype(np.float32)
            dense = self.dense(query)
        if mode in ("hybrid", "lexical"):
            lexical = self.report_named(plan, self.lexical(plan))
        if mode != "hybrid":
            scores = dense if mode == "dense" else lexical
            at = scores.order()
            ranked = list(zip(scores.ids[at].tolist(), scores.values[at].tolist(), strict=True))
            return Ranking(self._only(ranked, wanted), plan)
        ids = np.union1d(dense.top(CANDIDATES), lexical.top(CANDIDATES)).astype(np.int64)
        if wanted:
            docs = self._doc_of(ids)
            ids = np.array([i for i in ids.tolist() if docs.get(i) in wanted], dtype=np.int64)
        if ids.size == 0:
            return Ranking([], plan)
        w = self.weights
        top = lexical.best()
        lx = lexical.at(ids) / (top if top > 0 else 1.0)
        base = dense.at(ids) + plan.coverage * w.lexical * lx
        # Sentence evidence is bounded (0..1 each): chunks that cannot reach the top k even with
        # full marks are dropped, first before the sentence vectors are read, then again before
        # the sentence rows are.
        keep = evidence.reachable(base, plan.coverage * w.sentence + w.similarity, top_k)
        vectors = self.snap.sentence_vectors
        zs, cos = np.zeros(0), np.zeros(0)
        sids = np.zeros(0, dtype=np.int64)
        if vectors is not None and query is not None and w.similarity > 0:
            sids, cids, cos, latin = vectors.similarities(ids[keep], query)
            # each sentence against its own script's (an older file has no flags: as before)
            zs = evidence.zscore(cos if latin is None else evidence.script_centred(cos, latin))
            groups, best = evidence.best_per_group(evidence.capped(zs, w.rank_cap), cids)
            base[np.searchsorted(ids, groups)] += w.similarity * best
        keep &= evidence.reachable(base, plan.coverage * w.sentence, top_k)
        rows = fetch_sentences(self.conn, ids[keep].tolist())
        share = self.lexical_evidence(rows, plan)
        z = evidence.align(zs, sids, rows.sid)
        similar = evidence.capped(z, w.answer_cap)
        fused = base
        if rows.sid.size:
            groups, best_share = evidence.best_per_group(share, rows.cid)
            fused[np.searchsorted(ids, groups)] += plan.coverage * w.sentence * best_share
        if plan.asks_view and w.view_section:
            self._favour_views(ids, fused)
        order = np.argsort(-fused, kind="stable")
        ranked = list(zip(ids[order].tolist(), fused[order].tolist(), strict=True))
        scores = w.answer_similarity * similar + w.answer_lexical * plan.coverage * share
        marks = evidence.with_preceding(scores, rows.cid, w.highlight_context)
        cosines = evidence.align(cos, sids, rows.sid) if cos.size else None
        return Ranking(ranked, plan, rows, scores, share, similar, marks, z, cosines)

    def _favour_views(self, ids: np.ndarray, fused: np.ndarray) -> None:
        """Raise the first VIEW_DEPTH passages that sit in a section of views (in place)."""
        first = ids[np.argsort(-fused, kind="stable")[:VIEW_DEPTH]]
        for i, chunk in self.snap.chunks.get_many(first.tolist()).items():
            if any(VIEW_SECTION.search(title) for title in chunk.section):
                fused[np.searchsorted(ids, i)] += self.weights.view_section

    def lexical_evidence(self, rows: SentenceRows, plan: QueryPlan) -> np.ndarray:
        """Per sentence: its share of the question's IDF mass (0..1), each entity the question
        names under a mined alias counted once (tune split: hit@1 .876 → .885, MRR .915 → .922,
        heldout unchanged)."""
        terms = list(plan.idf)
        presence = evidence.token_presence(rows.tokens, terms)
        idf = np.array([plan.idf[t] for t in terms])
        column = {t: j for j, t in enumerate(terms)}
        concepts = [
            [cols for form in forms if (cols := [column[t] for t in form if t in column])]
            for forms in plan.concepts
        ]
        concepts = [forms for forms in concepts if len(forms) > 1]
        if not plan.named:
            return evidence.concept_share(presence, idf, rows.weight, concepts)
        # In the reports a question names, the share is over its other words (report_names).
        member = np.zeros((len(rows.cid), len(terms)), dtype=bool)
        for token, chunks in plan.named.items():
            member[:, column[token]] = np.isin(rows.cid, chunks)
        share = np.zeros(len(rows.cid))
        patterns, which = report_names.masked(member)
        for k, pattern in enumerate(patterns):
            at = which == k
            weights = np.where(pattern, 0.0, idf)
            share[at] = evidence.concept_share(presence[at], weights, rows.weight[at], concepts)
        return share

    def report_named(self, plan: QueryPlan, lexical: Scores) -> Scores:
        """`lexical` with the words that name reports counted once in each of those reports'
        chunks (report_names); sets `plan.named` to those chunks."""
        names = {t: docs for t, docs in plan.names.items() if t in plan.idf}
        if not names:
            return lexical
        plan.named = {t: self._chunks_of(docs) for t, docs in names.items()}
        post = self.snap.postings
        n_chunks = post.n_chunks if post is not None else self.snap.chunk_count()
        own, once = {}, {}
        for token in plan.named:
            weight = plan.source_weight.get(token, 1.0)
            ids, values = self._term_bm25(token)
            own[token] = Scores(ids, weight * values)
            once[token] = weight * bm25.idf(n_chunks, plan.doc_freq[token])
        return report_names.rescored(lexical, plan.named, own, once)

    def _chunks_of(self, doc_ids: tuple[str, ...]) -> np.ndarray:
        """The chunk ids of these reports, sorted (read once per snapshot and report)."""
        sql = "SELECT id FROM chunks WHERE doc_id = ?"
        parts = [
            self.snap.cached(
                ("chunks of", doc),
                lambda doc=doc: np.array([i for (i,) in self.conn.execute(sql, (doc,))], np.int64),
            )
            for doc in doc_ids
        ]
        return np.sort(np.concatenate(parts))

    def _term_bm25(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25) of one token alone: its part of any query's BM25 (FTS5 sums its
        terms' parts)."""
        post = self.snap.postings
        if post is None:
            rows = self.conn.execute(
                "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?",
                (_quoted(token),),
            ).fetchall()
            return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows])
        lo, hi = self._term_ranges([token])[token]
        return bm25.score([post.slice(lo, hi)], post.n_chunks, post.total_tokens)

    def dense(self, query: np.ndarray) -> Scores:
        index = self.snap.index
        if index.ntotal == 0:
            return Scores.empty()
        import faiss

        # One thread: on 2 cores FAISS's threads fight the embedder's (bench: p50 21.7 → 13.6 ms).
        faiss.omp_set_num_threads(1)
        scores, ids = index.search(query.reshape(1, -1), int(min(index.ntotal, SEARCH_K)))
        valid = ids[0] >= 0
        ids, scores = ids[0][valid], scores[0][valid]
        return Scores(ids.astype(np.int64), zscores(scores.astype(np.float64)))

    def in_vocabulary(self, terms) -> set[str]:
        terms = list(terms)
        if not terms:
            return set()
        if self.snap.postings is not None:
            return set(self._term_ranges(terms))
        rows = self.conn.execute(
            f"SELECT term FROM chunks_vocab WHERE term IN ({','.join('?' * len(terms))})", terms
        ).fetchall()
        return {r[0] for r in rows}

    def co_occur(self, term: str, others: list[str]) -> bool:
        """Whether a chunk holds `term` and at least one of `others`."""
        query = f"{_quoted(term)} AND ({' OR '.join(_quoted(t) for t in others)})"
        sql = "SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1"
        return self.conn.execute(sql, (query,)).fetchone() is not None

    def _term_ranges(self, terms: list[str]) -> dict[str, tuple[int, int]]:
        """The library's terms among these → their postings' [start, stop), in term order
        (FTS5's vocabulary order: code points, as its UTF-8 bytes compare)."""
        marks = ",".join("?" * len(terms))
        rows = sorted(
            self.conn.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", terms)
        )
        ranges = self.snap.postings.ranges([i for _, i in rows])
        return {t: r for (t, _), r in zip(rows, ranges, strict=True) if r[1] > r[0]}

    def lexical(self, plan: QueryPlan) -> Scores:
        """BM25 as FTS5's bm25() (from the postings file, or FTS5 itself in an older library);
        also weighs the plan's tokens by IDF."""
        tokens = plan.tokens
        if not tokens:
            return Scores.empty()
        post = self.snap.postings
        if post is not None:
            ranges = self._term_ranges(tokens)
            doc_freq = {t: hi - lo for t, (lo, hi) in ranges.items()}
            n_chunks = post.n_chunks
        else:
            marks = ",".join("?" * len(tokens))
            sql = f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})"
            doc_freq = dict(self.conn.execute(sql, tokens).fetchall())
            n_chunks = self.snap.chunk_count()  # counted once per generation, not per question
        weigh_tokens(plan, doc_freq, n_chunks)
        # FTS5 weighs every term of a query alike: one query per source weight (the question's
        # own words, aliases, translations), summed with those weights.
        groups: dict[float, list[str]] = {}
        for token in doc_freq:
            groups.setdefault(plan.source_weight.get(token, 1.0), []).append(token)
        if post is None:
            scores: dict[int, float] = {}
            for weight, group in groups.items():
                for rowid, score in self._fts_bm25(group):
                    scores[rowid] = scores.get(rowid, 0.0) + weight * score
            return Scores(
                np.fromiter(scores.keys(), dtype=np.int64, count=len(scores)),
                np.fromiter(scores.values(), dtype=np.float64, count=len(scores)),
            )
        found = []
        for weight, group in groups.items():
            slices = [post.slice(*ranges[t]) for t in group]
            ids, values = bm25.top(*bm25.score(slices, post.n_chunks, post.total_tokens), SEARCH_K)
            found.append((ids, weight * values))
        # summed group by group from 0.0, as the dict above adds them
        return bm25.summed(found)

    def _fts_bm25(self, group: list[str]) -> list[tuple[int, float]]:
        """The SEARCH_K best rows holding any of the terms, by FTS5's own bm25()."""
        query = " OR ".join(_quoted(t) for t in group)
        return self.conn.execute(
            "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            f"ORDER BY bm25(chunks_fts) LIMIT {SEARCH_K}",
            (query,),
        ).fetchall()

    def _doc_of(self, ids: np.ndarray) -> dict[int, str]:
        marks = ",".join("?" * len(ids))
        sql = f"SELECT id, doc_id FROM chunks WHERE id IN ({marks})"
        return dict(self.conn.execute(sql, ids.tolist()).fetchall())

    def _only(self, ranked: list[tuple[int, float]], wanted: set[str] | None):
        if not wanted or not ranked:
            return ranked
        docs = self._doc_of(np.array([i for i, _ in ranked]))
        return [(i, s) for i, s in ranked if docs.get(i) in wanted]
