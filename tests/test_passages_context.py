"""What a chunk is embedded and indexed as: its report's title and section path as context."""

from reportqa.index.passages import embedding_text, lexical_text


def test_a_short_section_is_embedded_under_its_report_title_and_whole_path() -> None:
    text = "參、計畫期程：111年11月至112年7月。"
    got = embedding_text(["參、計畫期程"], text, "某市健康競賽實施計畫")
    # The heading is in the text already; the report's title is not.
    assert got == f"某市健康競賽實施計畫\n{text}"
    deep = embedding_text(["壹、總則", "一、目的", "（一）範圍"], "適用於全市。", "某計畫")
    assert deep == "某計畫 › 壹、總則 › 一、目的 › （一）範圍\n適用於全市。"


def test_without_a_title_only_the_path_is_context() -> None:
    got = embedding_text(["第一章 總綱", "第1條"], "第 1 條\n本法…")
    assert got == "第一章 總綱 › 第1條\n第 1 條\n本法…"
    assert embedding_text([], "本文") == "本文"


def test_the_lexical_index_keeps_the_nearest_titles_only() -> None:
    # The title repeated in every chunk of a report would only dilute its words' weight.
    assert lexical_text(["壹、總則", "一、目的", "（一）範圍"], "適用於全市。") == (
        "一、目的 （一）範圍 適用於全市。"
    )
