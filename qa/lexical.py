"""The lexical index: BM25 (bm25s) over jieba tokens."""

from __future__ import annotations

from collections.abc import Container, Sequence
from pathlib import Path

import bm25s
import numpy as np


def as_mask(allowed: np.ndarray, size: int) -> np.ndarray:
    """A boolean mask over `size` positions from positions or from a mask.

    >>> as_mask(np.array([0, 2]), 4).tolist(), as_mask(np.array([True, False]), 2).tolist()
    ([True, False, True, False], [True, False])
    """
    if allowed.dtype == bool:
        return allowed
    mask = np.zeros(size, dtype=bool)
    mask[allowed] = True
    return mask


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
        """BM25 score of every passage (zeros when no token is in the vocabulary).

        The sum bm25s's `get_scores` makes, token by token in the same order, so the
        same float32 values: but a token's postings name each passage once, so a plain
        fancy-indexed add does what bm25s's `np.add.at` does, many times faster.
        """
        vocabulary, matrix = self._bm25.vocab_dict, self._bm25.scores
        scores = np.zeros(matrix["num_docs"], dtype=np.float32)
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        for token in query_tokens:
            if token in vocabulary:
                column = vocabulary[token]
                start, end = indptr[column], indptr[column + 1]
                scores[indices[start:end]] += data[start:end]
        return scores

    def search(self, query_tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (position, score) with a positive score, optionally only among `allowed`
        passages (their positions, or a boolean mask over all passages); ties go to the
        lower position."""
        scores = self.scores(query_tokens)
        if allowed is not None:
            scores[~as_mask(allowed, len(scores))] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k > 0:  # keep only those that can be in the top k: the k-th best score or more
            kth_best = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= kth_best]
        top = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
        return [(int(p), float(scores[p])) for p in top]

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))
