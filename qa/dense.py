"""The dense index: FAISS inner product over L2-normalised vectors (= cosine).

Exact search (`IndexFlatIP`, float32) up to `EXACT_LIMIT` vectors. Above it an inverted file
(IVF) whose vectors are stored as 8-bit scalar codes (`IndexIVFScalarQuantizer`): a quarter of
the memory, and a search that scans only the lists nearest the query (a tenth of them, at
least `MIN_PROBES`). A saved IVF index
is memory-mapped when loaded, so its codes stay in the page cache, not in the process.
`scripts/bench_scale.py --dense` measures recall against exact search and latency by size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

# Measured on synthetic vectors derived from the letters' (scripts/bench_scale.py --dense, README):
# exact search is about 1.5 ms per 10k vectors per query on a quiet machine, fine up to 100k.
# Above, IVF-SQ8 recall@10 against exact: at 100k (632 lists) 0.938 probing 64, 0.964 probing 128;
# at 1M (2,000 lists) 0.929 probing 64, 0.949 at 128, 0.959 at 200 (6 ms of CPU per query),
# 0.961 at 300. 8-bit codes alone cap it near 0.97. HNSW took minutes to build (77 s at 50k)
# and lost recall (0.77 at 50k).
EXACT_LIMIT = 100_000
LISTS_PER_SQRT = 2  # nlist = 2 * sqrt(n): 2,000 lists of ~500 vectors at 1M
PROBED_FRACTION = 0.1
MIN_PROBES = 128
TRAINING_PER_LIST = 40  # k-means sample (faiss asks for at least 39 points per list)
TRAINING_ITERATIONS = 10  # k-means iterations; more cost build time and gained no recall
FILTER_SCAN_ALL = 0.05  # a filter admitting under 5% of the vectors scans every list (few are left in each)


ADD_ROWS = 100_000  # vectors added at a time, so a memory-mapped collection is never copied whole


def build_dense_index(vectors: np.ndarray, *, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    """`vectors`: an array, or anything with its shape and row indexing (a `segments.RowStack`)."""
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dimension)
    else:
        lists = max(1, min(int(LISTS_PER_SQRT * math.sqrt(len(vectors))), len(vectors) // TRAINING_PER_LIST or 1))
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), lists * TRAINING_PER_LIST), replace=False)
        index.cp.niter = TRAINING_ITERATIONS
        index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
        index.nprobe = min(lists, max(MIN_PROBES, math.ceil(PROBED_FRACTION * lists)))
    return add_rows(index, vectors)


def index_kind(index) -> str:
    if isinstance(index, PartedIndex):
        index = index.pieces[0]
    return "ivf-sq8" if isinstance(faiss.downcast_index(index), faiss.IndexIVF) else "flat"


def dense_search(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None, *, probes: int | None = None) -> list[tuple[int, float]]:
    """Top-k (position, cosine) for one query vector, optionally only among `allowed`
    positions (an array of them, or a boolean mask over the index's vectors).
    `index`: a FAISS index or a `PartedIndex`; `probes`: the lists an IVF index scans
    (default: as many as it was built to scan)."""
    k = min(k, index.ntotal)
    admitted = None if allowed is None else int(np.count_nonzero(allowed)) if allowed.dtype == bool else len(allowed)
    if k <= 0 or admitted == 0:
        return []
    pieces = index.pieces if isinstance(index, PartedIndex) else (index,)
    if allowed is not None and allowed.dtype != bool and len(pieces) > 1:
        mask = np.zeros(index.ntotal, dtype=bool)
        mask[allowed] = True
        allowed = mask
    query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    ivf = faiss.extract_index_ivf(pieces[0]) if index_kind(pieces[0]) == "ivf-sq8" else None
    nprobe = None
    if ivf is not None:
        narrow = admitted is not None and admitted < FILTER_SCAN_ALL * index.ntotal
        nprobe = ivf.nlist if narrow else min(ivf.nlist, probes or ivf.nprobe)
    found: list[tuple[int, float]] = []
    with one_thread():
        # the parts share the first piece's quantizer: the lists to scan are chosen once
        coarse = ivf.quantizer.search(query, nprobe) if ivf is not None and len(pieces) > 1 else None
        first = 0
        for piece in pieces:
            rows = allowed if len(pieces) == 1 or allowed is None else allowed[first : first + piece.ntotal]
            if piece.ntotal and (rows is None or rows.dtype != bool or rows.any()):
                scores, positions = _search_piece(piece, query, min(k, piece.ntotal), rows, nprobe, coarse)
                found.extend((first + int(p), float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0)
            first += piece.ntotal
    if len(pieces) > 1:
        found.sort(key=lambda hit: (-hit[1], hit[0]))
    return found[:k]


def _search_piece(piece: faiss.Index, query: np.ndarray, k: int, rows: np.ndarray | None, nprobe: int | None, coarse) -> tuple[np.ndarray, np.ndarray]:
    """One piece's top k among `rows` (a mask or positions within the piece, or None: all);
    `coarse`: the quantizer's (scores, lists) for the query when the piece is one of several
    IVF parts."""
    if rows is None:
        selector = None
    elif rows.dtype == bool:
        # a bitmap: one bit test per vector, where a batch of ids is hashed into a set on every query
        bitmap = np.packbits(rows, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(rows), faiss.swig_ptr(bitmap))
    else:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64))
    if nprobe is None:
        params = None if selector is None else faiss.SearchParameters(sel=selector)
        return piece.search(query, k, params=params)
    params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    if coarse is None:
        return piece.search(query, k, params=params)
    coarse_scores, lists = (np.ascontiguousarray(a) for a in coarse)
    scores, positions = np.empty((1, k), dtype=np.float32), np.empty((1, k), dtype=np.int64)
    # the C++ call: faiss's Python wrapper of search_preassigned takes no search parameters
    faiss.extract_index_ivf(piece).search_preassigned_c(1, faiss.swig_ptr(query), k, faiss.swig_ptr(lists), faiss.swig_ptr(coarse_scores), faiss.swig_ptr(scores), faiss.swig_ptr(positions), False, params)
    return scores, positions


class PartedIndex:
    """A dense index in pieces over consecutive rows: the index built (an IVF one trained) at the
    last rebuild, then parts holding the rows added since. An IVF part is coded with the first
    piece's trained quantizer and codec (`empty_like`), so a search chooses the lists once and
    scans the same lists in every piece: the hits of one index holding every row, while adding
    rows writes a small part and leaves the big file as it is."""

    def __init__(self, pieces: Sequence[faiss.Index]):
        self.pieces = tuple(pieces)
        self.d = self.pieces[0].d
        self.ntotal = sum(piece.ntotal for piece in self.pieces)


def empty_like(index: faiss.Index) -> faiss.Index:
    """An empty index that codes and searches vectors as `index` does (for IVF: a copy of its
    trained quantizer and scalar codec, and its number of lists probed)."""
    if index_kind(index) == "flat":
        return faiss.IndexFlatIP(index.d)
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    part = faiss.IndexIVFScalarQuantizer(faiss.clone_index(ivf.quantizer), ivf.d, ivf.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    part.sq = ivf.sq
    part.by_residual = ivf.by_residual
    part.is_trained = True
    part.nprobe = ivf.nprobe
    return part


def add_rows(index: faiss.Index, vectors, start: int = 0, stop: int | None = None) -> faiss.Index:
    """Add rows `start:stop` of `vectors` (an array or a `segments.RowStack`) to `index`,
    ADD_ROWS at a time."""
    stop = len(vectors) if stop is None else stop
    for first in range(start, stop, ADD_ROWS):
        index.add(np.ascontiguousarray(vectors[first : min(stop, first + ADD_ROWS)], dtype=np.float32))
    return index


@contextmanager
def one_thread() -> Iterator[None]:
    """FAISS on one OpenMP thread in this thread (the setting is per thread): a single query
    does not divide well, and a second thread spinning for work tripled the CPU time of a
    flat search over 100k vectors on this 2-core machine (42 ms against 12 ms)."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def save_dense_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense_index(path: Path) -> faiss.Index:
    """The index memory-mapped from `path` (read-only: a flat index's vectors, an IVF index's
    lists), so keep the file in place while the index is in use. FAISS has one flag for each."""
    with open(path, "rb") as handle:
        flat = handle.read(4) in (b"IxFI", b"IxF2", b"IxFl")  # IndexFlatIP / IndexFlatL2 / IndexFlat
    return faiss.read_index(str(path), (faiss.IO_FLAG_MMAP_IFC if flat else faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY)
