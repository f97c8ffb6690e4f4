"""The dense index: FAISS inner product over L2-normalised vectors (= cosine).

Exact search (`IndexFlatIP`) up to `EXACT_LIMIT` vectors; above it an HNSW
graph, whose recall against exact search `scripts/bench_dense.py` measures.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Exact search is linear: 1.4 ms/query at 10k passages, 7 ms at 50k on 2 cores
# (scripts/bench_dense.py), so it stays well inside the 50 ms budget up to about
# 200k passages, while HNSW costs minutes to build (77 s at 50k) and loses
# recall (0.96 at 10k, 0.77 at 50k on clustered synthetic vectors).
EXACT_LIMIT = 200_000
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def build_dense_index(vectors: np.ndarray, *, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def index_kind(index: faiss.Index) -> str:
    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"


def dense_search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Top-k (position, cosine) for one query vector, optionally only among `allowed` positions."""
    k = min(k, index.ntotal)
    if k <= 0 or (allowed is not None and len(allowed) == 0):
        return []
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=HNSW_EF_SEARCH) if index_kind(index) == "hnsw" else faiss.SearchParameters(sel=selector)
    scores, positions = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
    return [(int(p), float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0]


def save_dense_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense_index(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))
