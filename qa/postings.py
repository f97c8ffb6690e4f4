"""BM25 over term postings kept per segment, with document frequencies summed across them.

A segment's `Postings` store term frequencies, not scores: for each term the passages
holding it and how often (a compressed sparse column matrix), plus each passage's length.
Scores are computed when a question is asked, with the document frequencies, passage count
and mean length of *all* segments, so an index made of several segments scores exactly as
one built at once, and adding a segment rewrites nothing already written. The formula is
bm25s's "lucene" BM25 (k1=1.5, b=0.75), so rankings match the bm25s index this replaces.

A search prunes (MaxScore): a segment also stores each term's largest impact tf / (tf + norm)
(`term_bounds.npy`, for the segment's own mean length; a bound for any other mean length follows
from it), so a term's contribution to any passage is at most idf × bound. The question's terms
are read in order of that bound, largest (rare words) first, over all their passages, until the
bounds of the terms left add up to less than the k-th best score so far: no passage they alone
hold can then enter the top k, and the terms left are looked up only for the passages already
found that can still reach it. The top k is then scored as `scores` scores it, to the bit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Container, Iterator, Sequence
from pathlib import Path

import numpy as np

from .lexical import LexicalIndex, as_mask

K1 = 1.5
B = 0.75
FILES = ("terms.json", "term_starts.npy", "term_docs.npy", "term_freqs.npy", "doc_lengths.npy")
BOUNDS = "term_bounds.npy"  # written with every segment; a segment written before it has none (bounds found when asked)
SLACK = 1e-4  # relative margin on bounds and thresholds: float32 sums in another order round differently


def impacts(freqs: np.ndarray, lengths: np.ndarray, mean_length: float) -> np.ndarray:
    """tf / (tf + norm) of postings (float64): a posting's BM25 score without its idf."""
    tf = np.asarray(freqs, dtype=np.float64)
    return tf / (K1 * ((1 - B) + B * np.asarray(lengths, dtype=np.float64) / mean_length) + tf)


