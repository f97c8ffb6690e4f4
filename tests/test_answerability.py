"""The answerability evidence about what a question asks (its predicate), beyond whom it names."""

from __future__ import annotations

import pytest

from qa.answerability import english_predicate, predicate_evidence, predicate_words, rare_share
from qa.kinds import answer_kind
from qa.tokens import ChineseTokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return ChineseTokenizer()


def test_the_predicate_leaves_out_names_asking_words_and_the_letter_picked(tokenizer):
    words = predicate_words("新西兰常驻代表是何时递交全权证书的？", tokenizer.tagged, ["新西兰"], "新西兰常驻代表的信")
    assert words == ["递交", "全权", "证书"]


def test_rare_words_weigh_more_than_common_ones():
    assert rare_share(["证书", "举行"], "举行了会议") < 0.5 < rare_share(["证书", "举行"], "证书")
    assert rare_share([], "anything") == 1.0


def test_a_word_counts_in_the_form_the_letters_use():
    assert rare_share(["签署"], "帕斯卡尔·贝里斯韦尔(签名)") == 1.0
    assert rare_share(["安理会"], "安全理事会主席") == 1.0


def test_a_date_that_only_dates_the_letter_does_not_answer_when_it_was_done(tokenizer):
    question = "新西兰常驻代表是何时递交全权证书的？"
    title = "2021年2月8日新西兰和瑞士常驻联合国代表给安全理事会主席的信"
    words = predicate_words(question, tokenizer.tagged, ["新西兰"], "")
    assert predicate_evidence(words, answer_kind(question), title, 0, len(title), question, tokenizer.tagged) == (0.0, 0.0)


def test_an_answer_in_the_clause_that_states_the_predicate_is_tied_to_it(tokenizer):
    question = "联海综合办是哪一天开办的？"
    text = "这是自新的特别政治任务——联合国海地综合办事处(联海综合办)于2019年10月16日开办以来的首次正式会议。"
    words = predicate_words(question, tokenizer.tagged, ["联海综合办"], "")
    assert "开办" in words
    near, by_answer = predicate_evidence(words, answer_kind(question), text, 0, len(text), question, tokenizer.tagged)
    assert near == by_answer == 1.0


def test_an_answer_of_the_right_kind_in_another_clause_is_not_tied(tokenizer):
    question = "第2512(2020)号决议是在哪一天以多少票通过的？"
    text = "其中将联几建和办的任务期限延长10个月，安理会一致通过了这项决议。"
    kind = answer_kind("第2512(2020)号决议以多少票通过？")
    words = predicate_words(question, tokenizer.tagged, [], "")
    _, by_answer = predicate_evidence(words, kind, text, 0, len(text), question, tokenizer.tagged)
    assert by_answer < 1.0


def test_an_english_question_asks_with_its_lower_case_words(tokenizer):
    assert english_predicate("What is the capital of France?", tokenizer) == ([], 1)
    assert english_predicate("Who is the president of Albania?", tokenizer) == (["主席"], 0)
    # a name the letters give maps, but what is asked of it does not
    assert english_predicate("Where was Mansour Al-Otaibi born?", tokenizer) == ([], 1)
    assert "曼苏尔·奥泰比" in tokenizer.question_text("Where was Mansour Al-Otaibi born?")
