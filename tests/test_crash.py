"""Crash safety: `kill -9` of a writing `reportqa` at every named stage of its writes leaves a
library that opens, passes `check()`, answers as before, and holds each report in exactly one
version: the old one, or (once committed) the new one.

The writer is the real `reportqa` console script. reportqa.index.stages makes it kill itself
(REPORTQA_CRASH_AT=STAGE#N) or stop itself (REPORTQA_PAUSE_AT) at a named stage, so where a kill
lands never depends on how fast or how busy the machine is.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportqa.index import stages, store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.index.stages import REEMBED_STAGES, STAGES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
SAMPLE = SAMPLE_TXT.stem
SECOND = "2026-taiwan-germany-quantum"
REPORTQA = Path(sys.executable).with_name("reportqa")  # the console script, as users run it
COMMAND = [str(REPORTQA)] if REPORTQA.exists() else [sys.executable, "-m", "reportqa"]
QUESTIONS = ["RIKEN第五期中長期計畫涵蓋哪幾年？", "JSPS 每件申請案由幾位外部學者專家審查？"]
STAGE_VARS = (stages.CRASH_AT, stages.PAUSE_AT, stages.STAGE_LOG)
# One `reportqa ingest other.txt extra.txt` run makes two writes, in this order.
WRITTEN = ("other", "extra")


def reportqa(lib: Path, *args: str, **stage_env: str) -> subprocess.Popen:
    """`reportqa --library LIB ARGS`, unbuffered (a kill loses nothing printed before it)."""
    env = {k: v for k, v in os.environ.items() if k not in STAGE_VARS}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*COMMAND, "--library", str(lib), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env | stage_env,
    )


def finish(proc: subprocess.Popen) -> tuple[int, list[str], str]:
    out, err = proc.communicate(timeout=300)  # a hang guard, not a speed limit
    return proc.returncode, out.splitlines(), err


def wait_until_stopped(proc: subprocess.Popen) -> None:
    """Wait until the process has stopped itself (SIGSTOP) at its pause stage."""
    deadline = time.monotonic() + 300  # a hang guard, not a speed limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"ended before its pause: {proc.communicate()}"
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.01)
    raise AssertionError("the writer never reached its pause stage")


def doc_chunks(lib: Library, doc_id: str) -> dict[str, str]:
    return {c.chunk_id: c.text for c in lib.snapshot().chunks.values() if c.doc_id == doc_id}


def version_of(lib: Library, doc_id: str) -> str | None:
    """The version written into a report's text ("第N版"); None when the report is absent."""
    found = {m for t in doc_chunks(lib, doc_id).values() for m in re.findall(r"第(\d+)版", t)}
    assert len(found) <= 1, f"{doc_id}: chunks of two versions mixed: {found}"
    return found.pop() if found else None


def untouched(lib: Library) -> tuple:
    """What no write here changes: the sample's best passages, and both old reports' chunks."""
    best = [lib.ask(q, top_k=1, doc_ids=[SAMPLE]).passages[0].text for q in QUESTIONS]
    return best, doc_chunks(lib, SAMPLE), doc_chunks(lib, SECOND)


def opened(path: Path) -> Library:
    lib = Library.open(path, create=False)
    assert lib.check() == [], "inconsistent library"
    return lib


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    """The sample report and a second one (fake embedder), closed; tests work on copies."""
    src = tmp_path_factory.mktemp("src") / f"{SECOND}.txt"
    src.write_text("壹、 會議目的\n推動台德量子科技合作。\n貳、 紀要\n德方預計完成原型機。\n")
    path = tmp_path_factory.mktemp("base") / "lib"
    with Library.open(path, embedder=FakeEmbedder()) as lib:
        assert [r.status for r in lib.ingest([SAMPLE_TXT, src])] == ["added", "added"]
    return path


def split_writes(reached: list[str]) -> list[list[str]]:
    """A run's stage log ("STAGE#N" lines) cut into its writes, each ending at after-commit."""
    writes, current = [], []
    for entry in reached:
        current.append(entry)
        if entry.startswith("after-commit#"):
            writes.append(current)
            current = []
    assert not current, f"stages after the last commit: {current}"
    return writes


def assert_in_order(write: list[str], expected: tuple[str, ...]) -> None:
    """One write passed every expected stage, first reaching them in order, and no other."""
    names = [entry.split("#")[0] for entry in write]
    assert set(names) == set(expected), names
    assert sorted(set(names), key=names.index) == list(expected), names
    assert names[-1] == "after-commit", names


