"""The web app: rendering, uploads, the CLI command, and a launched app through gradio_client."""

import os

# Before gradio / gradio_client are imported: no analytics, no Hugging Face Hub calls.
os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
)

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from app_process import ANSWER_KEYS, PASSAGE_KEYS, served
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import reportqa
from reportqa.app import render
from reportqa.app.uploads import sanitize_filename, store_upload
from reportqa.cli import build_parser
from reportqa.errors import IngestError
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

SAMPLE = (
    Path(reportqa.__file__).parent / "data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"
)
SPRING = "What does JST's SPRING program fund?"
INJECTION = "<img src=x onerror=alert(1)> <script>alert(2)</script> [點我](javascript:alert(3))"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reportqa", *args],
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard: gradio's import alone can take a minute on a busy machine
        env=os.environ | {"PYTHONIOENCODING": "utf-8"},
    )


def passage(**overrides) -> dict:
    base = {
        "rank": 1,
        "doc_id": "r",
        "title": "台日自然科學研究領域交流",
        "section": ["肆、參訪紀要", "2、人才培育系統"],
        "pages": [7],
        "text": "前文。JST 自 2021 年起執行 SPRING 計畫。後文。",
        "highlight": [[3, 26]],
        "score": 1.0,
        "chunk_id": "r#1",
        "ocr": False,
    }
    return base | overrides


# ----- rendering (pure) -----------------------------------------------------------------------
def test_citation_line_names_report_section_and_page():
    html = render.passage_html(passage(pages=[7, 8]))
    assert "[1]" in html
    assert "台日自然科學研究領域交流" in html
    assert "肆、參訪紀要 › 2、人才培育系統" in html
    assert "pp. 7-8" in html
    assert "best match" in html
    assert "best match" not in render.passage_html(passage(rank=2))


def test_answer_line_comes_first_with_its_citation():
    answer = {
        "question": "q",
        "took_ms": 1.0,
        "passages": [passage(rank=1, chunk_id="r#0"), passage(rank=2, pages=[9])],
        "answer": {"text": "JST 自 2021 年起執行 <SPRING> 計畫。", "chunk_id": "r#1", "start": 3,
                   "end": 26},
    }  # fmt: skip
    html = render.answer_html(answer, 0)
    assert html.index("rqa-answer") < html.index("<article")
    assert "Answer · [2] 台日自然科學研究領域交流 · p. 9" in html
    assert "&lt;SPRING&gt;" in html and "<SPRING>" not in html
    html = render.answer_html(answer | {"answer": None}, 0)
    assert "rqa-no-answer" in html and "answers this convincingly" in html


def test_passages_read_by_ocr_say_so():
    assert "from a scan" in render.passage_html(passage(ocr=True))
    assert "from a scan" not in render.passage_html(passage())


def test_highlight_wraps_exactly_the_answering_sentence():
    p = passage()
    html = render.passage_html(p)
    assert f"<mark>{p['text'][3:26]}</mark>" in html


def test_report_text_is_escaped_never_markup():
    text = f"前言 {INJECTION} 結語"
    html = render.passage_html(passage(text=text, highlight=[[0, 2]], title="<b>t</b>"))
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[點我](javascript:alert(3))" in html  # shown as text; nothing renders markdown here
    assert "href" not in html


def test_long_passage_previews_the_highlight_and_expands_to_full_text():
    text = "甲" * 300 + "答案在這裡。" + "乙" * 300
    html = render.passage_html(passage(text=text, highlight=[[300, 306]]))
    snippet = html.split('<div class="rqa-snippet"', 1)[1].split("</div>", 1)[0]
    assert "<mark>答案在這裡。</mark>" in snippet
    assert snippet.count("甲") == render.CONTEXT_CHARS and "…" in snippet
    assert "<details" in html and "甲" * 300 in html
    short = render.passage_html(passage(text="短文。", highlight=[[0, 3]]))
    assert "<details" not in short  # nothing left to expand


def test_spans_are_clamped_and_merged():
    assert render.merge_spans([[5, 9], [0, 3], [2, 4], [8, 99]], 20) == [(0, 4), (5, 20)]
    assert render.merge_spans([[4, 4], [-3, 1]], 10) == [(0, 1)]


def test_transcript_shows_newest_answer_first():
    first = render.answer_html({"question": "one", "took_ms": 1, "passages": [passage()]}, 1)
    second = render.answer_html({"question": "two", "took_ms": 1, "passages": [passage()]}, 2)
    html = render.transcript_html([second, first])
    assert (
        html.index('data-turn="2"') < html.index("Earlier questions") < html.index('data-turn="1"')
    )


