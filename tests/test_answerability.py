"""The answerability evidence about what a question asks (its predicate), beyond whom it names."""

from __future__ import annotations

import pytest

from qa.answerability import english_predicate, predicate_evidence, predicate_words, rare_share
from qa.asked import duration_lacking, name_lacking
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


def test_a_verb_jieba_tags_as_a_preposition_closing_the_question_is_its_predicate(tokenizer):
    # 通过 is tagged p: the date a consultation on the resolution was held does not say when it was adopted
    question = "第2118(2013)号决议是哪一天通过的？"
    words = predicate_words(question, tokenizer.tagged, [], "")
    assert "通过" in words
    text = "2月5日举行了有关第2118(2013)号决议执行情况磋商。"
    assert predicate_evidence(words, answer_kind(question), text, 0, len(text), question, tokenizer.tagged)[1] < 1.0


def test_a_question_asking_how_long_needs_a_duration_in_the_span():
    assert duration_lacking("2020年2月安理会关于布隆迪的非正式互动对话持续了多长时间？", "2月26日，安全理事会就布隆迪问题举行了一次非正式互动对话。") == 1.0
    assert duration_lacking("How long did the open debate last?", "这次公开辩论是安全理事会第一次将过渡期正义作为一个专题问题举行会议。") == 1.0
    for question, span in [
        ("发言人讲到多长时间时话筒上的灯会开始提示？", "麦克风项圈上的红灯将在发言开始后两分半钟开始闪烁。"),
        ("专家小组的授权期延长了多久？", "将专家小组的任务期限延长了一年。"),
        ("委员会主席介绍了委员会过去多长时间的活动？", "关于委员会过去120天活动的情况通报"),
        ("安理会通过了几项决议？", "2月26日"),  # not a duration question
    ]:
        assert duration_lacking(question, span) == 0.0, (question, span)


def test_who_is_not_answered_by_the_person_the_question_names(tokenizer):
    question = "宾图·凯塔最近一次访问布隆迪时会见了哪位政府官员？"
    span = "对话的重点是由主管维持和平行动助理秘书长宾图·凯塔介绍她最近一次访问布隆迪的情况。"
    assert name_lacking(question, span, tokenizer.tagged) == 1.0
    assert name_lacking("金斯敦务虚会的第三次会议由谁主持？", "安全理事会成员之间的包容和互动(第三次会议)；", tokenizer.tagged) == 1.0
    assert name_lacking("儿童与武装冲突通报会由谁主持？", "会议由比利时外交和国防大臣菲利普·戈凡主持", tokenizer.tagged) == 0.0
