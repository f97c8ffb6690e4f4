"""Segments: immutable slices of the index, written once and shared by generations.

    index/segments/seg-STAMP-PID-N/
      passages.jsonl        the passages with their citations, one JSON line each
      passage_offsets.npy   int64 byte offset of each line (and the end), to read one by offset
      passage_dates.npy     int32 proleptic ordinal of each passage's date (for date filters)
      vectors.npy           float32 passage embeddings (L2-normalised)
      sentence_*.npy        each sentence's passage (in the segment), offsets and embedding
      terms.marisa, term_*.npy, doc_lengths.npy   the BM25 postings (`qa.postings`)

A segment is written as `NAME.partial` and renamed when complete; the SHA-256 of each of its
files is computed then, once, and carried in every generation manifest that uses it. A reader
memory-maps every array and reads a passage only when asked for it, so a process that answers
holds little more than the pages it touched. Adding letters writes a new segment beside the old
ones; a segment is rewritten only to drop a letter or to merge small segments.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checksums import file_sha256
from .documents import Passage, passage_to_record, record_to_passage
from .postings import FILES as POSTING_FILES, Postings
from .sentences import SentenceTable

SEGMENTS = "segments"
PARTIAL = ".partial"  # the suffix of whatever a build has not finished writing (segments, generations, letter shares)
ARRAYS = ("passage_offsets", "passage_dates", "vectors", "sentence_passage", "sentence_start", "sentence_end", "sentence_vectors")
RECENT_IDS = 4096  # passage ids remembered with their position (a hit's passage is looked up again to answer)
FILES = ("passages.jsonl", *(name + ".npy" for name in ARRAYS), *POSTING_FILES)


# --- rows spread over segments ----------------------------------------------------------------


class RowStack:
    """The rows of several (memory-mapped) arrays as one read-only array: a row, a slice
    within one block, a list of rows, or `stack @ vector`, each reading only what it needs."""

    def __init__(self, blocks: Sequence[np.ndarray]):
        self.blocks = tuple(blocks)
        self.starts = np.cumsum([0] + [len(b) for b in self.blocks])
        self.shape = (int(self.starts[-1]), *(self.blocks[0].shape[1:] if self.blocks else (0,)))
        self.dtype = self.blocks[0].dtype if self.blocks else np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def _block(self, row: int) -> int:
        return int(np.searchsorted(self.starts, row, side="right")) - 1

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            row = int(key) + (len(self) if key < 0 else 0)
            b = self._block(row)
            return np.asarray(self.blocks[b][row - self.starts[b]])
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            b = self._block(start) if start < len(self) else len(self.blocks) - 1
            if step == 1 and stop <= self.starts[b + 1]:
                return np.asarray(self.blocks[b][start - self.starts[b] : stop - self.starts[b]])
            key = np.arange(start, stop, step)
        rows = np.asarray(key, dtype=np.int64)
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        which = np.searchsorted(self.starts, rows, side="right") - 1
        for b in np.unique(which):
            mask = which == b
            out[mask] = self.blocks[b][rows[mask] - self.starts[b]]
        return out

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(block) @ other for block in self.blocks]) if self.blocks else np.zeros(0, np.float32)

    def __array__(self, dtype=None, copy=None):
        whole = np.concatenate([np.asarray(b) for b in self.blocks]) if self.blocks else np.zeros(self.shape, self.dtype)
        return whole if dtype is None else whole.astype(dtype)


# --- passages ---------------------------------------------------------------------------------


class PassageList(tuple):
    """Passages held in memory (an index built without being saved)."""

    def position(self, passage: Passage) -> int:
        if not hasattr(self, "_ids"):
            self._ids = {p.id: i for i, p in enumerate(self)}
        return self._ids[passage.id]

    def admitted(self, filters) -> np.ndarray:
        """A boolean mask of the passages `filters` admits."""
        return np.fromiter((filters.admits(p) for p in self), dtype=bool, count=len(self))


class PassageStore(Sequence[Passage]):
    """The passages of several segments, read one by one from their files by offset."""

    def __init__(self, segments: Sequence["Segment"]):
        self.segments = tuple(segments)
        self.starts = np.cumsum([0] + [s.passage_count for s in self.segments])
        self._letters = {}  # source -> (first, stop) position
        self._recent: dict[str, int] = {}  # passage id -> position of passages read lately (hits, mostly)
        for segment, start in zip(self.segments, self.starts):
            for letter in segment.letters:
                self._letters[letter["source"]] = (int(start) + letter["first"], int(start) + letter["first"] + letter["passages"])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        position = int(position) + (len(self) if position < 0 else 0)
        if not 0 <= position < len(self):
            raise IndexError(position)
        s = int(np.searchsorted(self.starts, position, side="right")) - 1
        passage = self.segments[s].passage(position - int(self.starts[s]))
        if len(self._recent) >= RECENT_IDS:
            self._recent.clear()
        self._recent[passage.id] = position
        return passage

    def __iter__(self) -> Iterator[Passage]:
        for segment in self.segments:
            yield from segment.passages()

    def position(self, passage: Passage) -> int:
        if passage.id in self._recent:
            return self._recent[passage.id]
        first, stop = self._letters[passage.source]
        for position in range(first, stop):
            if self[position].id == passage.id:
                return position
        raise KeyError(passage.id)

    def admitted(self, filters) -> np.ndarray:
        """A boolean mask of the passages `filters` admits, from the letter ranges and the date arrays."""
        mask = np.zeros(len(self), dtype=bool)
        for first, stop in [self._letters[s] for s in filters.sources if s in self._letters] if filters.sources else [(0, len(self))]:
            mask[first:stop] = True
        if filters.date_from is not None or filters.date_to is not None:
            positions = np.flatnonzero(mask)
            dates = RowStack([s.dates for s in self.segments])[positions]
            outside = np.zeros(len(positions), dtype=bool)
            if filters.date_from is not None:
                outside |= dates < filters.date_from.toordinal()
            if filters.date_to is not None:
                outside |= dates > filters.date_to.toordinal()
            mask[positions[outside]] = False
        return mask


# --- one segment ------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Passages with everything encoded for them, on their way into a segment."""

    letters: list[dict]  # {"source", "sha256", "passages", ...}: the letters, in order, whose passages these are
    passages: list[Passage]
    vectors: np.ndarray
    sentences: SentenceTable  # passage positions count from 0 within the chunk
    postings: Postings


