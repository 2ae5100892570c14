"""English question words → the Chinese words a library uses (cedict table + termbase)."""

from reportqa.index.translate import translate_question, translate_word


def library(*words: str):
    """An in_library check over a fixed vocabulary (folded, Simplified)."""
    vocabulary = set(words)
    return lambda terms: {t for t in terms if t in vocabulary}


def test_a_doubled_final_consonant_is_undone():
    assert "提交" in translate_word("submitted", library("提交"))


def test_a_later_form_is_tried_when_the_first_gives_nothing_the_library_has():
    # 'specified' has no entry; 'specify' has 指定
    assert translate_word("specified", library("指定")) == ["指定"]


def test_dictionary_words_are_matched_as_taiwan_spells_them():
    # the dictionary's 服务器 is 伺服器 in a Taiwanese report
    assert translate_word("server", library("伺服器")) == ["伺服器"]
    assert translate_word("server", library("服务器")) == ["服务器"]


def test_single_characters_only_when_no_longer_word_is_found():
    assert translate_word("province", library("省")) == ["省"]
    assert translate_word("week", library("星期", "周")) == ["星期"]
    assert translate_word("week", library("周")) == ["周"]


def test_hyphenated_words_are_translated_by_their_parts():
    got = translate_word("transport-vehicle", library("运输", "车辆"))
    assert set(got) == {"运输", "车辆"}


def test_the_termbase_names_government_bodies():
    found, _, missing = translate_question(
        "how many control yuan members does each province elect?", library("监察院", "省")
    )
    assert "监察院" in found and "省" in found and "yuan" not in missing


def pairs(*chunks: set[str]):
    """A co_occur check over fixed chunks (sets of words)."""
    return lambda term, others: any(term in c and c & set(others) for c in chunks)


def test_senses_no_chunk_uses_beside_the_other_words_are_left_out():
    vocabulary = library("持续", "支持", "维持", "步骤", "投票")
    chunks = pairs({"步骤", "投票", "维持"}, {"支持", "经费"}, {"持续", "发展"})
    found, _, _ = translate_question("the last step of voting", vocabulary, chunks)
    assert "维持" in found and "步骤" in found and "投票" in found
    assert "支持" not in found and "持续" not in found
    # without the co-occurrence check every sense the library has is kept
    found, _, _ = translate_question("the last step of voting", vocabulary)
    assert {"支持", "持续", "维持"} <= set(found)


def test_all_senses_are_kept_when_none_is_used_beside_the_other_words():
    vocabulary = library("持续", "支持", "投票")
    found, _, _ = translate_question("the last vote", vocabulary, pairs({"持续"}, {"支持"}))
    assert {"持续", "支持", "投票"} <= set(found)


def test_a_word_whose_base_form_the_library_uses_in_english_is_matched_as_that_form():
    found, _, missing = translate_question("what installs it?", library("install", "安装"))
    assert found == ["install"] and not missing


def test_the_termbase_gives_the_government_senses_of_term_and_body():
    found, _, _ = translate_question("how long is the term of the president?", library("任期"))
    assert "任期" in found
    found, _, _ = translate_question("which body interprets the constitution?", library("机关"))
    assert "机关" in found


def test_modals_and_light_verbs_are_not_translated():
    # "take place": take → 获得, 感受 would pull in passages about gains and feelings
    vocabulary = library("获得", "感受", "日本", "应该")
    found, _, missing = translate_question("when did the trip to japan take place?", vocabulary)
    assert "获得" not in found and "感受" not in found
    found, _, missing = translate_question("which classroom should lessons use?", vocabulary)
    assert "should" not in missing and "应该" not in found


def test_an_irregular_form_is_translated_as_the_lemma_its_entry_names():
    # cedict's 'taught' is "vbl.teach的过去式和过去分词": teach's 讲授, not the gloss's 过去
    assert translate_word("taught", library("讲授", "过去")) == ["讲授"]
    assert translate_word("held", library("举行", "持有", "过去")) == ["持有"]


def test_the_dense_model_reads_one_sense_a_word_and_every_termbase_term():
    vocabulary = library("监察院", "选举", "选择", "推选")
    got = translate_question("whom does the control yuan elect?", vocabulary)
    assert "监察院" in got.dense and "监察院" in got.words
    senses = [w for w in got.words if w != "监察院"]
    assert len(senses) > 1 and got.dense == ["监察院", senses[0]]


def test_an_english_question_translates_common_words_the_reports_also_use_in_english():
    from reportqa.index.query import written_as_names

    # a report that lists "Dr. Kazuhiro Hono, President" uses 'president' as such
    vocabulary = library("president", "总统", "弹劾", "spring", "jst", "弹性")
    question = "Can the Control Yuan impeach the President?"
    found, _, _ = translate_question(question.lower(), vocabulary)
    assert "总统" not in found  # without names: a word the library uses is a name
    found, _, _ = translate_question(question.lower(), vocabulary, None, written_as_names(question))
    assert "总统" in found and "弹劾" in found
    question = "What does JST's SPRING program fund?"
    found, _, _ = translate_question(question.lower(), vocabulary, None, written_as_names(question))
    assert "弹性" not in found  # SPRING is written as a name


def test_names_are_capitals_digits_or_hyphens():
    from reportqa.index.query import written_as_names

    assert written_as_names("Does CentOS 7 or ACT-X need PHP on i-Voting, President?") == {
        "centos",
        "7",
        "act-x",
        "php",
        "i-voting",
    }
