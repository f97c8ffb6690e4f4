"""The lexical index: BM25 (bm25s) over jieba tokens."""

from __future__ import annotations

from collections.abc import Container, Sequence
from pathlib import Path

import bm25s
import numpy as np


class LexicalIndex:
    """BM25 over pre-tokenised passages; scores every passage for a query."""

    def __init__(self, bm25: bm25s.BM25):
        self._bm25 = bm25

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "LexicalIndex":
        bm25 = bm25s.BM25()  # Lucene BM25, k1=1.5, b=0.75
        bm25.index([list(tokens) for tokens in token_lists], show_progress=False)
        return cls(bm25)

    @property
    def vocabulary(self) -> Container[str]:
        """Every token of the indexed passages."""
        return self._bm25.vocab_dict

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage (zeros when no token is in the vocabulary)."""
        known = [t for t in query_tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query_tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (position, score) with a positive score, optionally only among `allowed` positions."""
        scores = self.scores(query_tokens)
        if allowed is not None:
            mask = np.zeros_like(scores, dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        top = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
        return [(int(p), float(scores[p])) for p in top]

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))
