"""Input files for tests: good PDFs of the sample report and a collection of bad inputs.

Every helper is ``make_xxx(dir: Path) -> Path`` and writes one new file into ``dir`` (use
pytest's ``tmp_path``). The builders live in ``scripts/make_sample_pdfs.py``; ``builders()``
loads that script as a module.
"""

from __future__ import annotations

import importlib.util
import io
import random
import re
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_sample_pdfs.py"
SAMPLE_DIR = REPO / "reportqa" / "data" / "sample"
SAMPLE_TXT = SAMPLE_DIR / "2025-taiwan-japan-natural-sciences-exchange.txt"
SAMPLE_PDF = SAMPLE_TXT.with_suffix(".pdf")
ENCRYPTED_PASSWORD = "reportqa-secret"


@cache
def builders() -> ModuleType:
    """``scripts/make_sample_pdfs.py`` imported as a module."""
    name = "reportqa_make_sample_pdfs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the class is created
    spec.loader.exec_module(module)
    return module


def _bundled_pdf_bytes(dir: Path) -> bytes:
    """The bundled LibreOffice PDF; built into ``dir`` if the package does not ship it yet."""
    if SAMPLE_PDF.exists():
        return SAMPLE_PDF.read_bytes()
    return builders().build_libreoffice_pdf(dir / "_bundled-sample.pdf").read_bytes()


# ---- good inputs -----------------------------------------------------------------------------


def make_reportlab_pdf(dir: Path) -> Path:
    """The 16 original pages redrawn line by line (MSung-Light), with header and footer."""
    b = builders()
    return b.build_reportlab_pdf(b.source_pages(SAMPLE_TXT), Path(dir) / "sample-reportlab.pdf")


@cache
def _libreoffice_pdf_bytes() -> bytes:
    """LibreOffice's PDF of the report, converted once per test session (soffice is slow)."""
    with tempfile.TemporaryDirectory(prefix="reportqa-lo-pdf-") as tmp:
        return builders().build_libreoffice_pdf(Path(tmp) / "sample-libreoffice.pdf").read_bytes()


def make_libreoffice_pdf(dir: Path) -> Path:
    """The re-flowed report converted by LibreOffice (converted once per session, then copied)."""
    path = Path(dir) / "sample-libreoffice.pdf"
    path.write_bytes(_libreoffice_pdf_bytes())
    return path


@cache
def _large_pdf_bytes(n_pages: int) -> bytes:
    b = builders()
    pages = b.source_pages(SAMPLE_TXT)
    repeated = [pages[i % len(pages)] for i in range(n_pages)]
    with tempfile.TemporaryDirectory(prefix="reportqa-large-pdf-") as tmp:
        return b.build_reportlab_pdf(repeated, Path(tmp) / "large.pdf").read_bytes()


def make_large_pdf(dir: Path, n_pages: int = 300) -> Path:
    """A ``n_pages``-page PDF repeating the report's pages (reportlab, built once per session)."""
    path = Path(dir) / f"large-{n_pages}-pages.pdf"
    path.write_bytes(_large_pdf_bytes(n_pages))
    return path


# ---- bad PDFs ---------------------------------------------------------------------------------


def make_empty_pdf(dir: Path) -> Path:
    """A zero-byte file named ``.pdf``."""
    path = Path(dir) / "empty.pdf"
    path.write_bytes(b"")
    return path


def make_text_named_pdf(dir: Path) -> Path:
    """A plain UTF-8 text file with a ``.pdf`` name."""
    path = Path(dir) / "not-really.pdf"
    path.write_text("這不是 PDF 檔案。This is plain text with a .pdf name.\n", encoding="utf-8")
    return path


