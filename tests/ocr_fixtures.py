"""Helpers for the OCR tests: is Tesseract here, hide it, make a mixed text + scan PDF."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pdf_fixtures as fx
import pytest

from reportqa.ingest import ocr


def require_tesseract() -> None:
    """Skip when Tesseract with chi_tra is missing; under CI=true that is a failure."""
    missing = ocr.ocr_missing()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing} on CI: `make test` installs it ({ocr.APT_PACKAGES})")
    pytest.skip(f"{missing}: apt-get install {ocr.APT_PACKAGES}")


def hide_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the binary lookup find no `tesseract`, as on a machine without it."""
    which = shutil.which

    def fake_which(cmd, *args, **kwargs):
        return None if Path(str(cmd)).name == "tesseract" else which(cmd, *args, **kwargs)

    monkeypatch.setattr(ocr.shutil, "which", fake_which)


def first_pages(src: Path, n: int, out: Path) -> Path:
    """The first n pages of a PDF, as a new file."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(src).pages[:n]:
        writer.add_page(page)
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def make_mixed_pdf(dir: Path) -> tuple[Path, Path]:
    """Two text pages (reportlab) then one scanned page (an image of the report's 摘要 page).

    Returns the mixed PDF and the text-only PDF its first two pages come from.
    """
    from pypdf import PdfReader, PdfWriter

    dir = Path(dir)
    source = fx.builders().source_pages(fx.SAMPLE_TXT)
    text_pdf = fx.builders().build_reportlab_pdf(source[3:5], dir / "text-part.pdf", footer=False)
    scan_dir = dir / "scan"
    scan_dir.mkdir(exist_ok=True)
    scan = fx.make_image_only_pdf(scan_dir, n_pages=1)
    writer = PdfWriter()
    for part in (text_pdf, scan):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    mixed = dir / "mixed.pdf"
    mixed.write_bytes(buffer.getvalue())
    return mixed, text_pdf


def scan_pages(src: Path, first: int, last: int, dir: Path, dpi: int = 300) -> Path:
    """An image-only copy of pages first..last of a PDF, as a scanner makes it: each page a
    greyscale JPEG at dpi (pdftoppm), wrapped in a PDF with no text layer (Pillow)."""
    import subprocess

    from PIL import Image

    folder = Path(dir) / "scan-images"
    folder.mkdir(parents=True, exist_ok=True)
    command = ["pdftoppm", "-r", str(dpi), "-gray", "-jpeg", "-jpegopt", "quality=85"]
    command += ["-f", str(first), "-l", str(last), str(src), str(folder / "p")]
    subprocess.run(command, check=True, capture_output=True)
    images = [Image.open(p) for p in sorted(folder.glob("p-*.jpg"))]
    out = Path(dir) / "scan.pdf"
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi)
    return out
