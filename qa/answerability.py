"""Does the chosen span answer? The evidence, as one feature vector per question.

What the ranker thought of the span (its score, its margin over the best span
of another passage), what the span holds (the kind of answer asked for, the
question's words and characters), whether the passage and its letter speak of
what the question names (its people, countries and bodies; its dates and
numbers), how foreign the question's words are to the documents (for an English
question: how many of its words the glossary maps), and how retrieval went
(scores, margins, whether dense and lexical retrieval agree). The
answerability model (`qa/answer_model.py`) turns it into the probability that
the span answers.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np

from .asked import asks_name, duration_lacking, kind_missing, name_lacking
from .candidates import SPAN_FEATURES, Candidates, SpecificTerms, letter_context, stands_in, words_in
from .documents import Passage
from .kinds import NUMERAL, PERSON, AnswerKind, Tagger
from .results import Hit
from .short import short_span
from .spans import clause_spans, sentence_spans
from .tokens import SYNONYMS, ChineseTokenizer

ENTITY_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nsf", "nt", "nz"})
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Words that ask or join in an English question: they need no gloss.
ENGLISH_FUNCTION_WORDS = frozenset(
    """a an the of in on at to by for with from about into over under and or not no is are was were be been being
    do does did has have had what which who whom whose when where why how many much long old far tall large big
    that this these those it its their his her they them he she we our you your i me my there here than then as
    so if can could would should will shall may might must any some all each other more most according said say
    says did during after before between against up down out off again also only very just per one two three""".split()
)

_SPAN = {name: n for n, name in enumerate(SPAN_FEATURES)}
ANSWERABILITY_FEATURES = (
    "rank_score",  # the ranker's score of the chosen span
    "rank_margin",  # its lead over the best span of another passage
    "rank_share",  # its share of the ranker's softmax over all candidates
    "meaning",
    "words",
    "characters",
    "kind",
    "kind_asked",
    "kind_lacking",  # a kind is asked and the span holds none, names found by part-of-speech tags too
    "passage_words",
    "missing",
    "unknown",
    "cross_lingual",
    "unglossed",  # share of an English question's content words the glossary cannot map
    "entities",  # the question names people, places or bodies
    "entities_in_letter",  # share of them the passage or its letter names
    "entities_in_passage",  # share of them the passage itself names
    "passage_score",
    "dense",
    "lexical_raw",  # BM25 score of the span's passage
    "both_retrievers",
    "agreement",  # the top passage is first for both retrievers
    "retrieval_margin",  # fused score of the first passage over the second, relative
    "passage_rank",
    "heading",  # the span is a letter's or annex's title, or a line without a sentence's closing punctuation
    "signature",  # the span is a signature block and the question asks no one's name: it says who signed, nothing more
    "ask_in_span",  # share of what the question asks about (its words other than its names) in the span
    "ask_in_passage",  # the same in the span's passage and its letter
    "terms_in_span",  # share of the question's dates, numbers and symbols the span or its letter names
    "measure_lacking",  # the question counts something (几支, 多少票) and the span has no number of it
    "predicate_near",  # rarity-weighted share of the question's predicate words in the span's sentence and its neighbours
    "predicate_by_answer",  # the same in the clause that holds the span's answer of the asked kind (0: none there)
    "duration_lacking",  # the question asks how long and the span states no duration
    "name_lacking",  # the question asks who and the span names no one the question does not
    "lacks_asked",  # any of: the kind, its measure word or a duration lacking, a date or number of the question missing
)


def question_entities(question: str, tagger: Tagger) -> tuple[str, ...]:
    """The people, places and bodies a question names (jieba tags, transliterated names).

    A transliterated name is kept to its first two characters after the dot: the
    pattern cannot tell where the name ends and the question goes on.

    >>> question_entities("马克·洛科克是哪国人？", ChineseTokenizer().tagged)
    ('马克·洛科',)
    """
    names = [m.group(0) for m in PERSON.finditer(question)]
    found = [name[: name.index("·") + 3] if "·" in name else name for name in names]
    inside = "".join(names)
    found.extend(word for word, tag in tagger(question) if tag in ENTITY_TAGS and len(word) > 1 and word not in inside)
    return tuple(dict.fromkeys(found))


CLOSING_PUNCTUATION = tuple("。！？；!?;")
# 几支, 多少票, 多少名, how many ...: the measure word a count must carry.
MEASURE_ASKED = re.compile(r"(?:几|多少)([个次项份名支场票年天位条国种人座届轮]|[\u4e00-\u9fff](?=[\u4e00-\u9fff]))")
SHARE_ASKED = re.compile(r"多少比例|多少百分比|几成")


def span_form(passage: Passage) -> tuple[float, float]:
    """(heading, signature): whether a span stands in a title or a heading (a
    passage that closes no sentence: a list label, a cover line), and whether in
    a signature block, rather than in a statement.

    A title names the letter, a signature who signed: quoted for a question about
    anything else, they answer nothing.
    """
    if passage.kind == "signature":
        return 0.0, 1.0
    return float(passage.kind == "title" or not any(mark in passage.text for mark in CLOSING_PUNCTUATION)), 0.0


def ask_words(question_tokens: Sequence[str], entities: Sequence[str], letter: Container[str]) -> list[str]:
    """The question's words other than the names it gives and the words that
    pick the letter (its date, who wrote it): what it asks about them (毕业, 大学; 语言).

    >>> ask_words(["日本", "山崎", "毕业", "大学", "信"], ["日本", "山崎和之"], {"信"})
    ['毕业', '大学']
    """
    return [t for t in question_tokens if t not in letter and not any(t in e for e in entities)]


def measure_lacking(question: str, span: str) -> float:
    """1 when the question counts something by a measure word (几支, 多少票) and the
    span holds no number followed by that word or by the thing counted (几份决议: 4项决议).

    >>> measure_lacking("派出了几支访问团？", "安理会派出了3支访问团"), measure_lacking("通过了几份决议？", "通过了4项决议")
    (0.0, 0.0)
    >>> measure_lacking("第2512(2020)号决议是以多少票通过的？", "安全理事会通过了第2512(2020)号决议，任务期限延长10个月")
    1.0

    个 counts anything (几个城市: 6座城市); a share (多少比例, 几成) is a percentage or 成.

    >>> measure_lacking("有几个城市人口超过十万？", "共有6座人口超过10万的大城市"), measure_lacking("有多少比例的人信仰天主教？", "天主教约占人口的17.5%")
    (0.0, 0.0)
    """
    asked = MEASURE_ASKED.search(question)
    if asked is None:
        return 0.0
    number = rf"(?:\d+(?:\.\d+)?|{NUMERAL}+)\s*"
    if SHARE_ASKED.match(question, asked.start()):
        return float(not re.search(rf"{number}(?:%|％|成)|百分之", span))
    counted = question[asked.end() : asked.end() + 2]
    measure = "[\u4e00-\u9fff]" if asked.group(1) == "个" else re.escape(asked.group(1))
    return float(not re.search(rf"{number}(?:{measure}|[\u4e00-\u9fff]?{re.escape(counted)})", span))


# Words that only ask (哪, 何时, 多少) or join; the part-of-speech tags a predicate word may carry.
ASKING_WORDS = frozenset(
    "哪 哪个 哪些 哪里 哪儿 哪国 哪位 哪家 哪所 哪座 哪份 哪年 哪一天 哪一年 什么 何时 何处 谁 多少 多久 多长 多大 几个 怎样 怎么 如何 为什么 为何 是 有 据 由 对".split()
)
PREDICATE_TAGS = ("n", "v", "a", "l", "i", "j", "b", "eng")
# jieba tags 通过, 经过 as prepositions; closing the question (…是哪一天通过的？) they are its verb.
QUESTION_CLOSE = frozenset("的了吗呢？?")


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's inverse document frequencies (general Chinese text) and their median, for unknown words."""
    # one line per word, "word value": split whole, a fifth of a line-by-line parse's time at a cold start
    fields = (Path(jieba.__file__).parent / "analyse" / "idf.txt").read_text(encoding="utf-8").split()
    table = dict(zip(fields[0::2], map(float, fields[1::2])))
    return table, float(np.median(np.fromiter(table.values(), dtype=np.float64, count=len(table))))