def test_library_panel_lists_reports():
    docs = [
        {
            "doc_id": "a<b",
            "title": "報告",
            "pages": 17,
            "chunks": 50,
            "ingested_at": 0,
            "model": "fake/hash-64",
        }
    ]
    html = render.library_html(docs)
    assert "報告" in html and "a&lt;b" in html and "17" in html and "fake/hash-64" in html
    assert "reportqa ingest" in render.library_html([])


# ----- uploads (pure-ish) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\fakepath\\2025 出國報告.PDF", "2025 出國報告.pdf"),
        ("..", "report"),
        (".hidden.md", "hidden.md"),
        ("a\x00b\u202ec\nd.txt", "a_b_c_d.txt"),
        ("報告<script>.pdf", "報告_script_.pdf"),
    ],
)
def test_upload_names_are_sanitised(given, expected):
    assert sanitize_filename(given) == expected


def test_upload_over_the_limit_or_of_wrong_type_is_refused(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("字" * 2000, encoding="utf-8")
    with pytest.raises(IngestError, match="upload limit"):
        store_upload(big, tmp_path / "lib", lambda p, d: None, max_bytes=1000)
    exe = tmp_path / "x.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(IngestError, match="unsupported file type"):
        store_upload(exe, tmp_path / "lib", lambda p, d: None)
    assert not (tmp_path / "lib" / "uploads" / "big.txt").exists()


# ----- the CLI command ------------------------------------------------------------------------
def test_app_command_defaults_are_safe():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port, args.allow_upload, args.top_k) == ("127.0.0.1", 7860, False, 5)
    assert callable(args.func)
    args = build_parser().parse_args(["--library", "x", "app", "--allow-upload", "--top-k", "0"])
    assert args.allow_upload and args.library == "x"
    assert args.func(args) == 2  # refused before anything starts


