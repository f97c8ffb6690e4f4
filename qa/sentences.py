"""The sentence table: every sentence of every passage with its embedding.

Computed once when the index is built, so choosing the answer sentence for a
question costs one matrix product, not a model call per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .documents import Passage
from .embedder import Embedder
from .spans import sentence_spans


@dataclass(frozen=True)
class SentenceTable:
    passage: np.ndarray  # int32 position of the passage, ascending
    start: np.ndarray  # int32 character offsets into passage.text
    end: np.ndarray
    vectors: np.ndarray  # float32, L2-normalised

    def rows_of(self, passage_position: int) -> range:
        # in the column's own type: numpy would convert the whole column to meet a Python int
        position = self.passage.dtype.type(passage_position)
        lo = int(np.searchsorted(self.passage, position, side="left"))
        hi = int(np.searchsorted(self.passage, position, side="right"))
        return range(lo, hi)

    def save(self, path: Path) -> None:
        with open(path, "wb") as out:
            np.savez(out, passage=self.passage, start=self.start, end=self.end, vectors=self.vectors)

    @classmethod
    def load(cls, path: Path) -> "SentenceTable":
        with np.load(path) as data:
            return cls(data["passage"], data["start"], data["end"], data["vectors"])


def passage_sentences(passage: Passage) -> list[tuple[int, int]]:
    """The sentences of a passage. A signature block is one: its lines (大使 /
    name(签名) / 常驻代表) only say who signed when read together."""
    if passage.kind == "signature":
        return [(0, len(passage.text))] if passage.text else []
    return sentence_spans(passage.text)


def build_sentence_table(passages: Sequence[Passage], embedder: Embedder, *, progress: bool = False) -> SentenceTable:
    rows = [(i, s, e) for i, p in enumerate(passages) for s, e in passage_sentences(p)]
    texts = [passages[i].text[s:e] for i, s, e in rows]
    vectors = embedder.encode_passages(texts, progress=progress)
    columns = np.array(rows, dtype=np.int32).reshape(-1, 3)
    return SentenceTable(columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy(), vectors)
