"""The app imports gradio without its start-up stub pass, and gradio still builds and serves."""

from __future__ import annotations

import subprocess
import sys
import types

from reportqa.app import gradio_import

PROBE = """
import sys
{setup}
import gradio, gradio.component_meta as meta
with gradio.Blocks() as demo:
    gradio.Textbox(label="q")
print(meta.create_or_modify_pyi.__name__)
"""


def _stub_writer_after_import(setup: str) -> str:
    env_code = PROBE.format(setup=setup)
    out = subprocess.run(
        [sys.executable, "-c", env_code],
        capture_output=True,
        text=True,
        check=True,
        env={"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PATH": ""},
    )
    return out.stdout.strip().splitlines()[-1]


def test_gradio_imported_after_skip_has_no_stub_pass_and_still_builds_blocks():
    setup = "from reportqa.app.gradio_import import skip_stub_pass; skip_stub_pass()"
    assert _stub_writer_after_import(setup) == "_no_stub_pass"


def test_plain_gradio_import_keeps_its_stub_pass():
    # What the finder changes: without it gradio runs its own writer at import.
    assert _stub_writer_after_import("") == gradio_import.STUB_WRITER


def test_module_without_the_stub_writer_is_left_alone():
    module = types.ModuleType("gradio.component_meta")
    gradio_import.without_stub_pass(module)
    assert not hasattr(module, gradio_import.STUB_WRITER)
    module.create_or_modify_pyi = lambda *a: "wrote"
    gradio_import.without_stub_pass(module)
    assert module.create_or_modify_pyi() is None


def test_skip_installs_one_finder_only(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, gradio_import.TARGET, raising=False)
    gradio_import.skip_stub_pass()
    gradio_import.skip_stub_pass()
    finders = [f for f in sys.meta_path if isinstance(f, gradio_import._SkipStubPass)]
    assert len(finders) == 1
