"""The lexical index: its fast scoring and top-k against bm25s's own scores and a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from qa.lexical import LexicalIndex


@pytest.fixture(scope="module")
def index_and_docs():
    """2,000 passages over a small vocabulary, so that many share words and many scores tie."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    docs = [[words[j] for j in rng.zipf(1.3, rng.integers(3, 40)) % len(words)] for _ in range(2000)]
    docs += docs[:200]  # exact duplicates: equal scores at different positions
    return LexicalIndex.build(docs), docs


def brute_force(index: LexicalIndex, tokens, k, allowed=None):
    """Every passage scored by bm25s, the positive ones fully sorted (ties: lower position first)."""
    known = [t for t in tokens if t in index.vocabulary]
    if not known:
        return []
    scores = np.asarray(index._bm25.get_scores(known), dtype=np.float32)
    ranked = [(p, float(scores[p])) for p in np.argsort(-scores, kind="stable") if scores[p] > 0 and (allowed is None or p in allowed)]
    return ranked[:k]


QUERIES = [["w1", "w7", "w7", "w40"], ["w2"], ["w0", "w3", "nowhere"], ["w250", "w11", "w5", "w1", "w2"], ["nowhere"]]


@pytest.mark.parametrize("tokens", QUERIES)
def test_scores_are_bm25s_scores(index_and_docs, tokens):
    index, _ = index_and_docs
    known = [t for t in tokens if t in index.vocabulary]
    expected = np.asarray(index._bm25.get_scores(known), dtype=np.float32) if known else np.zeros(index._bm25.scores["num_docs"], dtype=np.float32)
    assert np.array_equal(index.scores(tokens), expected)


@pytest.mark.parametrize("tokens", QUERIES)
@pytest.mark.parametrize("k", [1, 5, 50, 5000])
def test_top_k_equals_a_full_sort(index_and_docs, tokens, k):
    index, docs = index_and_docs
    assert index.search(tokens, k) == brute_force(index, tokens, k)
    rng = np.random.default_rng(k)
    positions = np.sort(rng.choice(len(docs), 300, replace=False))
    mask = np.zeros(len(docs), dtype=bool)
    mask[positions] = True
    expected = brute_force(index, tokens, k, set(positions.tolist()))
    assert index.search(tokens, k, positions) == expected
    assert index.search(tokens, k, mask) == expected
