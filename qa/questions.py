"""What a user may ask: the question, how many answers (k) and which letters (filters).

One rule for every way in (the CLI, the Python API, the chat and `/ask`), applied where the
input arrives. A question is cleaned before it is asked: invisible characters (zero-width
spaces and joiners, word joiners, soft hyphens, byte-order marks, direction marks: Unicode's
format characters) are removed, so that 执笔\\u200b方 is 执笔方; control characters and runs
of white space become one space.

>>> check_question(" 执笔\\u200b方制度\\u00ad有哪些\\n问题？ ")
'执笔方制度有哪些 问题？'
>>> check_k("3")
3
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine imports this module
    from .engine import Filters

MAX_QUESTION_CHARS = 1000
MIN_K, MAX_K = 1, 50


class QuestionError(ValueError):
    """The question cannot be asked as given; the message says why."""


class EmptyQuestion(QuestionError):
    def __init__(self):
        super().__init__("the question is empty")


class QuestionTooLong(QuestionError):
    def __init__(self, length: int):
        super().__init__(f"the question has {length} characters; ask in at most {MAX_QUESTION_CHARS}")
        self.length = length


class NoWords(QuestionError):
    """Only punctuation, symbols or emoji: nothing that a letter's words could match."""

    def __init__(self):
        super().__init__("the question has no words, only punctuation or symbols")


class InvalidText(QuestionError):
    """Lone surrogates: bytes that were not UTF-8 (Python keeps them as U+DC80-U+DCFF), or
    half a UTF-16 pair sent as JSON. No tokenizer can take them, and guessing is worse."""

    def __init__(self, question: str, count: int):
        super().__init__(f"the question is not valid text ({count} undecodable character{'s' if count > 1 else ''}, shown escaped): {_shown(printable(question))}")
        self.count = count


def check_question(question: str) -> str:
    """The question as it is asked (cleaned), or QuestionError."""
    if not isinstance(question, str):  # None or bytes would be asked as "None", "b'…'"
        raise QuestionError(f"the question must be text (str), not {type(question).__name__}")
    text = str(question)
    if not text.isprintable():  # the common case skips the per-character pass
        text = "".join(_cleaned(c) for c in text)
        surrogates = sum(1 for c in text if _is_surrogate(c))
        if surrogates:
            raise InvalidText(question, surrogates)
    text = " ".join(text.split())
    if not text:
        raise EmptyQuestion()
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(len(text))
    if not any(c.isalnum() for c in text):
        raise NoWords()
    return text


def _cleaned(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category == "Cc":
        return " "
    return char


def _is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def printable(text: str) -> str:
    """`text` safe to print and to encode as UTF-8: an undecodable byte as \\xNN, another lone
    surrogate as \\uNNNN, a control character as \\xNN; everything else as it is.

    >>> printable(b"\\xff\\xfe\\xe5\\xae\\x89".decode("utf-8", "surrogateescape"))
    '\\\\xff\\\\xfe安'
    """
    if text.isprintable():
        return text
    return "".join(_escaped(c) for c in text)


def _shown(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for one undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    if _is_surrogate(char):
        return f"\\u{code:04x}"
    if unicodedata.category(char) == "Cc" and char != " ":
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def check_k(k: object) -> int:
    """How many answers or passages: a whole number from 1 to 50 (an int, a float such as 3.0,
    or its digits as text), else ValueError."""
    number = None
    if isinstance(k, int) and not isinstance(k, bool):
        number = k
    elif isinstance(k, float) and math.isfinite(k) and k.is_integer():
        number = int(k)
    elif isinstance(k, str):
        try:
            number = int(k)
        except ValueError:
            pass
    if number is None or not MIN_K <= number <= MAX_K:
        raise ValueError(f"k must be a whole number between {MIN_K} and {MAX_K}, not {_shown(repr(k))}")
    return number


class FilterError(ValueError):
    """Filters that can select no passage."""


class ReversedDates(FilterError):
    def __init__(self, start: dt.date, end: dt.date):
        super().__init__(f"the start date {start.isoformat()} is after the end date {end.isoformat()}")
        self.start, self.end = start, end


class NoLetterLeft(FilterError):
    def __init__(self):
        super().__init__("no letter is left by the chosen letters and dates; widen them (see 'qa corpus')")


def check_date_range(start: dt.date | None, end: dt.date | None) -> None:
    """ReversedDates when the range ends before it starts (either end may be open)."""
    if start is not None and end is not None and start > end:
        raise ReversedDates(start, end)


def check_filters(filters: Filters, letters: Sequence = ()) -> Filters:
    """The filters unchanged, or FilterError for a reversed date range or (given the corpus's
    letters; any object with `source` and `date`) a choice that leaves no letter."""
    check_date_range(filters.date_from, filters.date_to)
    if letters and filters.active and not any(filters.admits(letter) for letter in letters):
        raise NoLetterLeft()
    return filters
