"""Stricter checks that a span holds what the question asks for, for abstention only.

The answer kinds of `qa/kinds.py` rank spans and accept stand-ins (a role for
谁, a body for 哪国). Deciding whether to answer at all asks more: a duration
for 多长时间 (not the date of the meeting), a name for 谁 other than the
names the question gives ("宾图·凯塔最近一次访问布隆迪时会见了哪位官员？" is not
answered by the sentence that names 宾图·凯塔).
"""

from __future__ import annotations

import re

from .kinds import NAME_TAGS, NUMERAL, PERSON, AnswerKind, Tagger
from .symbols import ANY_SYMBOL

DURATION_ASKED = re.compile(r"多长时间|多久|多长|持续了?几|how long", re.I)
# 10个月, 一年, 120天, 两分半钟, 3小时; not a year (2020年) nor a day of the month (26日).
DURATION = re.compile(
    rf"(?:(?<!\d)\d{{1,3}}(?:\.\d+)?|{NUMERAL}+|半|数|几)\s*个?多?(?:年|个月|周|星期|天|小时|钟头|分半钟|分钟|秒钟?|世纪)|半(?:年|天|小时)|(?:\d+|{NUMERAL}+)分半"
)
NAME_ASKED = re.compile(r"谁|哪位|何人|\bwho\b|\bwhom\b", re.I)


def duration_lacking(question: str, span: str) -> float:
    """1 when the question asks how long (多长时间, 多久, how long) and the span states no duration.

    >>> duration_lacking("对话持续了多长时间？", "2月26日，安全理事会就布隆迪问题举行了一次非正式互动对话。")
    1.0
    >>> duration_lacking("任务期限延长了多久？", "其中将任务期限延长10个月。"), duration_lacking("延长了多久？", "延长了一年")
    (0.0, 0.0)
    """
    if not DURATION_ASKED.search(question):
        return 0.0
    return float(not DURATION.search(ANY_SYMBOL.sub(" ", span)))


def new_name(question: str, span: str, tagger: Tagger) -> float:
    """1 when the span names a person the question does not (a dotted or Latin
    name, or one jieba tags as a person), else 0. A dotted name counts as the
    question's when its part after the dot stands in the question: the pattern
    may take a title before the name (助理秘书长宾图·凯塔).

    >>> from qa.tokens import ChineseTokenizer
    >>> t = ChineseTokenizer().tagged
    >>> new_name("宾图·凯塔会见了谁？", "由主管维持和平行动助理秘书长宾图·凯塔介绍", t), new_name("谁主持？", "会议由大臣菲利普·戈凡主持", t)
    (0.0, 1.0)
    """
    for match in PERSON.finditer(span):
        name = match.group(0)
        core = name.split("·", 1)[1][:2] if "·" in name else name
        if core not in question:
            return 1.0
    plain = PERSON.sub(" ", span)
    return float(any(tag in NAME_TAGS and len(word) > 1 and word not in question for word, tag in tagger(plain)))


def asks_name(question: str) -> float:
    """1 when the question asks who (谁, 哪位, who): the one question a signature block answers."""
    return float(bool(NAME_ASKED.search(question)))


def name_lacking(question: str, span: str, tagger: Tagger) -> float:
    """1 when the question asks who (谁, 哪位, who) and the span names nobody the question does not."""
    return float(asks_name(question) and not new_name(question, span, tagger))


# Kinds whose absence tells a near miss: a place asked with 在哪一阶段 or 哪一种, an ordinal or
# a symbol are too often answered in words the patterns do not know.
TELLING_KINDS = frozenset({"day", "year", "date", "count", "country", "person"})
# 何时 answered by an era or a period, not a date: 清朝末年, 80年代后, 近年, 中世纪时期.
ERA = re.compile(r"\d+年代|[\u4e00-\u9fff]{1,3}(?:朝|代)(?:末年|初年|初期|中期|末期|时期)?|世纪|末年|初年|近年|时期|期间|以前|以后|之前|之后")


def kind_missing(kind: AnswerKind | None, span: str, question: str, tagger: Tagger) -> float:
    """1 when the question asks a kind of answer whose absence tells (a day, a year,
    a date, a count, a country, a person) and the span holds none the question does not name.

    >>> from qa.kinds import answer_kind
    >>> from qa.tokens import ChineseTokenizer
    >>> t = ChineseTokenizer().tagged
    >>> q = "第2511(2020)号决议表决时，哪两个国家投了弃权票？"
    >>> kind_missing(answer_kind(q), "安全理事会以13票赞成、2票弃权通过了第2511(2020)号决议", q, t)
    1.0
    >>> q = "烈女义坑的生成与何时发生的事件有关？"
    >>> kind_missing(answer_kind(q), "为清朝末年，一渔人遭海盗杀害", q, t), kind_missing(answer_kind("哪一种规则？"), "动物命名法", "哪一种规则？", t)
    (0.0, 0.0)
    """
    if kind is None or kind.name not in TELLING_KINDS or kind.support(span, question, tagger):
        return 0.0
    return float(not (kind.name == "date" and ERA.search(span)))
