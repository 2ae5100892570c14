"""Errors a user sees: each names the input, the problem and the fix, in one line."""

from __future__ import annotations


class ReportQAError(Exception):
    """Base class for errors shown to the user as one line, without a traceback."""


class IngestError(ReportQAError):
    """A file could not be read into a report."""

    def __init__(self, path: str, problem: str, fix: str) -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{self.path}: {problem}; {fix}")


class LibraryError(ReportQAError):
    """The library directory is missing, locked, damaged or built with another model."""


class QuestionError(ReportQAError):
    """A question that cannot be answered as given."""
