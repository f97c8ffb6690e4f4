"""The dense index: the compact approximate index against exact search, and memory-mapped loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.dense import build_dense_index, dense_search, index_kind, load_dense_index, save_dense_index

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def letter_vectors(engine):
    """The letters' passage and sentence vectors, as the engine built them with the real model."""
    return np.concatenate([engine.vectors, engine.sentences.vectors])


@pytest.fixture(scope="module")
def question_vectors(engine):
    from qa.evaluate import load_eval_set

    questions = [item.question for path in sorted((ROOT / "evals").glob("*.jsonl")) for item in load_eval_set(path)]
    return engine.embedder.encode_queries([engine.tokenizer.question_text(q) for q in questions])


def test_small_collections_are_searched_exactly(letter_vectors):
    assert index_kind(build_dense_index(letter_vectors)) == "flat"


def test_approximate_index_finds_the_exact_top_hit_on_the_letters(letter_vectors, question_vectors, tmp_path):
    exact = build_dense_index(letter_vectors)
    approx = build_dense_index(letter_vectors, exact_limit=0)
    assert index_kind(approx) == "ivf-sq8"
    save_dense_index(approx, tmp_path / "dense.faiss")
    loaded = load_dense_index(tmp_path / "dense.faiss")
    for query in question_vectors:
        (top, score), *_ = dense_search(exact, query, 10)
        hits = dense_search(loaded, query, 10)
        assert abs(hits[0][1] - score) < 0.01  # 8-bit codes: scores are close, not equal
        # 8-bit codes may swap a near tie (0.91302 vs 0.91300); the engine re-scores the
        # candidates with the stored vectors (Engine.dense_ranking), which restores the exact top.
        rescored = max((p for p, _ in hits), key=lambda p: float(letter_vectors[p] @ query))
        assert rescored == top, (hits[:3], dense_search(exact, query, 3))


def test_approximate_index_respects_the_filter(letter_vectors, question_vectors):
    approx = build_dense_index(letter_vectors, exact_limit=0)
    allowed = np.arange(0, len(letter_vectors), 7)
    for query in question_vectors[:20]:
        hits = dense_search(approx, query, 5, allowed)
        assert len(hits) == 5 and {p for p, _ in hits} <= set(allowed.tolist())
        exact_top = int(allowed[np.argmax(letter_vectors[allowed] @ query)])
        assert hits[0][0] == exact_top


@pytest.mark.parametrize("exact_limit", [None, 0], ids=["flat", "ivf-sq8"])
def test_a_mask_filters_as_the_positions_it_marks(letter_vectors, question_vectors, exact_limit):
    """The bitmap path (a boolean mask) returns what the batch of positions returns."""
    index = build_dense_index(letter_vectors) if exact_limit is None else build_dense_index(letter_vectors, exact_limit=exact_limit)
    mask = np.zeros(len(letter_vectors), dtype=bool)
    mask[np.random.default_rng(0).choice(len(letter_vectors), len(letter_vectors) // 3, replace=False)] = True
    for query in question_vectors[:20]:
        by_mask = dense_search(index, query, 10, mask)
        assert len(by_mask) == 10 and all(mask[p] for p, _ in by_mask)
        assert by_mask == dense_search(index, query, 10, np.flatnonzero(mask))
    assert dense_search(index, question_vectors[0], 10, np.zeros(len(letter_vectors), dtype=bool)) == []


MMAP_PROBE = """
import json, sys, numpy as np
from qa.dense import build_dense_index, dense_search, load_dense_index, save_dense_index

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

path = sys.argv[1]
if sys.argv[2] == "build":
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((100_000, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    save_dense_index(build_dense_index(vectors, exact_limit=0), path)
else:
    query = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    before = rss_mb()
    index = load_dense_index(path)
    growth = rss_mb() - before  # before searching: a search pages in the lists it probes (a fifth here)
    hits = dense_search(index, query / np.linalg.norm(query), 10)
    print(json.dumps({"growth_mb": growth, "hits": len(hits), "ntotal": index.ntotal}))
"""


def test_saved_approximate_index_is_memory_mapped_not_copied(tmp_path):
    """A 100k-vector index (about 38 MB of codes) grows a new process's RSS by little when loaded."""
    path = tmp_path / "dense.faiss"
    subprocess.run([sys.executable, "-c", MMAP_PROBE, str(path), "build"], check=True, cwd=ROOT)
    size_mb = path.stat().st_size / 2**20
    assert size_mb > 35
    done = subprocess.run([sys.executable, "-c", MMAP_PROBE, str(path), "load"], check=True, cwd=ROOT, capture_output=True, text=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ntotal"] == 100_000 and report["hits"] == 10
    assert report["growth_mb"] < 0.1 * size_mb, f"loading {size_mb:.0f} MB grew RSS by {report['growth_mb']:.0f} MB"


@pytest.mark.parametrize("exact_limit", [None, 0], ids=["flat", "ivf-sq8"])
def test_an_index_in_parts_finds_what_one_index_of_every_row_finds(tmp_path, exact_limit):
    """Rows added as parts (sharing the first piece's quantizer and codec) are searched as if the
    first index had been extended with them: same positions, same scores, filters included."""
    from qa.dense import PartedIndex, add_rows, empty_like

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((6_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((30, 32)).astype(np.float32)
    build = build_dense_index if exact_limit is None else lambda rows: build_dense_index(rows, exact_limit=exact_limit)
    main = build(vectors[:4_000])
    whole = add_rows(build(vectors[:4_000]), vectors[4_000:])
    pieces = [main, add_rows(empty_like(main), vectors[4_000:5_500]), add_rows(empty_like(main), vectors[5_500:])]
    for i, piece in enumerate(pieces):
        save_dense_index(piece, tmp_path / f"{i}.faiss")
    parted = PartedIndex([load_dense_index(tmp_path / f"{i}.faiss") for i in range(len(pieces))])
    assert parted.ntotal == whole.ntotal and index_kind(parted) == index_kind(whole)
    mask = rng.random(len(vectors)) < 0.3
    for query in queries:
        assert dense_search(parted, query, 20) == dense_search(whole, query, 20)
        assert dense_search(parted, query, 20, mask) == dense_search(whole, query, 20, mask)
        assert dense_search(parted, query, 20, np.flatnonzero(mask)) == dense_search(whole, query, 20, mask)
        narrow = np.arange(4_500, 6_000, 50)  # a filter admitting few rows, all in the parts
        assert dense_search(parted, query, 5, narrow) == dense_search(whole, query, 5, narrow)


def test_probes_bound_the_lists_an_ivf_search_scans(letter_vectors, question_vectors):
    import faiss

    approx = build_dense_index(letter_vectors, exact_limit=0)
    ivf = faiss.extract_index_ivf(approx)
    for query in question_vectors[:10]:
        assert dense_search(approx, query, 10, probes=ivf.nprobe) == dense_search(approx, query, 10)
        _, nearest = ivf.quantizer.search(query[None], 1)
        found = [p for p, _ in dense_search(approx, query, 10, probes=1)]
        _, lists = ivf.quantizer.search(letter_vectors[found], 1)
        assert found and set(lists.ravel().tolist()) == {int(nearest[0, 0])}  # only the nearest list was scanned
