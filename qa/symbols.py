"""UN document symbols and resolution numbers named in a text.

Symbols are kept on each passage in a canonical form so that they can be
searched exactly: `S/2017/507`, `S/PRST/2020/3` is kept as written
(`PRST/2020/3`), press releases `SC/14128`, Security Council resolutions
`第2512(2020)号决议` as `2512(2020)`, General Assembly resolutions `76/262`.
"""

from __future__ import annotations

import re

# Upper-case series (S/, A/RES/, PRST/, SC/) then numbers separated by slashes.
DOCUMENT_SYMBOL = re.compile(r"(?<![A-Za-z0-9/.])(?:[A-Z]{1,5}/)+\d+(?:/\d+)*(?![0-9/])")
# 第2512(2020)号决议, 第 751(1992) 号决议
SC_RESOLUTION = re.compile(r"(?<![0-9/])(\d{2,4})\s*[(（]\s*(\d{4})\s*[)）]")
# 第76/262号决议, 第 51/241 号决议
GA_RESOLUTION = re.compile(r"第\s*(\d{1,3}/\d{1,4})\s*号")
# A bare session/number pair such as "76/262", as a reader types it in a question.
BARE_RESOLUTION = re.compile(r"(?<![A-Za-z0-9/])(\d{1,3}/\d{1,4})(?![0-9/])")

ANY_SYMBOL = re.compile("|".join(p.pattern for p in (DOCUMENT_SYMBOL, SC_RESOLUTION, BARE_RESOLUTION)))


def find_symbols(text: str) -> tuple[str, ...]:
    """Canonical symbols named in `text`, each once, in order of first mention.

    >>> find_symbols("根据S/2017/507号说明和第2512(2020)号决议及第76/262号决议")
    ('S/2017/507', '2512(2020)', '76/262')
    """
    found: dict[str, None] = {}
    for match in ANY_SYMBOL.finditer(text):
        found[canonical(match.group(0))] = None
    return tuple(found)


def canonical(symbol: str) -> str:
    """`2512 (2020)` -> `2512(2020)`; other symbols as written, without spaces."""
    return re.sub(r"\s+", "", symbol).replace("（", "(").replace("）", ")")


def symbol_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of every symbol in `text` (for tokenisers that keep them whole)."""
    return [match.span() for match in ANY_SYMBOL.finditer(text)]
