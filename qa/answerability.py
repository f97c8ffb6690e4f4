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
from collections.abc import Sequence

import numpy as np

from .candidates import SPAN_FEATURES, Candidates, letter_context
from .kinds import PERSON, Tagger
from .results import Hit
from .tokens import ChineseTokenizer

ENTITY_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nsf", "nt", "nz"})
ENGLISH_WORD = re.compile(r"[a-z][a-z'-]+")
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


def unglossed_share(question: str, tokenizer: ChineseTokenizer) -> float:
    """Share of an English question's content words that no glossary term covers.

    >>> unglossed_share("What is the capital of France?", ChineseTokenizer())
    0.5
    """
    lowered = question.lower()
    covered = [(s, e) for s, e, _ in tokenizer.glossed(question)]
    words = [m for m in ENGLISH_WORD.finditer(lowered) if m.group(0) not in ENGLISH_FUNCTION_WORDS]
    if not words:
        return 0.0
    return sum(not any(s <= m.start() < e for s, e in covered) for m in words) / len(words)


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
    cross_lingual = bool(row[_SPAN["cross_lingual"]])
    entities = question_entities(question, tokenizer.tagged) if not cross_lingual else tuple(c for _, _, c in tokenizer.glossed(question))
    text = tokenizer.simplify(hit.passage.text)
    letter = f"{text} {tokenizer.simplify(letter_context(hit, contexts))}"
    margin = (hits[0].score - hits[1].score) / hits[0].score if len(hits) > 1 and hits[0].score else 1.0
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
    }
    return np.array([values[name] if name in values else float(row[_SPAN[name]]) for name in ANSWERABILITY_FEATURES])
