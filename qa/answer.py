"""Extractive answers: the shortest span of a retrieved passage that answers.

Each sentence of the top passages is scored by what the question means
(cosine of sentence and question embeddings), the words it shares with the
question (jieba tokens, symbols), and whether it holds the kind of answer the
question asks for (a number for 多少, a date for 何时, a person for 谁 …).
A long best sentence is cut down to its best run of clauses. Nothing is
generated: every answer is `passage.text[start:end]`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass

import numpy as np

from .results import Answer, Hit
from .sentences import SentenceTable
from .spans import clause_spans
from .kinds import DATE, AnswerKind, Tagger, answer_kind
from .tokens import ChineseTokenizer

# An answer is one sentence, or up to three clauses of a long one, of at most
# this many characters (80 kept the mean near 48 on evals/ with the best hit rate).
MAX_ANSWER_CHARS = 80
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_WINDOW_CLAUSES = 3
EXTEND_BELOW = 40  # an answer shorter than this takes in the next sentence (CMRC: hit 0.740 -> 0.757)


@dataclass(frozen=True)
class AnswerWeights:
    """How the evidence for a sentence adds up; tuned on evals/ and a sample of
    400 CMRC 2018 trial questions (more weight on words or kinds lost on CMRC)."""

    meaning: float = 1.0  # cosine of question and sentence embeddings
    words: float = 0.3  # share of the question's content words found in the sentence
    kind: float = 0.1  # the sentence holds the kind of answer asked for
    passage: float = 0.5  # the passage's fused retrieval score relative to the best
    missing: float = 0.8  # per specific term of the question (year, number, symbol) the passage lacks
    unknown: float = 1.0  # times the share of the question's words that no passage uses at all
    wrong_kind: float = 1.0  # an answer without the kind asked for (no count for 多少, no name for 谁)


def kind_support(kind: AnswerKind | None, text: str, question: str = "", tagger: Tagger | None = None) -> float:
    """How far `text` holds an answer of the kind asked that the question does not
    already name (1 the answer, less for a stand-in such as a role for 谁; 0 none).

    >>> count, who = answer_kind("2月的会议有几次？"), answer_kind("这封信由谁签署？")
    >>> kind_support(count, "举行了26次公开会议"), kind_support(count, "2月11日的会议", "2月的会议有几次？")
    (1.0, 0.0)
    >>> kind_support(who, "大使 费里特·霍查(签名)"), kind_support(who, "阿尔巴尼亚常驻联合国代表给安全理事会主席的信")
    (1.0, 0.5)
    """
    return 0.0 if kind is None else kind.support(text, question, tagger)


def word_overlap(question_tokens: Sequence[str], tokens: Sequence[str]) -> float:
    """Share of the question's words (weighted: symbols 3, words 2, single characters 1) in `tokens`.

    >>> word_overlap(["执笔方", "制度", "是"], ["执笔方", "制度"])
    0.8
    """
    weights = {t: _weight(t) for t in question_tokens}
    total = sum(weights.values())
    present = set(tokens)
    return sum(w for t, w in weights.items() if t in present) / total if total else 0.0


def _weight(token: str) -> float:
    if "/" in token or "(" in token:
        return 3.0
    return 2.0 if len(token) > 1 else 1.0


@dataclass(frozen=True)
class SpecificTerms:
    """The dates, numbers and symbols a question names: a passage that answers
    it names them too. Read once per question, checked against each passage."""

    dates: tuple[tuple[str, ...], ...]  # each date's parts: ("2020年", "3月")
    numbers: frozenset[str]  # other tokens with digits: counts, symbols

    @classmethod
    def of(cls, question: str, tokenizer: ChineseTokenizer) -> "SpecificTerms":
        dates = tuple(tuple(re.findall(r"\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}月|\d{1,2}日", date.group(0))) for date in DATE.finditer(question))
        numbers = frozenset(t for t in tokenizer.tokens(DATE.sub(" ", question)) if any(ch.isdigit() for ch in t))
        return cls(dates, numbers)

    def missing_from(self, text: str, tokens: Container[str]) -> int:
        """How many of the terms a passage (`text`: its text, document context
        and date; `tokens`: their words) does not name. "2020年3月" is missing
        from a passage about 2月 even where 2020 and 3 stand in it apart.

        >>> known = "2020年2月 第2509(2020)号决议"
        >>> SpecificTerms.of("2020年3月的第2509(2020)号决议", ChineseTokenizer()).missing_from(known, ChineseTokenizer().tokens(known))
        1
        """
        return sum(any(part not in text for part in parts) for parts in self.dates) + sum(t not in tokens for t in self.numbers)


def unknown_share(question_tokens: Sequence[str], vocabulary: Container[str]) -> float:
    """Share of the question's words (of two or more characters) that the documents never use.

    >>> unknown_share(["巴黎奥运会", "开幕式", "举行"], {"开幕式", "举行"})
    0.3333333333333333
    """
    words = [t for t in question_tokens if len(t) > 1]
    return sum(t not in vocabulary for t in words) / len(words) if words else 0.0


def extract_answers(
    question: str,
    query: np.ndarray,
    hits: Sequence[Hit],
    positions: Sequence[int],
    table: SentenceTable,
    tokenizer: ChineseTokenizer,
    *,
    contexts: dict[str, str] | None = None,
    vocabulary: Container[str] = frozenset(),
    cross_lingual: bool | None = None,
    k: int = 5,
    weights: AnswerWeights = AnswerWeights(),
) -> list[Answer]:
    """Up to k answers, at most one per passage, best first.

    `positions[i]` is the position of `hits[i].passage` in the sentence table;
    `contexts` maps a source to its document context (who, when, what annex):
    question words found there pick the letter, not the sentence, so they do
    not count as evidence for a sentence. `vocabulary` holds every word of the
    indexed passages: a question about words the documents never use (巴黎奥运会)
    is unlikely to be answered by them, which lowers every answer's score.
    `cross_lingual` marks a question asked in another language than the
    documents (default: one without Chinese characters); its words are not
    compared with theirs.
    """
    kind = answer_kind(question)
    question_tokens = tokenizer.tokens(question)
    if cross_lingual is None:
        cross_lingual = not CJK.search(question)
    top_score = hits[0].score if hits else 1.0
    if cross_lingual:
        # Only the glossed Chinese terms of an English question can meet the documents' words;
        # a question with none (no UN term, no country) is foreign to them.
        unknown = 0.0 if CJK.search(question) else 1.0
    else:
        unknown = unknown_share(question_tokens, vocabulary)
    terms = SpecificTerms.of(question, tokenizer)
    contexts_read: dict[str, tuple[str, set[str]]] = {}  # source -> its context, and that context's words
    answers = []
    for hit, position in zip(hits, positions):
        passage = hit.passage
        if passage.source not in contexts_read:
            context = (contexts or {}).get(passage.source, passage.letter_title)
            if passage.date != dt.date.min:  # undated passages (SQuAD contexts) name no date
                context = f"{context} {passage.date.year}年{passage.date.month}月{passage.date.day}日"
            contexts_read[passage.source] = (context, set(tokenizer.tokens(context)))
        context, known = contexts_read[passage.source]
        content = [t for t in question_tokens if t not in known] or question_tokens
        missing = terms.missing_from(f"{passage.text} {context}", set(tokenizer.tokens(passage.text)) | known)
        prior = weights.passage * hit.score / top_score - weights.missing * missing - weights.unknown * unknown
        text = passage.text
        best: tuple[float, int, int] | None = None
        for row in table.rows_of(position):
            start, end = int(table.start[row]), int(table.end[row])
            sentence = text[start:end]
            meaning = float(table.vectors[row] @ query)
            # An English question shares no words with Chinese text; let meaning speak alone.
            words = meaning if cross_lingual else word_overlap(content, tokenizer.tokens(sentence))
            score = weights.meaning * meaning + weights.words * words + weights.kind * kind_support(kind, sentence, question) + prior
            if best is None or score > best[0]:
                best = (score, start, end)
        if best is None:
            continue
        score, start, end = best
        sentences = [(int(table.start[r]), int(table.end[r])) for r in table.rows_of(position)]
        start, end = shortest_answering_window(text, start, end, content, kind, tokenizer, question)
        start, end = with_next_sentence(text, start, end, sentences)
        answers.append(Answer(text[start:end], start, end, round(score, 4), passage))
    answers.sort(key=lambda a: -a.score)
    return answers[:k]


def confidence(question: str, top: Answer, tokenizer: ChineseTokenizer, weights: AnswerWeights = AnswerWeights()) -> float:
    """How well the top answer is supported: its score, less `weights.wrong_kind`
    when it lacks the kind of answer asked for (no count for 多少, no name for 谁).

    The kind is checked here, once, with part-of-speech tags for names; ranking
    only uses it as a hint, because the tags miss some names (总督, 山崎和之).
    """
    kind = answer_kind(question)
    lacks = kind is not None and kind.required and not kind_support(kind, top.text, question, tokenizer.tagged)
    return top.score - weights.wrong_kind * lacks


def with_next_sentence(text: str, start: int, end: int, sentences: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """A short answer that ends a sentence runs on into the next one when both fit:
    a short sentence often only introduces what the next one says.

    >>> t = "他是谁？他是主席。会议结束。"
    >>> with_next_sentence(t, 0, 4, [(0, 4), (4, 9), (9, 14)])
    (0, 9)
    """
    if end - start >= EXTEND_BELOW:
        return start, end
    following = next(((s, e) for s, e in sentences if s >= end), None)
    if following is None or following[1] - start > MAX_ANSWER_CHARS or end not in (s_e[1] for s_e in sentences):
        return start, end
    return start, following[1]


NOVEL_MIN = 4  # a run of clauses adds at least this many characters to the question's (CMRC 0.760 -> 0.763)


def new_characters(text: str, question: str) -> int:
    """How many letters and digits of `text` the question does not use: a run
    that only restates the question ("严长寿", "英文全称") answers nothing.

    >>> new_characters("严长寿", "严长寿现今的职业有哪些？"), new_characters("公益平台文化基金会董事长", "严长寿现今的职业有哪些？")
    (0, 11)
    """
    return sum(ch.isalnum() and ch not in question for ch in text)


def shortest_answering_window(text: str, start: int, end: int, question_tokens: Sequence[str], kind: AnswerKind | None, tokenizer: ChineseTokenizer, question: str = "") -> tuple[int, int]:
    """Within a long sentence, the run of up to three clauses that best answers.

    A run is scored by the question words it holds and whether it has the
    kind of answer asked for, less a little per character so shorter wins ties.
    """
    max_chars = MAX_ANSWER_CHARS
    if end - start <= max_chars:
        return start, end
    clauses = clause_spans(text, start, end)
    best = (float("-inf"), start, end)
    for i in range(len(clauses)):
        for j in range(i, min(i + MAX_WINDOW_CLAUSES, len(clauses))):
            s, e = clauses[i][0], clauses[j][1]
            if j == len(clauses) - 1:
                e = end  # a run that closes the sentence keeps its full stop
            if e - s > max_chars and j > i:
                break
            if new_characters(text[s:e], question) < NOVEL_MIN:
                continue
            score = word_overlap(question_tokens, tokenizer.tokens(text[s:e])) + 0.5 * kind_support(kind, text[s:e], question) - 0.002 * (e - s)
            if score > best[0]:
                best = (score, s, e)
    return best[1], best[2]
