"""The Gradio Blocks: a chat over Library.ask, a library panel, optional upload, a JSON API."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from reportqa.app.gradio_import import skip_stub_pass
from reportqa.offline import force_offline

force_offline()  # before gradio is imported: no analytics, no hub calls
skip_stub_pass()  # nor its start-up rewrite of the type stubs it ships (~half its import)

import gradio as gr  # noqa: E402

from reportqa.app import render  # noqa: E402
from reportqa.app.service import LibraryService  # noqa: E402
from reportqa.app.style import CSS  # noqa: E402
from reportqa.app.uploads import MAX_UPLOAD_BYTES, store_upload, upload_dir  # noqa: E402
from reportqa.errors import ReportQAError  # noqa: E402

EXAMPLES = [
    "What does JST's SPRING program fund?",
    "RIKEN第五期中長期計畫涵蓋哪幾年？",
    "NIMS 如何協助新創公司起步？",
    "When was NIMS founded, and where is its headquarters?",
]
MAX_TURNS = 20  # earlier answers kept in a browser session


class ChatApp:
    """Event handlers over one LibraryService; every answer comes from Library.ask."""

    def __init__(
        self,
        service: LibraryService,
        top_k: int = 5,
        allow_upload: bool = False,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        self.service = service
        self.top_k = top_k
        self.allow_upload = allow_upload
        self.max_upload_bytes = max_upload_bytes

    # ----- panels ---------------------------------------------------------------------------
    def library_panel(self) -> tuple[str, dict]:
        """The library table and the report choices, read fresh from the library."""
        docs = self.service.documents()
        html = render.library_html(docs, str(self.service.path))
        if not docs and self.allow_upload:
            html = render.notice_html(
                "No reports in the library yet: add one below, or run `reportqa ingest FILE`."
            )
        choices = [(f"{d['title']} ({d['doc_id']})", d["doc_id"]) for d in docs]
        return html, gr.update(choices=choices)

    # ----- asking ---------------------------------------------------------------------------
    def on_ask(self, question: str, doc_ids: list[str] | None, top_k: float | None, chat: dict):
        """Answer from the browser: the new turn on top, or a one-line notice."""
        chat = chat or {"n": 0, "turns": []}
        library, choices = self.library_panel()

        def notice(message: str, kind: str = "info") -> tuple:
            html = render.transcript_html(chat["turns"], render.notice_html(message, kind))
            return html, chat, gr.update(), choices, library

        try:
            answer = self.service.ask(question, int(top_k or self.top_k), doc_ids or None)
        except Exception as exc:
            return notice(user_message(exc), "error")
        if not answer.passages and not self.service.documents():
            return notice(
                "No reports in the library yet: run `reportqa ingest FILE`"
                + (" or add one under “Add a report”" if self.allow_upload else "")
                + ", then ask again."
            )
        n = chat["n"] + 1
        turns = [render.answer_html(answer.to_dict(), n), *chat["turns"]][:MAX_TURNS]
        chat = {"n": n, "turns": turns}
        return render.transcript_html(turns), chat, "", choices, library

    def api_ask(self, question: str, top_k: int = 5, doc_ids: list[str] | None = None) -> dict:
        """Cited passages for a question: the same object as `reportqa ask --json`."""
        try:
            return self.service.ask(question, int(top_k), doc_ids or None).to_dict()
        except Exception as exc:
            raise gr.Error(user_message(exc)) from None

    def api_documents(self) -> list[dict]:
        """The reports in the library, as `reportqa list --json` prints them."""
        return self.service.documents()

    # ----- uploading ------------------------------------------------------------------------
    def on_upload(self, path: str | None, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
        """Ingest an uploaded report; show added / replaced / unchanged or why it failed."""
        library, choices = self.library_panel()
        if not path:
            return "", library, choices, None

        def report(done: int, total: int) -> None:
            progress((done, total), desc=f"embedded {done}/{total} chunks")

        try:
            progress(0, desc="reading the report")
            result = store_upload(
                path,
                self.service.path,
                lambda p, doc_id: self.service.ingest(p, doc_id, progress=report),
                self.max_upload_bytes,
            )
            status = render.ingest_html(result)
        except Exception as exc:
            status = render.notice_html(f"failed: {user_message(exc)}", "error")
        finally:
            discard_incoming(path, self.service.path)
        library, choices = self.library_panel()
        return status, library, choices, None


def user_message(exc: Exception) -> str:
    """One line for the user; an unexpected error also goes to the server's log in full."""
    if isinstance(exc, ReportQAError):
        return str(exc)
    traceback.print_exception(exc, file=sys.stderr)
    return (
        f"unexpected error ({type(exc).__name__}: {exc}); "
        "see the terminal running `reportqa app` for details"
    )