def rarity(word: str) -> float:
    """How specific a word is (jieba's idf): 全权证书 far more than 举行."""
    table, median = _idf()
    return table.get(word, median)


def predicate_words(question: str, tagger: Tagger, entities: Sequence[str], letter: Container[str]) -> list[str]:
    """What the question asks about the people, places and bodies it names: its
    nouns, verbs and adjectives other than those names, the asking words and the
    words that pick the letter (递交, 全权证书 in 新西兰常驻代表是何时递交全权证书的？).

    >>> predicate_words("新西兰常驻代表是何时递交全权证书的？", ChineseTokenizer().tagged, ["新西兰"], "新西兰常驻代表的信")
    ['递交', '全权', '证书']
    """
    words = []
    tagged = list(tagger(question))
    for n, (word, tag) in enumerate(tagged):
        closing_verb = tag == "p" and all(w in QUESTION_CLOSE for w, _ in tagged[n + 1 :])
        if len(word) < 2 or word in ASKING_WORDS or word in letter or tag in ENTITY_TAGS or not (tag.startswith(PREDICATE_TAGS) or closing_verb):
            continue
        if any(word in e or e in word for e in entities):
            continue
        words.append(word)
    return list(dict.fromkeys(words))


def stands_in_folded(word: str, text: str) -> bool:
    """The word, or a form the documents use for it (签署: 签名; 安理会: 安全理事会), stands in text."""
    return word in text or stands_in(SYNONYMS.get(word, word), text)


