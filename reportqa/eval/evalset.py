"""Eval sets: questions about a report and the report text a passage must contain to answer them."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from reportqa.errors import ReportQAError

LANGS = ("zh", "zh-hans", "en")
SPLITS = ("tune", "heldout")
REQUIRED_FIELDS = ("id", "lang", "question", "evidence")
OPTIONAL_FIELDS = ("split", "file", "page", "unanswerable")

_WHITESPACE = re.compile(r"\s+")


class EvalSetError(ReportQAError, ValueError):
    """An eval-set file that cannot be read; the message names the file, line and fix."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question and the evidence strings (any one suffices) an answering passage contains."""

    id: str
    lang: str
    question: str
    evidence: tuple[str, ...]
    split: str = "tune"
    file: str | None = None  # the report file (a name, no folder) the question is about
    page: int | None = None  # 1-based PDF page index where the evidence is
    # The reports do not answer it (no evidence): the answer line must abstain. Such questions
    # count only in the false-answer rate, never in the retrieval or answer-line figures.
    unanswerable: bool = False


def normalize_for_match(text: str) -> str:
    """NFKC-normalize and drop all whitespace, so wrapped lines and full-width forms still match."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def bundled_eval_set_path(name: str = "sample") -> Path:
    """Path of a bundled eval set: "sample" (the bundled report's), "real-pdfs", "blind" or
    "blind2" (written blind, heldout only)."""
    return _data_dir() / name / "eval.jsonl"


def _data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data"


def bundled_eval_set_names() -> list[str]:
    """Names of the eval sets shipped in reportqa/data (each a folder with an eval.jsonl)."""
    return sorted(p.parent.name for p in _data_dir().glob("*/eval.jsonl"))


def resolve_eval_set(name_or_path: str | Path) -> Path:
    """An existing file as given, else the bundled eval set of that name (e.g. real-pdfs)."""
    path = Path(name_or_path)
    if path.exists() or str(name_or_path) not in bundled_eval_set_names():
        return path
    return bundled_eval_set_path(str(name_or_path))


def load_eval_set(path: str | Path, default_file: str | None = None) -> list[EvalQuestion]:
    """Read a JSONL eval set, validating every line; raise EvalSetError on the first bad one.

    Questions without a `file` get `default_file` (the bundled sample set's questions are about
    the bundled sample report, which its lines do not name).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        names = ", ".join(bundled_eval_set_names())
        raise EvalSetError(
            f"{path}: file not found; pass an existing .jsonl eval set or a bundled one ({names})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read ({exc}); pass a UTF-8 .jsonl file") from None

    questions: list[EvalQuestion] = []
    seen_ids: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        question = parse_eval_line(line, where=f"{path}:{lineno}")
        if question.file is None and default_file:
            question = replace(question, file=default_file)
        if question.id in seen_ids:
            raise EvalSetError(
                f"{path}:{lineno}: duplicate id {question.id!r}; give each question its own id"
            )
        seen_ids.add(question.id)
        questions.append(question)
    if not questions:
        raise EvalSetError(f"{path}: no questions; write one JSON object per line")
    return questions


def parse_eval_line(line: str, where: str = "<line>") -> EvalQuestion:
    """Parse and validate one eval-set line; `where` prefixes error messages (file:line)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalSetError(
            f"{where}: not valid JSON ({exc.msg}); write one JSON object per line"
        ) from None
    if not isinstance(record, dict):
        raise EvalSetError(
            f"{where}: expected a JSON object, got {type(record).__name__}; "
            'write {"id": ..., "lang": ..., "question": ..., "evidence": [...]}'
        )

    unanswerable = record.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise EvalSetError(
            f"{where}: field 'unanswerable' must be true or false, got {unanswerable!r}; "
            "write true for a question the reports do not answer, or leave it out"
        )
    for field in REQUIRED_FIELDS:
        if field == "evidence" and unanswerable:
            continue
        if field not in record:
            raise EvalSetError(f"{where}: missing field {field!r}; add it")
    unknown = sorted(set(record) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        known = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
        raise EvalSetError(f"{where}: unknown field {unknown[0]!r}; use only {known}")
    for field in ("id", "question"):
        if not isinstance(record[field], str) or not record[field].strip():
            raise EvalSetError(f"{where}: field {field!r} must be a non-empty string; fill it in")

    lang = record["lang"]
    if lang not in LANGS:
        raise EvalSetError(f"{where}: unknown lang {lang!r}; use one of {', '.join(LANGS)}")
    split = record.get("split", "tune")
    if split not in SPLITS:
        raise EvalSetError(f"{where}: unknown split {split!r}; use one of {', '.join(SPLITS)}")

    evidence = record.get("evidence", [])
    if unanswerable and evidence:
        raise EvalSetError(
            f"{where}: an unanswerable question has evidence; drop 'evidence' or 'unanswerable'"
        )
    if not unanswerable and (not isinstance(evidence, list) or not evidence):
        raise EvalSetError(
            f"{where}: empty evidence; list at least one string copied from the report"
        )
    for item in evidence:
        if not isinstance(item, str) or not normalize_for_match(item):
            raise EvalSetError(
                f"{where}: evidence {item!r} is not a non-empty string; "
                "copy a phrase from the report"
            )

    file = record.get("file")
    if file is not None and (
        not isinstance(file, str) or not file.strip() or file != Path(file).name
    ):
        raise EvalSetError(
            f"{where}: field 'file' must be a report file name like report.pdf, got {file!r}; "
            "name the file without its folder (pass the folder with --reports)"
        )
    page = record.get("page")
    if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
        raise EvalSetError(
            f"{where}: field 'page' must be a 1-based page number, got {page!r}; "
            "give the PDF page index where the evidence is"
        )

    return EvalQuestion(
        id=record["id"],
        lang=lang,
        question=record["question"],
        evidence=tuple(evidence),
        split=split,
        file=file,
        page=page,
        unanswerable=unanswerable,
    )
