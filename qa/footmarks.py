"""Footnote marks that text extraction flattened into plain digits, raised back.

A PDF prints a footnote mark as a small raised digit; pypdf gives it as a plain one glued to the
text (`…主席说明。3`, `16份2主席`) and the footnote at the page's foot as `3 见…`. Digits inside
Chinese text are mostly numbers (`共计4份`), so a digit is read as a mark only when a footnote
body with that number follows it: bodies are lines starting with a number and a space, taken in
the order 1, 2, 3, …, and the mark of footnote n is a lone n between the mark of n − 1 and the
body of n (the one after punctuation if there is one, else the last). Text that already has
raised digits (`¹`) is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .readers.base import Line

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BODY = re.compile(r"^([1-9]\d?) (?=\S)")
_AFTER_PUNCTUATION = "。，；：！？”’）)》」』"
_BEFORE_MARK = rf"[\u4e00-\u9fff{_AFTER_PUNCTUATION}]"


def raise_footnote_marks(lines: list[Line]) -> list[Line]:
    """The lines with each flattened footnote mark and its body's number written raised."""
    if any(ch in "¹²³⁴⁵⁶⁷⁸⁹⁰" for line in lines for ch in line.text):
        return lines
    texts = [line.text for line in lines]
    after = (0, 0)  # (line, column) just after the last mark placed
    for number, body_at in _bodies(texts):
        candidates = [
            (at, match.start())
            for at in range(after[0], body_at)
            for match in re.finditer(rf"(?<={_BEFORE_MARK}){number}(?!\d)", texts[at])
            if (at, match.start()) >= after
        ]
        if not candidates:
            break
        punctuated = [(at, column) for at, column in candidates if texts[at][column - 1] in _AFTER_PUNCTUATION]
        at, column = (punctuated or candidates)[-1]
        raised = str(number).translate(SUPERSCRIPT)
        texts[at] = texts[at][:column] + raised + texts[at][column + len(str(number)) :]
        texts[body_at] = _BODY.sub(raised + " ", texts[body_at].lstrip(), count=1)
        after = (at, column + len(raised))
    return [line if line.text == text else replace(line, text=text) for line, text in zip(lines, texts)]


def _bodies(texts: list[str]) -> list[tuple[int, int]]:
    """(number, line index) of the lines that start footnotes 1, 2, 3, … in that order."""
    found: list[tuple[int, int]] = []
    for at, text in enumerate(texts):
        match = _BODY.match(text.strip())
        if match and int(match[1]) == len(found) + 1:
            found.append((len(found) + 1, at))
    return found
