"""Chinese tokenisation shared by the lexical index and answer scoring.

jieba (search mode) with a user dictionary of UN terms, so that 安理会,
非正式工作组 or 执笔方 stay whole; UN document symbols (`S/2017/507`,
`2512(2020)`, `76/262`) become single exact tokens; traditional characters are
converted to simplified with OpenCC first; a few spelled-out names map to the
short form the letters also use (安全理事会 → 安理会).
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cached_property
from importlib import resources

import jieba
import jieba.posseg
import opencc

from .symbols import canonical, symbol_spans

SYNONYMS = {"安全理事会": "安理会", "联合国安理会": "安理会", "宪章": "联合国宪章", "签署": "签名", "署名": "签名"}
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


class ChineseTokenizer:
    """Turns text into lexical tokens; one instance holds its own jieba state."""

    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")
        self._userdict = resources.files("qa.data").joinpath("userdict.txt").read_text(encoding="utf-8")
        stopwords = resources.files("qa.data").joinpath("stopwords.txt").read_text(encoding="utf-8")
        self.stopwords = frozenset(stopwords.split())

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        # jieba logs its dictionary loading at DEBUG on the root logger by default; keep it quiet.
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for line in self._userdict.splitlines():
            if line.strip():
                word, freq, *tag = line.split()
                tokenizer.add_word(word, int(freq), tag[0] if tag else None)
        return tokenizer

    @property
    def settings(self) -> dict[str, str]:
        """What shapes the tokens; recorded in the index manifest."""
        return {
            "segmenter": f"jieba {jieba.__version__} cut_for_search",
            "userdict_sha256": hashlib.sha256(self._userdict.encode()).hexdigest()[:16],
            "stopwords": str(len(self.stopwords)),
            "traditional_to_simplified": "opencc t2s",
            "synonyms": ",".join(f"{k}>{v}" for k, v in sorted(SYNONYMS.items())),
            "glossary_sha256": hashlib.sha256(resources.files("qa.data").joinpath("glossary_en_zh.tsv").read_bytes()).hexdigest()[:16],
        }

    def simplify(self, text: str) -> str:
        """Traditional characters to simplified (simplified text is unchanged)."""
        return self._t2s.convert(text)

    def question_text(self, question: str) -> str:
        """What the retrievers see of a question: simplified, English terms glossed."""
        return self.with_chinese_terms(self.simplify(question))

    @cached_property
    def _glossary(self) -> list[tuple[re.Pattern[str], str]]:
        rows = resources.files("qa.data").joinpath("glossary_en_zh.tsv").read_text(encoding="utf-8").splitlines()
        pairs = [line.split("\t") for line in rows if line.strip() and not line.startswith("#")]
        # longest first, so "security council" is read before "council"
        return [(re.compile(rf"(?<![a-z]){re.escape(en)}(?![a-z])"), zh) for en, zh in sorted(pairs, key=lambda p: -len(p[0]))]

    def with_chinese_terms(self, question: str) -> str:
        """An English question followed by the Chinese forms of the UN terms and names it uses.

        The letters are in Chinese and the embedded model is weak across languages;
        the glossary (qa/data/glossary_en_zh.tsv) gives both retrievers words to match.

        >>> ChineseTokenizer().with_chinese_terms("Who briefed the Security Council on Haiti?")
        'Who briefed the Security Council on Haiti? （通报 安全理事会 海地）'
        """
        if re.search(r"[\u4e00-\u9fff]", question):
            return question
        terms = list(dict.fromkeys(chinese for _, _, chinese in self.glossed(question)))
        return f"{question} （{' '.join(terms)}）" if terms else question

    def glossed(self, question: str) -> list[tuple[int, int, str]]:
        """(start, end, Chinese form) of each glossary term in an English question, in order;
        a longer term is read before the shorter ones inside it.

        >>> ChineseTokenizer().glossed("Who chairs the working group?")
        [(4, 10, '主席'), (15, 28, '工作组')]
        """
        lowered = question.lower()
        found: list[tuple[int, int, str]] = []
        for pattern, chinese in self._glossary:
            for match in pattern.finditer(lowered):
                found.append((match.start(), match.end(), chinese))
                lowered = lowered[: match.start()] + " " * (match.end() - match.start()) + lowered[match.end() :]
        return sorted(found)

    @cached_property
    def _tagger(self) -> jieba.posseg.POSTokenizer:
        # POSTokenizer() reads jieba's whole dictionary for its tags (0.6 s), which importing
        # jieba.posseg has already done for its default tagger: ours starts from a copy of those
        # tags (the same dictionary file); our words' own tags are added at its first cut.
        if self._jieba.dictionary != jieba.posseg.dt.tokenizer.dictionary:
            return jieba.posseg.POSTokenizer(self._jieba)
        tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
        tagger.tokenizer = self._jieba
        tagger.word_tag_tab = dict(jieba.posseg.dt.word_tag_tab)
        return tagger

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech tag) pairs of the simplified text: ns place, nr person, nt organisation."""
        return [(pair.word, pair.flag) for pair in self._tagger.cut(self.simplify(text))]

    def tokens(self, text: str) -> list[str]:
        """Lexical tokens for BM25: simplified, symbols whole, search-mode
        sub-words, synonyms folded, lower-cased, no stop words or punctuation."""
        text = self.simplify(text)
        tokens: list[str] = []
        position = 0
        for start, end in symbol_spans(text):
            tokens.extend(self._jieba.cut_for_search(text[position:start]))
            tokens.append(canonical(text[start:end]))
            position = end
        tokens.extend(self._jieba.cut_for_search(text[position:]))
        return [self._fold(t) for t in tokens if self._keep(t)]

    def _keep(self, token: str) -> bool:
        token = token.strip().lower()
        return bool(token) and bool(_WORDLIKE.search(token)) and token not in self.stopwords

    @staticmethod
    def _fold(token: str) -> str:
        token = token.strip().lower()
        return SYNONYMS.get(token, token)
