"""reportqa eval over several report files: where reports are found, per-file groups, page
citation, highlight and answer-line scoring of `ask --json` objects, the sample-only floor."""

import json
from pathlib import Path

import pytest
from real_pdfs import real_pdfs_or_skip

from reportqa.cli import main
from reportqa.errors import ReportQAError
from reportqa.eval import runner
from reportqa.eval.evalset import EvalQuestion, bundled_eval_set_path, load_eval_set
from reportqa.eval.metrics import QuestionResult
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

BUNDLED = load_eval_set(bundled_eval_set_path())


def _outcome(id_, lang, split, rank):
    question = EvalQuestion(id_, lang, "q?", ("答案",), split)
    result = QuestionResult(id_, lang, rank, {400: False, 800: False, 1500: False}, 0.0, 1.0, 1.0)
    return runner.QuestionOutcome(question, result, None, {})


# ----- several report files, citations, highlights and the answer line -------------------------

CONTEST = "07-ntpc-health-literacy-contest-plan.pdf"


def _ask_json(passages, answer=...):
    out = {"question": "q?", "took_ms": 1.0, "passages": passages}
    if answer is not ...:
        out["answer"] = answer
    return out


def _p(rank, text, doc="rep", pages=(1,), highlight=()):
    return {
        "rank": rank,
        "doc_id": doc,
        "title": "t",
        "section": ["s"],
        "pages": list(pages),
        "text": text,
        "highlight": [list(h) for h in highlight],
        "score": 1.0,
        "chunk_id": f"{doc}:{rank}",
    }


def test_score_answer_without_an_answer_key_reports_answers_as_not_measured():
    q = EvalQuestion("q", "zh", "?", ("答案",), "tune", "rep.pdf", 2)
    outcome = runner.score_answer(q, _ask_json([_p(1, "無關"), _p(2, "有答案。", pages=[2])]))
    assert outcome.result.rank == 2
    assert outcome.result.page_cited is True
    assert outcome.result.highlight_ok is False  # nothing highlighted
    assert outcome.result.answer is None
    assert outcome.answering == {"rank": 2, "chunk_id": "rep:2", "pages": [2], "highlighted": []}
    row = runner.summary_row([outcome])
    assert (row["answer_right"], row["abstain"], row["answer_n"]) == (None, None, 0)


def test_score_answer_judges_the_answer_line_when_present():
    q = EvalQuestion("q", "zh", "?", ("答案",), "tune", "rep.pdf", 1)
    passages = [_p(1, "有答案。", highlight=[(0, 4)])]
    said = {"text": "有答案。", "chunk_id": "rep:1", "start": 0, "end": 4}
    right = runner.score_answer(q, _ask_json(passages, said))
    abstained = runner.score_answer(q, _ask_json(passages, None))
    assert (right.result.answer, abstained.result.answer) == ("right", "abstained")
    assert right.result.highlight_ok is True
    row = runner.summary_row([right, abstained])
    assert (row["answer_right"], row["answered_n"], row["abstain"], row["answer_n"]) == (
        1.0,
        1,
        0.5,
        2,
    )


def test_groups_per_report_file_and_floor_on_the_sample_only():
    sample = runner.bundled_sample_path().name
    outcomes = [
        _outcome("a", "zh", "tune", 1),
        runner.QuestionOutcome(
            EvalQuestion("b", "en", "q?", ("答案",), "tune", "other.pdf", 1),
            QuestionResult("b", "en", None, {400: False, 800: False, 1500: False}, 0, 1, 1),
            None,
        ),
    ]
    outcomes[0] = runner.QuestionOutcome(
        EvalQuestion("a", "zh", "q?", ("答案",), "tune", sample), outcomes[0].result, None
    )
    assert list(runner.groups(outcomes)) == ["all", "zh", "en", sample, "other.pdf"]
    run = runner.EvalRun("m", "lib", [], "all", 10, {"hybrid": outcomes})
    floor = runner.floor_check(run)
    assert (floor["questions"], floor["value"], floor["ok"]) == (1, 1.0, True)


def test_report_search_dirs_and_a_missing_report(tmp_path):
    sets = [tmp_path / "sets" / "eval.jsonl"]
    dirs = runner.report_search_dirs(sets, [tmp_path / "mine"])
    assert dirs == [tmp_path / "mine", tmp_path / "sets", runner.shared_real_pdfs_dir()]
    q = EvalQuestion("q7", "zh", "?", ("答案",), "tune", "missing-report.pdf", 1)
    with pytest.raises(ReportQAError) as excinfo:
        runner.find_reports([q], dirs, {"q7": "sets/eval.jsonl"})
    message = str(excinfo.value)
    assert message.startswith("missing-report.pdf: report named by sets/eval.jsonl (question q7)")
    assert "pass --reports DIR" in message and "\n" not in message
    sample = EvalQuestion("s", "zh", "?", ("答案",), "tune", runner.bundled_sample_path().name)
    assert runner.find_reports([sample], dirs, {}) == [runner.bundled_sample_path()]


