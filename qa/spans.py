"""Sentence and clause boundaries in Chinese text, as character spans.

Spans index into the text itself, so any answer built from them is an exact
quotation: `text[start:end]`.
"""

from __future__ import annotations

import re

# A sentence ends after 。！？；(or a newline), together with closing quotes or brackets.
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\n")
# Not at 、: an enumeration (越南、老挝、缅甸) is one answer, not three clauses;
# nor inside a number or a time (2,400米, 11:00).
_CLAUSE_END = re.compile(r"[，：]|(?<!\d)[,:]|[,:](?!\d)")
_TRIM = " \n\t，,：:、；;。"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of `text`, each ending with its punctuation.

    >>> t = "安理会举行了会议。成员们发言；主席总结！"
    >>> [t[s:e] for s, e in sentence_spans(t)]
    ['安理会举行了会议。', '成员们发言；', '主席总结！']
    """
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        spans.append(_trimmed(text, start, end, keep_end=True))
        start = end
    spans.append(_trimmed(text, start, len(text), keep_end=True))
    return [(s, e) for s, e in spans if e > s]


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of the sentence text[start:end], split at commas and colons.

    >>> t = "2月28日，安理会通过了第2512(2020)号决议，延长任务。"
    >>> [t[s:e] for s, e in clause_spans(t, 0, len(t))]
    ['2月28日', '安理会通过了第2512(2020)号决议', '延长任务']
    >>> t = "生长于海拔200米至2,400米的地区，每周日上午11:00播出"
    >>> [t[s:e] for s, e in clause_spans(t, 0, len(t))]
    ['生长于海拔200米至2,400米的地区', '每周日上午11:00播出']
    """
    spans = []
    position = start
    for match in _CLAUSE_END.finditer(text, start, end):
        spans.append(_trimmed(text, position, match.start()))
        position = match.end()
    spans.append(_trimmed(text, position, end))
    return [(s, e) for s, e in spans if e > s]


def _trimmed(text: str, start: int, end: int, keep_end: bool = False) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    if not keep_end:
        while end > start and text[end - 1] in _TRIM:
            end -= 1
    else:
        while end > start and text[end - 1] in " \n\t":
            end -= 1
    return start, end
