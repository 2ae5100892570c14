"""Reliability (issue 6): bad input through the CLI, the Python API and the app upload; kill -9
of a running `reportqa ingest`; a full disk; a read-only library; two ingests at once.

Subprocesses run the real `reportqa` console script. A `sitecustomize` written by
`hooked_env` (and imported by Python at start-up) can log network calls and fill the disk just
before the vector file is written; it changes nothing else. Kills at every stage of a write
are in test_crash.py; a writer pauses at a named stage (reportqa.index.stages) here.
"""

import os

os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
)

import contextlib
import json
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from app_process import served

pytest.importorskip("reportlab")

import pdf_fixtures as fx
from test_crash import wait_until_stopped
from test_ingest_inputs import BAD  # bad inputs and the words their one-line errors must say

from reportqa.errors import LibraryError
from reportqa.index import stages
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library
from reportqa.ingest import load_document
from reportqa.ingest.ocr import ocr_missing

ROOT = Path(__file__).resolve().parents[1]
REPORTQA = Path(sys.executable).with_name("reportqa")  # the console script, as users run it
COMMAND = [str(REPORTQA)] if REPORTQA.exists() else [sys.executable, "-m", "reportqa"]
SAMPLE = fx.SAMPLE_TXT.stem
QUESTIONS = ["RIKEN第五期中長期計畫涵蓋哪幾年？", "JSPS 每件申請案由幾位外部學者專家審查？"]
SECOND_REPORT = (
    "台德量子科技合作會議\n壹、 會議目的\n本次會議旨在推動台德量子科技合作。\n"
    "貳、 會議紀要\n一、 量子電腦研發\n德方預計於2028年完成百位元原型機。\n"
)
ODD_NAME = "報告 2025 年 (定稿).txt"  # spaces, CJK, brackets; reached through sub/../
ODD_REPORT = "壹、 目的\n本次考察大阪大學的人形機器人實驗室與觸覺感測研究。\n"

# ----- subprocess hooks ----------------------------------------------------------------------

SITECUSTOMIZE = '''
"""Test hooks for reportqa subprocesses, switched on by $REPORTQA_TEST_HOOKS (JSON)."""
import json, os, sys, time

_hooks = json.loads(os.environ.get("REPORTQA_TEST_HOOKS") or "{}")

if _hooks.get("audit_log"):  # record every network call the process makes
    _log = open(_hooks["audit_log"], "a", buffering=1)

    def _audit(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[-1]
            host = str(address[0]) if isinstance(address, tuple) else f"unix:{address!r}"
            _log.write(json.dumps([event, int(sock.family), host]) + "\\n")
        elif event == "socket.getaddrinfo":
            host = args[0].decode() if isinstance(args[0], bytes) else str(args[0] or "")
            _log.write(json.dumps([event, 0, host]) + "\\n")
        elif event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1] or "", args[2] or 0
            if set(str(mode)) & set("wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                _log.write(json.dumps([event, 0, os.path.abspath(os.fsdecode(args[0]))]) + "\\n")

    sys.addaudithook(_audit)

if _hooks.get("ballast"):
    from reportqa.index import store

    _write_index = store.write_index

    def _write(index, target):  # fill the disk just before the vector file is written
        # Unbuffered: a write the full disk cut short leaves nothing for close() to retry.
        with open(_hooks["ballast"], "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(bytes(1 << 16))
            except OSError:
                pass
        _write_index(index, target)

    store.write_index = _write
'''


def hooked_env(dir: Path, **hooks) -> dict:
    """Environment for a reportqa subprocess with the test hooks in `hooks` switched on."""
    hook_dir = Path(dir) / "hooks"
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return os.environ | {
        "PYTHONPATH": os.pathsep.join([str(hook_dir), str(ROOT)]),
        "PYTHONIOENCODING": "utf-8",
        "REPORTQA_TEST_HOOKS": json.dumps(hooks),
    }


