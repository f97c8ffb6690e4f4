"""BM25 over term postings kept per segment, with document frequencies summed across them.

A segment's `Postings` store term frequencies, not scores: for each term the passages
holding it and how often (a compressed sparse column matrix), plus each passage's length.
Scores are computed when a question is asked, with the document frequencies, passage count
and mean length of *all* segments, so an index made of several segments scores exactly as
one built at once, and adding a segment rewrites nothing already written. The formula is
bm25s's "lucene" BM25 (k1=1.5, b=0.75), so rankings match the bm25s index this replaces.

The vocabulary (term -> its row of the table) is a MARISA trie, memory-mapped: opening a
segment reads none of it, a lookup touches a few pages, and a million terms take 4 MB on disk,
where format 7 kept them in terms.json, parsed into a list and a dict (~200 MB, ~1.5 s a
segment) at every open. The trie numbers its keys in its own order; `term_rows.npy` maps
each key's number to its row.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterator, Sequence
from pathlib import Path

import marisa_trie
import numpy as np

from .lexical import LexicalIndex

K1 = 1.5
B = 0.75
VOCABULARY_FILES = ("terms.marisa", "term_rows.npy")
FILES = (*VOCABULARY_FILES, "term_starts.npy", "term_docs.npy", "term_freqs.npy", "doc_lengths.npy")


def vocabulary_of(terms: Sequence[str]) -> tuple[marisa_trie.Trie, np.ndarray]:
    """A trie of `terms` (numbered 0, 1, ... by their rows) and the row of each of its keys."""
    trie = marisa_trie.Trie(terms)
    row_of = {term: row for row, term in enumerate(terms)}
    rows = np.empty(len(terms), dtype=np.int32)
    for term, key in trie.iteritems():
        rows[key] = row_of[term]
    return trie, rows


def save_vocabulary(folder: Path, trie: marisa_trie.Trie, rows: np.ndarray) -> None:
    trie.save(str(folder / VOCABULARY_FILES[0]))
    np.save(folder / VOCABULARY_FILES[1], rows)


class Postings:
    """One segment's term → (passages, frequencies) table; passages count from 0 in the segment."""

    def __init__(self, vocabulary: marisa_trie.Trie, rows: np.ndarray, starts: np.ndarray, docs: np.ndarray, freqs: np.ndarray, lengths: np.ndarray):
        self.vocabulary = vocabulary  # term -> its key
        self.rows = rows  # int32, each key's row
        self.starts = starts  # int64, rows + 1
        self.docs = docs  # int32, ascending within a term
        self.freqs = freqs  # float32
        self.lengths = lengths  # float32, tokens per passage

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
            remap = np.empty(len(part.rows), dtype=np.int64)
            for term, row in part.terms():
                remap[row] = ids.setdefault(term, len(ids))
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
        return cls(*vocabulary_of(terms), starts, doc.astype(np.int32), summed, lengths.astype(np.float32))

    def save(self, folder: Path) -> None:
        save_vocabulary(folder, self.vocabulary, self.rows)
        for name, array in (("term_starts", self.starts), ("term_docs", self.docs), ("term_freqs", self.freqs), ("doc_lengths", self.lengths)):
            np.save(folder / f"{name}.npy", array)

    @classmethod
    def load(cls, folder: Path) -> "Postings":
        """Everything is memory-mapped, the vocabulary too: opening reads no term, and a
        question reads only its terms' postings."""
        vocabulary = marisa_trie.Trie()
        vocabulary.mmap(str(folder / VOCABULARY_FILES[0]))
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r") for name in ("term_rows", "term_starts", "term_docs", "term_freqs", "doc_lengths")]
        return cls(vocabulary, *arrays)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        key = self.vocabulary.get(term)
        if key is None:
            return None
        i = int(self.rows[key])
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[lo:hi], self.freqs[lo:hi]

    def terms(self) -> Iterator[tuple[str, int]]:
        """Every term with its row (in the trie's order)."""
        rows = np.asarray(self.rows)
        for term, key in self.vocabulary.iteritems():
            yield term, int(rows[key])

    def token_lists(self) -> list[list[str]]:
        """Each passage's tokens (order lost; BM25 needs only the counts)."""
        out: list[list[str]] = [[] for _ in range(len(self.lengths))]
        for term, i in self.terms():
            lo, hi = int(self.starts[i]), int(self.starts[i + 1])
            for doc, freq in zip(self.docs[lo:hi].tolist(), self.freqs[lo:hi].tolist()):
                out[doc].extend([term] * int(freq))
        return out


class _Vocabulary(Container[str]):
    def __init__(self, parts: Sequence[Postings]):
        self._parts = parts

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and any(token in part.vocabulary for part in self._parts)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for part in self._parts:
            for term in part.vocabulary.iterkeys():
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
        # k1 * (1 - b + b * length / mean length) of each passage, in float64: the same operations
        # as per posting (so the same bits), done once, not for every posting of every question
        self.norms = [K1 * ((1 - B) + B * np.asarray(p.lengths, dtype=np.float64) / self.mean_length) for p in self.parts]

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "SegmentedBM25":
        return cls([Postings.build(token_lists)])

    @property
    def vocabulary(self) -> Container[str]:
        return _Vocabulary(self.parts)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        scores = np.zeros(self.count, dtype=np.float32)
        for token in query_tokens:  # a repeated token counts again, as in bm25s
            found = [(int(offset), norms, hit) for offset, part, norms in zip(self.offsets, self.parts, self.norms) if (hit := part.postings(token)) is not None]
            df = sum(len(docs) for _, _, (docs, _) in found)
            if not df:
                continue
            # bm25s's arithmetic, to the bit: a float32 idf, the rest in float64, stored as float32
            idf = float(np.float32(math.log(1 + (self.count - df + 0.5) / (df + 0.5))))
            for offset, norms, (docs, freqs) in found:
                tf = np.asarray(freqs, dtype=np.float64)
                scores[offset : offset + len(norms)][docs] += (idf * tf / (norms[docs] + tf)).astype(np.float32)
        return scores
