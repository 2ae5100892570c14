"""PNG plots of eval and benchmark results, drawn from their JSON dicts (matplotlib, lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportqa.eval.evalset import LANGS
from reportqa.eval.tables import group_label

HIT_KS = tuple(range(1, 11))
READ_CHARS = tuple(range(100, 2001, 100))


def hit_curve(questions: Sequence[dict], ks: Sequence[int] = HIT_KS) -> list[float]:
    """Share of questions answered within the top k, for each k."""
    n = len(questions) or 1
    return [sum(1 for q in questions if q["rank"] and q["rank"] <= k) / n for k in ks]


def found_curve(questions: Sequence[dict], chars: Sequence[int] = READ_CHARS) -> list[float]:
    """Share of questions whose evidence ends within the first N characters read, for each N."""
    n = len(questions) or 1
    return [
        sum(1 for q in questions if q["chars_to_evidence"] and q["chars_to_evidence"] <= c) / n
        for c in chars
    ]


def short_model_name(model_id: str) -> str:
    """A model id short enough for a label; a local folder is named by its package folder."""
    name = model_id.removeprefix("st/")
    if not name.startswith(("/", ".", "~")):
        return name
    parts = [p for p in name.split("/") if p not in ("", ".", "~")]
    while len(parts) > 1 and parts[-1] in ("model", "models"):
        parts.pop()
    return parts[-1] if parts else name


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    return plt


def plot_eval(report: dict, path: str | Path) -> Path:
    """hit@k (top row) and found-within-N-characters (bottom row) per mode, one column a group:
    all, each language, and each report file when the questions name more than one."""
    plt = _pyplot()
    modes = list(report["modes"])
    questions = [q for m in modes for q in report["modes"][m]["questions"]]
    langs = {q["lang"] for q in questions}
    files = sorted({q.get("file") or "-" for q in questions})
    names = ["all", *[x for x in LANGS if x in langs], *sorted(langs - set(LANGS))]
    names += files if len(files) > 1 else []
    fig, axes = plt.subplots(2, len(names), figsize=(3.4 * len(names), 6.4), squeeze=False)
    for col, name in enumerate(names):
        for mode in modes:
            qs = [
                q
                for q in report["modes"][mode]["questions"]
                if name in ("all", q["lang"], q.get("file") or "-")
            ]
            axes[0][col].plot(HIT_KS, hit_curve(qs), marker="o", ms=3, label=mode)
            axes[1][col].plot(READ_CHARS, found_curve(qs), label=mode)
            count = len(qs)
        axes[0][col].set_title(f"{group_label(name)} ({count} questions)")
        axes[0][col].set_xlabel("k (passages)")
        axes[1][col].set_xlabel("characters read")
        axes[1][col].axvline(800, color="grey", lw=0.8, ls=":")
        for row in (0, 1):
            axes[row][col].set_ylim(0, 1.02)
            axes[row][col].grid(alpha=0.3)
    axes[0][0].set_ylabel("hit@k")
    axes[1][0].set_ylabel("found within N characters")
    axes[0][0].legend(loc="lower right", fontsize=8)
    floor = report.get("quality_floor")
    if floor:
        axes[0][0].axhline(floor["floor"], color="red", lw=0.8, ls="--")
    fig.suptitle(f"reportqa eval · {report['model']} · split {report['split']}", fontsize=10)
    return _save(fig, path)


def plot_bench(results: dict, path: str | Path) -> Path:
    """Ingest split, embedder comparison, query time and memory with library size, ANN sweep."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))

    ingest = results["ingest"]
    steps = ["extract_chunk_s", "embed_s", "store_s"]
    axes[0][0].bar(["extract+chunk", "embed", "store"], [ingest[s] for s in steps])
    axes[0][0].set_ylabel("seconds (median)")
    axes[0][0].set_title(f"ingest: {ingest['pages'] or '-'} pages, {ingest['chunks']} chunks")

    emb = results["embedders"]
    labels = [short_model_name(e["model"])[:28] for e in emb]
    ax = axes[0][1]
    ax.bar([i - 0.2 for i in range(len(emb))], [e["passages_per_s"] for e in emb], 0.4)
    ax.set_ylabel("passages/s", color="C0")
    twin = ax.twinx()
    twin.bar([i + 0.2 for i in range(len(emb))], [e["query_p50_ms"] for e in emb], 0.4, color="C1")
    twin.set_ylabel("query p50 ms", color="C1")
    ax.set_xticks(range(len(emb)), labels, fontsize=8)
    ax.set_title("embedders on the same texts")

    rows = results["scale"]["rows"]
    ax = axes[1][0]
    ax.plot([r["reports"] for r in rows], [r["query_p50_ms"] for r in rows], "o-", label="p50")
    ax.plot([r["reports"] for r in rows], [r["query_p95_ms"] for r in rows], "o--", label="p95")
    ax.set_xscale("log")
    ax.set_xlabel("reports in the library")
    ax.set_ylabel("query ms (hybrid)")
    ax.legend(loc="upper left", fontsize=8)
    twin = ax.twinx()
    twin.plot([r["reports"] for r in rows], [r["peak_rss_mb"] for r in rows], "s:", color="C2")
    twin.set_ylabel("peak memory MB", color="C2")
    ax.set_title("scale")

    ann = results["ann"]
    ax = axes[1][1]
    sizes = [r["chunks"] for r in ann["rows"]]
    ax.plot(sizes, [r["flat_p50_ms"] for r in ann["rows"]], "o-", label="exact (flat)")
    ax.plot(sizes, [r["flat_1thread_p50_ms"] for r in ann["rows"]], "o-", label="exact, 1 thread")
    names = sorted({c["index"] for r in ann["rows"] for c in r["candidates"]})
    for name in names:
        pts = [
            (r["chunks"], c["p50_ms"], c["recall@10"])
            for r in ann["rows"]
            for c in r["candidates"]
            if c["index"] == name
        ]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], ".--", lw=0.8, label=name)
    ax.axhline(ann["budget_ms"], color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks")
    ax.set_ylabel(f"search ms (k={ann['depth']})")
    ax.legend(fontsize=7)
    ax.set_title("exact vs approximate vector search")

    fig.suptitle(f"reportqa bench · {results['config']['model']}", fontsize=10)
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    """Lay out, write and close a figure."""
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path
