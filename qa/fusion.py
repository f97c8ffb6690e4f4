"""Rank fusion of the dense and lexical retrievers: pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60  # the constant of Cormack et al. (2009); small ranks dominate, the tail still counts


def rank_positions(ranking: Sequence[int]) -> dict[int, int]:
    """Position (1-based) of each id in a ranking.

    >>> rank_positions([7, 3, 9])
    {7: 1, 3: 2, 9: 3}
    """
    return {doc: position for position, doc in enumerate(ranking, start=1)}


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], *, weights: Sequence[float] | None = None, k: int = RRF_K) -> dict[int, float]:
    """Fused score of every id that appears in any ranking: sum of w / (k + rank).

    >>> fused = reciprocal_rank_fusion([[1, 2], [2, 3]], k=1)
    >>> sorted(fused.items())
    [(1, 0.5), (2, 0.8333333333333333), (3, 0.3333333333333333)]
    """
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for doc, position in rank_positions(ranking).items():
            fused[doc] = fused.get(doc, 0.0) + weight / (k + position)
    return fused


def order_by_score(scores: Mapping[int, float]) -> list[int]:
    """Ids by descending score, ties broken by id for a stable order.

    >>> order_by_score({4: 0.5, 2: 0.5, 9: 0.7})
    [9, 2, 4]
    """
    return sorted(scores, key=lambda doc: (-scores[doc], doc))


def dense_evidence(passage_cosine: float, best_sentence_cosine: float | None) -> float:
    """Dense score of a passage: the mean of its own cosine and its best sentence's.

    A long paragraph's vector blurs its sentences; its best sentence alone
    ignores the rest. The mean ranked best on evals/ (scripts/bench_retrieval.py).

    >>> dense_evidence(0.8, 0.9), dense_evidence(0.8, None)
    (0.8500000000000001, 0.8)
    """
    if best_sentence_cosine is None:
        return passage_cosine
    return (passage_cosine + best_sentence_cosine) / 2
