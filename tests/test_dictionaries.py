"""The translation dictionaries' cache: one indexed SQLite file, built once, rebuilt as needed."""

import gzip
import sqlite3

import pytest

from reportqa.index import dictionaries

CEDICT_LINES = [
    "# CC-CEDICT",
    "版本 版本 [ban3 ben3] /version/edition/",
    "學分 学分 [xue2 fen1] /course credit/",
]


@pytest.fixture
def sources(tmp_path, monkeypatch):
    """Tiny stand-ins for both packages' files, and a cache folder of the test's own."""
    general = tmp_path / "words.db"
    conn = sqlite3.connect(general)
    conn.execute("CREATE TABLE words (english TEXT, chinese TEXT)")
    conn.executemany(
        "INSERT INTO words VALUES (?, ?)",
        [("Version", "n.译文,译本"), ("version", "n.译文,译本,翻译"), ("credit", "n.信用")],
    )
    conn.commit()
    conn.close()
    reverse = tmp_path / "cedict_test.txt.gz"
    with gzip.open(reverse, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(CEDICT_LINES) + "\n")
    monkeypatch.setattr(dictionaries, "general_source", lambda: general)
    monkeypatch.setattr(dictionaries, "reverse_source", lambda: reverse)
    monkeypatch.setenv("REPORTQA_CACHE_DIR", str(tmp_path / "cache"))
    dictionaries._connection.cache_clear()
    yield tmp_path / "cache"
    dictionaries._connection.cache_clear()


def test_both_dictionaries_are_looked_up_from_one_cache_file(sources):
    assert dictionaries.general_entry("version") == "n.译文,译本,翻译"  # the last equal word
    assert dictionaries.general_entry("nothing") is None
    assert dictionaries.reverse_senses("version") == ["版本"]
    assert dictionaries.reverse_senses("credit") == ["学分"]
    assert dictionaries.reverse_senses("nothing") == []
    (cached,) = sources.glob("dictionaries-*.sqlite")
    assert not list(sources.glob("*.tmp"))
    dictionaries._connection.cache_clear()
    built = cached.stat().st_mtime_ns
    assert dictionaries.reverse_senses("edition") == ["版本"]  # read again, not rebuilt
    assert cached.stat().st_mtime_ns == built


def test_a_damaged_cache_file_is_rebuilt(sources):
    assert dictionaries.reverse_senses("version") == ["版本"]
    (cached,) = sources.glob("dictionaries-*.sqlite")
    dictionaries._connection.cache_clear()
    cached.write_bytes(b"not a database" * 100)
    assert dictionaries.reverse_senses("version") == ["版本"]
    assert dictionaries.general_entry("credit") == "n.信用"


def test_an_unwritable_cache_folder_still_translates(sources, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("REPORTQA_CACHE_DIR", str(blocked / "cache"))
    dictionaries._connection.cache_clear()
    assert dictionaries.reverse_senses("version") == ["版本"]


def test_without_the_packages_nothing_is_found(sources, monkeypatch):
    monkeypatch.setattr(dictionaries, "general_source", lambda: None)
    monkeypatch.setattr(dictionaries, "reverse_source", lambda: None)
    dictionaries._connection.cache_clear()
    assert dictionaries.general_entry("version") is None
    assert dictionaries.reverse_senses("version") == []


def test_a_cache_folder_named_with_uri_characters_opens(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTQA_CACHE_DIR", str(tmp_path / "odd ?name#1%20"))
    builds = []
    real_build = dictionaries.build
    monkeypatch.setattr(dictionaries, "build", lambda *a: builds.append(1) or real_build(*a))
    dictionaries._connection.cache_clear()
    assert dictionaries.reverse_senses("version") == ["版本"]
    dictionaries._connection.cache_clear()
    assert dictionaries.general_entry("credit") == "n.信用"
    assert len(builds) == 1  # the second process-level open read the file, not a new build
    assert list((tmp_path / "odd ?name#1%20").glob("dictionaries-*.sqlite"))