class IngestRig:
    """A library and the two files each `reportqa ingest` run replaces, in turn."""

    def __init__(self, base: Path, tmp: Path) -> None:
        self.lib = tmp / "lib"
        shutil.copytree(base, self.lib)
        self.src = tmp / "src"
        self.src.mkdir()
        self.n = 0
        log = tmp / "stages.log"
        code, lines, err = finish(self.start(**{stages.STAGE_LOG: str(log)}))
        assert code == 0 and len(lines) == 2, (lines, err)
        # Every stage this run passed, write by write: where the kill tests stop a run.
        self.writes = split_writes(log.read_text().split())
        assert len(self.writes) == len(WRITTEN), self.writes
        self.committed = {doc: "1" for doc in WRITTEN}
        with opened(self.lib) as lib:
            self.baseline = untouched(lib)

    def start(self, **stage_env: str) -> subprocess.Popen:
        """`reportqa ingest other.txt extra.txt`, each file at a new version."""
        self.n += 1
        files = []
        for doc in WRITTEN:
            files.append(self.src / f"{doc}.txt")
            text = f"壹、 {doc}\n這是{doc}第{self.n}版的報告，編號{self.n}。\n" * 30
            files[-1].write_text(text, encoding="utf-8")
        return reportqa(self.lib, "ingest", *map(str, files), **stage_env)

    def generation(self) -> int:
        with opened(self.lib) as lib:
            return lib.stats()["generation"]

    def verify(self, what: str, fewest: int, most: int | None = None) -> int:
        """Opens, consistent, old reports as before, and the run's writes committed in order:
        between `fewest` and `most` of them. Returns how many were."""
        with opened(self.lib) as lib:
            assert untouched(lib) == self.baseline, f"{what}: old reports answer differently"
            now = {doc: version_of(lib, doc) for doc in WRITTEN}
        done = sum(1 for doc in WRITTEN if now[doc] == str(self.n))
        expected = {doc: str(self.n) for doc in WRITTEN[:done]}
        expected |= {doc: self.committed[doc] for doc in WRITTEN[done:]}
        assert now == expected, f"{what}: not the old nor the new state, or out of order: {now}"
        assert fewest <= done <= (fewest if most is None else most), f"{what}: {done} committed"
        self.committed = now
        return done


@pytest.fixture(scope="module")
def ingest_rig(base_library, tmp_path_factory) -> IngestRig:
    return IngestRig(base_library, tmp_path_factory.mktemp("rig"))


@pytest.mark.slow
@pytest.mark.parametrize("write", [1, 2])
@pytest.mark.parametrize("stage", STAGES)
def test_kill_9_of_reportqa_ingest_at_every_stage(ingest_rig, stage, write):
    rig = ingest_rig
    points = [entry for entry in rig.writes[write - 1] if entry.split("#")[0] == stage]
    assert points, f"write {write} never passed {stage}: {rig.writes[write - 1]}"
    for point in points:  # a stage passed once per file written (three files): each time
        before = rig.generation()
        code, lines, err = finish(rig.start(**{stages.CRASH_AT: point}))
        assert code == -signal.SIGKILL, f"never reached {point}: {lines} {err}"
        assert len(lines) == write - 1, lines  # killed inside write `write`, before its line
        committed = write if stage == "after-commit" else write - 1
        rig.verify(f"killed at {point} (write {write})", committed)
        assert rig.generation() == before + committed


@pytest.mark.slow
def test_a_run_after_the_kills_completes_and_cleans_up(ingest_rig):
    rig = ingest_rig
    code, lines, err = finish(rig.start())
    assert code == 0 and [line.split()[0] for line in lines] == ["replaced"] * 2, (lines, err)
    rig.verify("clean run", 2)
    assert not list(rig.lib.glob("*.tmp")), "a killed write's temp file was left behind"
    # Each generation writes its postings, chunk and sentence vectors; two generations stay.
    generations = {f.name.split(".")[0] for f in rig.lib.glob("vectors-*")}
    assert len(generations) <= 2, sorted(f.name for f in rig.lib.glob("vectors-*"))


@pytest.mark.slow
def test_kill_9_at_random_moments_of_a_write(ingest_rig):
    """Kills spread over a write, wherever they land (inside COMMIT too): never inconsistent.

    The writer pauses once its write has begun, runs on for a random while and is killed. Only
    consistency is asserted, so a slow or busy machine cannot make it fail.
    """
    rig, rng, landed = ingest_rig, random.Random(7), []
    log = rig.src / "stages.log"
    for trial in range(10):
        write = 1 + trial % 2
        log.unlink(missing_ok=True)
        begun = rig.writes[write - 1][0]  # the write's first stage (after-rows#N)
        proc = rig.start(**{stages.PAUSE_AT: begun, stages.STAGE_LOG: str(log)})
        wait_until_stopped(proc)
        proc.send_signal(signal.SIGCONT)
        time.sleep(10 ** rng.uniform(-4, -1))  # 0.1 to 100 ms: the write's stages, then past
        proc.send_signal(signal.SIGKILL)
        finish(proc)
        reached = log.read_text().split()
        landed.append(reached[-1])
        logged = sum(1 for s in reached if s.startswith("after-commit#"))
        # A kill between COMMIT and the next stage's log line commits one write more.
        rig.verify(f"trial {trial}, after {reached[-1]}", logged, logged + 1)
    print(f"\nkills landed after: {landed}")


