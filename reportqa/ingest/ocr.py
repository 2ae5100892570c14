"""OCR of PDF pages, offline: pdftoppm renders a page, the Tesseract CLI reads it (chi_tra).

Measured on these machines (benchmarks/ocr.py): rendering a page at 300 dpi takes 0.2 s as PGM,
2.1 s as PNG (the compression), 0.2 s with pypdfium2, so pdftoppm to PGM needs no extra package.
Tesseract takes 3-7 s a page; with OMP_THREAD_LIMIT=1 one page took 6.6 s instead of 15.7 s on
the busy 2-core machine, so each Tesseract runs on one thread and pages run in parallel.
pytesseract runs this same CLI through temporary files; calling it directly needs no package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path

from reportqa.ingest import ocr_layout
from reportqa.ingest.ocr_clean import clean_ocr_text

# chi_tra reads these reports' Latin words too; chi_tra+eng took 1.5-2x as long and read worse
# (character accuracy 0.981 vs 0.986 at 300 dpi, 0.991 vs 0.995 at 150, on three text pages;
# 0.966 vs 0.969 on the whole sample scan).
LANG = "chi_tra"
# Render resolution for Tesseract: on the sample's 300 dpi scan (NFKC character accuracy, tables
# read by ocr_layout) 150 dpi read 0.993, 200 dpi 0.987, 300 dpi 0.987 (12-point glyphs ~25 px
# high suit the model); eval hit@5 0.90, 0.90, 0.89; and 150 is the fastest.
DPI = 150
# Page segmentation: 4 (one column, lines of varying size) and 3 (automatic) tie on the sample
# (0.969 vs 0.970 before tables were cut into cells); 6 (one block) read 0.954.
# preserve_interword_spaces changes nothing once CJK spaces are removed.
PSM = 4
# Tesseract throws away an outline with many nested holes as noise; a dense ideograph such as 圖
# (its box around three 口) is one, so every caption 圖 1、… came out as 1、…. Allowing 100 nested
# outlines per child instead of 10 read 4 of the sample scan's 5 captions (0 before) and lifted
# its hit@5 from 0.85 to 0.90. (A noiseless render at 150 dpi still loses it; 200 dpi reads it.)
CONFIG = {"edges_children_per_grandchild": "100"}
APT_PACKAGES = "tesseract-ocr tesseract-ocr-chi-tra tesseract-ocr-eng"
INSTALL_FIX = f"to OCR it, install Tesseract: apt-get install {APT_PACKAGES}"
PAGE_TIMEOUT = 600  # seconds for one page; a hung Tesseract must not hang the ingest
MAX_WORKERS = 4


class OcrError(Exception):
    """Tesseract or pdftoppm failed on a page."""


def tesseract_command() -> str:
    """The Tesseract program to run: $REPORTQA_TESSERACT (a path or name), else `tesseract`."""
    return os.environ.get("REPORTQA_TESSERACT") or "tesseract"


def ocr_missing() -> str | None:
    """Why OCR cannot run here (one phrase), or None when Tesseract with chi_tra is installed."""
    tesseract = shutil.which(tesseract_command())
    if tesseract is None:
        return "Tesseract is not installed"
    if LANG not in installed_languages(tesseract):
        return f"Tesseract has no Traditional Chinese model ({LANG})"
    if shutil.which("pdftoppm") is None:
        return "pdftoppm is not installed (apt-get install poppler-utils)"
    return None


@lru_cache(maxsize=4)
def installed_languages(tesseract: str) -> frozenset[str]:
    """The language models Tesseract has (`tesseract --list-langs`)."""
    try:
        out = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def default_workers() -> int:
    """Pages OCR'd at once: one per core (each Tesseract runs single-threaded), at most 4."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def ocr_pdf_pages(
    data: bytes,
    numbers: Iterable[int],
    progress: Callable[[int, int], None] | None = None,
    dpi: int = DPI,
    psm: int = PSM,
    workers: int | None = None,
) -> dict[int, str]:
    """OCR the given 1-based pages of a PDF: cleaned text per page number."""
    numbers = list(numbers)
    texts: dict[int, str] = {}
    if not numbers:
        return texts
    with tempfile.TemporaryDirectory(prefix="reportqa-ocr-") as tmp:
        pdf = Path(tmp) / "input.pdf"
        pdf.write_bytes(data)

        def one(number: int) -> tuple[int, str]:
            image = render_page(pdf, number, dpi, Path(tmp))
            try:
                return number, clean_ocr_text(read_page(image, dpi, psm))
            finally:
                image.unlink(missing_ok=True)

        with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
            futures = [pool.submit(one, n) for n in numbers]
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    number, text = future.result()
                    texts[number] = text
                    if progress:
                        progress(done, len(numbers))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return texts


def render_page(pdf: Path, number: int, dpi: int, folder: Path) -> Path:
    """Render one page to a greyscale PGM image (uncompressed: 10x faster to write than PNG)."""
    stem = folder / f"page-{number}"
    command = ["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number), "-gray"]
    _run([*command, "-singlefile", str(pdf), str(stem)], f"pdftoppm on page {number}")
    return stem.with_suffix(".pgm")


def read_page(image: Path, dpi: int = DPI, psm: int = PSM) -> str:
    """Tesseract's text of one page image; a ruled table on it is read cell by cell, row by row
    (ocr_layout), in one Tesseract run with the rest of the page."""
    gray = ocr_layout.read_pgm(image.read_bytes())
    tables = ocr_layout.find_tables(gray, dpi)
    if not tables:
        return recognize(image, dpi, psm)
    composed, boxes = ocr_layout.compose(gray, tables, dpi)
    cells = image.with_name(f"{image.stem}-cells.pgm")
    cells.write_bytes(ocr_layout.write_pgm(composed))
    try:
        tsv = recognize(cells, dpi, psm, tsv=True)
    finally:
        cells.unlink(missing_ok=True)
    return ocr_layout.assemble(ocr_layout.parse_tsv(tsv), gray.shape[0], tables, boxes)


def recognize(
    image: Path, dpi: int = DPI, psm: int = PSM, lang: str = LANG, tsv: bool = False
) -> str:
    """Tesseract's text of one page image (or its TSV: every word with its place)."""
    options = ["-l", lang, "--psm", str(psm), "--dpi", str(dpi)]
    options += [arg for key, value in CONFIG.items() for arg in ("-c", f"{key}={value}")]
    options += ["tsv"] if tsv else []
    return _run([tesseract_command(), str(image), "stdout", *options], f"Tesseract on {image.stem}")


def _run(command: list[str], what: str) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=PAGE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise OcrError(f"{what} took over {PAGE_TIMEOUT} s") from None
    except OSError as exc:
        raise OcrError(f"{what} could not start ({exc.strerror})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise OcrError(f"{what} failed ({last})")
    return done.stdout
