"""A one-line progress bar with an ETA, for long runs on a terminal (pure formatting)."""

from __future__ import annotations

BAR_WIDTH = 24  # characters of the bar


def format_duration(seconds: float) -> str:
    """4 s, 3 min 05 s, 2 h 07 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """Time left at the rate so far; None before anything is done."""
    if done <= 0 or total <= 0 or elapsed <= 0:
        return None
    return elapsed / done * max(total - done, 0)


def format_bar(
    done: int, total: int, elapsed: float, unit: str = "chunks", note: str = "",
    width: int = BAR_WIDTH,
) -> str:  # fmt: skip
    """`████······ 120/480 chunks · 1 min 10 s left` (note, e.g. files or OCR pages, appended);
    unit "%" shows `25 %` instead of the counts (for work counted in characters, say)."""
    filled = round(width * min(done, total) / max(total, 1))
    bar = "█" * filled + "·" * (width - filled)
    eta = eta_seconds(done, total, elapsed)
    left = f" · {format_duration(eta)} left" if eta is not None and done < total else ""
    count = (
        f"{100 * min(done, total) // max(total, 1)} %" if unit == "%" else f"{done}/{total} {unit}"
    )
    return f"{bar} {count}{left}" + (f" · {note}" if note else "")
