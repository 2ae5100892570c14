"""The postings file: BM25 from it equals FTS5's bm25(), after adds, replaces and removes."""

import dataclasses
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import reportqa
from reportqa.errors import LibraryError
from reportqa.index import bm25, postings, store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.index.query import plan_query
from reportqa.index.retriever import Retriever

SAMPLE_DIR = Path(reportqa.__file__).parent / "data/sample"
SAMPLE_TXT = SAMPLE_DIR / "2025-taiwan-japan-natural-sciences-exchange.txt"
QUESTIONS = [
    "RIKEN第五期中長期計畫涵蓋哪幾年？",
    "JSPS 每件申請案由幾位外部學者專家審查？",
    "ACT-X 的支援對象是誰？",
    "Which programme funds young researchers?",
    "國科會與日本學術振興會的合作",
]


def report(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(f"壹、 {name}\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    with Library.open(tmp_path / "lib", embedder=FakeEmbedder()) as opened:
        opened.ingest(
            [
                SAMPLE_TXT,
                report(tmp_path, "second", "第二份報告說明 PRESTO 的審查共有三個階段。" * 5),
                report(tmp_path, "third", "RIKEN 與 JSPS 合作，經費 3,000 萬元，R&D 計畫。"),
            ]
        )
        yield opened


def fts_scores(conn: sqlite3.Connection, terms: list[str]) -> dict[int, float]:
    query = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    sql = "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?"
    return dict(conn.execute(sql, (query,)).fetchall())


def postings_scores(lib: Library, terms: list[str]) -> dict[int, float]:
    snap = lib.snapshot()
    retriever = Retriever(lib._conn, snap, lambda q: None, lib.weights)
    ranges = retriever._term_ranges(terms)
    slices = [snap.postings.slice(*ranges[t]) for t in sorted(ranges)]
    ids, scores = bm25.score(slices, snap.postings.n_chunks, snap.postings.total_tokens)
    return dict(zip(ids.tolist(), scores.tolist(), strict=True))


def assert_equal_to_fts5(lib: Library, queries: int = 60) -> None:
    conn = lib._conn
    vocab = [t for (t,) in conn.execute("SELECT term FROM chunks_vocab ORDER BY doc DESC, term")]
    rng = np.random.default_rng(0)
    for _ in range(queries):
        size = int(rng.integers(1, 9))
        # common terms (IDF floored at 1e-6 among them) and rare ones alike
        terms = sorted(rng.choice(vocab, size=min(size, len(vocab)), replace=False).tolist())
        expected, got = fts_scores(conn, terms), postings_scores(lib, terms)
        assert got.keys() == expected.keys(), terms
        for rowid, score in expected.items():
            assert got[rowid] == pytest.approx(score, rel=1e-9, abs=1e-12), (terms, rowid)
    assert lib.check() == []


def test_numpy_bm25_equals_fts5_after_adds_replaces_and_removes(lib, tmp_path):
    assert lib.snapshot().postings is not None
    assert_equal_to_fts5(lib)
    lib.ingest([report(tmp_path, "second", "替換後的第二份報告：PRESTO 與 CREST 的審查。" * 3)])
    assert_equal_to_fts5(lib)
    lib.remove("third")
    assert_equal_to_fts5(lib)
    lib.ingest([report(tmp_path, "fourth", "新報告 ACT-X 計畫")])
    assert_equal_to_fts5(lib)


def test_each_write_merges_to_what_a_full_build_gives(lib, tmp_path):
    used = max(lib.snapshot().chunks)
    lib.ingest([report(tmp_path, "second", "替換：PRESTO 三階段審查。")])
    lib.remove("third")
    lib.remove("second")  # the last reports added: the next one's chunks get their ids again
    lib.ingest([report(tmp_path, "fourth", "新報告 ACT-X 計畫，RIKEN 合作。")])
    assert min(c.id for c in lib.snapshot().chunks.values() if c.doc_id == "fourth") <= used
    merged = lib.snapshot().postings.load()
    lib._conn.execute("BEGIN")
    try:
        full = postings.next_data(lib._conn, None, [], [])
    finally:
        lib._conn.execute("ROLLBACK")
    width = max(len(merged.offsets), len(full.offsets))
    pad = lambda o: np.r_[o, np.full(width - len(o), o[-1])]  # noqa: E731
    assert np.array_equal(pad(merged.offsets), pad(full.offsets))
    assert np.array_equal(merged.rows, full.rows) and np.array_equal(merged.chunks, full.chunks)


def test_the_lexical_ranking_is_fts5s_with_or_without_the_file(lib):
    snap = lib.snapshot()
    for question in QUESTIONS:
        ranked = []
        for view in (snap, dataclasses.replace(snap, postings=None)):
            retriever = Retriever(lib._conn, view, lambda q: None, lib.weights)
            plan = plan_query(question, view.aliases, retriever.in_vocabulary)
            ranked.append((retriever.lexical(plan).as_dict(), plan.idf, plan.coverage))
        (new, idf, coverage), (old, old_idf, old_coverage) = ranked
        assert new.keys() == old.keys() and idf == old_idf and coverage == old_coverage
        assert all(new[i] == pytest.approx(old[i], rel=1e-9) for i in old), question


def test_tokens_are_fts5s_own(tmp_path):
    """unicode61 folds diacritics and case and splits at its separators: the postings hold
    what FTS5 indexed, not the raw space-separated tokens."""
    mapping = postings.fts_tokens(["café", "x\u0301y", "a-b", "3,000", "中国", "Ǆ", "a/b", "¿"])
    assert mapping == {
        "café": ("cafe",),
        "x\u0301y": ("xy",),
        "a-b": ("a-b",),
        "3,000": ("3,000",),
        "中国": ("中国",),
        "Ǆ": ("ǆ",),
        "a/b": ("a", "b"),
        "¿": (),
    }
    conn = sqlite3.connect(":memory:")
    for statement in store.MIGRATIONS[1] + store.MIGRATIONS[3]:
        conn.execute(statement)
    texts = [(1, "café a/b x-y"), (2, "cafe b ¿ b"), (3, "")]
    conn.executemany("INSERT INTO chunks_fts (rowid, tokens) VALUES (?, ?)", texts)
    data = postings.build(conn, texts)
    assert data.chunks["dl"].tolist() == [4, 3, 0]  # FTS5's own column sizes
    names = dict(conn.execute("SELECT id, term FROM terms").fetchall())
    df = {names[t]: int(n) for t, n in enumerate(np.diff(data.offsets)) if n}
    assert df == dict(conn.execute("SELECT term, doc FROM chunks_vocab").fetchall())


def test_a_missing_or_damaged_postings_file_is_a_clean_error(lib):
    target = postings.file_path(lib.path, lib.snapshot().generation)
    saved = target.read_bytes()
    target.write_bytes(saved[:100])
    lib._snapshot = None
    with pytest.raises(LibraryError, match="postings file is damaged"):
        lib.ask(QUESTIONS[0])
    target.unlink()
    with pytest.raises(LibraryError, match="missing or damaged"):
        lib.ask(QUESTIONS[0])
    target.write_bytes(saved)
    assert lib.ask(QUESTIONS[0]).passages


def test_check_notices_postings_of_another_generation(lib, tmp_path):
    generation = lib.snapshot().generation
    older = postings.file_path(lib.path, generation - 1)
    assert older.exists()  # the previous generation's file stays beside the current one
    shutil.copy(older, postings.file_path(lib.path, generation))
    lib._snapshot = None
    problems = lib.check()
    assert any("postings" in p for p in problems), problems


def test_a_library_without_postings_answers_by_fts5_and_its_next_write_adds_them(lib, tmp_path):
    before = [lib.ask(q).to_dict()["passages"] for q in QUESTIONS]
    generation = lib.snapshot().generation
    store.set_meta(lib._conn, "postings", "0")  # what a v2 library holds: no file, no meta
    lib._conn.execute("DELETE FROM terms")
    postings.file_path(lib.path, generation).unlink()
    lib._snapshot = None
    assert lib.snapshot().postings is None
    assert [lib.ask(q).to_dict()["passages"] for q in QUESTIONS] == before
    lib.remove("third")
    assert lib.snapshot().postings is not None
    assert_equal_to_fts5(lib, queries=20)


def test_opening_reads_only_the_header(lib):
    snap = lib.snapshot()
    # numbers and an open file, no arrays: a question preads its terms' slices
    assert not any(isinstance(v, np.ndarray) for v in vars(snap.postings).values())
    assert snap.postings._ranges == {}


@pytest.mark.parametrize("new_ids", [[40, 41, 45], [3, 17, 40]])  # appended; among the kept
def test_merge_equals_a_build_of_the_kept_and_new_chunks(new_ids):
    rng = np.random.default_rng(len(new_ids) + new_ids[0])
    tokens = {cid: rng.integers(0, 25, rng.integers(0, 12)) for cid in range(0, 30, 2)}
    tokens |= {cid: rng.integers(0, 30, rng.integers(1, 12)) for cid in new_ids}  # new terms too
    old_ids, removed = list(range(0, 30, 2)), np.array([4, 10, 28])

    def built(cids):
        chunk_of = np.concatenate([np.full(len(tokens[c]), k) for k, c in enumerate(cids)])
        tids = np.concatenate([tokens[c] for c in cids]).astype(np.int64)
        lengths = np.array([len(tokens[c]) for c in cids], dtype=np.int64)
        return postings.from_arrays(np.array(cids), lengths, chunk_of.astype(np.int64), tids)

    kept = [c for c in old_ids if c not in removed]
    got = postings.merge(built(old_ids), removed, built(new_ids))
    want = built(kept + new_ids)
    width = max(len(got.offsets), len(want.offsets))
    pad = lambda a: np.pad(a, (0, width - len(a)), mode="edge")  # noqa: E731
    assert np.array_equal(pad(got.offsets), pad(want.offsets))
    assert np.array_equal(got.rows, want.rows) and np.array_equal(got.chunks, want.chunks)