class Postings:
    """One segment's term → (passages, frequencies) table; passages count from 0 in the segment."""

    def __init__(self, terms: list[str], starts: np.ndarray, docs: np.ndarray, freqs: np.ndarray, lengths: np.ndarray, bounds: np.ndarray | None = None):
        self.terms = terms
        self.term_ids = {term: i for i, term in enumerate(terms)}
        self.starts = starts  # int64, len(terms) + 1
        self.docs = docs  # int32, ascending within a term
        self.freqs = freqs  # float32
        self.lengths = lengths  # float32, tokens per passage
        self.mean_length = float(np.sum(lengths, dtype=np.float64)) / max(len(lengths), 1)
        self.bounds = bounds  # float32 per term: its largest impact at `mean_length`; None: found when asked
        self._found_bounds: dict[int, float] = {}

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "Postings":
        ids: dict[str, int] = {}
        doc_of, term_of = [], []
        for doc, tokens in enumerate(token_lists):
            term_of.extend(ids.setdefault(t, len(ids)) for t in tokens)
            doc_of.append(np.full(len(tokens), doc, dtype=np.int64))
        lengths = np.array([len(tokens) for tokens in token_lists], dtype=np.float32)
        docs = np.concatenate(doc_of) if doc_of else np.zeros(0, dtype=np.int64)
        return cls._from_pairs(list(ids), np.asarray(term_of, dtype=np.int64), docs, np.ones(len(docs), dtype=np.float32), lengths)

    @classmethod
    def concatenate(cls, parts: Sequence["Postings"]) -> "Postings":
        """One table over the parts' passages, in order (to merge segments)."""
        ids: dict[str, int] = {}
        terms, docs, freqs = [], [], []
        offset = 0
        for part in parts:
            remap = np.array([ids.setdefault(t, len(ids)) for t in part.terms], dtype=np.int64)
            counts = np.diff(part.starts)
            terms.append(np.repeat(remap, counts))
            docs.append(np.asarray(part.docs, dtype=np.int64) + offset)
            freqs.append(np.asarray(part.freqs))
            offset += len(part.lengths)
        lengths = np.concatenate([np.asarray(p.lengths) for p in parts]) if parts else np.zeros(0, np.float32)
        return cls._from_pairs(list(ids), np.concatenate(terms), np.concatenate(docs), np.concatenate(freqs), lengths)

    @classmethod
    def _from_pairs(cls, terms: list[str], term_of: np.ndarray, doc_of: np.ndarray, freq: np.ndarray, lengths: np.ndarray) -> "Postings":
        """Sum the frequencies of equal (term, passage) pairs and lay them out by term."""
        key = term_of * max(len(lengths), 1) + doc_of
        order = np.argsort(key, kind="stable")
        key, freq = key[order], freq[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
        summed = np.add.reduceat(freq, first).astype(np.float32) if len(key) else np.zeros(0, np.float32)
        unique = key[first]
        term, doc = np.divmod(unique, max(len(lengths), 1))
        starts = np.searchsorted(term, np.arange(len(terms) + 1)).astype(np.int64)
        lengths = lengths.astype(np.float32)
        mean_length = float(np.sum(lengths, dtype=np.float64)) / max(len(lengths), 1)
        # rounded up to float32, so that a stored bound is never below the impact it bounds
        bounds = np.maximum.reduceat(impacts(summed, lengths[doc], mean_length), starts[:-1]) if len(unique) else np.zeros(0)
        bounds = np.nextafter(bounds.astype(np.float32), np.float32(np.inf))
        return cls(terms, starts, doc.astype(np.int32), summed, lengths, bounds)

    def save(self, folder: Path) -> None:
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        for name, array in (("term_starts", self.starts), ("term_docs", self.docs), ("term_freqs", self.freqs), ("doc_lengths", self.lengths)):
            np.save(folder / f"{name}.npy", array)
        np.save(folder / BOUNDS, self.bounds)

    @classmethod
    def load(cls, folder: Path) -> "Postings":
        """The arrays are memory-mapped: a question reads only its terms' postings."""
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r") for name in ("term_starts", "term_docs", "term_freqs", "doc_lengths")]
        bounds = np.load(folder / BOUNDS, mmap_mode="r") if (folder / BOUNDS).is_file() else None
        return cls(terms, *arrays, bounds=bounds)

    def bound(self, term_id: int, mean_length: float) -> float:
        """The largest impact of a term over its passages when the collection's mean length is
        `mean_length`: impacts grow with the mean length, at most in proportion to it."""
        if self.bounds is not None:
            bound = float(self.bounds[term_id])
        elif term_id in self._found_bounds:
            bound = self._found_bounds[term_id]
        else:  # a segment written before bounds were stored: this term's, once
            lo, hi = int(self.starts[term_id]), int(self.starts[term_id + 1])
            docs = self.docs[lo:hi]
            bound = self._found_bounds[term_id] = float(np.max(impacts(self.freqs[lo:hi], self.lengths[docs], self.mean_length)))
        return bound * max(1.0, mean_length / self.mean_length) if self.mean_length else 1.0

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        i = self.term_ids.get(term)
        if i is None:
            return None
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[lo:hi], self.freqs[lo:hi]

    def token_lists(self) -> list[list[str]]:
        """Each passage's tokens (order lost; BM25 needs only the counts)."""
        out: list[list[str]] = [[] for _ in range(len(self.lengths))]
        for i, term in enumerate(self.terms):
            lo, hi = int(self.starts[i]), int(self.starts[i + 1])
            for doc, freq in zip(self.docs[lo:hi].tolist(), self.freqs[lo:hi].tolist()):
                out[doc].extend([term] * int(freq))
        return out


class _Vocabulary(Container[str]):
    def __init__(self, parts: Sequence[Postings]):
        self._parts = parts

    def __contains__(self, token: object) -> bool:
        return any(token in part.term_ids for part in self._parts)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for part in self._parts:
            for term in part.terms:
                if term not in seen:
                    seen.add(term)
                    yield term


class SegmentedBM25(LexicalIndex):
    """BM25 over the passages of several segments, in order, as one collection."""

    def __init__(self, parts: Sequence[Postings]):
        self.parts = tuple(parts)
        self.offsets = np.cumsum([0] + [len(p.lengths) for p in self.parts])
        self.count = int(self.offsets[-1])
        self.mean_length = float(sum(float(np.sum(p.lengths, dtype=np.float64)) for p in self.parts) / max(self.count, 1))

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "SegmentedBM25":
        return cls([Postings.build(token_lists)])

    @property
    def vocabulary(self) -> Container[str]:
        return _Vocabulary(self.parts)

    def _found(self, token: str) -> list[tuple[int, Postings, int]]:
        """(offset, segment, term id) of each segment holding the token."""
        return [(int(offset), part, i) for offset, part in zip(self.offsets, self.parts) if (i := part.term_ids.get(token)) is not None]

    def _idf(self, found: list[tuple[int, Postings, int]]) -> float:
        df = sum(int(part.starts[i + 1] - part.starts[i]) for _, part, i in found)
        # bm25s's arithmetic, to the bit: a float32 idf, the rest in float64, stored as float32
        return float(np.float32(math.log(1 + (self.count - df + 0.5) / (df + 0.5))))

    def _contributions(self, idf: float, part: Postings, freqs: np.ndarray, docs: np.ndarray) -> np.ndarray:
        tf = np.asarray(freqs, dtype=np.float64)
        norm = K1 * ((1 - B) + B * np.asarray(part.lengths[docs], dtype=np.float64) / self.mean_length)
        return (idf * tf / (norm + tf)).astype(np.float32)

    def _term(self, found: list[tuple[int, Postings, int]], idf: float) -> tuple[np.ndarray, np.ndarray]:
        """A term's passages (positions in the collection, ascending) and contributions, all segments."""
        positions, values = [], []
        for offset, part, i in found:
            lo, hi = int(part.starts[i]), int(part.starts[i + 1])
            docs = part.docs[lo:hi]
            positions.append(docs + offset)
            values.append(self._contributions(idf, part, part.freqs[lo:hi], docs))
        return np.concatenate(positions), np.concatenate(values)

    def _lookup(self, found: list[tuple[int, Postings, int]], idf: float, positions: np.ndarray) -> np.ndarray:
        """A term's contributions to the passages at `positions` (ascending), 0 where absent,
        read by binary search in its postings instead of whole."""
        out = np.zeros(len(positions), dtype=np.float32)
        cuts = np.searchsorted(positions, self.offsets)  # the positions in each segment
        for offset, part, i in found:
            s = int(np.searchsorted(self.offsets, offset))
            first, stop = int(cuts[s]), int(cuts[s + 1])
            if first == stop:
                continue
            lo, hi = int(part.starts[i]), int(part.starts[i + 1])
            docs = part.docs[lo:hi]
            local = positions[first:stop] - offset
            at = np.minimum(np.searchsorted(docs, local), hi - lo - 1)
            held = np.asarray(docs[at]) == local
            out[first:stop][held] = self._contributions(idf, part, part.freqs[lo:hi][at[held]], local[held])
        return out

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        scores = np.zeros(self.count, dtype=np.float32)
        for token in query_tokens:  # a repeated token counts again, as in bm25s
            found = self._found(token)
            if found:
                positions, values = self._term(found, self._idf(found))
                scores[positions] += values
        return scores

    def search(self, query_tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """`LexicalIndex.search`'s top k (same passages, same scores, same order), pruned."""
        mask = None if allowed is None else as_mask(allowed, self.count)
        terms = []  # (bound on its contribution to a passage, token, segments, idf), largest bound first
        for token in dict.fromkeys(query_tokens):
            found = self._found(token)
            if found:
                idf = self._idf(found)
                bound = query_tokens.count(token) * idf * max(part.bound(i, self.mean_length) for _, part, i in found)
                terms.append((bound * (1 + SLACK), token, found, idf))
        terms.sort(key=lambda term: -term[0])
        left = sum(term[0] for term in terms)
        partial = np.zeros(self.count, dtype=np.float32)
        best = _Best(self.count, k)
        threshold = 0.0
        whole = {}  # token -> its passages and contributions, read whole
        for bound, token, found, idf in terms:  # whole postings, until no new passage can enter the top k
            if left < threshold:
                break
            positions, values = self._term(found, idf)
            if mask is not None:
                keep = mask[positions]
                positions, values = positions[keep], values[keep]
            whole[token] = positions, values
            partial[positions] += query_tokens.count(token) * values
            left -= bound
            threshold = best.update(partial, positions) * (1 - SLACK)
        candidates = np.flatnonzero(partial)
        scored = partial[candidates]
        looked_up = {}
        for bound, token, found, idf in terms[len(whole) :]:  # looked up only for the passages that can still reach the top k
            keep = scored + left >= threshold
            candidates, scored = candidates[keep], scored[keep]
            looked_up = {t: values[keep] for t, values in looked_up.items()}
            looked_up[token] = self._lookup(found, idf, candidates)
            scored = scored + query_tokens.count(token) * looked_up[token]
            left -= bound
            threshold = max(threshold, _kth_best(scored, k) * (1 - SLACK))
        # the survivors scored as `scores` does: token by token, in the question's order
        survivors = scored + max(left, 0.0) >= threshold
        candidates = candidates[survivors]
        looked_up = {t: values[survivors] for t, values in looked_up.items()}
        looked_up.update({token: _values_at(*whole[token], candidates) for token in whole})
        exact = np.zeros(len(candidates), dtype=np.float32)
        for token in query_tokens:
            if token in looked_up:
                exact += looked_up[token]
        top = np.argsort(-exact, kind="stable")[:k]
        return [(int(candidates[i]), float(exact[i])) for i in top if exact[i] > 0]


class _Best:
    """The k passages with the best partial scores, kept as terms are added: a term changes
    only its own passages' scores, so the new best k are among them and the old best k."""

    def __init__(self, count: int, k: int):
        self.k = k
        self.positions = np.zeros(0, dtype=np.int64)
        self.held = np.zeros(count, dtype=bool)

    def update(self, partial: np.ndarray, changed: np.ndarray) -> float:
        """The k-th best partial score (0 while fewer than k passages have one)."""
        pool = np.concatenate([self.positions, changed[~self.held[changed]]])
        if len(pool) > self.k > 0:
            pool = pool[np.argpartition(-partial[pool], self.k - 1)[: self.k]]
        self.held[self.positions] = False
        self.held[pool] = True
        self.positions = pool
        return float(partial[pool].min()) if len(pool) >= self.k > 0 else 0.0


def _values_at(positions: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[j] where positions[j] is a wanted position, else 0 (positions ascending)."""
    if not len(positions):
        return np.zeros(len(wanted), dtype=np.float32)
    at = np.minimum(np.searchsorted(positions, wanted), len(positions) - 1)
    return np.where(positions[at] == wanted, values[at], np.float32(0))


def _kth_best(values: np.ndarray, k: int) -> float:
    """The k-th largest value (0 when there are fewer than k positive ones)."""
    positive = values[values > 0]
    if len(positive) < k or k <= 0:
        return 0.0
    return float(np.partition(positive, len(positive) - k)[len(positive) - k])
