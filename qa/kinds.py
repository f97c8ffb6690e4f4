"""The kind of answer a question asks for, and whether a text holds one.

`多少/几` asks for a count, `哪一天` for a day, `谁` for a person or body,
`哪个国家` for a country, `文号` for a document symbol, `哪些` an enumeration. A span that holds no
answer of the kind asked, or only the one the question already names, is no
answer: that is how a near miss ("which two countries abstained?" against
"2票弃权") is told from an answer.

Regular expressions find numbers, dates and symbols; jieba's part-of-speech
tags (ns place, nr person, nt organisation) find names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .symbols import ANY_SYMBOL

_DIGITS = "零〇一二两三四五六七八九十百千万"
NUMERAL = f"[{_DIGITS}]"
DATE = re.compile(rf"\d{{4}}年(?:\d{{1,2}}月)?(?:\d{{1,2}}日)?|\d{{1,2}}月\d{{1,2}}日|\d{{1,2}}月|\d{{1,2}}日|{NUMERAL}{{1,3}}月(?:{NUMERAL}{{1,3}}日)?|\d{{1,2}}(?:时|点)(?:\d{{1,2}}分)?")
DAY = re.compile(rf"\d{{1,2}}月\d{{1,2}}日|{NUMERAL}{{1,3}}月{NUMERAL}{{1,3}}日|\d{{1,2}}日")
YEAR = re.compile(r"\d{4}年|(?<![\d/])(?:19|20)\d{2}(?![\d/\u4e00-\u9fff])")
# "一个", "一份" are mostly articles, "第三次" an ordinal and "每一位" a distributive, not counts.
COUNT = re.compile(rf"(?<![第每\d.{_DIGITS}])(?:\d+(?:\.\d+)?|(?!一[个份种])(?:{NUMERAL}+)(?=[个次项份名支场票年天位条国人分秒周倍]))|数十|数百|数千|几十|多数|半数|大多数")
NAME_TAGS = frozenset({"nr", "nrt", "nrfg"})
PLACE_TAGS = frozenset({"ns", "nsf"})
BODY_TAGS = frozenset({"nt"})
# A transliterated name is written with a middle dot; a Latin name stays Latin.
PERSON = re.compile(r"[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff·]{1,12}|[A-Z][a-z]+ [A-Z][a-z]+")
# A body that acts ("制裁委员会", "非洲联盟"); the Council itself, named in nearly every paragraph, is left out.
BODY = re.compile(r"[\u4e00-\u9fff]{2,12}(?:委员会|代表团|集团|组织|办事处|特派团|法院|联盟)|大会")
# "谁" is often answered by a role: 政治协调员, 每个安理会成员, 特使.
ROLE = re.compile(r"[\u4e00-\u9fff]{0,6}(?:协调员|专家|代表|主席|成员|秘书长|特使|大使|官员|主任|部长|总统|总理|首相|国王|女王|法官|院长)")
# "海拔700米的地区" is no place: a place names itself (福建省, 台湾岛), not a kind of area.
PLACE = re.compile(r"在[\u4e00-\u9fff]{2,8}(?:举行|召开)|[\u4e00-\u9fff]{2,8}(?:市|州|岛|省|城)")
REASON = re.compile(r"因为|由于|鉴于|因此|所以|为了|以便|以确保|旨在|否则|因而|从而|以免")
# "哪些" is answered by an enumeration: 越南、老挝, 包括…, 分别是….
ENUMERATION = re.compile(r"[^\s，,。；、]、[^\s，,。；、]|包括|分别(?:是|为)")
NUMBERED_DOCUMENT = re.compile(r"第\d+号(?:说明|决议|文件|报告)")
DOCUMENT_TITLE = re.compile(r"《[^》]{2,40}》")

Tagger = Callable[[str], Iterable[tuple[str, str]]]
# A role or a body answers 谁 less well than a name: it ranks a sentence half as
# high (evals/: the signature block, not the letter's title, answers "由谁签署").
HINT_SUPPORT = 0.5


@dataclass(frozen=True)
class AnswerKind:
    """One kind of answer: how a question asks for it and what it looks like.

    `looks` finds it in text, once what `masks` finds is blanked out (so
    "2511(2020)" holds no year, and "2月11日" no count); `tags` are jieba
    part-of-speech tags that name it; `hints` find what only stands in for it
    (a role or a body for 谁: "常驻代表" says less than "费里特·霍查"). A
    `required` kind must be present for a span to answer at all; a reason may
    stand implicit in a sentence, so it is only a hint.
    """

    name: str
    asks: re.Pattern[str]
    looks: tuple[re.Pattern[str], ...]
    tags: frozenset[str] = frozenset()
    required: bool = True
    masks: tuple[re.Pattern[str], ...] = (ANY_SYMBOL,)
    hints: tuple[re.Pattern[str], ...] = ()

    def support(self, text: str, question: str = "", tagger: Tagger | None = None) -> float:
        """How far `text` holds an answer of this kind that the question does not
        already name: 1 for the answer itself, HINT_SUPPORT for a stand-in, else 0."""
        masked = text
        for pattern in self.masks:
            masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)

        def new(patterns: tuple[re.Pattern[str], ...]) -> bool:
            return any(m.group(0) not in question for pattern in patterns for m in pattern.finditer(masked))

        if new(self.looks):
            return 1.0
        if self.tags and tagger is not None and any(tag in self.tags and len(word) > 1 and word not in question for word, tag in tagger(text)):
            return 1.0
        return HINT_SUPPORT if new(self.hints) else 0.0


# First match wins: "哪一年" is a year, not a count; "哪个国家" a country, not a place.
ANSWER_KINDS: tuple[AnswerKind, ...] = (
    AnswerKind("day", re.compile(r"哪一?天|几号|几月几日|什么日子|日期|具体时间|what date|which day|on what day|\bthe date\b", re.I), (DAY,)),
    AnswerKind("year", re.compile(r"哪一?年|何年|what year|which year", re.I), (YEAR,)),
    AnswerKind("date", re.compile(r"何时|什么时候|哪个月|几月|\bwhen\b|which month", re.I), (DATE, YEAR)),
    AnswerKind(
        "symbol",
        re.compile(r"哪份|哪项|哪一份|哪一项|哪个决议|哪项决议|文号|文件号|编号|which (?:document|resolution|note)|symbol", re.I),
        (ANY_SYMBOL, NUMBERED_DOCUMENT, DOCUMENT_TITLE),
        masks=(),
    ),
    AnswerKind("ordinal", re.compile(r"第几"), (re.compile(rf"第(?:\d+|{NUMERAL}+)"),)),
    AnswerKind("count", re.compile(r"多少|几(?!内亚|乎)|how many|how much|number of", re.I), (COUNT,), masks=(ANY_SYMBOL, DATE)),
    AnswerKind(
        "country",
        re.compile(r"哪[一两二三四五六几]?个国家|哪些(?:[\u4e00-\u9fff]{0,4})国家|哪国|哪一国|什么国家|which countr|what countr", re.I),
        (),
        PLACE_TAGS | BODY_TAGS,
    ),
    AnswerKind("person", re.compile(r"谁|哪位|何人|\bwho\b|\bwhom\b", re.I), (PERSON,), NAME_TAGS | PLACE_TAGS | BODY_TAGS, hints=(BODY, ROLE)),
    AnswerKind("place", re.compile(r"哪里|在哪|何地|什么地方|哪个城市|哪些地区|\bwhere\b", re.I), (PLACE,), PLACE_TAGS),
    AnswerKind("reason", re.compile(r"为什么|为何|因何|何故|原因|理由|出于什么|\bwhy\b", re.I), (REASON,), required=False),
    AnswerKind("list", re.compile(r"哪些|哪几"), (ENUMERATION,), required=False),
)


def answer_kind(question: str) -> AnswerKind | None:
    """The kind of answer a question asks for, if it says.

    >>> [answer_kind(q).name for q in ("安理会通过了几项决议？", "哪两个国家弃权？", "务虚会在哪里举行？", "Why?", "有哪些问题？")]
    ['count', 'country', 'place', 'reason', 'list']
    >>> answer_kind("几内亚比绍的局势如何？") is None
    True
    """
    return next((kind for kind in ANSWER_KINDS if kind.asks.search(question)), None)
