"""Text clean-up for indexing and display that never changes the words.

Word-processing conversion leaves markdown links (`[S/2017/507](#)`), bold
markers and spaces inside Chinese words (`安 全理事会`); these are removed.
"""

from __future__ import annotations

import re

# CJK ideographs, CJK and full-width punctuation, and footnote superscripts.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef¹²³⁴⁵⁶⁷⁸⁹⁰"
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_BOLD = re.compile(r"\*\*(.*?)\*\*")
# A space between two CJK characters, or between CJK and a digit, is a
# conversion artefact (Chinese is written without spaces); Latin text keeps its spaces.
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}0-9])|(?<=[0-9])[ \t\u00a0]+(?=[{_CJK}])")
SENTENCE_END = "。！？；：…”’」』）)"


def clean(text: str) -> str:
    """Plain display text of one line of a letter.

    >>> clean("执行 [S/2017/507](#) 号说明 **执笔方制度**：安 全理事会 2 月")
    '执行 S/2017/507号说明执笔方制度：安全理事会2月'
    """
    text = _LINK.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text).replace("**", "")
    text = _SPACE_IN_CJK.sub("", text.strip())
    return text


def ends_sentence(text: str) -> bool:
    """Whether a block ends where a sentence may end (not cut by a page break)."""
    text = text.rstrip("¹²³⁴⁵⁶⁷⁸⁹⁰")  # a footnote mark may follow the full stop
    return bool(text) and text[-1] in SENTENCE_END
