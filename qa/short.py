"""The short answer inside a quotation: the count, date, name, place or symbol asked for.

`short_span` marks it as a span of the passage text, inside the quoted span,
so that `passage.text[short_start:short_end]` is e.g. `一支` or
`2020年1月17日至19日`. A reason, or a question that asks for no kind, has no
short answer.
"""

from __future__ import annotations

import re

from .kinds import NAME_TAGS as PERSON_TAGS
from .kinds import AnswerKind, Tagger

SHORT_KINDS = frozenset({"day", "year", "date", "symbol", "ordinal", "count", "country", "person", "place"})
# A count takes its unit (一支, 13票); a date its range's end (1月17日至19日).
UNIT = re.compile(r"[个次项份名支场票年天位条国人分秒周倍月日届轮批类种件]")
RANGE_END = re.compile(r"(?:至|到|—|－|-|~)(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日")
NAME_JOINER = "·"


def short_span(kind: AnswerKind | None, text: str, start: int, end: int, question: str, tagger: Tagger | None = None) -> tuple[int, int] | None:
    """(short_start, short_end) of the short answer inside text[start:end], or None.

    >>> from qa.kinds import answer_kind
    >>> t = "安理会在2023年派出了一支实地访问团。"
    >>> s, e = short_span(answer_kind("2023年派出了几支实地访问团？"), t, 0, len(t), "2023年派出了几支实地访问团？"); t[s:e]
    '一支'
    >>> t = "于2020年1月17日至19日在金斯敦组织召开"
    >>> s, e = short_span(answer_kind("务虚会是何时举行的？"), t, 0, len(t), "务虚会是何时举行的？"); t[s:e]
    '2020年1月17日至19日'
    """
    if kind is None or kind.name not in SHORT_KINDS:
        return None
    span = text[start:end]
    if kind.tags and tagger is not None:
        found = _tagged_name(kind, span, question, tagger)
        if found:
            return start + found[0], start + found[1]
    masked = span
    for pattern in kind.masks:
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    matches = sorted((m for pattern in kind.looks for m in pattern.finditer(masked) if m.group(0) not in question), key=lambda m: (m.start(), -m.end()))
    if not matches:
        return None
    s, e = matches[0].span()
    if kind.name == "count" and e < len(span) and UNIT.match(span, e):
        e += 1
    if kind.name in ("date", "day"):
        extended = RANGE_END.match(span, e)
        e = extended.end() if extended else e
    return start + s, start + e


def _tagged_name(kind: AnswerKind, span: str, question: str, tagger: Tagger) -> tuple[int, int] | None:
    """The first name of the kind's part-of-speech tags that the question does not
    already use. For a person, a transliterated name (taken whole across its
    middle dots) comes first, then a person's name, then a place or a body."""
    tagged = list(tagger(span))
    if sum(len(w) for w, _ in tagged) != len(span):  # conversion changed the length: offsets would not hold
        return None
    bounds = []
    position = 0
    for word, _ in tagged:
        bounds.append((position, position + len(word)))
        position += len(word)
    tiers = [[bounds[i] for i, (word, tag) in enumerate(tagged) if tag in kind.tags and len(word) > 1]]
    if kind.name == "person":
        tiers = [_dotted_names(tagged, bounds), [b for b, (w, tag) in zip(bounds, tagged) if tag in PERSON_TAGS and len(w) > 1], *tiers]
    for tier in tiers:
        for s, e in sorted(tier):
            if span[s:e] not in question:
                return s, e
    return None


def _dotted_names(tagged: list[tuple[str, str]], bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Transliterated names (乌尔苏拉·米勒): the words on both sides of each middle
    dot, with the name-tagged or one-character words next to them (jieba cuts 乌尔苏|拉)."""

    def part_of_name(i: int) -> bool:
        word, tag = tagged[i]
        return word.isalpha() and (len(word) == 1 or tag in PERSON_TAGS or tag in ("ns", "nz"))

    def cut_off_end(i: int) -> bool:
        # a name's last character cut off as a noun (克|里德尔|卡), not a verb or particle after it
        word, tag = tagged[i]
        return len(word) == 1 and tag.startswith("n")

    names = []
    for i, (word, _) in enumerate(tagged):
        if word != NAME_JOINER or i == 0 or i + 1 >= len(tagged) or (names and bounds[i][0] < names[-1][1]):
            continue
        first, last = i - 1, i + 1
        while first > 0 and part_of_name(first - 1) and bounds[i][0] - bounds[first - 1][0] <= 5:
            first -= 1
        while last + 1 < len(tagged) and (tagged[last + 1][0] == NAME_JOINER and last + 2 < len(tagged) or part_of_name(last + 1) and (len(tagged[last][0]) == 1 or cut_off_end(last + 1))):
            last += 2 if tagged[last + 1][0] == NAME_JOINER else 1
        names.append((bounds[first][0], bounds[last][1]))
    return names
