"""Candidate answer spans and the evidence for each, as a feature matrix.

The candidates of a question are the sentences of its top passages, each
short sentence also run on into the next one and back into the one before, and, for a sentence longer
than MAX_ANSWER_CHARS, its runs of up to three clauses. Every candidate is
`passage.text[start:end]`. The features are what a learned ranker
(`qa/answer_model.py`) weighs to pick the answer, and what the
answerability model reads off the chosen one; the same code computes them
for training (`scripts/train_answer_models.py`) and at query time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

import numpy as np

from .frame import question_frame
from .kinds import DATE, AnswerKind, answer_kind
from .results import Hit
from .sentences import SentenceTable
from .spans import clause_spans
from .tokens import SYNONYMS, ChineseTokenizer

MAX_ANSWER_CHARS = 80  # an answer is a sentence, or a run of clauses, of at most this many characters
MAX_WINDOW_CLAUSES = 3
EXTEND_BELOW = 40  # a sentence shorter than this is also offered run on into the next one, and the one before
NOVEL_MIN = 4  # a run of clauses adds at least this many characters to the question's
CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters that ask rather than say: they are left out of the character overlap.
QUESTION_CHARACTERS = frozenset("的了是在和与及或哪些什么谁多少几个为何时吗呢么怎样如被由把对从中上下一有这那其之者所也都而")

# The forms a folded word stands for in text: 安理会 for 安全理事会, 签名 for 签署.
LONG_FORMS = {short: tuple(long for long, folded in SYNONYMS.items() if folded == short) for short in set(SYNONYMS.values())}

SPAN_FEATURES = (
    "meaning",  # cosine of question and sentence
    "meaning_gap",  # cosine less the best cosine among the candidates
    "words",  # share of the question's content words in the span
    "sentence_words",  # the same for the whole sentence the span is cut from
    "neighbour_words",  # the best of the sentences before and after
    "characters",  # share of the question's content characters in the span
    "kind",  # the span holds the kind of answer asked for (1, 0.5 a stand-in, 0)
    "kind_asked",  # the question asks for a kind
    "novel",  # share of the span's letters and digits that the question does not use
    "length",  # characters / MAX_ANSWER_CHARS
    "clause_run",  # cut from a longer sentence
    "run_on",  # a short sentence run on into the next, or back into the one before
    "sentence_position",  # index of the sentence in its passage / number of sentences
    "passage_rank",  # 1 for the top passage ...
    "passage_score",  # fused retrieval score relative to the best
    "dense",  # cosine of question and passage (dense evidence)
    "lexical",  # BM25 relative to the best
    "both_retrievers",  # both retrievers returned the passage among their candidates
    "passage_words",  # share of the question's content words in passage and letter
    "missing",  # the question's dates, numbers and symbols the passage and letter lack
    "unknown",  # share of the question's words no passage uses
    "cross_lingual",  # the question is not in Chinese
    "rare_words",  # "words", each weighted by how few of the candidate passages' sentences use it
    "frame",  # share of the words next to the question's asking word (its frame) in the span
    "kind_anchored",  # the best clause holding the kind asked for: its support times the share of the question's words in it
)


@dataclass(frozen=True)
class Candidates:
    """The candidate spans of one question: `spans[i] = (hit index, start, end)`,
    `features[i]` in the order of SPAN_FEATURES."""

    spans: list[tuple[int, int, int]]
    features: np.ndarray
    kind: AnswerKind | None
    content: tuple[str, ...]  # the question's content words


def word_overlap(question_tokens: Sequence[str], tokens: Container[str], rare: dict[str, float] | None = None) -> float:
    """Share of the question's words (weighted: symbols 3, words 2, single characters 1,
    each times its `rare` factor where given) in `tokens`.

    >>> word_overlap(["执笔方", "制度", "是"], {"执笔方", "制度"})
    0.8
    """
    weights = {t: _weight(t) * (rare.get(t, 1.0) if rare else 1.0) for t in question_tokens}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def words_in(question_tokens: Sequence[str], text: str, rare: dict[str, float] | None = None) -> float:
    """`word_overlap` read off the (simplified, lower-cased) text itself: a word
    counts where it, or a longer form it stands for (安全理事会 for 安理会), stands in it.

    >>> words_in(["执笔方", "制度", "安理会"], "安全理事会的执笔方")
    0.6666666666666666
    """
    return word_overlap(question_tokens, {t for t in question_tokens if stands_in(t, text)}, rare)


def stands_in(token: str, text: str) -> bool:
    """The word, or a longer form it stands for, stands in the (simplified, lower-cased) text."""
    return token in text or any(long in text for long in LONG_FORMS.get(token, ()))


def rarity(question_tokens: Sequence[str], sentences: Sequence[str]) -> dict[str, float]:
    """How few of the sentences (simplified, lower-cased) use each of the question's words:
    log(1 + n / (1 + sentences using it)). The name a passage is about, standing in
    most of its sentences, tells them apart less than a word only one of them uses.

    >>> r = rarity(["高英", "皇后"], ["高英是皇后。", "高英死了。", "高英葬于邙山。"])
    >>> round(r["高英"], 2), round(r["皇后"], 2)
    (0.56, 0.92)
    """
    return {t: float(np.log1p(len(sentences) / (1 + sum(stands_in(t, text) for text in sentences)))) for t in dict.fromkeys(question_tokens)}


def _weight(token: str) -> float:
    if "/" in token or "(" in token:
        return 3.0
    return 2.0 if len(token) > 1 else 1.0


def new_characters(text: str, question: str) -> int:
    """How many letters and digits of `text` the question does not use: a run
    that only restates the question ("严长寿", "英文全称") answers nothing.

    >>> new_characters("严长寿", "严长寿现今的职业有哪些？"), new_characters("公益平台文化基金会董事长", "严长寿现今的职业有哪些？")
    (0, 11)
    """
    return sum(ch.isalnum() and ch not in question for ch in text)


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


def letter_context(hit: Hit, contexts: dict[str, str] | None) -> str:
    """A passage's document context (who, when, what annex) and its date: words a
    question uses to pick the letter, not the sentence."""
    passage = hit.passage
    context = (contexts or {}).get(passage.source, passage.letter_title)
    if passage.date != dt.date.min:  # undated passages (SQuAD contexts) name no date
        context = f"{context} {passage.date.year}年{passage.date.month}月{passage.date.day}日"
    return context


def content_characters(question: str) -> frozenset[str]:
    return frozenset(ch for ch in question if CJK.match(ch) and ch not in QUESTION_CHARACTERS)


def span_candidates(
    question: str,
    cosines: Callable[[range], np.ndarray],
    hits: Sequence[Hit],
    positions: Sequence[int],
    table: SentenceTable,
    tokenizer: ChineseTokenizer,
    *,
    contexts: dict[str, str] | None = None,
    vocabulary: Container[str] = frozenset(),
    cross_lingual: bool = False,
) -> Candidates:
    """Every candidate span of the passages `hits` (at `positions` in the
    sentence table) with its features. `cosines(rows)` gives the cosine of the
    question to the sentences at those rows of the table."""
    kind = answer_kind(question)
    question_tokens = tokenizer.tokens(question)
    if cross_lingual:
        # Only the glossed Chinese terms of an English question can meet the documents' words.
        unknown = 0.0 if CJK.search(question) else 1.0
    else:
        unknown = unknown_share(question_tokens, vocabulary)
    terms = SpecificTerms.of(question, tokenizer)
    question_chars = content_characters(question)
    top_score = hits[0].score if hits else 1.0
    top_lexical = max((h.lexical for h in hits), default=0.0) or 1.0
    frame = () if cross_lingual else question_frame(question, tokenizer)
    plains = [tokenizer.simplify(hit.passage.text).lower() for hit in hits]  # what the question's words are looked for in
    rare = rarity(question_tokens, [plain[int(table.start[r]) : int(table.end[r])] for plain, position in zip(plains, positions) for r in table.rows_of(position)])
    read: dict[str, tuple[str, set[str]]] = {}
    spans: list[tuple[int, int, int]] = []
    rows: list[list[float]] = []
    all_content: list[str] = []
    for h, (hit, position) in enumerate(zip(hits, positions)):
        passage = hit.passage
        if passage.source not in read:
            context = letter_context(hit, contexts)
            read[passage.source] = (context, set(tokenizer.tokens(context)))
        context, known = read[passage.source]
        content = [t for t in question_tokens if t not in known] or question_tokens
        all_content.extend(content)
        passage_tokens = set(tokenizer.tokens(passage.text))
        missing = terms.missing_from(f"{passage.text} {context}", passage_tokens | known)
        passage_words = word_overlap(question_tokens, passage_tokens | known)
        sentence_rows = table.rows_of(position)
        if not len(sentence_rows):
            continue
        meanings = np.asarray(cosines(sentence_rows), dtype=np.float64)
        sentences = [(int(table.start[r]), int(table.end[r])) for r in sentence_rows]
        text = passage.text
        plain = plains[h]
        sentence_words = [0.0 if cross_lingual else words_in(content, plain[s:e]) for s, e in sentences]
        shared = (
            h + 1,
            hit.score / top_score,
            hit.dense,
            hit.lexical / top_lexical,
            float(hit.dense_rank is not None and hit.lexical_rank is not None),
            passage_words,
            float(missing),
            unknown,
            float(cross_lingual),
        )
        for i, (start, end) in enumerate(sentences):
            neighbours = max([sentence_words[j] for j in (i - 1, i + 1) if 0 <= j < len(sentences)], default=0.0)
            spans_here: list[tuple[int, int, bool, bool]] = []
            if end - start <= MAX_ANSWER_CHARS:
                spans_here.append((start, end, False, False))
                if end - start < EXTEND_BELOW and i + 1 < len(sentences) and sentences[i + 1][1] - start <= MAX_ANSWER_CHARS:
                    spans_here.append((start, sentences[i + 1][1], False, True))
                # and back into a longer one before (a short one before has run on into this one already):
                # "因此它也被称为笨蛋水果。" restates the question, and the reason stands before it
                before = sentences[i - 1] if i > 0 else (start, start)
                if end - start < EXTEND_BELOW and before[1] - before[0] >= EXTEND_BELOW and end - before[0] <= MAX_ANSWER_CHARS:
                    spans_here.append((before[0], end, False, True))
            else:
                spans_here.extend((s, e, True, False) for s, e in clause_runs(text, start, end, question))
            for s, e, run, run_on in spans_here:
                span = text[s:e]
                novel = new_characters(span, question)
                rows.append(
                    [
                        float(meanings[i]),
                        0.0,
                        0.0 if cross_lingual else words_in(content, plain[s:e]),
                        sentence_words[i],
                        neighbours,
                        len(question_chars & set(plain[s:e])) / len(question_chars) if question_chars else 0.0,
                        kind.support(span, question) if kind else 0.0,
                        float(kind is not None),
                        novel / max(1, sum(ch.isalnum() for ch in span)),
                        (e - s) / MAX_ANSWER_CHARS,
                        float(run),
                        float(run_on),
                        i / len(sentences),
                        *shared,
                        0.0 if cross_lingual else words_in(content, plain[s:e], rare),
                        words_in(frame, plain[s:e]) if frame else 0.0,
                        0.0 if kind is None or cross_lingual else kind_anchored(kind, text, plain, s, e, question, content),
                    ]
                )
                spans.append((h, s, e))
    features = np.array(rows, dtype=np.float64).reshape(-1, len(SPAN_FEATURES))
    if len(features):
        features[:, 1] = features[:, 0] - features[:, 0].max()
    return Candidates(spans, features, kind, tuple(dict.fromkeys(all_content)))


def kind_anchored(kind: AnswerKind, text: str, plain: str, start: int, end: int, question: str, content: Sequence[str]) -> float:
    """How well the answer of the kind asked for is tied to the question's words in
    text[start:end]: over its clauses holding one, the best support times the share of
    the question's words in that clause (`plain`: the simplified, lower-cased text).

    >>> from qa.kinds import answer_kind
    >>> q = "公开辩论中有多少个代表团作了发言？"
    >>> t = "安理会举行了一次公开辩论，共有15个成员。近60个代表团作了发言。"
    >>> kind_anchored(answer_kind(q), t, t, 0, 20, q, ["公开辩论", "代表团", "发言"]), kind_anchored(answer_kind(q), t, t, 20, len(t), q, ["公开辩论", "代表团", "发言"])
    (0.3333333333333333, 0.6666666666666666)
    """
    return max((kind.support(text[s:e], question) * words_in(content, plain[s:e]) for s, e in clause_spans(text, start, end)), default=0.0)


def clause_runs(text: str, start: int, end: int, question: str) -> list[tuple[int, int]]:
    """Runs of up to MAX_WINDOW_CLAUSES clauses of the long sentence text[start:end],
    each at most MAX_ANSWER_CHARS (a single longer clause stays whole), each
    adding something to the question.

    >>> t = "2月28日，安理会通过了第2512(2020)号决议，延长任务。"
    >>> [t[s:e] for s, e in clause_runs(t, 0, len(t), "哪项决议？")][:3]
    ['2月28日', '2月28日，安理会通过了第2512(2020)号决议', '2月28日，安理会通过了第2512(2020)号决议，延长任务。']
    """
    clauses = clause_spans(text, start, end)
    runs = []
    for i in range(len(clauses)):
        for j in range(i, min(i + MAX_WINDOW_CLAUSES, len(clauses))):
            s, e = clauses[i][0], clauses[j][1]
            if j == len(clauses) - 1:
                e = end  # a run that closes the sentence keeps its full stop
            if e - s > MAX_ANSWER_CHARS and j > i:
                break
            if new_characters(text[s:e], question) >= NOVEL_MIN:
                runs.append((s, e))
    return runs
