"""The letter's identity from its cover block: UN symbol, distribution date, languages.

An ODS document opens with `联 合 国` / `安全理事会`, the symbol (`S/2020/186`), `Distr.: General`,
the distribution date in English (`3 March 2020`), the language of this version (`Chinese`) and
`Original: English`. A PDF may give several of these on one line; each is found wherever it is.
"""

from __future__ import annotations

import datetime as dt
import re

from .layout import UN_SYMBOL

_FIELDS = re.compile(
    r"(?P<distribution>Distr\.\s*:\s*[A-Za-z]+)"
    r"|(?P<original>Original\s*:\s*[A-Za-z]+)"
    r"|(?P<date>\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b)"
    rf"|(?P<symbol>{UN_SYMBOL.pattern})"
    r"|(?P<language>\b(?:Chinese|English|French|Spanish|Russian|Arabic)\b)"
)


def header_fields(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """The fields of the lines before the title, in order: `("symbol", "S/2020/186")`,
    `("distribution", "General")`, `("date", "2020-03-03")`, `("language", "Chinese")`,
    `("original_language", "English")`; other text as `("organ", …)` (Chinese) or `("note", …)`.

    >>> header_fields(["联合国 S/2020/186", "安全理事会", "Distr.: General", "3 March 2020", "Chinese", "Original: English"])
    (('organ', '联合国'), ('symbol', 'S/2020/186'), ('organ', '安全理事会'), ('distribution', 'General'), ('date', '2020-03-03'), ('language', 'Chinese'), ('original_language', 'English'))
    """
    fields: list[tuple[str, str]] = []
    for line in lines:
        at = 0
        for match in _FIELDS.finditer(line):
            fields.extend(_other(line[at : match.start()]))
            kind = match.lastgroup
            value = match.group(0)
            if kind == "distribution":
                fields.append(("distribution", value.split(":", 1)[1].strip()))
            elif kind == "original":
                fields.append(("original_language", value.split(":", 1)[1].strip()))
            elif kind == "date":
                fields.append(("date", dt.datetime.strptime(value, "%d %B %Y").date().isoformat()))
            else:
                fields.append((kind, value))
            at = match.end()
        fields.extend(_other(line[at:]))
    return tuple(fields)


def _other(text: str) -> list[tuple[str, str]]:
    text = text.strip()
    if not text:
        return []
    return [("organ" if re.search(r"[\u4e00-\u9fff]", text) else "note", text)]
