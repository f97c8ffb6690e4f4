"""Pruned BM25 (MaxScore over stored term bounds) returns exactly the exhaustive top k: same
passages, same float32 scores, same order, ties to the lower position; and it does skip work."""

from __future__ import annotations

import numpy as np
import pytest

from qa.lexical import LexicalIndex
from qa.postings import BOUNDS, Postings, SegmentedBM25
from qa.segments import write_segment, Chunk
from qa.sentences import SentenceTable


def zipf_corpus(rng: np.random.Generator, passages: int, vocabulary: int = 3000) -> list[list[str]]:
    """Passages of Zipf-distributed words: a few words in most passages, most words in few."""
    return [[f"w{int(w)}" for w in np.minimum(rng.zipf(1.3, rng.integers(5, 120)), vocabulary)] for _ in range(passages)]


def queries(rng: np.random.Generator, count: int) -> list[list[str]]:
    """Questions of common and rare words, some repeated, some unknown to the index."""
    out = []
    for _ in range(count):
        words = [f"w{int(w)}" for w in rng.zipf(1.2, rng.integers(1, 12))] + ["未知词"] * int(rng.random() < 0.2)
        if rng.random() < 0.3:
            words.append(words[0])  # a repeated word counts twice
        out.append(list(rng.permutation(words)))
    return out


def exhaustive(index: SegmentedBM25, tokens, k, allowed=None):
    return LexicalIndex.search(index, tokens, k, allowed)  # every passage scored, then the top k


@pytest.fixture(scope="module")
def segmented() -> tuple[SegmentedBM25, list[list[str]]]:
    rng = np.random.default_rng(7)
    tokens = zipf_corpus(rng, 3000)
    cuts = [0, 1200, 1250, 2600, 3000]  # segments of unequal sizes and mean lengths
    return SegmentedBM25([Postings.build(tokens[a:b]) for a, b in zip(cuts, cuts[1:])]), tokens


def test_pruned_search_equals_exhaustive_search(segmented):
    index, _ = segmented
    rng = np.random.default_rng(1)
    for tokens in queries(rng, 300):
        for k in (1, 10, 50):
            assert index.search(tokens, k) == exhaustive(index, tokens, k), (tokens, k)


def test_pruned_search_equals_exhaustive_search_within_allowed_passages(segmented):
    index, _ = segmented
    rng = np.random.default_rng(2)
    for tokens in queries(rng, 100):
        mask = rng.random(index.count) < 0.3
        assert index.search(tokens, 20, mask) == exhaustive(index, tokens, 20, mask)
        positions = np.flatnonzero(mask)[:50]
        assert index.search(tokens, 20, positions) == exhaustive(index, tokens, 20, positions)


def test_segments_written_before_bounds_were_stored_prune_the_same(segmented):
    index, _ = segmented
    old = SegmentedBM25([Postings(p.terms, p.starts, p.docs, p.freqs, p.lengths) for p in index.parts])  # no bounds
    rng = np.random.default_rng(3)
    for tokens in queries(rng, 100):
        assert old.search(tokens, 10) == index.search(tokens, 10) == exhaustive(index, tokens, 10)


def test_bounds_hold_for_every_posting_at_any_mean_length(segmented):
    index, _ = segmented
    for part in index.parts:
        for mean_length in (part.mean_length * 0.5, part.mean_length, part.mean_length * 1.7):
            for i in range(0, len(part.terms), 7):
                lo, hi = int(part.starts[i]), int(part.starts[i + 1])
                tf = part.freqs[lo:hi].astype(np.float64)
                impact = tf / (1.5 * (0.25 + 0.75 * part.lengths[part.docs[lo:hi]].astype(np.float64) / mean_length) + tf)
                assert impact.max() <= part.bound(i, mean_length)


def test_a_question_with_rare_words_does_not_read_a_common_word_whole(segmented, monkeypatch):
    index, tokens = segmented
    read = []
    original = SegmentedBM25._term
    monkeypatch.setattr(SegmentedBM25, "_term", lambda self, found, idf: read.append(found) or original(self, found, idf))
    rare = [w for w in dict.fromkeys(tokens[100]) if sum(w in t for t in tokens) <= 30][:3]
    question = ["w1", *rare, "w2"]  # w1 and w2 are in most passages
    expected = exhaustive(index, question, 3)
    read.clear()
    assert len(rare) == 3 and index.search(question, 3) == expected
    read_terms = {part.terms[i] for found in read for _, part, i in found}
    assert set(rare) <= read_terms and not {"w1", "w2"} & read_terms


def test_a_written_segment_stores_its_checksummed_bounds(tmp_path):
    tokens = [["安理会", "决议"], ["决议", "决议", "海地"]]
    chunk = Chunk([{"source": "a.txt", "sha256": "0" * 64, "passages": 0}], [], np.zeros((0, 4), np.float32), SentenceTable(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros((0, 4), np.float32)), Postings.build(tokens))
    record = write_segment(tmp_path, "seg-x", [chunk])
    assert BOUNDS in record["files"]
    loaded = Postings.load(tmp_path / "seg-x")
    assert loaded.bounds is not None and np.array_equal(loaded.bounds, Postings.build(tokens).bounds)
