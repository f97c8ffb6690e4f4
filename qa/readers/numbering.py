"""Word's automatic numbering, computed as Word displays it.

A paragraph is numbered by `w:numPr` (`w:numId`, `w:ilvl`) on the paragraph, or inherited
from its style (following `w:basedOn`). A `w:num` points at an abstract numbering whose levels
give the start value, the format (`decimal`, `lowerLetter`, `chineseCounting`, …), the text
around the number (`%1.`, `(%2)`) and when a level restarts. Counters belong to the abstract
numbering, so two `w:num` of one list continue each other, unless a `w:num` overrides a level's
start (`w:lvlOverride/w:startOverride`): that restarts the list the first time it is used. A
`w:lvlOverride` may also hold a whole `w:lvl`, which replaces that level's definition (format,
text, start) for the paragraphs of that `w:num`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CHINESE_DIGITS = "零一二三四五六七八九"


class NumberingError(ValueError):
    """Numbering that is not what Word writes (a damaged or hand-made file); says which element."""


@dataclass(frozen=True)
class Level:
    start: int = 1
    format: str = "decimal"
    text: str = "%1."
    restart: int | None = None  # restart after this (1-based) level is used; None: any higher one


@dataclass
class Numbering:
    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)  # abstractNumId -> levels
    nums: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)  # numId -> (abstractNumId, start overrides)
    level_overrides: dict[str, dict[int, Level]] = field(default_factory=dict)  # numId -> level -> its own definition
    style_numbering: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)  # styleId -> (numId, ilvl)
    style_parent: dict[str, str] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)  # abstractNumId -> level -> value
    started: set[str] = field(default_factory=set)  # numIds whose start overrides were applied

    @classmethod
    def of(cls, document) -> Numbering:
        """The numbering definitions and style inheritance of a python-docx document."""
        numbering = cls()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            root = None
        if root is not None:
            for abstract in root.findall(f"{W}abstractNum"):
                numbering.abstract[_val(abstract, "abstractNumId")] = {_number(lvl, "ilvl"): _level(lvl) for lvl in abstract.findall(f"{W}lvl")}
            for num in root.findall(f"{W}num"):
                overrides = {}
                for override in num.findall(f"{W}lvlOverride"):
                    start = override.find(f"{W}startOverride")
                    level = override.find(f"{W}lvl")
                    if level is not None:
                        numbering.level_overrides.setdefault(_val(num, "numId"), {})[_number(override, "ilvl")] = _level(level)
                    if start is not None:
                        overrides[_number(override, "ilvl")] = _number(start, "val")
                abstract_id = num.find(f"{W}abstractNumId")
                if abstract_id is None:
                    raise NumberingError(f"w:num {_val(num, 'numId')!r} names no w:abstractNumId")
                numbering.nums[_val(num, "numId")] = (_val(abstract_id, "val"), overrides)
        for style in document.styles.element.findall(f"{W}style"):
            style_id = _val(style, "styleId")
            based_on = style.find(f"{W}basedOn")
            if based_on is not None:
                numbering.style_parent[style_id] = _val(based_on, "val")
            num_pr = style.find(f"{W}pPr/{W}numPr")
            if num_pr is not None:
                numbering.style_numbering[style_id] = _num_pr(num_pr)
        return numbering

    def label(self, paragraph) -> str:
        """The number Word shows before this paragraph (`13.`, `(a)`, `一.`), or "" if none.

        Call it for every paragraph in document order: it advances the counters."""
        num_id, ilvl = self._num_pr(paragraph)
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = {**self.abstract.get(abstract_id, {}), **self.level_overrides.get(num_id, {})}
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for overridden, start in overrides.items():
                counters[overridden] = start - 1
                for deeper in [k for k in counters if k > overridden]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            restart = levels.get(deeper, Level()).restart  # 0: never; N: when level N or higher is used
            if restart is None or (restart != 0 and ilvl <= restart - 1):
                del counters[deeper]
        if level.format == "bullet":
            return "•"
        if level.format == "none":
            return ""

        def number(match: re.Match[str]) -> str:
            at = int(match[1]) - 1
            value = counters.get(at, levels.get(at, Level()).start)
            return format_number(value, levels.get(at, Level()).format)

        return re.sub(r"%([1-9])", number, level.text)

    def _num_pr(self, paragraph) -> tuple[str | None, int]:
        num_id: str | None = None
        ilvl: int | None = None
        num_pr = paragraph.find(f"{W}pPr/{W}numPr")
        if num_pr is not None:
            num_id, ilvl = _num_pr(num_pr)
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        style_id = _val(style, "val") if style is not None else None
        seen: set[str] = set()
        while style_id and style_id not in seen and (num_id is None or ilvl is None):
            seen.add(style_id)
            style_num, style_lvl = self.style_numbering.get(style_id, (None, None))
            num_id = num_id if num_id is not None else style_num
            ilvl = ilvl if ilvl is not None else style_lvl
            style_id = self.style_parent.get(style_id)
        return num_id, ilvl or 0


def format_number(value: int, number_format: str) -> str:
    """One counter in one of Word's number formats.

    >>> [format_number(n, f) for n, f in [(13, "decimal"), (2, "lowerLetter"), (28, "upperLetter"), (14, "upperRoman"), (3, "chineseCounting"), (21, "chineseCounting"), (5, "decimalFullWidth")]]
    ['13', 'b', 'BB', 'XIV', '三', '二十一', '５']
    """
    if number_format in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if number_format == "upperLetter" else letter
    if number_format in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman.lower() if number_format == "lowerRoman" else roman
    if number_format in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting"):
        return _chinese(value)
    if number_format == "decimalFullWidth":
        return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if number_format == "decimalZero":
        return f"{value:02d}"
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for number, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out += numeral
            value -= number
    return out


def _chinese(value: int) -> str:
    if value < 10:
        return _CHINESE_DIGITS[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")
    return str(value)


def _level(lvl) -> Level:
    def child(name: str, default: str) -> str:
        node = lvl.find(f"{W}{name}")
        return _val(node, "val") if node is not None and _val(node, "val") is not None else default

    start, restart = lvl.find(f"{W}start"), lvl.find(f"{W}lvlRestart")
    return Level(
        _number(start, "val") if start is not None else 1,
        child("numFmt", "decimal"),
        child("lvlText", ""),
        _number(restart, "val") if restart is not None else None,
    )


def _num_pr(num_pr) -> tuple[str | None, int | None]:
    num_id = num_pr.find(f"{W}numId")
    ilvl = num_pr.find(f"{W}ilvl")
    return (_val(num_id, "val") if num_id is not None else None, _number(ilvl, "val") if ilvl is not None else None)


def _val(element, name: str) -> str | None:
    return element.get(f"{W}{name}")


def _number(element, name: str) -> int:
    value = _val(element, name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        tag = element.tag.replace(W, "w:")
        raise NumberingError(f"{tag} has w:{name} {value!r}, not a number") from None
