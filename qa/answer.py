"""Extractive answers: the candidate span a learned ranker scores highest.

The candidates are the sentences of the top passages and the runs of clauses
of long ones (`qa/candidates.py`); a ranker fitted on CMRC 2018, DRCD and
evals/ scores them from their features (meaning, shared words and
characters, the kind of answer asked for, retrieval), and an answerability
model gives the probability that the best one answers (`qa/answer_model.py`).
Nothing is generated: every answer is `passage.text[start:end]`, and its
short answer (a count, date, name, place or symbol) a span inside it.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass

import numpy as np

from .answer_model import AnswerModels, shipped_models
from .answerability import answerability_features
from .candidates import CJK, span_candidates
from .results import Answer, Hit
from .sentences import SentenceTable
from .short import short_span
from .tokens import ChineseTokenizer


@dataclass(frozen=True)
class Choice:
    """The answers to a question, best first, and the probability that the first one answers."""

    answers: tuple[Answer, ...]
    probability: float


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
    models: AnswerModels | None = None,
) -> Choice:
    """Up to k answers, at most one per passage, best first, with the probability that the first answers.

    `positions[i]` is the position of `hits[i].passage` in the sentence table;
    `contexts` maps a source to its document context (who, when, what annex):
    question words found there pick the letter, not the sentence. `vocabulary`
    holds every word of the indexed passages. `cross_lingual` marks a question
    asked in another language than the documents (default: one without Chinese
    characters).
    """
    models = models or shipped_models()
    if cross_lingual is None:
        cross_lingual = not CJK.search(question)
    candidates = span_candidates(
        question, lambda rows: table.vectors[rows.start : rows.stop] @ query, hits, positions, table, tokenizer,
        contexts=contexts, vocabulary=vocabulary, cross_lingual=cross_lingual,
    )
    if not candidates.spans:
        return Choice((), 0.0)
    scores = models.rank(candidates.features)
    order = np.argsort(-scores, kind="stable")
    probability = models.probability(answerability_features(question, candidates, scores, int(order[0]), hits, tokenizer, contexts))
    answers: list[Answer] = []
    seen: set[int] = set()
    for i in order:
        h, start, end = candidates.spans[i]
        if h in seen:
            continue
        seen.add(h)
        passage = hits[h].passage
        short = short_span(candidates.kind, passage.text, start, end, question, tokenizer.tagged)
        answers.append(Answer(passage.text[start:end], start, end, round(float(scores[i]), 4), passage, *(short or (None, None))))
        if len(answers) == k:
            break
    return Choice(tuple(answers), probability)