def run_cli(*args: str, env: dict | None = None, timeout: float = 600, **kwargs):
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        env=env or (os.environ | {"PYTHONIOENCODING": "utf-8"}),
        timeout=timeout,
        **kwargs,
    )


# ----- libraries and their state --------------------------------------------------------------


def without_timing(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "took_ms"}


def library_state(lib: Library) -> dict:
    """What "unchanged" means: stats, documents, consistency and answers."""
    return {
        "stats": lib.stats(),
        "documents": lib.documents(),
        "problems": lib.check(),
        "answers": [without_timing(lib.ask(q, top_k=3).to_dict()) for q in QUESTIONS],
    }


def state_of(path: Path) -> dict:
    with Library.open(path, create=False) as lib:
        return library_state(lib)


def doc_chunks(lib: Library, doc_id: str) -> dict[str, str]:
    return {c.chunk_id: c.text for c in lib.snapshot().chunks.values() if c.doc_id == doc_id}


def make_library(path: Path, second: Path) -> Path:
    """The sample report and a second one, fake embedder; closed, so the files can be copied."""
    with Library.open(path, embedder=FakeEmbedder()) as lib:
        results = lib.ingest([fx.SAMPLE_TXT, second])
    assert [r.status for r in results] == ["added", "added"], results
    return path


