"""Scale benchmarks: embedding backends, and the dense index from 10k to 1M vectors.

    .venv/bin/python scripts/bench_scale.py --encoders [--rounds 3] [--json]
    .venv/bin/python scripts/bench_scale.py --dense [--sizes 10000,100000,1000000] [--json]

--encoders: each backend (torch float32, onnx float32, onnx-int8) encodes the letters' passages
and sentences (the texts the index embeds), rounds interleaved so that all see the same load on a
shared machine; prints texts/s (median of the rounds, with min and max; and per CPU-second), query latency (one question per
call, median), and the cosine of each passage vector to torch float32's (min and mean).

--dense: vectors derived from real ones, since encoding a million texts takes hours on 2 cores:
the letters' passage and sentence vectors, each synthetic vector a random mix of two of them plus
Gaussian noise (renormalised); queries are the eval set's questions, encoded. For each size:
build time, index size, exact (flat) and approximate (`qa.dense` above EXACT_LIMIT) search
latency p50/p95 through `dense_search`, and recall@10 of the approximate index against exact.

The whole-pipeline table (`--sizes ... --json` with build_s, add_letter_s, disk_mb, rss_mb,
search/ask p50/p95) needs the incremental index; it is not written yet.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERY_SAMPLE = 40  # questions timed one by one for query latency


def letter_texts() -> tuple[list[str], list[str]]:
    """What the index embeds for the letters: passage texts (with their context) and sentences."""
    from qa.config import Settings
    from qa.corpus import load_corpus
    from qa.engine import document_context, index_text
    from qa.sentences import passage_sentences

    parsed = load_corpus(Settings.from_env().corpus_dir)
    contexts = {letter.letter.source: document_context(letter.letter) for letter in parsed}
    passages = [p for letter in parsed for p in letter.passages]
    sentences = [p.text[s:e] for p in passages for s, e in passage_sentences(p)]
    return [index_text(p, contexts[p.source]) for p in passages], sentences


def eval_questions() -> list[str]:
    from qa.evaluate import load_eval_set

    return [item.question for path in sorted((ROOT / "evals").glob("*.jsonl")) for item in load_eval_set(path)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# --------------------------------------------------------------------------- encoders


def bench_encoders(rounds: int) -> list[dict]:
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model

    settings = Settings.from_env()
    passages, sentences = letter_texts()
    questions = eval_questions()[:QUERY_SAMPLE]
    backends = ["torch", "onnx", "onnx-int8"]
    embedders, load_s = {}, {}
    for backend in backends:
        began = time.perf_counter()
        embedders[backend] = Embedder(resolve_model(settings.model, settings.cache_dir, backend))
        load_s[backend] = time.perf_counter() - began
        embedders[backend].encode_queries(questions[:2])  # first-call set-up is not throughput
    speed = {b: {"passages": [], "sentences": [], "query_ms": [], "cpu": []} for b in backends}
    vectors = {}
    for _ in range(rounds):
        for backend in backends:
            embedder = embedders[backend]
            began, cpu = time.perf_counter(), time.process_time()
            vectors[backend] = embedder.encode_passages(passages)
            speed[backend]["passages"].append(len(passages) / (time.perf_counter() - began))
            began = time.perf_counter()
            embedder.encode_passages(sentences)
            speed[backend]["sentences"].append(len(sentences) / (time.perf_counter() - began))
            speed[backend]["cpu"].append((len(passages) + len(sentences)) / (time.process_time() - cpu))
            for question in questions:
                began = time.perf_counter()
                embedder.encode_queries([question])
                speed[backend]["query_ms"].append(1000 * (time.perf_counter() - began))
    rows = []
    for backend in backends:
        cosines = np.sum(vectors[backend] * vectors["torch"], axis=1)
        texts_per_s = speed[backend]["passages"] + speed[backend]["sentences"]
        rows.append(
            {
                "backend": backend,
                "model_id": embedders[backend].model_id,
                "texts_per_s": round(statistics.median(texts_per_s), 1),
                "texts_per_s_min_max": [round(min(texts_per_s), 1), round(max(texts_per_s), 1)],
                # texts per CPU-second of this process (all its threads): the work, which a
                # shared machine disturbs less than the wall clock
                "texts_per_cpu_s": round(statistics.median(speed[backend]["cpu"]), 1),
                "passages_per_s": round(statistics.median(speed[backend]["passages"]), 1),
                "sentences_per_s": round(statistics.median(speed[backend]["sentences"]), 1),
                "query_ms": round(statistics.median(speed[backend]["query_ms"]), 2),
                "query_p95_ms": round(percentile(speed[backend]["query_ms"], 95), 2),
                "min_cosine_vs_fp32": round(float(cosines.min()), 5),
                "mean_cosine_vs_fp32": round(float(cosines.mean()), 5),
                "load_s": round(load_s[backend], 2),
                "passages": len(passages),
                "sentences": len(sentences),
                "rounds": rounds,
            }
        )
    return rows


# --------------------------------------------------------------------------- dense index


def real_vectors() -> tuple[np.ndarray, np.ndarray]:
    """The letters' passage and sentence vectors, and the eval questions' vectors (default model)."""
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model

    settings = Settings.from_env()
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
    passages, sentences = letter_texts()
    return embedder.encode_passages(passages + sentences), embedder.encode_queries(eval_questions())


def synthetic(real: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """n unit vectors near the real ones: a random mix of two real vectors plus noise whose norm is
    `noise` (cosine to the mix about 0.96), so neighbours are as dense as in a large corpus."""
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = real[rng.integers(0, len(real), m)], real[rng.integers(0, len(real), m)]
        weight = rng.random((m, 1), dtype=np.float32)
        mixed = weight * a + (1 - weight) * b
        mixed += noise * np.linalg.norm(mixed, axis=1, keepdims=True) * rng.standard_normal(mixed.shape, dtype=np.float32) / np.sqrt(real.shape[1])
        out[start : start + m] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def timed_searches(index, queries: np.ndarray, k: int = 10) -> tuple[list[set[int]], list[float]]:
    from qa.dense import dense_search

    found, times = [], []
    for query in queries:
        began = time.perf_counter()
        hits = dense_search(index, query, k)
        times.append(1000 * (time.perf_counter() - began))
        found.append({p for p, _ in hits})
    return found, times


def bench_dense(sizes: list[int]) -> list[dict]:
    import faiss

    from qa.dense import build_dense_index, index_kind, load_dense_index, save_dense_index

    real, queries = real_vectors()
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        vectors = synthetic(real, n, rng)
        exact_index = faiss.IndexFlatIP(vectors.shape[1])
        exact_index.add(vectors)
        exact, flat_ms = timed_searches(exact_index, queries)
        began = time.perf_counter()
        approx_index = build_dense_index(vectors, exact_limit=0)
        build_s = time.perf_counter() - began
        del vectors
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "dense.faiss"
            save_dense_index(approx_index, path)
            del approx_index
            loaded = load_dense_index(path)  # memory-mapped, as an answering process has it
            approx, approx_ms = timed_searches(loaded, queries)
            disk_mb = path.stat().st_size / 2**20
            kind = index_kind(loaded)
            del loaded
        rows.append(
            {
                "vectors": n,
                "kind": kind,
                "build_s": round(build_s, 1),
                "disk_mb": round(disk_mb, 1),
                "flat_mb": round(n * real.shape[1] * 4 / 2**20, 1),
                "flat_p50_ms": round(percentile(flat_ms, 50), 2),
                "flat_p95_ms": round(percentile(flat_ms, 95), 2),
                "search_p50_ms": round(percentile(approx_ms, 50), 2),
                "search_p95_ms": round(percentile(approx_ms, 95), 2),
                "recall_at_10": round(float(np.mean([len(a & e) / len(e) for a, e in zip(approx, exact)])), 4),
                "queries": len(queries),
                "synthetic": "letters' passage+sentence vectors, mixed in pairs, plus noise",
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", action="store_true", help="compare the embedding backends")
    parser.add_argument("--dense", action="store_true", help="the dense index by size (synthetic vectors)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    if args.encoders:
        rows = bench_encoders(args.rounds)
    elif args.dense:
        rows = bench_dense([int(s) for s in args.sizes.split(",")])
    else:
        sys.exit("the whole-pipeline --sizes table needs the incremental index (not written yet); use --encoders or --dense")
    for row in rows:
        print(json.dumps(row, ensure_ascii=False) if args.json else "  ".join(f"{k} {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
