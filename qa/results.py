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
    """A span quoted verbatim from a passage: `passage.text[start:end] == text`.

    Where the question asks for a count, date, name, place or symbol,
    `passage.text[short_start:short_end]` is that short answer, inside the quotation.
    """

    text: str
    start: int
    end: int
    score: float
    passage: Passage
    short_start: int | None = None
    short_end: int | None = None

    def __post_init__(self) -> None:
        if self.passage.text[self.start : self.end] != self.text:
            raise ValueError("an answer must be the exact span passage.text[start:end]")
        if (self.short_start is None) != (self.short_end is None) or (self.short_start is not None and not self.start <= self.short_start < self.short_end <= self.end):
            raise ValueError("a short answer must be a span inside the answer")

    @property
    def short(self) -> str | None:
        """The short answer (a count, date, name, place or symbol), or None where none is asked or found."""
        return None if self.short_start is None else self.passage.text[self.short_start : self.short_end]


@dataclass(frozen=True)
class Response:
    """The reply to one question: ranked answers, or an abstention with related reading.

    `confidence` is the probability that the top answer answers (the
    answerability model's); below the engine's threshold it abstains.
    """

    question: str
    answers: tuple[Answer, ...]
    abstained: bool
    message: str
    related: tuple[Hit, ...] = ()
    confidence: float = 0.0
