"""Exact (IndexFlatIP) vs HNSW: query time and HNSW recall@10 against exact search.

Prints one line per corpus size; this is how qa.dense.EXACT_LIMIT was chosen.
Vectors are random unit vectors with clustered structure (like sentence embeddings),
queries are perturbed corpus vectors.

    .venv/bin/python scripts/bench_dense.py [SIZE ...]
"""

from __future__ import annotations

import sys
import time

import faiss
import numpy as np

from qa.dense import build_dense_index, dense_search

DIM = 384
QUERIES = 200


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def corpus(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = unit(rng.standard_normal((max(n // 50, 1), DIM)))
    return unit(centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)) / np.sqrt(DIM) * 4)


def main(sizes: list[int]) -> None:
    faiss.omp_set_num_threads(2)
    rng = np.random.default_rng(0)
    print(f"{'passages':>9} {'flat ms/q':>10} {'hnsw build s':>13} {'hnsw ms/q':>10} {'recall@10':>10}")
    for n in sizes:
        vectors = corpus(n, rng)
        queries = unit(vectors[rng.integers(0, n, QUERIES)] + 0.05 * rng.standard_normal((QUERIES, DIM)))
        flat = build_dense_index(vectors, exact_limit=n)
        began = time.perf_counter()
        exact = [{p for p, _ in dense_search(flat, q, 10)} for q in queries]
        flat_ms = 1000 * (time.perf_counter() - began) / QUERIES
        began = time.perf_counter()
        hnsw = build_dense_index(vectors, exact_limit=0)
        build_s = time.perf_counter() - began
        began = time.perf_counter()
        approx = [{p for p, _ in dense_search(hnsw, q, 10)} for q in queries]
        hnsw_ms = 1000 * (time.perf_counter() - began) / QUERIES
        recall = np.mean([len(a & e) / 10 for a, e in zip(approx, exact)])
        print(f"{n:>9} {flat_ms:>10.2f} {build_s:>13.1f} {hnsw_ms:>10.2f} {recall:>10.3f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000, 200_000])
