"""Durable file replacement: write a temp file, fsync it, rename it over the target, fsync the dir.

Each vector file of a write generation goes through here before the SQLite commit that points at
it, so a kill at any moment leaves either no file or a complete one (see reportqa.index.store).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from reportqa.index.stages import crash_point


def replace_durably(target: Path, write: Callable[[Path], None]) -> None:
    """Call write(temp path), then fsync and rename it to target; no temp file is left on error."""
    tmp = target.with_suffix(".tmp")
    try:
        write(tmp)
        crash_point("after-vector-write")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        crash_point("after-vector-fsync")
        os.replace(tmp, target)
        crash_point("after-vector-rename")
    except OSError as exc:  # name the file: "vectors-000007.tmp: No space left on device"
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, f"{tmp.name}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