def rare_share(words: Sequence[str], text: str) -> float:
    """Share of the words standing in text, each weighted by its rarity (1 when there are none).

    >>> rare_share(["签署"], "帕斯卡尔·贝里斯韦尔(签名)")
    1.0
    """
    if not words:
        return 1.0
    return sum(rarity(w) for w in words if stands_in_folded(w, text)) / sum(rarity(w) for w in words)


def _enclosing(pieces: Sequence[tuple[int, int]], position: int) -> int:
    """Index of the piece (start, end) that holds `position` (the last one starting at or before it)."""
    return max([n for n, (s, _) in enumerate(pieces) if s <= position] or [0])


def predicate_evidence(words: Sequence[str], kind: AnswerKind | None, text: str, start: int, end: int, question: str, tagger: Tagger) -> tuple[float, float]:
    """(predicate_near, predicate_by_answer) for the span text[start:end] of a passage.

    The first is the share of the predicate words in the span's sentence and the
    sentences either side. The second asks whether the answer is tied to what is
    asked, not only to the topic: for a question asking a kind (a date, a count, a
    name), the share in the clause that holds the span's answer of that kind, 0
    where the span has none; for any other question, the share in the span.

    >>> t = "2021年2月8日新西兰和瑞士常驻联合国代表给安全理事会主席的信"
    >>> from qa.kinds import answer_kind
    >>> q = "新西兰常驻代表是何时递交全权证书的？"
    >>> predicate_evidence(["递交", "全权证书"], answer_kind(q), t, 0, len(t), q, ChineseTokenizer().tagged)
    (0.0, 0.0)
    """
    sentences = sentence_spans(text) or [(0, len(text))]
    first, last = _enclosing(sentences, start), _enclosing(sentences, max(start, end - 1))
    near = rare_share(words, text[sentences[max(first - 1, 0)][0] : sentences[min(last + 1, len(sentences) - 1)][1]])
    if kind is None or not kind.required:
        return near, rare_share(words, text[start:end])
    short = short_span(kind, text, start, end, question, tagger)
    if short is None:
        return near, 0.0
    sentence = sentences[_enclosing(sentences, short[0])]
    clauses = clause_spans(text, *sentence) or [sentence]
    return near, rare_share(words, text[slice(*clauses[_enclosing(clauses, short[0])])])


def english_predicate(question: str, tokenizer: ChineseTokenizer) -> tuple[list[str], int]:
    """What an English question asks, beyond the names it gives (capitalised):
    the Chinese forms of its other glossed words, and how many of its content
    words the glossary cannot map (those can meet no passage).

    >>> english_predicate("Who is the president of Albania?", ChineseTokenizer())
    (['主席'], 0)
    >>> english_predicate("What is the capital of France?", ChineseTokenizer())
    ([], 1)
    """
    glossed = tokenizer.glossed(question)
    words = [m for m in _content_words(question) if not question[m.start()].isupper()]
    return list(dict.fromkeys(zh for s, _, zh in glossed if not question[s].isupper())), _unmapped(words, glossed)


def unglossed_share(question: str, tokenizer: ChineseTokenizer) -> float:
    """Share of an English question's content words that no glossary term covers.

    >>> unglossed_share("What is the capital of France?", ChineseTokenizer())
    0.5
    """
    words = _content_words(question)
    return _unmapped(words, tokenizer.glossed(question)) / len(words) if words else 0.0


def _content_words(question: str) -> list[re.Match[str]]:
    """An English question's words other than function words, at their places in the question
    (where the glossary's terms are found)."""
    return [m for m in ENGLISH_WORD.finditer(question) if m.group(0).lower() not in ENGLISH_FUNCTION_WORDS]


