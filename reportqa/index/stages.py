"""Named stages of a library write, so crash tests can stop a writer exactly there.

A write calls ``crash_point(stage)`` at each stage below. Environment variables (read at each
call, so a test sets them for the one process it starts) decide what happens there:

- ``REPORTQA_CRASH_AT=STAGE[#N]``: the process kills itself (SIGKILL) the Nth time (default: the
  first) it reaches STAGE; nothing after that point runs, exactly as with ``kill -9``.
- ``REPORTQA_PAUSE_AT=STAGE[#N]``: the process stops itself (SIGSTOP) there; the test then acts
  (a second writer, a reader, a kill) and sends SIGCONT or SIGKILL.
- ``REPORTQA_STAGE_LOG=FILE``: every stage reached is appended to FILE as ``STAGE#N``, one per
  line, written before a kill or a pause.

With none of them set (always, outside tests) a crash point does nothing but look them up.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "REPORTQA_CRASH_AT"
PAUSE_AT = "REPORTQA_PAUSE_AT"
STAGE_LOG = "REPORTQA_STAGE_LOG"

# In the order one write passes them (reportqa.index.writer, reportqa.index.store.write_index).
STAGES = (
    "after-rows",  # the new rows are in the open SQLite transaction; no vector file yet
    "after-vector-write",  # vectors-N.tmp written, before its fsync
    "after-vector-fsync",  # vectors-N.tmp fsynced, before its rename to vectors-N.faiss
    "after-vector-rename",  # vectors-N.faiss in place, before the directory's fsync
    "before-commit",  # the vector file is durable; SQLite has not committed yet
    "after-commit",  # committed, before the stale vector files are removed
)
REEMBED_STAGES = STAGES[1:]  # a re-embed changes no rows, only the vectors

_reached: dict[str, int] = {}  # stage → times this process has reached it


def _wanted(value: str | None, stage: str, count: int) -> bool:
    if not value:
        return False
    name, _, nth = value.partition("#")
    return name == stage and int(nth or 1) == count


def crash_point(stage: str) -> None:
    """Report, pause or die at a named stage of a write when a test asks (see module doc)."""
    env = os.environ
    if CRASH_AT not in env and PAUSE_AT not in env and STAGE_LOG not in env:
        return
    count = _reached[stage] = _reached.get(stage, 0) + 1
    if env.get(STAGE_LOG):
        with open(env[STAGE_LOG], "a", encoding="utf-8") as log:
            log.write(f"{stage}#{count}\n")
    if _wanted(env.get(PAUSE_AT), stage, count):
        os.kill(os.getpid(), signal.SIGSTOP)
    if _wanted(env.get(CRASH_AT), stage, count):
        os.kill(os.getpid(), signal.SIGKILL)
