"""`reportqa eval` and `reportqa bench`: registered on the CLI's subparsers (thin)."""

from __future__ import annotations

import argparse


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    """Register `reportqa eval` and `reportqa bench` (filled in by the eval work)."""
