"""Retrieval quality and speed: dense only, BM25 only and their fusion.

    .venv/bin/python scripts/bench_retrieval.py evals        # recall@1/5, MRR on evals/*.jsonl
    .venv/bin/python scripts/bench_retrieval.py squad FILE   # top-1/5/20 answer containment
    .venv/bin/python scripts/bench_retrieval.py timing       # build, cold start, per-question cost

Prints one line per retriever; the engine itself uses the fusion.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rankings(engine, question: str, pool: int = 50) -> dict[str, list[int]]:
    """The engine's dense and lexical rankings of passage positions, and its fused one."""
    query = engine.encode_question(question)
    dense, _ = engine.dense_ranking(query, pool)
    lexical = [p for p, _ in engine.lexical_ranking(engine.tokenizer.question_text(question), pool)]
    positions = {p.id: n for n, p in enumerate(engine.passages)}
    fused = [positions[h.passage.id] for h in engine.search_encoded(question, query, pool)]
    return {"dense": dense, "bm25": lexical, "fusion": fused}


def bench_evals(engine) -> None:
    from qa.evaluate import load_eval_set

    items = [i for path in sorted((ROOT / "evals").glob("*.jsonl")) for i in load_eval_set(path) if i.answerable]
    position = {p.id: n for n, p in enumerate(engine.passages)}
    ranks: dict[str, list[int | None]] = {"dense": [], "bm25": [], "fusion": []}
    for item in items:
        gold = position[item.passage_id]
        for name, ranking in rankings(engine, item.question).items():
            ranks[name].append(ranking.index(gold) + 1 if gold in ranking else None)
    print(f"eval set: {len(items)} answerable questions, {len(engine.passages)} passages")
    for name, found in ranks.items():
        r1 = statistics.fmean(r == 1 for r in found)
        r5 = statistics.fmean(r is not None and r <= 5 for r in found)
        mrr = statistics.fmean(1 / r if r else 0 for r in found)
        print(f"  {name:7} recall@1 {r1:.3f}  recall@5 {r5:.3f}  MRR {mrr:.3f}")


def bench_squad(path: Path, limit: int | None) -> None:
    from qa.embedder import Embedder, resolve_model
    from qa.config import Settings
    from qa.engine import Engine
    from qa.evaluate import answer_contains
    from qa.squad import load_squad

    passages, questions = load_squad(path, limit)
    settings = Settings.from_env()
    engine = Engine.from_passages(passages, Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend)), progress=True)
    counts = {name: {1: 0, 5: 0, 20: 0} for name in ("dense", "bm25", "fusion")}
    for item in questions:
        for name, ranking in rankings(engine, item.question).items():
            texts = [engine.passages[p].text for p in ranking[:20]]
            for k in (1, 5, 20):
                counts[name][k] += any(answer_contains(t, item.answers) for t in texts[:k])
    print(f"{path.name}: {len(questions)} questions, {len(passages)} passages")
    for name, c in counts.items():
        print(f"  {name:7} " + "  ".join(f"top-{k} {c[k] / len(questions):.3f}" for k in (1, 5, 20)))


def bench_timing() -> None:
    import subprocess
    import tempfile

    began = time.perf_counter()
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model
    from qa.engine import Engine

    imported = time.perf_counter()
    settings_model = Settings.from_env()
    embedder = Embedder(resolve_model(settings_model.model, settings_model.cache_dir, settings_model.backend))
    loaded_model = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(index_dir=Path(tmp) / "index")
        engine = Engine.open(settings, embedder=embedder)
        built = time.perf_counter()
        # A cold start as a user has it: a new process imports, loads the model and the built index, answers once.
        cold = "from qa import Engine, Settings; import sys; Engine.open(Settings.from_env(index_dir=sys.argv[1]), rebuild='never').ask('执笔方制度有哪些问题？')"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", cold, str(settings.index_dir)], check=True, capture_output=True)
        cold_s = time.perf_counter() - start
        questions = ["执笔方制度有哪些问题？", "比利时担任主席期间安理会通过了几项决议？", "What is note S/2017/507 about?", "安理會在2023年派出了幾支實地訪問團？"] * 10
        engine.search(questions[0])  # warm up
        t = time.perf_counter()
        for q in questions:
            engine.search(q, 5)
        search_ms = 1000 * (time.perf_counter() - t) / len(questions)
        t = time.perf_counter()
        engine.ask_many(questions, 5)
        ask_ms = 1000 * (time.perf_counter() - t) / len(questions)
    print(f"import qa and its libraries                    {imported - began:6.1f} s")
    print(f"model load (converted folder cached)           {loaded_model - imported:6.1f} s")
    print(f"index build, 5 letters                         {built - loaded_model:6.1f} s  ({len(engine.passages)} passages, {len(engine.sentences.passage)} sentences)")
    print(f"cold start: new process to first answer        {cold_s:6.1f} s  (index already built)")
    print(f"search, per question                           {search_ms:6.1f} ms")
    print(f"ask in a batch, per question                   {ask_ms:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["evals", "squad", "timing"])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.what == "evals":
        from qa.engine import Engine

        bench_evals(Engine.open())
    elif args.what == "squad":
        if not args.file:
            sys.exit("squad needs a FILE")
        bench_squad(args.file, args.limit)
    else:
        bench_timing()


if __name__ == "__main__":
    main()
