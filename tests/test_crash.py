"""Crash safety: kill -9 at any moment of an ingest leaves a library that works as before."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reportqa.index import store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

SAMPLE_TXT = (
    Path(__file__).parent.parent
    / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
)
QUESTIONS = ["RIKEN第五期中長期計畫涵蓋哪幾年？", "JSPS 每件申請案由幾位外部學者專家審查？"]

# Replaces report "other" with alternating versions, and adds/removes report "extra", forever.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from reportqa.index.library import Library
    lib = Library.open(sys.argv[1])
    src = Path(sys.argv[2])
    n = 0
    while True:
        n += 1
        (src / "other.txt").write_text(f"壹、 版本\\n這是第{n}版的報告，內容編號{n}。\\n" * 40)
        lib.ingest([src / "other.txt"])
        if n % 2:
            (src / "extra.txt").write_text("貳、 附錄\\n附加報告。\\n" * 30)
            lib.ingest([src / "extra.txt"])
        elif any(d["doc_id"] == "extra" for d in lib.documents()):
            lib.remove("extra")
        print(n, flush=True)
    """
)


def _answers(lib: Library) -> tuple[list[str], dict[str, str]]:
    """The sample report's best passage per question, and all its chunks (scores depend on the
    other reports in the library, so lower ranks may move; the report's own data must not)."""
    best = [lib.ask(q, top_k=1, doc_ids=[SAMPLE_TXT.stem]).passages[0].text for q in QUESTIONS]
    chunks = {
        c.chunk_id: c.text for c in lib.snapshot().chunks.values() if c.doc_id == SAMPLE_TXT.stem
    }
    return best, chunks


@pytest.mark.slow
def test_kill_9_at_many_moments_leaves_a_consistent_library(tmp_path: Path) -> None:
    path = tmp_path / "lib"
    src = tmp_path / "src"
    src.mkdir()
    lib = Library.open(path, embedder=FakeEmbedder())
    lib.ingest([SAMPLE_TXT])
    baseline = _answers(lib)
    lib.close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    rng = random.Random(7)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parent.parent)}
    versions_seen = set()
    for trial in range(20):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(path), str(src)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # Spread the kill over start-up, embedding, the FAISS write and the commit.
        time.sleep(0.6 + rng.random() * 1.6)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lib = Library.open(path)
        assert lib.check() == [], f"trial {trial}: inconsistent after kill"
        assert _answers(lib) == baseline, f"trial {trial}: old report answers differently"
        other = [c.text for c in lib.snapshot().chunks.values() if c.doc_id == "other"]
        versions = {t.split("第")[1].split("版")[0] for t in other if "版" in t}
        assert len(versions) <= 1, f"trial {trial}: chunks of two versions mixed: {versions}"
        versions_seen |= versions
        lib.close()
    assert len(versions_seen) > 3, "the writer never got far enough to test anything"


def test_a_failure_inside_the_write_rolls_everything_back(tmp_path: Path, monkeypatch) -> None:
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    lib.ingest([SAMPLE_TXT])
    before = (lib.stats(), _answers(lib))

    def full_disk(index, target):
        target.with_suffix(".tmp").write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "write_index", full_disk)
    other = tmp_path / "other.txt"
    other.write_text("壹、 測試\n新的報告內容。\n", encoding="utf-8")
    [result] = lib.ingest([other])
    assert result.status == "failed" and "No space left on device" in result.reason
    monkeypatch.undo()
    reopened = Library.open(tmp_path / "lib")
    assert (reopened.stats(), _answers(reopened)) == before
    assert reopened.check() == []
