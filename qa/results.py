"""What a search or a question returns: frozen records with their citations."""

from __future__ import annotations

from dataclasses import dataclass

from .documents import Passage


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with the scores that ranked it.

    `dense` is the cosine similarity to the question, `lexical` the BM25 score,
    `score` the fused score that orders hits; a rank is None where that
    retriever did not return the passage among its candidates.
    """

    passage: Passage
    score: float
    dense: float
    lexical: float
    dense_rank: int | None
    lexical_rank: int | None


@dataclass(frozen=True)
class Answer:
    """A span quoted verbatim from a passage: `passage.text[start:end] == text`."""

    text: str
    start: int
    end: int
    score: float
    passage: Passage

    def __post_init__(self) -> None:
        if self.passage.text[self.start : self.end] != self.text:
            raise ValueError("an answer must be the exact span passage.text[start:end]")


@dataclass(frozen=True)
class Response:
    """The reply to one question: ranked answers, or an abstention with related reading.

    `confidence` is how well the top answer is supported (its score, less a
    penalty when it lacks the kind of answer asked for); below the engine's
    threshold it abstains.
    """

    question: str
    answers: tuple[Answer, ...]
    abstained: bool
    message: str
    related: tuple[Hit, ...] = ()
    confidence: float = 0.0
