"""What a user may ask (qa.questions): the question, k and the filters, one rule everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from qa.cli import response_record
from qa.engine import Filters
from qa.questions import (
    MAX_QUESTION_CHARS,
    EmptyQuestion,
    InvalidText,
    NoLetterLeft,
    QuestionTooLong,
    ReversedDates,
    check_filters,
    check_k,
    check_question,
    printable,
)

from .conftest import RETREAT


@pytest.mark.parametrize(
    ("given", "asked"),
    [
        ("  执笔方制度\n有哪些问题？ ", "执笔方制度 有哪些问题？"),
        ("执笔\u200b方\u200c制\u200d度\u2060有\ufeff哪些\u00ad问题？", "执笔方制度有哪些问题？"),
        ("\ufeff安理会？", "安理会？"),  # a byte-order mark from a UTF-8 file
        ("安理会\x00通过了\x1b[31m几项\x7f决议？", "安理会 通过了 [31m几项 决议？"),  # control characters become spaces
        ("right\u200fto\u202eleft", "righttoleft"),  # direction marks are invisible too
        ("安理会\u3000通过了", "安理会 通过了"),
    ],
)
def test_a_question_is_cleaned_of_invisible_and_control_characters(given, asked):
    assert check_question(given) == asked
    assert check_question(asked) == asked


@pytest.mark.parametrize("given", ["", "   ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff\u00ad", "\x00\t\x1f"])
def test_nothing_visible_is_an_empty_question(given):
    with pytest.raises(EmptyQuestion, match="the question is empty"):
        check_question(given)


def test_length_counts_visible_characters():
    assert check_question("问" * MAX_QUESTION_CHARS + "\u200b" * 50) == "问" * MAX_QUESTION_CHARS
    with pytest.raises(QuestionTooLong, match=f"{MAX_QUESTION_CHARS + 1} characters") as error:
        check_question("问" * (MAX_QUESTION_CHARS + 1))
    assert error.value.length == MAX_QUESTION_CHARS + 1


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (b"\xff\xfe\xe5\xae\x89".decode("utf-8", "surrogateescape"), "\\xff\\xfe安"),  # undecodable bytes
        ("安理会\ud800？", "安理会\\ud800？"),  # a lone surrogate from JSON
    ],
)
def test_text_that_is_not_valid_unicode_is_refused_naming_it(given, shown):
    with pytest.raises(InvalidText) as error:
        check_question(given)
    assert shown in str(error.value) and "not valid" in str(error.value)
    assert printable(given) == shown
    str(error.value).encode("utf-8")  # the message itself can be printed


def test_printable_leaves_ordinary_text_alone_and_escapes_controls():
    assert printable("执笔方制度 S/2017/507？") == "执笔方制度 S/2017/507？"
    assert printable("a\x1b[31mb\x00") == "a\\x1b[31mb\\x00"


@pytest.mark.parametrize(("given", "k"), [(1, 1), (50, 50), ("7", 7), (" 3 ", 3), (3.0, 3)])
def test_k_whole_numbers_from_1_to_50(given, k):
    assert check_k(given) == k and type(check_k(given)) is int


@pytest.mark.parametrize("given", [0, 51, -1, 2.5, "2.5", "two", "", None, True, float("nan"), float("inf"), [3]])
def test_k_anything_else_is_refused_in_words(given):
    with pytest.raises(ValueError, match="k must be a whole number between 1 and 50"):
        check_k(given)


def test_filters_reversed_dates_and_no_letter_left(letters):
    letters = [parsed.letter for parsed in letters.values()]
    whole_2020 = Filters((), dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert check_filters(whole_2020, letters) is whole_2020
    assert check_filters(Filters(), letters) == Filters()
    with pytest.raises(ReversedDates, match="2021-01-01 is after .*2020-01-01") as error:
        check_filters(Filters((), dt.date(2021, 1, 1), dt.date(2020, 1, 1)))
    assert (error.value.start, error.value.end) == (dt.date(2021, 1, 1), dt.date(2020, 1, 1))
    with pytest.raises(NoLetterLeft, match="no letter"):
        check_filters(Filters((RETREAT,), dt.date(2024, 1, 1)), letters)
    assert check_filters(Filters((RETREAT,), dt.date(2024, 1, 1))) == Filters((RETREAT,), dt.date(2024, 1, 1))  # letters unknown yet


@pytest.mark.parametrize(
    "question",
    [
        "比利时担任主席期间安理会举行了多少次公开会议？",
        "执笔方制度有哪些问题？",
        "安理会在2023年派出了几支实地访问团？",
        "PRST/2020/3号主席声明赞扬了什么？",
        "金斯敦务虚会是在哪一天开幕的？",
    ],
)
def test_zero_width_characters_inside_words_do_not_change_the_answer(engine, question):
    middle = len(question) // 2
    hidden = question[:2] + "\u200b" + question[2:middle] + "\u00ad\u2060" + question[middle:-2] + "\u200d\ufeff" + question[-2:]
    assert response_record(engine.ask(hidden)) == response_record(engine.ask(question))
    assert [h.passage.id for h in engine.search(hidden)] == [h.passage.id for h in engine.search(question)]
