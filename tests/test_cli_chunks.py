"""`reportqa chunks FILE [--json]` as a user runs it: a subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

import pdf_fixtures as fx
from test_ingest_inputs import BAD, WITHOUT_TESSERACT  # bad inputs, the words their errors say


def run_chunks(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reportqa", "chunks", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_chunks_json_of_the_bundled_text():
    proc = run_chunks(str(fx.SAMPLE_TXT), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["title"] == "台日自然科學研究領域交流"
    assert out["doc_id"] == fx.SAMPLE_TXT.stem
    assert out["pages"] is None
    assert out["meta"]["agency"] == "國家科學及技術委員會"
    chunks = out["chunks"]
    assert [c["ordinal"] for c in chunks] == list(range(len(chunks)))
    physics = next(c for c in chunks if "4 物理 王為豪" in c["text"])
    assert physics["kind"] == "table" and "序號 學門 姓名" in physics["text"]
    assert all(c["pages"] == [] for c in chunks)


def test_chunks_of_a_pdf_show_pages(tmp_path):
    path = fx.make_reportlab_pdf(tmp_path)
    proc = run_chunks(str(path))
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("台日自然科學研究領域交流 — sample-reportlab.pdf:")
    assert first.endswith("16 pages")
    assert "[4] table · 貳、 參訪行程 · p. 3" in proc.stdout
    proc = run_chunks(str(path), "--json", "--doc-id", "tw-jp")
    out = json.loads(proc.stdout)
    assert out["pages"] == 16 and out["chunks"][0]["chunk_id"] == "tw-jp#0"


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_exits_1_with_one_line_naming_the_file(tmp_path, name):
    maker, words = BAD[name]
    path = maker(tmp_path)
    no_ocr = os.environ | {"REPORTQA_TESSERACT": str(tmp_path / "no-tesseract")}
    proc = run_chunks(str(path), env=no_ocr if name in WITHOUT_TESSERACT else None)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"reportqa: error: {path}: ")
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]