def discard_incoming(path: str, library: Path) -> None:
    """Delete gradio's own copy of an upload once it is ingested (only if it is in the library)."""
    incoming = upload_dir(library) / ".incoming"
    file = Path(path)
    if file.resolve().is_relative_to(incoming.resolve()):
        file.unlink(missing_ok=True)
        if file.parent != incoming and not any(file.parent.iterdir()):
            file.parent.rmdir()


def build_app(
    service: LibraryService,
    top_k: int = 5,
    allow_upload: bool = False,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    examples: list[str] = EXAMPLES,
) -> gr.Blocks:
    """The web chat. Thin: every answer is Library.ask, rendered by reportqa.app.render."""
    chat = ChatApp(service, top_k, allow_upload, max_upload_bytes)
    with gr.Blocks(title="reportqa · ask the reports", analytics_enabled=False) as demo:
        gr.HTML(
            '<header class="rqa-header"><h1>reportqa</h1><p>Ask a question in Chinese or '
            "English; get the report passages that answer it, cited by report, section and "
            "page.</p></header>"
        )
        state = gr.State({"n": 0, "turns": []})
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                with gr.Row(elem_classes="rqa-ask-row"):
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Ask in Chinese or English, e.g. " + examples[1],
                        lines=1,
                        max_lines=4,
                        scale=6,
                        elem_id="rqa-question",
                        autofocus=True,
                    )
                    ask = gr.Button(
                        "Ask", variant="primary", scale=1, min_width=90, elem_id="rqa-ask"
                    )
                with gr.Row(elem_classes="rqa-examples"):
                    example_buttons = [
                        gr.Button(q, size="sm", variant="secondary", elem_classes="rqa-example")
                        for q in examples
                    ]
                answer = gr.HTML(
                    render.transcript_html([]),
                    elem_id="rqa-answer",
                    apply_default_css=False,
                    js_on_load=None,
                )
            with gr.Column(scale=2, min_width=300, elem_classes="rqa-side"):
                with gr.Accordion("Search", open=True):
                    docs = gr.Dropdown(
                        label="Reports to search",
                        info="Leave empty to search every report",
                        multiselect=True,
                        choices=[],
                        value=[],
                        elem_id="rqa-docs",
                    )
                    passages = gr.Slider(
                        1,
                        max(10, top_k),
                        value=top_k,
                        step=1,
                        label="Passages to show",
                        elem_id="rqa-top-k",
                    )
                with gr.Accordion("Library", open=True):
                    library = gr.HTML(
                        elem_id="rqa-library", apply_default_css=False, js_on_load=None
                    )
                    refresh = gr.Button("Refresh", size="sm", variant="secondary")
                if allow_upload:
                    with gr.Accordion("Add a report", open=True):
                        upload = gr.File(
                            label=f"PDF, .txt or .md, up to {max_upload_bytes // 2**20} MB",
                            file_types=[".pdf", ".txt", ".md"],
                            type="filepath",
                            elem_id="rqa-upload",
                        )
                        upload_status = gr.HTML(elem_id="rqa-upload-status", js_on_load=None)

        ask_io = {
            "outputs": [answer, state, question, docs, library],
            "api_visibility": "private",
            "show_progress": "minimal",
            "show_progress_on": [answer],
        }
        ask.click(chat.on_ask, [question, docs, passages, state], **ask_io)
        question.submit(chat.on_ask, [question, docs, passages, state], **ask_io)
        for button, text in zip(example_buttons, examples, strict=True):
            button.click(
                lambda d, k, s, text=text: chat.on_ask(text, d, k, s),
                [docs, passages, state],
                **ask_io,
            )
        for event in (demo.load, refresh.click):
            event(chat.library_panel, None, [library, docs], api_visibility="private")
        if allow_upload:
            upload.upload(
                chat.on_upload,
                [upload],
                [upload_status, library, docs, upload],
                api_name="add_report",
                api_visibility="undocumented",
            )
        gr.api(chat.api_ask, api_name="ask")
        gr.api(chat.api_documents, api_name="documents")
    demo.chat = chat  # for tests and embedding
    return demo


def launch_options(
    host: str | None, port: int | None, allow_upload: bool, max_upload_bytes: int
) -> dict:
    """Safe launch settings: loopback unless told, no share link, no analytics, no SSR node."""
    return {
        "server_name": host or "127.0.0.1",
        "server_port": port,
        "share": False,
        "quiet": True,
        "prevent_thread_lock": True,
        "inbrowser": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": ["api", "settings"],
        # Gradio accepts uploads for any app; 0 bytes refuses every upload when they are off.
        "max_file_size": max_upload_bytes if allow_upload else 0,
        "theme": gr.themes.Default(primary_hue="indigo", neutral_hue="slate"),
        "css": CSS,
    }