def test_app_module_switches_off_analytics_and_hub_calls_itself():
    code = (
        "import os\n"
        "for k in ('GRADIO_ANALYTICS_ENABLED', 'HF_HUB_OFFLINE', 'HF_HUB_DISABLE_TELEMETRY'):\n"
        "    os.environ.pop(k, None)\n"
        "import reportqa.app.ui\n"
        "print(os.environ['GRADIO_ANALYTICS_ENABLED'], os.environ['HF_HUB_OFFLINE'],"
        " os.environ['HF_HUB_DISABLE_TELEMETRY'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.split() == ["False", "1", "1"], out.stderr


# ----- a launched app through gradio_client ---------------------------------------------------
@pytest.fixture(scope="module")
def library(tmp_path_factory):
    lib = Library.open(tmp_path_factory.mktemp("library"), embedder=FakeEmbedder())
    [result] = lib.ingest([SAMPLE])
    assert result.status == "added"
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def app(library):
    with served(library, top_k=5) as app:
        yield app


@pytest.fixture(scope="module")
def client(app):
    return Client(app[1], verbose=False)


def without_timing(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "took_ms"}


def test_binds_loopback_without_share_link(app):
    demo, url = app
    assert url.startswith("http://127.0.0.1:")
    assert demo.server_name == "127.0.0.1" and not demo.share and demo.share_url is None


def test_ask_endpoint_returns_the_ask_json_object(client, library):
    got = client.predict(SPRING, 3, [], api_name="/ask")
    assert set(got) == ANSWER_KEYS
    assert set(got["passages"][0]) == PASSAGE_KEYS
    assert without_timing(got) == without_timing(library.ask(SPRING, top_k=3).to_dict())
    assert "SPRING" in got["passages"][0]["text"]


def test_app_answers_exactly_as_the_cli(client, library):
    question = "RIKEN第五期中長期計畫涵蓋哪幾年？"
    out = run_cli("--library", str(library.path), "ask", question, "--top-k", "4", "--json")
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    assert without_timing(client.predict(question, 4, [], api_name="/ask")) == without_timing(cli)


def test_user_errors_are_one_line_messages(client):
    with pytest.raises(AppError, match="question is empty"):
        client.predict("   ", 5, [], api_name="/ask")
    with pytest.raises(AppError, match="no report nope in the library"):
        client.predict(SPRING, 5, ["nope"], api_name="/ask")


def test_browser_handler_shows_errors_as_a_notice_not_a_traceback(app):
    chat = app[0].chat
    html, state, *_ = chat.on_ask("  ", [], 5, {"n": 0, "turns": []})
    assert "rqa-notice" in html and "question is empty" in html and "Traceback" not in html
    assert state == {"n": 0, "turns": []}
    html, state, box, *_ = chat.on_ask(SPRING, [], 2, state)
    assert state["n"] == 1 and box == "" and html.count("<article") == 2


def test_documents_endpoint_lists_reports(client):
    [doc] = client.predict(api_name="/documents")
    assert doc["title"] == "台日自然科學研究領域交流" and doc["chunks"] > 10


def test_report_ingested_by_another_process_is_searchable_without_restart(
    client, library, tmp_path
):
    report = tmp_path / "ocean-survey.md"
    report.write_text(
        "# 海洋研究船考察報告\n\n## 一、考察目的\n\n"
        "本次考察海洋研究船「新海研一號」的深海聲納系統。\n",
        encoding="utf-8",
    )
    out = run_cli("--library", str(library.path), "ingest", str(report))
    assert out.returncode == 0 and out.stdout.startswith("added"), out.stdout + out.stderr
    got = client.predict("新海研一號的深海聲納系統", 1, [], api_name="/ask")
    assert got["passages"][0]["doc_id"] == "ocean-survey"
    got = client.predict("深海聲納", 3, ["ocean-survey"], api_name="/ask")
    assert {p["doc_id"] for p in got["passages"]} == {"ocean-survey"}
    assert "ocean-survey" in {d["doc_id"] for d in client.predict(api_name="/documents")}


def test_uploads_are_off_by_default(client, app):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask", "/documents"}
    response = httpx.post(
        app[1].rstrip("/") + "/gradio_api/upload", files={"files": ("x.txt", b"report text")}
    )
    assert response.status_code == 413


# ----- uploads through a launched app ---------------------------------------------------------
@pytest.fixture(scope="module")
def upload_app(tmp_path_factory):
    lib = Library.open(tmp_path_factory.mktemp("upload-library"), embedder=FakeEmbedder())
    with served(lib, allow_upload=True, max_upload_bytes=4096) as (_demo, url):
        yield lib, Client(url, verbose=False)
    lib.close()


def upload(client: Client, path: Path) -> str:
    status, _library, _choices, cleared = client.predict(
        handle_file(str(path)), api_name="/add_report"
    )
    assert cleared is None
    return status


def test_upload_reports_added_unchanged_replaced(upload_app, tmp_path):
    lib, client = upload_app
    report = tmp_path / "九州考察.md"
    report.write_text("# 九州考察報告\n\n## 一、行程\n\n參訪九州大學的氫能源研究中心。\n", "utf-8")
    assert "added: 九州考察" in upload(client, report)
    assert "unchanged: 九州考察" in upload(client, report)
    report.write_text(
        "# 九州考察報告\n\n## 一、行程\n\n參訪九州大學的海洋能源研究中心。\n", "utf-8"
    )
    assert "replaced: 九州考察" in upload(client, report)
    uploads = lib.path / "uploads"
    assert (uploads / "九州考察.md").read_text("utf-8") == report.read_text("utf-8")
    assert not [p for p in (uploads / ".incoming").rglob("*.md")]  # gradio's copy is gone
    got = client.predict("海洋能源中心", 1, [], api_name="/ask")
    assert got["passages"][0]["doc_id"] == "九州考察"


def test_upload_names_are_sanitised_and_kept_in_the_library(upload_app, tmp_path):
    lib, client = upload_app
    report = tmp_path / "..報告<b>.txt"
    report.write_text("一、目的\n本次考察鹿兒島的火山觀測站。\n", "utf-8")
    assert "added: 報告" in upload(client, report)
    [stored] = (lib.path / "uploads").glob("報告*.txt")  # gradio strips some characters itself
    assert stored.name == sanitize_filename(stored.name) and not set("<>") & set(stored.name)


def test_bad_uploads_are_refused_with_a_reason(upload_app, tmp_path):
    lib, client = upload_app
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", "utf-8")
    status = upload(client, empty)
    assert "failed" in status and "empty" in status and "Traceback" not in status
    assert not (lib.path / "uploads" / "empty.md").exists()
    big = tmp_path / "big.md"
    big.write_text("字" * 3000, "utf-8")  # 9000 bytes, over the 4096-byte limit of this app
    with pytest.raises(Exception, match=r"size|413"):
        upload(client, big)
    assert not (lib.path / "uploads" / "big.md").exists()


def test_unexpected_errors_are_one_line_too(capsys):
    from reportqa.app.ui import ChatApp

    class BrokenService:
        path = Path("library")

        def ask(self, *args):
            raise RuntimeError("disk on fire")

        def documents(self):
            return []

    html, *_ = ChatApp(BrokenService()).on_ask("q", [], 5, None)
    assert "unexpected error (RuntimeError: disk on fire)" in html and "Traceback" not in html
    assert "Traceback" in capsys.readouterr().err  # the full story goes to the server's log