def make_truncated_pdf(dir: Path, fraction: float = 0.6) -> Path:
    """The first 60% of the bundled PDF's bytes (no xref, no trailer, no %%EOF)."""
    data = _bundled_pdf_bytes(Path(dir))
    path = Path(dir) / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def _garbage(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


def make_corrupt_pdf(dir: Path, seed: int = 0) -> Path:
    """The bundled PDF with random garbage over 5%..95% of its bytes and over its xref table.

    The page objects and trailer at the end survive, so pypdf opens it (rebuilding the xref)
    and fails while parsing the damaged page content streams.
    """
    data = bytearray(_bundled_pdf_bytes(Path(dir)))
    rng = random.Random(seed)
    n = len(data)
    lo, hi = int(n * 0.05), int(n * 0.95)
    data[lo:hi] = _garbage(rng, hi - lo)
    xref, trailer = data.rfind(b"\nxref"), data.rfind(b"trailer")
    if 0 < xref < trailer:
        data[xref + 1 : trailer] = _garbage(rng, trailer - xref - 1)
    path = Path(dir) / "corrupt.pdf"
    path.write_bytes(bytes(data))
    return path


def make_garbled_pdf(dir: Path, seed: int = 0) -> Path:
    """The bundled PDF with every font's ToUnicode CMap overwritten by garbage.

    Structurally fine: pypdf opens it and extracts text without an error, but the text is
    mojibake (control and Latin-1 characters, no CJK). Ingest should notice, not index junk.
    """
    from pypdf import PdfReader

    raw = _bundled_pdf_bytes(Path(dir))
    ids = set()
    for page in PdfReader(io.BytesIO(raw)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            tu = ref.get_object().get("/ToUnicode")
            if tu is not None:
                ids.add(tu.idnum)
    data = bytearray(raw)
    rng = random.Random(seed)
    for idnum in sorted(ids):
        m = re.search(rb"(?:^|[\r\n])%d 0 obj" % idnum, raw)
        if m is None:
            continue
        start = raw.index(b"stream", m.start()) + len(b"stream\n")
        end = raw.index(b"endstream", start) - 1
        data[start:end] = _garbage(rng, end - start)
    path = Path(dir) / "garbled.pdf"
    path.write_bytes(bytes(data))
    return path


def make_encrypted_pdf(dir: Path, password: str = ENCRYPTED_PASSWORD) -> Path:
    """The reportlab PDF encrypted with a user password (RC4-128: needs no extra package)."""
    from pypdf import PdfReader, PdfWriter

    src = make_reportlab_pdf(Path(dir))
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    path = Path(dir) / "encrypted.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    src.unlink()
    return path


def make_image_only_pdf(dir: Path, n_pages: int = 2) -> Path:
    """A 'scanned' report: each page is one raster image, no text layer.

    With Pillow and a Noto CJK font installed, the image shows the report's lines (so OCR could
    read it); otherwise grey bars stand in for the lines.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pages = builders().source_pages(SAMPLE_TXT)[1 : 1 + n_pages]
    path = Path(dir) / "scanned.pdf"
    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        image = _scan_image(lines)
        if image is not None:
            c.drawImage(ImageReader(image), 0, 0, width=width, height=height)
        else:  # no Pillow: vector shapes only, still no text
            c.setFillGray(0.35)
            y = height - 90
            for line in lines:
                c.rect(62, y, min(470, 12.2 * len(line)), 9, stroke=0, fill=1)
                y -= 21
        c.showPage()
    c.save()
    return path


def _scan_image(lines: list[str]):
    try:
        from PIL import Image, ImageDraw, ImageFilter, ImageFont
    except ImportError:
        return None
    scale = 100 / 72  # ~100 dpi
    w, h = int(595 * scale), int(842 * scale)
    img = Image.new("L", (w, h), 246)
    draw = ImageDraw.Draw(img)
    font = None
    for candidate in (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ):
        if Path(candidate).exists():
            font = ImageFont.truetype(candidate, int(12 * scale), index=3)  # TC face
            break
    rng = random.Random(1)
    y = int(80 * scale)
    for line in lines:
        if font is not None:
            draw.text((int(62 * scale), y), line, fill=25, font=font)
        else:
            draw.rectangle([int(62 * scale), y, int((62 + 12 * len(line)) * scale), y + 12], 60)
        y += int(21 * scale)
    for _ in range(3000):  # scanner speckle
        x, yy = rng.randrange(w), rng.randrange(h)
        draw.point((x, yy), fill=rng.randrange(120, 200))
    return img.rotate(0.4, fillcolor=246).filter(ImageFilter.GaussianBlur(0.4))


# ---- text files -------------------------------------------------------------------------------


def sample_text_part(n_pages: int = 3) -> str:
    """Pages 2..(1+n_pages) of the report as text, one visual line per line."""
    pages = builders().source_pages(SAMPLE_TXT)[1 : 1 + n_pages]
    return "\n\n".join("\n".join(lines) for lines in pages) + "\n"


def make_big5_txt(dir: Path) -> Path:
    """Part of the report encoded as Big5 (cp950), as older Taiwanese systems write it."""
    path = Path(dir) / "report-big5.txt"
    path.write_bytes(sample_text_part().encode("cp950"))
    return path


def make_utf8_bom_txt(dir: Path) -> Path:
    """Part of the report as UTF-8 with a byte-order mark (Windows Notepad style)."""
    path = Path(dir) / "report-utf8-bom.txt"
    path.write_bytes(sample_text_part().encode("utf-8-sig"))
    return path


def make_undecodable_txt(dir: Path, n_bytes: int = 4096) -> Path:
    """Random bytes that decode neither as UTF-8 nor as Big5/cp950 (nor as UTF-16)."""
    for seed in range(100):
        data = _garbage(random.Random(seed), n_bytes)
        if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            continue
        if all(not _decodes(data, enc) for enc in ("utf-8", "cp950", "big5", "utf-16")):
            break
    else:  # pragma: no cover - random bytes practically never decode
        raise RuntimeError("could not make undecodable bytes")
    path = Path(dir) / "undecodable.txt"
    path.write_bytes(data)
    return path


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


# name -> maker, for parametrised ingest tests; every one of these must be rejected or reported
BAD_INPUTS: dict[str, Callable[[Path], Path]] = {
    "empty": make_empty_pdf,
    "text-named-pdf": make_text_named_pdf,
    "truncated": make_truncated_pdf,
    "corrupt": make_corrupt_pdf,
    "encrypted": make_encrypted_pdf,
    "image-only": make_image_only_pdf,
    "undecodable-txt": make_undecodable_txt,
}

# inputs that are fine but unusual: ingest should read them correctly
ODD_GOOD_INPUTS: dict[str, Callable[[Path], Path]] = {
    "big5-txt": make_big5_txt,
    "utf8-bom-txt": make_utf8_bom_txt,
}
