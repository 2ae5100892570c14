"""Import gradio without its start-up type-stub pass: half of its import time, none of its use.

Each component class gradio defines calls `gradio.component_meta.create_or_modify_pyi`, which
reads the class's source file, parses it twice with `ast`, renders a Jinja template and
rewrites the `.pyi` stub beside it when that differs. The wheel ships those stubs already, and
they serve type checkers, not a running app; on these 2 cores the pass is ~3.5 s of a ~6 s
`import gradio` under load. Installed before gradio is first imported, the finder below lets
`gradio.component_meta` load as usual and then swaps that one function for a no-op. A gradio
without the function, or already imported, is left alone.
"""

from __future__ import annotations

import importlib.machinery
import sys
from types import ModuleType

TARGET = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def _no_stub_pass(*_args, **_kwargs) -> None:
    """create_or_modify_pyi's stand-in: the shipped stubs stay as they are."""


def without_stub_pass(module: ModuleType) -> None:
    """Replace the module's stub writer (when it has one) by a no-op."""
    if callable(getattr(module, STUB_WRITER, None)):
        setattr(module, STUB_WRITER, _no_stub_pass)


class _SkipStubPass:
    """A meta-path finder for gradio.component_meta only; everything else passes through."""

    def find_spec(self, name: str, path=None, target=None):
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_patch(module: ModuleType) -> None:
            exec_module(module)
            without_stub_pass(module)

        loader.exec_module = exec_then_patch
        return spec


def skip_stub_pass() -> None:
    """Make the next `import gradio` skip the stub pass (no-op once gradio is imported)."""
    if TARGET in sys.modules:
        without_stub_pass(sys.modules[TARGET])
        return
    if not any(isinstance(f, _SkipStubPass) for f in sys.meta_path):
        sys.meta_path.insert(0, _SkipStubPass())
