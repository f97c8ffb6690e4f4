"""Traditional-script letters read by the same rules as simplified ones.

The parser's rules are written in simplified characters (`…给…的信`, `(签名)`, `分发为荷`,
`常驻联合国代表`); a letter in traditional script (a Big5 file, a Hong Kong or Taiwan copy)
writes them `給`, `簽名`, `分發為荷`, `常駐聯合國代表`. `fold_script` maps each character to its
simplified form one for one, so a rule matched on the folded text gives positions in the text as
written, which is what passages keep.
"""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


class _Simplified(dict):
    """Code point -> its simplified code point, filled as characters are met (a character
    OpenCC would turn into more or fewer than one stays as it is)."""

    def __missing__(self, code: int) -> int:
        out = _converter().convert(chr(code))
        self[code] = ord(out) if len(out) == 1 else code
        return self[code]


_SIMPLIFIED = _Simplified()


def fold_script(text: str) -> str:
    """`text` with each traditional character as its simplified form, same length.

    >>> fold_script("2020年3月3日科威特常駐聯合國代表給安全理事會主席的信")
    '2020年3月3日科威特常驻联合国代表给安全理事会主席的信'
    >>> fold_script("曼蘇爾·奧泰比(簽名)")
    '曼苏尔·奥泰比(签名)'
    """
    return text if text.isascii() else text.translate(_SIMPLIFIED)