def _unmapped(words: Sequence[re.Match[str]], glossed: Sequence[tuple[int, int, str]]) -> int:
    """How many of the words no glossary term (start, end, Chinese) covers."""
    return sum(not any(s <= m.start() < e for s, e, _ in glossed) for m in words)


def answerability_features(
    question: str,
    candidates: Candidates,
    scores: np.ndarray,
    best: int,
    hits: Sequence[Hit],
    tokenizer: ChineseTokenizer,
    contexts: dict[str, str] | None = None,
) -> np.ndarray:
    """The evidence that candidate `best` (ranked by `scores`) answers, in the order of ANSWERABILITY_FEATURES."""
    row = candidates.features[best]
    h, start, end = candidates.spans[best]
    hit = hits[h]
    span = hit.passage.text[start:end]
    others = [s for (g, _, _), s in zip(candidates.spans, scores) if g != h]
    shifted = np.exp(scores - scores.max())
    kind = candidates.kind
    lacking = kind is not None and kind.required and not kind.support(span, question, tokenizer.tagged)
    plain_span = tokenizer.simplify(span)
    cross_lingual = bool(row[_SPAN["cross_lingual"]])
    entities = question_entities(question, tokenizer.tagged) if not cross_lingual else tuple(c for _, _, c in tokenizer.glossed(question))
    text = tokenizer.simplify(hit.passage.text)
    letter = f"{text} {tokenizer.simplify(letter_context(hit, contexts))}"
    heading, signature = span_form(hit.passage)
    # An English question's asking words are English: only its glossed names can meet the span.
    context = tokenizer.simplify(letter_context(hit, contexts))
    asked = [] if cross_lingual else ask_words(tokenizer.tokens(question), entities, set(tokenizer.tokens(context)))
    terms = SpecificTerms.of(question, tokenizer)
    specific = len(terms.dates) + len(terms.numbers)
    span_scope = f"{plain_span} {context}"
    margin = (hits[0].score - hits[1].score) / hits[0].score if len(hits) > 1 and hits[0].score else 1.0
    if cross_lingual:
        # An English question's predicate is its glossed words; an unmapped one stands in no passage.
        predicate, unmapped = english_predicate(question, tokenizer)
        share = len(predicate) / (len(predicate) + unmapped) if predicate or unmapped else 1.0
        near, by_answer = (v * share if predicate else (0.0 if unmapped else 1.0) for v in predicate_evidence(predicate, kind, text, start, end, question, tokenizer.tagged))
    else:
        predicate = predicate_words(question, tokenizer.tagged, entities, context)
        near, by_answer = predicate_evidence(predicate, kind, text, start, end, question, tokenizer.tagged)
    values = {
        "rank_score": float(scores[best]),
        "rank_margin": float(scores[best] - max(others)) if others else 1.0,
        "rank_share": float(shifted[best] / shifted.sum()),
        "kind_lacking": float(lacking),
        "unglossed": unglossed_share(question, tokenizer) if cross_lingual else 0.0,
        "entities": float(bool(entities)),
        "entities_in_letter": sum(e in letter for e in entities) / len(entities) if entities else 1.0,
        "entities_in_passage": sum(e in text for e in entities) / len(entities) if entities else 1.0,
        "lexical_raw": hit.lexical,
        "agreement": float(hits[0].dense_rank == 1 and hits[0].lexical_rank == 1),
        "retrieval_margin": margin,
        "heading": heading,
        "signature": signature * (1.0 - asks_name(question)),
        "ask_in_span": words_in(asked, plain_span.lower()) if asked else 1.0,
        "ask_in_passage": words_in(asked, f"{text} {context}".lower()) if asked else 1.0,
        "terms_in_span": 1.0 - terms.missing_from(span_scope, set(tokenizer.tokens(span_scope))) / specific if specific else 1.0,
        "measure_lacking": measure_lacking(question, plain_span),
        "predicate_near": near,
        "predicate_by_answer": by_answer,
        "duration_lacking": duration_lacking(question, span),
        "name_lacking": name_lacking(question, span, tokenizer.tagged),
    }
    values["lacks_asked"] = max(kind_missing(kind, plain_span, question, tokenizer.tagged), values["measure_lacking"], values["duration_lacking"], float(values["terms_in_span"] < 1.0))
    return np.array([values[name] if name in values else float(row[_SPAN[name]]) for name in ANSWERABILITY_FEATURES])