def test_default_eval_library_is_one_per_set_of_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTQA_LIBRARY", str(tmp_path / "lib"))
    base = runner.default_eval_library_dir("fake/hash-64")
    assert runner.default_eval_library_dir("fake/hash-64", [runner.bundled_sample_path()]) == base
    a = runner.default_eval_library_dir("fake/hash-64", ["x/a.pdf", "b.pdf"])
    assert a == runner.default_eval_library_dir("fake/hash-64", ["b.pdf", "y/a.pdf"])
    assert a != base and a.parent == base.parent and a.name.startswith(base.name + "+")


def test_cli_eval_names_a_missing_report(tmp_path, capsys):
    eval_set = tmp_path / "set.jsonl"
    record = {"id": "x", "lang": "zh", "question": "?", "evidence": ["答案"], "file": "gone.pdf"}
    eval_set.write_text(json.dumps(record) + "\n", encoding="utf-8")
    args = ["eval", str(eval_set), "--model", "fake", "--eval-library", str(tmp_path / "ev")]
    assert main([*args, "--reports", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "gone.pdf: report named by" in err and "pass --reports DIR" in err


def test_cli_eval_rejects_an_id_used_by_two_sets(tmp_path, capsys):
    record = {"id": "cover-title", "lang": "zh", "question": "?", "evidence": ["答案"]}
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["eval", "sample", str(other), "--model", "fake"]) == 1
    assert "question id 'cover-title' is also in" in capsys.readouterr().err


def test_eval_over_the_sample_and_a_real_pdf(tmp_path, capsys):
    """Two report files in one eval library; questions about each are judged on their own file."""
    folder = real_pdfs_or_skip()
    contest = [
        q
        for q in load_eval_set(bundled_eval_set_path("real-pdfs"))
        if q.file == CONTEST and not q.unanswerable
    ]
    eval_set = tmp_path / "two.jsonl"
    sample_qs = [q for q in BUNDLED if q.split == "heldout"][:5]
    lines = [
        {"id": q.id, "lang": q.lang, "question": q.question, "evidence": list(q.evidence)}
        | (
            {"file": q.file, "page": q.page}
            if q.file
            else {"file": runner.bundled_sample_path().name}
        )
        for q in [*sample_qs, *contest]
    ]
    eval_set.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    lib_dir = tmp_path / "ev"
    args = ["eval", str(eval_set), "--model", "fake", "--eval-library", str(lib_dir)]
    assert main([*args, "--reports", str(folder), "--modes", "lexical", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reports"] == sorted([runner.bundled_sample_path().name, CONTEST])
    groups = report["modes"]["lexical"]["groups"]
    assert groups[CONTEST]["questions"] == len(contest)
    assert groups[runner.bundled_sample_path().name]["questions"] == len(sample_qs)
    assert groups[CONTEST]["page_n"] >= 1 and groups[CONTEST]["highlight_n"] >= 1
    assert groups["all"]["answer_n"] > 0  # the answer lines `ask` gave are judged
    for q in report["modes"]["lexical"]["questions"]:
        if q["rank"]:  # the answering passage comes from the question's own report
            assert q["answering"]["chunk_id"]
            assert q["file"] in (CONTEST, runner.bundled_sample_path().name)
    with Library.open(lib_dir, embedder=FakeEmbedder()) as lib:
        assert sorted(d["doc_id"] for d in lib.documents()) == sorted(
            [runner.SAMPLE_STEM, Path(CONTEST).stem]
        )
    # the same library for the sample alone drops the other report
    runner.open_eval_library(lib_dir, embedder=FakeEmbedder()).close()
    with Library.open(lib_dir, embedder=FakeEmbedder()) as lib:
        assert [d["doc_id"] for d in lib.documents()] == [runner.SAMPLE_STEM]


def test_cli_eval_of_a_library_without_the_report_asked_about(tmp_path, capsys):
    lib_dir = tmp_path / "mine"
    Library.open(lib_dir, embedder=FakeEmbedder()).close()
    assert main(["--library", str(lib_dir), "eval", "--modes", "lexical"]) == 1
    err = capsys.readouterr().err
    assert f"ask about {runner.bundled_sample_path().name}, which the library does not hold" in err
