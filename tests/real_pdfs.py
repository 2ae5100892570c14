"""Where the shared real PDFs live, and what a test does when they are not there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_PDFS = Path(__file__).resolve().parents[1].parent / "shared" / "real-pdfs"


def real_pdfs_or_skip(module: bool = False) -> Path:
    """The folder; skip when it is absent, fail instead under CI=true (CI must have it)."""
    if REAL_PDFS.is_dir():
        return REAL_PDFS
    if os.environ.get("CI") == "true":
        pytest.fail(f"{REAL_PDFS} is missing; CI must have the shared real PDFs", pytrace=False)
    pytest.skip(f"{REAL_PDFS} is absent (the shared real PDFs)", allow_module_level=module)
