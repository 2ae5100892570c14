"""Security (issue 6): library files are data, never code; the app stays on this machine, renders
report text inert and keeps uploads inside the library."""

import os

os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
)

import ipaddress
import json
import pickle
import re
import shutil
import sqlite3
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import httpx
import numpy as np
import pytest
from app_process import running_app
from test_reliability import (
    MARKUP_LINES,
    QUESTIONS,
    call_api,
    hooked_env,
    make_library,
    make_markup_pdf,
    run_cli,
    upload_as,
)

from reportqa.app.service import LibraryService
from reportqa.errors import LibraryError
from reportqa.index import store
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

ROOT = Path(__file__).resolve().parents[1]

# ----- library files are data ---------------------------------------------------------------

CODE_LOADERS = re.compile(
    r"\bimport pickle\b|\bpickle\.|\bcPickle\b|\bdill\b|\bcloudpickle\b|\bjoblib\b|\bshelve\b"
    r"|\bmarshal\.|torch\.load|allow_pickle\s*=\s*True|(?<![\w.])eval\(|(?<![\w.])exec\("
    r"|yaml\.load\(|yaml\.unsafe_load"
)


def test_no_code_executing_loader_in_the_package():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "reportqa").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if CODE_LOADERS.search(line)
    ]
    assert found == []


class Payload:
    """Unpickling this creates the marker file: proof that a loader ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def pickle_payload(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def npy_payload(marker: Path) -> bytes:
    """A .npy object array holding the payload (what np.load(allow_pickle=True) would run)."""
    import io

    buffer = io.BytesIO()
    array = np.empty(1, dtype=object)
    array[0] = Payload(marker)
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def foreign_faiss(marker: Path, kind: str) -> bytes:
    """A well-formed FAISS file that is not this library's index."""
    import faiss

    index = (
        faiss.IndexHNSWFlat(64, 8) if kind == "hnsw" else faiss.IndexIDMap2(faiss.IndexFlatIP(3))
    )
    return faiss.serialize_index(index).tobytes()


def huge_faiss(marker: Path) -> bytes:
    """This library's FAISS header claiming 2^40 vectors (an allocation bomb if trusted)."""
    import faiss

    data = bytearray(faiss.serialize_index(store.new_index(64)).tobytes())
    at = data.index(b"IxSQ") + 8  # the vectors' own index: fourcc, d (int32), then ntotal (int64)
    data[at : at + 8] = (1 << 40).to_bytes(8, "little")
    return bytes(data)


VECTOR_FILES = {
    "pickle": pickle_payload,
    "npy-pickle": npy_payload,
    "random": lambda m: bytes(range(256)) * 64,
    "empty": lambda m: b"",
    "hnsw-index": lambda m: foreign_faiss(m, "hnsw"),
    "wrong-dimension": lambda m: foreign_faiss(m, "dim3"),
    "huge-header": huge_faiss,
}


def tamper_sql(statement: str):
    def tamper(path: Path, marker: Path) -> None:
        conn = sqlite3.connect(path / store.DB_NAME)
        conn.execute(statement.replace("MARKER", str(marker)))
        conn.commit()
        conn.close()

    return tamper


