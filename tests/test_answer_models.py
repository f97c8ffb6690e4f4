"""The learned answer choice and abstention, with the real model, index and fitted model file."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from qa.answer_model import MODEL_FILE, AnswerModels, shipped_models
from qa.evaluate import load_eval_set

from .conftest import ROOT


def test_the_threshold_is_read_from_the_fitted_model_file(engine):
    stored = json.loads(resources.files("qa.data").joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    assert engine.abstain_below == stored["answerability"]["threshold"] == shipped_models().threshold
    assert 0 < engine.abstain_below < 1
    moved = {**stored, "answerability": {**stored["answerability"], "threshold": 0.123}}
    assert AnswerModels.from_dict(moved).threshold == 0.123


# Neither in evals/ nor among the questions the models were fitted on (scripts/data/offtopic_train.jsonl).
@pytest.mark.parametrize(
    "question",
    [
        "What is the national flower of Japan?",
        "阿尔巴尼亚的国土面积是多少平方公里？",
        # The letter's title and a signature block name the person or country asked about, but say nothing of it.
        "新西兰总理是谁？",
        "菲利普·克里德尔卡大使会说几种语言？",
        "Which football club does the Belgian king support?",
        "科威特有多少座清真寺？",
        # People the letters name, asked a fact the letters do not state: a quotation naming them is no answer.
        # his signature block is quoted: it names him, but answers only a question asking who
        "比利时常驻代表菲利普·克里德尔卡是哪一年出生的？",
        pytest.param("裴凯儒是哪国人？", marks=pytest.mark.xfail(strict=True, reason="the briefing that names him is retrieved with confidence; the lacking predicate weighs too little")),
        pytest.param("莫娜·弗拉杰在土耳其住在哪座城市？", marks=pytest.mark.xfail(strict=True, reason="answered with the city she lived in before (拉卡), a place tied to 住 but not to 土耳其")),
        # English: the names map to the letters' own, the main words map to nothing in them.
        "Where did Philippe Kridelka go to school?",
        "What is Mansour Al-Otaibi's favourite food?",
    ],
)
def test_off_topic_and_absent_fact_questions_abstain(engine, question):
    response = engine.ask(question)
    assert response.abstained, (question, response.answers[0].text if response.answers else None, response.confidence)


def assert_answered(engine, question: str, expected: str) -> None:
    """The question is answered, and its top quotation holds `expected`."""
    response = engine.ask(question)
    assert not response.abstained, response.confidence
    assert expected in response.answers[0].text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a country named inside a phrase (努力稳住海地局势)
        ("2022年10月新设立的制裁制度旨在稳住哪个国家的局势？", "海地"),
        # a place asked with 哪个场合: no longer withheld, but the ranker picks annex/4, not the sentence naming the retreat
        pytest.param("科威特和圣文森特和格林纳丁斯在哪个场合讨论了安理会的工作方法？", "务虚会", marks=pytest.mark.xfail(strict=True, reason="answered from the wrong sentence")),
    ],
)
def test_answerable_questions_the_hand_rules_withheld_are_answered(engine, question, expected):
    assert_answered(engine, question, expected)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is the Permanent Representative of Albania who signed the letter of 28 August 2023?", "费里特·霍查"),
        pytest.param("How many informal interactive dialogues did the Council hold in February 2020?", "1场", marks=pytest.mark.xfail(strict=True, reason="the right sentence is found but abstains: a run-on sentence holding only the count")),
        ("日本常驻联合国代表山崎和之在2024年3月1日的信是写给谁的？", "秘书长"),
    ],
)
def test_answerable_questions_naming_people_and_bodies_are_answered(engine, question, expected):
    assert_answered(engine, question, expected)


def test_short_answers_stand_inside_their_quotations_on_the_eval_set(engine):
    items = load_eval_set(ROOT / "evals" / "letters.jsonl")
    marked = 0
    for response in engine.ask_many([item.question for item in items]):
        for answer in response.answers:
            assert answer.passage.text[answer.start : answer.end] == answer.text
            if answer.short is not None:
                assert answer.passage.text[answer.short_start : answer.short_end] == answer.short
                assert answer.start <= answer.short_start < answer.short_end <= answer.end
                marked += 1
    assert marked > 50


# Near misses: the letters speak of the meeting, resolution or person asked about, but the span
# lacks what is asked (a duration, a person, a vote count, the year asked, the predicate).
# Neither in evals/, nor in scripts/data/heldout_abstain.jsonl, nor among the questions fitted on.
@pytest.mark.parametrize(
    "question",
    [
        "据阿尔巴尼亚的概念说明，安理会2016年派出了几支实地访问团？",
        # The evidence is computed (duration_lacking, name_lacking, lacks_asked, predicate_by_answer)
        # but weighs too little against confident retrieval of the right passage.
        pytest.param("2020年2月6日欧安组织轮值主席的通报持续了多长时间？", marks=pytest.mark.xfail(strict=True, reason="duration_lacking fires but weighs too little")),
        pytest.param("金斯敦务虚会的第四次会议由谁主持？", marks=pytest.mark.xfail(strict=True, reason="name_lacking fires on the agenda line but weighs too little")),
        pytest.param("第2512(2020)号决议表决时有几个国家投了赞成票？", marks=pytest.mark.xfail(strict=True, reason="the span's 10个月 is a count; the measure 国 is lacking but weighs too little")),
        pytest.param("第2510(2020)号决议是哪一天生效的？", marks=pytest.mark.xfail(strict=True, reason="the adoption date is quoted: 生效 is absent, a predicate share weighs too little")),
    ],
)
def test_near_misses_abstain(engine, question):
    response = engine.ask(question)
    assert response.abstained, (question, response.answers[0].text if response.answers else None, response.confidence)


# Answerable questions of the same shapes: the span holds the duration, the person, the count of the year asked.
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("索马里制裁委员会主席向安理会介绍了委员会过去多长时间的活动？", "120天"),
        ("2020年2月12日儿童与武装冲突通报会由谁主持？", "菲利普·戈凡"),
        ("据阿尔巴尼亚的概念说明，安理会2019年派出了几支实地访问团？", "5支"),
        ("第2511(2020)号决议以多少票赞成获得通过？", "13票赞成"),
    ],
)
def test_answerable_questions_shaped_like_near_misses_are_answered(engine, question, expected):
    assert_answered(engine, question, expected)
