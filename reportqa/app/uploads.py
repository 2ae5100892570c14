"""Reports uploaded from the browser: size limit, sanitised names, kept inside the library."""

from __future__ import annotations

import contextlib
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

from reportqa.errors import IngestError
from reportqa.ingest.extract import SUPPORTED

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_DIR = "uploads"
# Path separators, characters Windows forbids, and every control/format character.
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]')
MAX_NAME = 120


def sanitize_filename(name: str) -> str:
    """A safe file name from an uploaded one: last path part only, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # a browser may send C:\fakepath\x.pdf or ../../x.pdf
    name = UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")  # no hidden files, no "..", no trailing dot
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" .")[:MAX_NAME] or "report"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def upload_dir(library: Path) -> Path:
    return library / UPLOAD_DIR


def store_upload(
    source: str | Path,
    library: Path,
    ingest: Callable[[Path, str], object],
    max_bytes: int = MAX_UPLOAD_BYTES,
):
    """Check an uploaded file, ingest it from a staging copy, keep it in <library>/uploads/.

    `ingest(path, doc_id)` returns the library's IngestResult; the file is kept only when the
    ingest did not fail, so a bad upload never replaces a good earlier copy.
    """
    source = Path(source)
    name = sanitize_filename(source.name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(
            name, f"unsupported file type {suffix or '(none)'}", "upload a PDF, .txt or .md report"
        )
    if not source.is_file():
        problem = "is a directory" if source.is_dir() else "no such file"
        raise IngestError(name, problem, "choose the report file and upload it again")
    size = source.stat().st_size
    if size > max_bytes:
        raise IngestError(
            name,
            f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB upload limit",
            "ingest it with `reportqa ingest FILE` instead",
        )
    target_dir = upload_dir(library)
    staging = target_dir / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True, exist_ok=True)
    try:
        staged = staging / name
        shutil.copyfile(source, staged)
        result = ingest(staged, Path(name).stem)
        if getattr(result, "status", "failed") != "failed":
            staged.replace(target_dir / name)
        elif hasattr(result, "reason"):  # name the uploaded file, not the staging copy
            result.reason = result.reason.replace(str(staged), name)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.parent.rmdir()  # only when no other upload is being staged