def share_chunk(share, record: dict) -> Chunk:
    """A letter's share (`letter_cache.LetterShare`) as a chunk; `record` is its manifest entry."""
    return Chunk([record], list(share.passages), share.vectors, share.sentences, Postings.build(share.tokens))


class Segment:
    """A written segment, its arrays memory-mapped."""

    def __init__(self, folder: Path, record: dict):
        self.folder = folder
        self.name = record["name"]
        self.letters = record["letters"]
        self.passage_count = record["passages"]
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        self.offsets = arrays["passage_offsets"]
        self.dates = arrays["passage_dates"]
        self.vectors = arrays["vectors"]
        self.sentences = SentenceTable(arrays["sentence_passage"], arrays["sentence_start"], arrays["sentence_end"], arrays["sentence_vectors"])
        self.postings = Postings.load(folder)
        with open(folder / "passages.jsonl", "rb") as handle:
            self._text = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(handle.fileno()).st_size else b""

    def passage(self, i: int) -> Passage:
        return record_to_passage(json.loads(self._text[int(self.offsets[i]) : int(self.offsets[i + 1])]))

    def passages(self) -> Iterator[Passage]:
        for i in range(self.passage_count):
            yield self.passage(i)

    def chunk(self, drop: set[str] = frozenset()) -> Chunk:
        """The segment read back whole (to merge it or to drop letters from it)."""
        keep = np.ones(self.passage_count, dtype=bool)
        letters = []
        for letter in self.letters:
            if letter["source"] in drop:
                keep[letter["first"] : letter["first"] + letter["passages"]] = False
            else:
                letters.append(letter)
        kept = np.flatnonzero(keep)
        renumber = np.cumsum(keep) - 1
        rows = np.flatnonzero(keep[self.sentences.passage])
        sentences = SentenceTable(renumber[self.sentences.passage[rows]].astype(np.int32), np.asarray(self.sentences.start[rows]), np.asarray(self.sentences.end[rows]), np.asarray(self.sentences.vectors[rows]))
        tokens = self.postings.token_lists()
        return Chunk(letters, [self.passage(int(i)) for i in kept], np.asarray(self.vectors[kept]), sentences, Postings.build([tokens[i] for i in kept]))