def replace_db(make):
    def tamper(path: Path, marker: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            (path / f"{store.DB_NAME}{suffix}").unlink(missing_ok=True)
        (path / store.DB_NAME).write_bytes(make(marker))

    return tamper


def sqlite_header_then_junk(marker: Path) -> bytes:
    return b"SQLite format 3\x00" + bytes([0x10, 0x00, 1, 1, 0, 64, 32, 32]) + bytes(4000)


DATABASE_TAMPERS = {
    "db-is-pickle": replace_db(pickle_payload),
    "db-header-then-junk": replace_db(sqlite_header_then_junk),
    "generation-is-code": tamper_sql(
        'UPDATE meta SET value = \'__import__("os").system("touch MARKER")\' '
        "WHERE key = 'generation'"
    ),
    "generation-is-a-path": tamper_sql(
        "UPDATE meta SET value = '../../../etc/passwd' WHERE key = 'generation'"
    ),
    "dim-is-not-a-number": tamper_sql("UPDATE meta SET value = 'x' WHERE key = 'dim'"),
    "section-is-pickle": tamper_sql(
        f"UPDATE chunks SET section_json = X'{pickle.dumps(['a']).hex()}'"
    ),
    "pages-not-json": tamper_sql("UPDATE chunks SET pages_json = 'cos\\nsystem\\n(S''ls''\\ntR.'"),
}


@pytest.fixture(scope="module")
def clean_library(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "second.txt"
    src.write_text("壹、 目的\n第二份報告的內容。\n", encoding="utf-8")
    return make_library(tmp_path_factory.mktemp("clean") / "lib", src)


def tampered_copy(clean: Path, tmp_path: Path, name: str) -> tuple[Path, Path]:
    lib = tmp_path / "lib"
    shutil.copytree(clean, lib)
    marker = tmp_path / "payload-ran"
    if name in VECTOR_FILES:
        with sqlite3.connect(lib / store.DB_NAME) as conn:
            [(generation,)] = conn.execute("SELECT value FROM meta WHERE key = 'generation'")
        store.faiss_path(lib, int(generation)).write_bytes(VECTOR_FILES[name](marker))
    else:
        DATABASE_TAMPERS[name](lib, marker)
    return lib, marker


@pytest.mark.parametrize("name", list(VECTOR_FILES) + list(DATABASE_TAMPERS))
def test_tampered_library_file_is_a_clean_error_not_code(clean_library, tmp_path, name):
    lib, marker = tampered_copy(clean_library, tmp_path, name)
    # the CLI, as a user runs it
    out = run_cli("--library", str(lib), "ask", QUESTIONS[0], cwd=tmp_path, timeout=600)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith(f"reportqa: error: {lib}"), line
    assert re.search(r"damaged|not this library's|re-ingest|--rebuild", line), line
    # the Python API
    with pytest.raises(LibraryError) as info, Library.open(lib) as opened:
        opened.ask(QUESTIONS[0])
    assert "\n" not in str(info.value)
    assert not marker.exists(), "a library file ran code"


@pytest.mark.parametrize("name", list(VECTOR_FILES))
def test_a_damaged_vector_file_is_rebuilt_by_the_command_the_error_names(
    clean_library, tmp_path, name
):
    lib, marker = tampered_copy(clean_library, tmp_path, name)
    out = run_cli("--library", str(lib), "ask", QUESTIONS[0])
    assert "reportqa index --rebuild" in out.stderr
    out = run_cli("--library", str(lib), "index", "--rebuild")
    assert out.returncode == 0, out.stdout + out.stderr
    with Library.open(lib) as rebuilt, Library.open(clean_library) as clean:
        assert rebuilt.check() == []
        assert rebuilt.ask(QUESTIONS[0]).passages == clean.ask(QUESTIONS[0]).passages
    assert not marker.exists()


# ----- the app: loopback only, no outbound requests, uploads kept in the library ------------


LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", "None"}


def is_loopback(host: str) -> bool:
    """True for a recorded host on this machine (or a local Unix socket)."""
    if host.startswith("unix:") or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class Tags(HTMLParser):
    """Every tag and attribute in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


SAFE_TAGS = {
    "section", "div", "span", "p", "article", "mark", "details", "summary", "code", "table",
    "thead", "tbody", "tr", "th", "td", "br", "header", "h1", "small", "strong", "em",
}  # fmt: skip


def assert_inert(html: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, f"<{tag}> rendered from report text"
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("href", "src", "style"), name
            assert "javascript:" not in (value or "").lower()


@pytest.fixture(scope="module")
def markup_library(tmp_path_factory) -> Path:
    """A library holding a report whose text is <script>, HTML, Markdown and control bytes."""
    src = tmp_path_factory.mktemp("markup")
    pdf = make_markup_pdf(src)
    named = src / "<img src=x onerror=alert(7)>.md"
    named.write_text("# <script>alert(8)</script>標題\n\n內文 <b>粗</b>\n", encoding="utf-8")
    lib = tmp_path_factory.mktemp("markup-lib") / "lib"
    with Library.open(lib, embedder=FakeEmbedder()) as opened:
        results = opened.ingest([pdf, named])
    assert [r.status for r in results] == ["added", "added"], results
    return lib


def test_report_text_is_inert_in_every_piece_of_html(markup_library):
    from reportqa.app.ui import ChatApp

    with Library.open(markup_library) as lib:
        chat = ChatApp(LibraryService(lib), allow_upload=True)
        html, state, *_ = chat.on_ask("大阪機器人研究中心 script alert", [], 10, None)
        library_html, _ = chat.library_panel()
        texts = [p.text for p in lib.ask("大阪機器人研究中心", top_k=10).passages]
    assert state["n"] == 1 and html.count("<article") >= 2
    for piece in (html, library_html):
        assert_inert(piece)
        assert "\x1b" not in piece and "\x07" not in piece
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html  # shown, as text
    assert "&lt;img src=x onerror=alert(7)&gt;" in library_html  # a hostile file name too
    assert any("<script>alert('xss')</script>" in t for t in texts)  # stored verbatim...
    assert not any(c in t for t in texts for c in "\x07\x1b")  # ...without control characters
    assert MARKUP_LINES[1] in "\n".join(texts)


def test_cli_prints_no_terminal_control_sequences_from_reports(markup_library):
    out = run_cli("--library", str(markup_library), "ask", "紅色 控制字元", "--top-k", "10")
    assert out.returncode == 0, out.stderr
    assert "紅色" in out.stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out.stdout)


def written_paths(log: Path) -> list[str]:
    return [json.loads(line)[2] for line in log.read_text().splitlines() if '"open"' in line]


@pytest.mark.slow
def test_app_session_stays_on_loopback_and_inside_the_library(clean_library, tmp_path):
    from gradio_client import Client

    lib = tmp_path / "lib"
    shutil.copytree(clean_library, lib)
    audit = tmp_path / "audit.jsonl"
    env = hooked_env(tmp_path, audit_log=str(audit))
    for key in ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        env.pop(key, None)  # the app must switch these off itself
    report = tmp_path / "北海道 考察.txt"
    report.write_text("壹、 行程\n參觀札幌的雪冰研究中心。\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("壹、 機密\n不應被讀入的檔案。\n", encoding="utf-8")
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(lib)}
    with running_app(lib, "--allow-upload", env=env) as running:
        url, app, lines = running.url, running.proc, running.lines
        client = Client(url, verbose=False)
        assert client.predict(QUESTIONS[0], 3, [], api_name="/ask")["passages"]
        assert httpx.get(url).status_code == 200
        status = upload_as(url, report, "../../../北海道 考察.txt")
        assert "added: 北海道 考察" in status, status
        answer = client.predict("雪冰研究中心", 1, [], api_name="/ask")
        assert answer["passages"][0]["doc_id"] == "北海道 考察"
        # a file elsewhere on the server cannot be passed as an upload
        for path in (outside, Path("/etc/hostname"), lib / store.DB_NAME):
            file = {"path": str(path), "meta": {"_type": "gradio.FileData"}}
            assert call_api(url, "add_report", [file])[0] == "error"
        listening = listening_addresses(app.pid)
    # 127.0.0.1 by default, no share link
    assert lines[0].startswith("reportqa app: http://127.0.0.1:"), lines
    assert not any("gradio.live" in line or "share" in line.lower() for line in lines), lines
    assert listening and all(a.startswith("127.0.0.1:") for a in listening), listening
    # every network call the server made went to this machine
    calls = [json.loads(line) for line in audit.read_text().splitlines()]
    network = [c for c in calls if c[0].startswith("socket.")]
    assert network, "the audit hook recorded nothing"
    assert [c for c in network if not is_loopback(c[2])] == []
    # the upload landed in the library, under its own name; nothing was written outside it
    assert (lib / "uploads" / "北海道 考察.txt").read_bytes() == report.read_bytes()
    with Library.open(lib) as opened:
        assert "outside" not in {d["doc_id"] for d in opened.documents()}
    written = {c[2] for c in calls if c[0] == "open"}
    assert [p for p in written if not (Path(p).is_relative_to(lib) or harmless(p))] == []
    new = {p for p in tmp_path.rglob("*") if not p.is_relative_to(lib)} - before
    assert {p.name for p in new} <= {"audit.jsonl"}, sorted(map(str, new))


def harmless(path: str) -> bool:
    """Files a server writes outside the library that hold no report data: tempfile's
    writability probe (created and deleted at once) and jieba's dictionary cache."""
    where = Path(path)
    if where.parent != Path(tempfile.gettempdir()):
        return False
    probe = re.fullmatch(r"[a-z0-9_]{8}", where.name) and not where.exists()
    return bool(probe) or where.name.startswith(("jieba.cache", "tmp"))


def listening_addresses(pid: int) -> list[str]:
    """host:port of every TCP socket the process listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                host, port = fields[1].split(":")
                raw = bytes.fromhex(host)
                if width == 8:
                    address = str(ipaddress.IPv4Address(raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    address = str(ipaddress.IPv6Address(words))
                found.append(f"{address}:{int(port, 16)}")
    return found
