"""`reportqa app`: registered on the CLI's subparsers (thin; the app lives in reportqa.app)."""

from __future__ import annotations

import argparse


def add_app_command(sub: argparse._SubParsersAction) -> None:
    """Register `reportqa app` (filled in by the app work)."""