def write_segment(folder: Path, name: str, chunks: Iterable[Chunk]) -> dict:
    """Write the chunks, in order, as one segment `folder/name` (atomically); its record,
    with the checksums of its files, computed here once."""
    staging = folder / (name + PARTIAL)
    staging.mkdir(parents=True)
    offsets, dates, vectors, sentence_parts, postings, letters = [0], [], [], [], [], []
    count = 0
    with open(staging / "passages.jsonl", "wb") as out:
        for chunk in chunks:
            for letter in chunk.letters:
                letters.append({**letter, "first": count + _first(chunk, letter)})
            for passage in chunk.passages:
                line = (json.dumps(passage_to_record(passage), ensure_ascii=False) + "\n").encode("utf-8")
                out.write(line)
                offsets.append(offsets[-1] + len(line))
                dates.append(passage.date.toordinal())
            vectors.append(np.asarray(chunk.vectors, dtype=np.float32))
            table = chunk.sentences
            sentence_parts.append((np.asarray(table.passage, dtype=np.int32) + count, table.start, table.end, np.asarray(table.vectors, dtype=np.float32)))
            postings.append(chunk.postings)
            count += len(chunk.passages)
    dimension = vectors[0].shape[1] if vectors else 0
    columns = list(zip(*sentence_parts)) if sentence_parts else [[np.zeros(0, np.int32)]] * 3 + [[np.zeros((0, dimension), np.float32)]]
    arrays = {
        "passage_offsets": np.asarray(offsets, dtype=np.int64),
        "passage_dates": np.asarray(dates, dtype=np.int32),
        "vectors": np.concatenate(vectors) if vectors else np.zeros((0, dimension), np.float32),
        "sentence_passage": np.concatenate(columns[0]).astype(np.int32),
        "sentence_start": np.concatenate(columns[1]).astype(np.int32),
        "sentence_end": np.concatenate(columns[2]).astype(np.int32),
        "sentence_vectors": np.concatenate(columns[3]).astype(np.float32, copy=False),
    }
    sentence_count = len(arrays["sentence_passage"])
    for array_name, array in arrays.items():
        np.save(staging / f"{array_name}.npy", array)
    del arrays, vectors, sentence_parts
    (Postings.concatenate(postings) if len(postings) != 1 else postings[0]).save(staging)
    files = seal(staging, FILES)
    return {"name": name, "passages": count, "sentences": sentence_count, "letters": letters, "files": files}


def seal(staging: Path, written: Iterable[str]) -> dict[str, str]:
    """Flush the files `written` in a segment's staging folder (`NAME.partial`), rename it NAME,
    and return their checksums, computed here once."""
    files = {}
    for file_name in written:
        with open(staging / file_name, "rb+") as handle:
            os.fsync(handle.fileno())
        files[file_name] = file_sha256(staging / file_name)
    os.rename(staging, staging.with_name(staging.name.removesuffix(PARTIAL)))
    return files


def _first(chunk: Chunk, letter: dict) -> int:
    """Where a letter's passages begin within its chunk (letters are contiguous, in order)."""
    first = 0
    for other in chunk.letters:
        if other is letter:
            return first
        first += other["passages"]
    raise ValueError(letter["source"])

