"""The Python API given what a caller may pass by mistake: a question that is not text, a k
that is not a whole number from 1 to 50. Each is refused with a message, never asked as
"None" or answered with a slice of the wrong size."""

from __future__ import annotations

import pytest

from qa.questions import QuestionError


@pytest.mark.parametrize("question", [None, 123, b"\xe5\xae\x89\xe7\x90\x86\xe4\xbc\x9a"])
def test_a_question_that_is_not_text_is_refused(engine, question):
    for call in (engine.search, engine.ask, lambda q: engine.ask_many([q])):
        with pytest.raises(QuestionError, match=f"the question must be text \\(str\\), not {type(question).__name__}"):
            call(question)


@pytest.mark.parametrize("k", [0, -1, 51, 2.5, "many"])
def test_a_k_that_is_not_a_whole_number_from_1_to_50_is_refused(engine, k):
    for call in (engine.search, engine.ask, lambda q, k: engine.ask_many([q], k)):
        with pytest.raises(ValueError, match="k must be a whole number between 1 and 50"):
            call("执笔方制度有哪些问题？", k)


def test_k_given_as_a_whole_float_or_its_digits_is_taken(engine):
    assert len(engine.search("执笔方制度有哪些问题？", 3.0)) == len(engine.search("执笔方制度有哪些问题？", "3")) == 3