# ----- `reportqa remove` and `reportqa index --rebuild` ----------------------------------------


# Each write replaces three files (postings, sentence vectors, chunk vectors), each passing
# these stages: the kills land at every file's, not only the first's.
FILE_STAGES = ("after-vector-write", "after-vector-fsync", "after-vector-rename")
FILES = 3


def each_file(names: tuple[str, ...]) -> list[str]:
    """Stages as STAGE#N points: the file stages once per file written."""
    return [
        f"{name}#{n}" if name in FILE_STAGES else name
        for name in names
        for n in (range(1, FILES + 1) if name in FILE_STAGES else [1])
    ]


def kill_at(stage: str, lib_path: Path, *args: str) -> None:
    """Run `reportqa ARGS` on the library and assert it killed itself at `stage`."""
    code, _, err = finish(reportqa(lib_path, *args, **{stages.CRASH_AT: stage}))
    assert code == -signal.SIGKILL, f"never reached {stage}: {err}"


@pytest.mark.slow
@pytest.mark.parametrize("stage", each_file(STAGES))
def test_kill_9_of_reportqa_remove_at_every_stage(base_library, tmp_path, stage):
    lib_path = tmp_path / "lib"
    shutil.copytree(base_library, lib_path)
    with opened(lib_path) as lib:
        baseline, before = untouched(lib), lib.stats()
    kill_at(stage, lib_path, "remove", SECOND)
    with opened(lib_path) as lib:
        best, sample, second = untouched(lib)
        assert (best, sample) == baseline[:2], "the report kept answers differently"
        removed = stage == "after-commit"
        assert second == ({} if removed else baseline[2]), "removed in part"
        assert lib.stats()["documents"] == before["documents"] - removed


@pytest.mark.slow
@pytest.mark.parametrize("stage", each_file(REEMBED_STAGES))
def test_kill_9_of_reportqa_index_rebuild_at_every_stage(base_library, tmp_path, stage):
    lib_path = tmp_path / "lib"
    shutil.copytree(base_library, lib_path)
    with opened(lib_path) as lib:
        before = (lib.stats(), [lib.ask(q).to_dict()["passages"] for q in QUESTIONS])
    kill_at(stage, lib_path, "index", "--rebuild")
    with opened(lib_path) as lib:
        stats = lib.stats()
        assert stats["generation"] == before[0]["generation"] + (stage == "after-commit")
        assert stats | {"generation": 0} == before[0] | {"generation": 0}
        assert [lib.ask(q).to_dict()["passages"] for q in QUESTIONS] == before[1]


# ----- the stages themselves, in process --------------------------------------------------------


def test_every_write_passes_every_stage_in_order(tmp_path: Path, monkeypatch) -> None:
    """The stage names the tests kill at are the ones the writer passes, in STAGES order."""
    log = tmp_path / "stages.log"
    monkeypatch.setenv(stages.STAGE_LOG, str(log))
    monkeypatch.setattr(stages, "_reached", {})
    with Library.open(tmp_path / "lib", embedder=FakeEmbedder()) as lib:
        lib.ingest([SAMPLE_TXT])  # add: one write
        lib.remove(SAMPLE)  # remove: one write
        lib.reembed()  # re-embed: vectors only
    ingest, remove, reembed = split_writes(log.read_text().split())
    assert_in_order(ingest, STAGES)
    assert_in_order(remove, STAGES)
    assert_in_order(reembed, REEMBED_STAGES)


def test_a_crash_point_does_nothing_unless_asked(tmp_path: Path, monkeypatch) -> None:
    for name in STAGE_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(stages, "_reached", {})
    with Library.open(tmp_path / "lib", embedder=FakeEmbedder()) as lib:
        [result] = lib.ingest([SAMPLE_TXT])
        assert result.status == "added"
    assert stages._reached == {}  # nothing counted, logged or signalled


def test_a_stage_is_named_with_which_time_it_is_reached() -> None:
    assert stages._wanted("after-commit", "after-commit", 1)
    assert not stages._wanted("after-commit", "after-commit", 2)
    assert stages._wanted("after-commit#2", "after-commit", 2)
    assert not stages._wanted("after-commit#2", "after-commit", 1)
    assert not stages._wanted("before-commit#2", "after-commit", 2)
    assert not stages._wanted(None, "after-commit", 1)


def test_a_failure_inside_the_write_rolls_everything_back(tmp_path: Path, monkeypatch) -> None:
    lib = Library.open(tmp_path / "lib", embedder=FakeEmbedder())
    lib.ingest([SAMPLE_TXT])
    before = (lib.stats(), untouched_sample(lib))

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
    assert (reopened.stats(), untouched_sample(reopened)) == before
    assert reopened.check() == []


def untouched_sample(lib: Library) -> tuple:
    best = [lib.ask(q, top_k=1, doc_ids=[SAMPLE]).passages[0].text for q in QUESTIONS]
    return best, doc_chunks(lib, SAMPLE)
