"""reportqa: cited answers from Chinese (Traditional) government reports, fully offline."""

__version__ = "0.1.0"
