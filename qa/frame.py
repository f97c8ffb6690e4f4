"""The frame of a question: the words right next to the word that asks.

"蓝线裸顶鲷的身体是什么颜色的？" asks about 身体 and 颜色; the name before them
stands in nearly every sentence of its passage and tells none apart. A
sentence that answers usually restates the frame around the answer
("本鱼体呈银灰色"): `qa/candidates.py` scores a span by the share of the
frame it holds.
"""

from __future__ import annotations

import re

from .tokens import ChineseTokenizer

# The words that ask, with the measure word after 哪/几/多少 (哪位, 几个, 哪一); the first one in the question is its asking word.
ASKING = re.compile(r"(?:哪|几|多少)一?[个位项份种家些次场所条名支届]?|什么|谁|多久|多长|多大|多高|多远|何|怎么|怎样|如何|为什么|是否|有没有|吗|呢")
CLAUSE_BREAK = re.compile(r"[，,：:；;、。？?！!\s]")
FRAME_WORDS = 2  # words kept on each side of the asking word


def question_frame(question: str, tokenizer: ChineseTokenizer) -> tuple[str, ...]:
    """Up to FRAME_WORDS words before and after the question's first asking word,
    within its clause, as lexical tokens (simplified, folded, no stop words).

    >>> question_frame("高英是哪位皇帝的皇后？", ChineseTokenizer())
    ('高英', '皇帝', '皇后')
    >>> question_frame("2017年4月，罗保铭担任什么职务？", ChineseTokenizer())
    ('罗保铭', '担任', '职务')
    >>> question_frame("安理会的工作方法", ChineseTokenizer())
    ()
    """
    text = tokenizer.simplify(question)
    asking = ASKING.search(text)
    if asking is None:
        return ()
    before = CLAUSE_BREAK.split(text[: asking.start()])[-1]
    after = CLAUSE_BREAK.split(text[asking.end() :])[0]
    return tuple(dict.fromkeys(_words(before, tokenizer)[-FRAME_WORDS:] + _words(after, tokenizer)[:FRAME_WORDS]))


def _words(text: str, tokenizer: ChineseTokenizer) -> list[str]:
    """The whole words of `text` that the lexical tokens keep (not the sub-words of a search cut)."""
    kept = []
    for word, _ in tokenizer.tagged(text):
        tokens = tokenizer.tokens(word)
        if tokens and not ASKING.fullmatch(word):
            kept.append(tokens[-1])  # a search cut lists a word's sub-words before the word itself
    return kept