@pytest.fixture(scope="module")
def base_library(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "2026-taiwan-germany-quantum.txt"
    src.write_text(SECOND_REPORT, encoding="utf-8")
    return make_library(tmp_path_factory.mktemp("base") / "lib", src)


def copy_library(base: Path, to: Path) -> Path:
    shutil.copytree(base, to)
    return to


# ----- bad and odd inputs ---------------------------------------------------------------------


def make_corrupt_xref_pdf(dir: Path) -> Path:
    """The bundled PDF with only its xref table overwritten: readers rebuild it from the objects."""
    data = bytearray(fx.SAMPLE_PDF.read_bytes())
    start, end = data.rfind(b"\nxref"), data.rfind(b"trailer")
    data[start + 1 : end] = bytes((i * 37 + 11) % 256 for i in range(end - start - 1))
    path = Path(dir) / "corrupt-xref.pdf"
    path.write_bytes(bytes(data))
    return path


MARKUP_LINES = [
    "壹、 注入測試",
    "<script>alert('xss')</script><script src=//evil.example/x.js></script>",
    "**粗體** __底線__ [點我](javascript:alert(1)) ![圖](https://evil.example/a.png)",
    "# 不是標題 <img src=x onerror=alert(2)> <iframe src=//evil.example/></iframe>",
    "控制字元\x07\x1b[31m紅色\x1b[0m結束 <b onmouseover=alert(4)>粗</b> &lt;已跳脫&gt;",
    "<style>body{display:none}</style> `code` ~~刪除~~ <a href=javascript:alert(5)>連結</a>",
    "本段落的正文：大阪機器人研究中心與觸覺感測研究。",
]


def make_markup_pdf(dir: Path) -> Path:
    """A PDF whose text is mostly <script>, HTML and Markdown, with a few control characters."""
    path = Path(dir) / "markup.pdf"
    return fx.builders().build_reportlab_pdf([["資安測試報告"], MARKUP_LINES * 3], path)


def make_control_chars_pdf(dir: Path) -> Path:
    """A PDF whose text layer is mostly control characters (a broken font map, or worse)."""
    junk = "".join(chr(c) for c in [*range(1, 9), *range(14, 28), 127])
    lines = [f"第{n}段 {junk}{junk}" for n in range(20)]
    return fx.builders().build_reportlab_pdf([["控制字元"], lines], Path(dir) / "control.pdf")


def make_odd_name(dir: Path) -> Path:
    """A report whose name has spaces and CJK, reached through a path with `../` in it."""
    (Path(dir) / "sub").mkdir(exist_ok=True)
    (Path(dir) / ODD_NAME).write_text(ODD_REPORT, encoding="utf-8")
    return Path(dir) / "sub" / ".." / ODD_NAME


# case -> (maker, words the one-line error must contain), or (maker, question) for a good input
FAILS = {
    name: BAD[name]
    for name in (
        "missing",
        "directory",
        "empty",
        "text-named-pdf",
        "truncated",
        "corrupt",
        "encrypted",
        "undecodable-txt",
    )
}
# Refused where Tesseract is missing; read by OCR where it is installed (as `make test` does).
HAS_OCR = ocr_missing() is None
OCR_CASES = {
    "image-only": (lambda d: fx.make_image_only_pdf(d, n_pages=1), "本次交流活動的目的"),
    "control-chars-pdf": (make_control_chars_pdf, "控制字元"),
}
if not HAS_OCR:
    FAILS |= {
        "image-only": BAD["image-only"],
        "control-chars-pdf": (make_control_chars_pdf, ["garbled", "tesseract-ocr-chi-tra"]),
    }
GOOD = {
    "corrupt-xref": (make_corrupt_xref_pdf, "RIKEN第五期中長期計畫涵蓋哪幾年？"),
    "300-pages": (fx.make_large_pdf, "JSPS 每件申請案由幾位外部學者專家審查？"),
    "markup-pdf": (make_markup_pdf, "大阪機器人研究中心"),
    "utf8-bom": (fx.make_utf8_bom_txt, "摘要"),
    "big5": (fx.make_big5_txt, "摘要"),
    "odd-name": (make_odd_name, "人形機器人實驗室"),
} | (OCR_CASES if HAS_OCR else {})
CASES = list(FAILS) + list(GOOD)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Every case's input file, each in a folder of its own."""
    root = tmp_path_factory.mktemp("inputs")
    made = {}
    for name in CASES:
        (root / name).mkdir()
        maker = (FAILS.get(name) or GOOD[name])[0]
        made[name] = maker(root / name)
    return made


def assert_one_line_error(reason: str, name: str, path: Path, where: str) -> None:
    assert "\n" not in reason and "Traceback" not in reason, reason
    assert str(path) in reason or path.name in reason, f"{where}: file not named: {reason}"
    for word in FAILS[name][1]:
        assert word in reason, f"{where}: {word!r} missing from {reason!r}"
    assert "; " in reason.split(": ", 1)[1], f"{where}: no fix given: {reason}"  # reason; fix


def assert_good_ingest(lib: Library, name: str, path: Path, doc_id: str, before: dict) -> None:
    """The new report is in, cited; the reports already there kept every chunk."""
    want = load_document(path)
    docs = {d["doc_id"]: d for d in lib.documents()}
    assert docs[doc_id]["chunks"] == len(want.chunks) and docs[doc_id]["pages"] == want.page_count
    assert lib.check() == []
    answer = lib.ask(GOOD[name][1], top_k=3, doc_ids=[doc_id])
    assert answer.passages and {p.doc_id for p in answer.passages} == {doc_id}
    stored = sorted(doc_chunks(lib, doc_id).values())
    assert stored == sorted(c.display_text for c in want.chunks)
    for old_id, chunks in before["chunks"].items():
        assert doc_chunks(lib, old_id) == chunks, f"{old_id} changed"
        assert docs[old_id] == before["docs"][old_id]


def before_good(lib: Library) -> dict:
    docs = {d["doc_id"]: d for d in lib.documents()}
    return {"docs": docs, "chunks": {d: doc_chunks(lib, d) for d in docs}}


# The CLI: `reportqa ingest PATH` --------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_library(base_library, tmp_path_factory) -> Path:
    return copy_library(base_library, tmp_path_factory.mktemp("cli") / "lib")


@pytest.mark.parametrize("name", CASES)
def test_cli_ingest_of_bad_and_odd_inputs(cli_library, inputs, name):
    path = inputs[name]
    with Library.open(cli_library) as lib:
        before = library_state(lib) if name in FAILS else before_good(lib)
    proc = run_cli("--library", str(cli_library), "ingest", str(path))
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    if name in FAILS:
        assert proc.returncode == 1
        assert lines[0].startswith("failed     ")
        assert_one_line_error(lines[0].removeprefix("failed     "), name, path, "cli")
        assert state_of(cli_library) == before, "library changed"
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc_id = Path(path).stem
        assert lines[0].startswith(f"added      {doc_id} ("), lines[0]
        with Library.open(cli_library) as lib:
            assert_good_ingest(lib, name, path, doc_id, before)


# The Python API: Library.ingest ---------------------------------------------------------------


@pytest.fixture(scope="module")
def api_library(base_library, tmp_path_factory):
    lib = Library.open(copy_library(base_library, tmp_path_factory.mktemp("api") / "lib"))
    yield lib
    lib.close()


@pytest.mark.parametrize("name", CASES)
def test_api_ingest_of_bad_and_odd_inputs(api_library, inputs, name):
    lib, path = api_library, inputs[name]
    before = library_state(lib) if name in FAILS else before_good(lib)
    [result] = lib.ingest([path])
    if name in FAILS:
        assert result.status == "failed"
        assert result.reason.startswith(f"{path}: ")
        assert_one_line_error(result.reason, name, path, "api")
        assert library_state(lib) == before, "library changed"
        assert state_of(lib.path) == before, "library on disk changed"
    else:
        assert result.status == "added", result
        assert result.doc_id == Path(path).stem
        assert_good_ingest(lib, name, path, result.doc_id, before)


# The app: upload through the running web app (gradio_client) ----------------------------------


@pytest.fixture(scope="module")
def upload_app(base_library, tmp_path_factory):

    lib = Library.open(copy_library(base_library, tmp_path_factory.mktemp("app") / "lib"))
    with served(lib, allow_upload=True) as (demo, url):
        yield lib, demo, url
    lib.close()


def call_api(url: str, endpoint: str, data: list) -> tuple[str, object]:
    """Call a Gradio endpoint over plain HTTP, as a browser does; (event, data) of its result."""
    base = url.rstrip("/") + "/gradio_api/call/" + endpoint
    response = httpx.post(base, json={"data": data}, timeout=600)
    response.raise_for_status()
    with httpx.stream("GET", f"{base}/{response.json()['event_id']}", timeout=600) as stream:
        text = "".join(stream.iter_text())
    found = re.findall(r"^event: (\w+)\ndata: (.*)$", text, flags=re.M)
    event, payload = found[-1]
    return event, json.loads(payload)


def upload_as(url: str, path: Path, filename: str) -> str:
    """Upload a file under any name (a browser sends what the user's file is called)."""
    response = httpx.post(
        url.rstrip("/") + "/gradio_api/upload",
        files={"files": (filename, path.read_bytes())},
        timeout=600,
    )
    response.raise_for_status()
    [stored] = response.json()
    file = {"path": stored, "orig_name": filename, "meta": {"_type": "gradio.FileData"}}
    event, data = call_api(url, "add_report", [file])
    assert event == "complete", (event, data)
    return data[0]


def notice_text(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("name", CASES)
def test_app_upload_of_bad_and_odd_inputs(upload_app, inputs, name):
    lib, demo, url = upload_app
    path = inputs[name]
    before = library_state(lib) if name in FAILS else before_good(lib)
    outside = {p for p in lib.path.parent.parent.rglob("*")}
    if name in ("missing", "directory"):
        # A browser cannot send these; the upload handler still gets them right.
        status, *_ = demo.chat.on_upload(str(path))
    else:
        filename = "../../" + Path(path).name if name == "odd-name" else Path(path).name
        status = upload_as(url, path, filename)
    text = notice_text(status)
    assert "unexpected error" not in text and "Traceback" not in text, text
    uploads = lib.path / "uploads"
    if name in FAILS:
        assert text.startswith("failed: "), text
        assert ".staging" not in text  # the user's file is named, not a temporary copy
        assert_one_line_error(text.removeprefix("failed: "), name, path, "app")
        assert library_state(lib) == before, "library changed"
        assert not (uploads / path.name).exists()
    else:
        doc_id = Path(path).stem
        assert text.startswith(f"added: {doc_id} ("), text
        assert (uploads / Path(path).name).read_bytes() == Path(path).read_bytes()
        assert_good_ingest(lib, name, path, doc_id, before)
    # nothing was written outside the library (a `../` in the name cannot escape it)
    new = {p for p in lib.path.parent.parent.rglob("*")} - outside
    assert all(p.is_relative_to(lib.path) for p in new), sorted(map(str, new))


# ----- two ingests at once ---------------------------------------------------------------------


def test_second_ingest_refuses_clearly_while_one_runs(base_library, tmp_path):
    lib_path = copy_library(base_library, tmp_path / "lib")
    before = state_of(lib_path)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("壹、 第一份\n北海道的雪冰研究中心。\n" * 40, encoding="utf-8")
    second.write_text("壹、 第二份\n沖繩的珊瑚礁研究站。\n", encoding="utf-8")
    # The first ingest stops itself inside its write (lock held, SQLite transaction open).
    proc = subprocess.Popen(
        [*COMMAND, "--library", str(lib_path), "ingest", str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=hooked_env(tmp_path) | {stages.PAUSE_AT: "after-rows"},
    )
    try:
        wait_until_stopped(proc)
        out = run_cli("--library", str(lib_path), "ingest", str(second))
        assert state_of(lib_path) == before, "a reader saw the unfinished write"
        proc.send_signal(signal.SIGCONT)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        [line] = out.stdout.splitlines()
        assert line == (
            f"failed     {second} not added: {lib_path}: another reportqa process is writing "
            "to this library; wait for it to finish and try again"
        )
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0 and stdout.startswith("added      first ("), stdout + stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Library.open(lib_path) as lib:
        assert lib.check() == []
        docs = {d["doc_id"]: d for d in lib.documents()}
        assert "first" in docs and "second" not in docs
        assert [docs[d["doc_id"]] for d in before["documents"]] == before["documents"]
        with Library.open(base_library) as base:
            assert doc_chunks(lib, SAMPLE) == doc_chunks(base, SAMPLE)
    out = run_cli("--library", str(lib_path), "ingest", str(second))
    assert out.returncode == 0 and out.stdout.startswith("added      second ("), out.stdout


# ----- a full disk and a read-only library -----------------------------------------------------


@contextlib.contextmanager
def small_filesystem(where: Path, kib: int):
    """A tmpfs of `kib` KiB at `where` (root only); skips the test where mounting is not allowed."""
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kib}k,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({out.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def library_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) // 1024


def assert_write_failed(out, lib_path: Path, *words: str) -> None:
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stdout + out.stderr
    [line] = out.stdout.splitlines()
    assert line.startswith("failed     "), line
    assert f" not added: {lib_path}: cannot write the library (" in line, line
    assert line.endswith("free disk space or check permissions — nothing was changed"), line
    assert any(w in line for w in words), line


@pytest.fixture(scope="module")
def large_pdf(tmp_path_factory) -> Path:
    return fx.make_large_pdf(tmp_path_factory.mktemp("large"))


def test_full_disk_while_sqlite_writes(base_library, tmp_path, large_pdf):
    kib = library_size(base_library) + 160
    with small_filesystem(tmp_path / "disk", kib) as disk:
        lib_path = copy_library(base_library, disk / "lib")
        before = state_of(lib_path)
        out = run_cli("--library", str(lib_path), "ingest", str(large_pdf))
        assert_write_failed(out, lib_path, "database or disk is full")
        assert state_of(lib_path) == before  # still readable with the disk full
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
        out = run_cli("--library", str(lib_path), "ingest", str(large_pdf))
        assert out.returncode == 0, out.stdout + out.stderr
        assert state_of(lib_path)["problems"] == []


def test_full_disk_while_the_vector_file_is_written(base_library, tmp_path):
    with small_filesystem(tmp_path / "disk", library_size(base_library) + 1024) as disk:
        lib_path = copy_library(base_library, disk / "lib")
        before = state_of(lib_path)
        report = tmp_path / "report.txt"
        report.write_text(SECOND_REPORT.replace("台德", "台法"), encoding="utf-8")
        ballast = disk / "ballast"
        out = run_cli(
            "--library",
            str(lib_path),
            "ingest",
            str(report),
            env=hooked_env(tmp_path, ballast=str(ballast)),
        )
        assert_write_failed(out, lib_path, "No space left on device")
        assert ".tmp: No space left on device" in out.stdout  # which file could not be written
        assert not list(lib_path.glob("*.tmp")), "a partial vector file was left behind"
        ballast.unlink()
        assert state_of(lib_path) == before
        out = run_cli("--library", str(lib_path), "ingest", str(report))
        assert out.returncode == 0, out.stdout + out.stderr


def test_file_size_limit_while_writing(base_library, tmp_path, large_pdf):
    """Works without root: RLIMIT_FSIZE makes every write past the limit fail with EFBIG."""
    lib_path = copy_library(base_library, tmp_path / "lib")
    before = state_of(lib_path)
    limit = (library_size(lib_path) + 64) * 1024

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = run_cli("--library", str(lib_path), "ingest", str(large_pdf), preexec_fn=limit_file_size)
    assert_write_failed(
        out, lib_path, "disk I/O error", "database or disk is full", "File too large"
    )
    assert state_of(lib_path) == before


@contextlib.contextmanager
def read_only(tmp_path: Path, base: Path):
    """A copy of the library that this user cannot write: a read-only mount, or chmod a-w."""
    if os.geteuid() == 0:  # root ignores permissions: use a read-only filesystem
        with small_filesystem(tmp_path / "ro", 8192) as disk:
            lib_path = copy_library(base, disk / "lib")
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            yield lib_path
        return
    lib_path = copy_library(base, tmp_path / "lib")
    for p in [*lib_path.iterdir(), lib_path]:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        yield lib_path
    finally:
        for p in [lib_path, *lib_path.iterdir()]:
            p.chmod(p.stat().st_mode | 0o200)


def test_read_only_library_answers_and_refuses_writes_in_one_line(base_library, tmp_path):
    before = state_of(base_library)
    report = tmp_path / "new-report.txt"
    report.write_text(SECOND_REPORT.replace("台德", "台法"), encoding="utf-8")
    with read_only(tmp_path, base_library) as lib_path:
        # reading works: CLI and API
        out = run_cli("--library", str(lib_path), "ask", QUESTIONS[0], "--top-k", "3", "--json")
        assert out.returncode == 0, out.stderr
        assert without_timing(json.loads(out.stdout)) == before["answers"][0]
        out = run_cli("--library", str(lib_path), "list")
        assert out.returncode == 0 and SAMPLE in out.stdout, out.stderr
        state = state_of(lib_path)
        assert state == {**before, "stats": {**before["stats"], "library": str(lib_path)}}
        # writing fails with one line naming the directory and the fix
        fix = (
            f"{lib_path}: library is read-only (questions still work); to add or remove "
            "reports, make the directory writable or copy it somewhere writable and use --library"
        )
        out = run_cli("--library", str(lib_path), "ingest", str(report))
        assert out.returncode == 1, out.stdout + out.stderr
        assert out.stdout == f"failed     {report} not added: {fix}\n", out.stdout
        out = run_cli("--library", str(lib_path), "remove", SAMPLE)
        assert out.returncode == 1 and out.stderr == f"reportqa: error: {fix}\n", out.stderr
        with Library.open(lib_path) as lib:
            [result] = lib.ingest([report])
            assert result.status == "failed" and result.reason == f"{report} not added: {fix}"
            with pytest.raises(LibraryError, match="read-only"):
                lib.remove(SAMPLE)
            assert library_state(lib) == state
