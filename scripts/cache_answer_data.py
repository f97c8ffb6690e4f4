"""Cache what the answer models are trained on: retrieval and sentence cosines per question.

    .venv/bin/python scripts/cache_answer_data.py evals            # evals/*.jsonl + scripts/data/offtopic_train.jsonl
    .venv/bin/python scripts/cache_answer_data.py cmrc  [--limit N]
    .venv/bin/python scripts/cache_answer_data.py drcd  [--limit N]

For every question it keeps the hits of two searches, the ordinary one and one
with the question's gold letter (or SQuAD context) removed from what is
searched ("ablated": the question stays in-domain and becomes unanswerable),
and the cosine of the question to every sentence of the passages the answer
is looked for in. The embedding (the slow part) is done once here;
`scripts/train_answer_models.py` computes features from these files.
Written to .cache/answer/SET.pkl (gitignored).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "answer"
SQUAD_FILES = {
    "cmrc": ROOT.parent / "shared" / "benchmarks" / "cmrc2018" / "cmrc2018_trial.json",
    "drcd": ROOT.parent / "shared" / "benchmarks" / "drcd" / "DRCD_test.json",
}
KEEP_HITS = 10


def hit_rows(engine, hits) -> list[tuple]:
    return [(engine.passages.position(h.passage), h.score, h.dense, h.lexical, h.dense_rank, h.lexical_rank) for h in hits]


def cache_questions(engine, items: list[dict], out: Path) -> None:
    """items: {"id", "question", "answers", "gold_source" (None: unanswerable), "type", "set"}."""
    from qa.engine import ANSWER_PASSAGES

    sources = np.array([p.source for p in engine.passages])
    everything = None
    current = [everything]
    engine._allowed = lambda filters: current[0]  # the ablated search: every source but the gold one
    prepared = [engine.tokenizer.question_text(i["question"]) for i in items]
    began = time.perf_counter()
    queries = engine.embedder.encode_queries(prepared)
    rows = []
    for n, (item, query) in enumerate(zip(items, queries), start=1):
        current[0] = None
        variants = {"full": hit_rows(engine, engine.search_encoded(item["question"], query, KEEP_HITS))}
        if item["gold_source"] is not None:
            current[0] = sources != item["gold_source"]
            variants["ablated"] = hit_rows(engine, engine.search_encoded(item["question"], query, KEEP_HITS))
        cosines = {}
        for hits in variants.values():
            for position, *_ in hits[:ANSWER_PASSAGES]:
                sentence_rows = engine.sentences.rows_of(position)
                if len(sentence_rows):
                    values = engine.sentences.vectors[sentence_rows.start : sentence_rows.stop] @ query
                    cosines.update(zip(sentence_rows, values.tolist()))
        rows.append({**item, "prepared": prepared[n - 1], "variants": variants, "cosines": cosines})
        if n % 200 == 0:
            print(f"  {n}/{len(items)} questions, {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    table = engine.sentences
    # The index's arrays and passages are memory-mapped: copied out, so they can be pickled.
    data = {
        "passages": list(engine.passages),
        "contexts": dict(engine.contexts),
        "vocabulary": set(engine.lexical.vocabulary),
        "table": {"passage": np.array(table.passage), "start": np.array(table.start), "end": np.array(table.end)},
        "questions": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(data))
    tmp.replace(out)
    print(f"{out}: {len(rows)} questions", file=sys.stderr)


def eval_items() -> list[dict]:
    from qa.evaluate import load_eval_set

    items = []
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        for i in load_eval_set(path):
            gold = i.passage_id.split("/")[0] + ".txt" if i.passage_id else None
            items.append({"id": i.id, "question": i.question, "answers": list(i.answers), "gold_source": gold, "type": i.type, "set": "evals"})
    for line in (ROOT / "scripts" / "data" / "offtopic_train.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            items.append({"id": record["id"], "question": record["question"], "answers": [], "gold_source": None, "type": record.get("type", "offtopic"), "set": "offtopic"})
    return items


def squad_items(name: str, path: Path, limit: int | None) -> list[dict]:
    from qa.squad import load_squad

    _, questions = load_squad(path, limit)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    gold = [f"{a:04d}-{c:03d}" for a, article in enumerate(data) for c, paragraph in enumerate(article["paragraphs"]) for _ in paragraph["qas"]]
    return [
        {"id": q.id, "question": " ".join(q.question.split()), "answers": list(q.answers), "gold_source": gold[n], "type": name, "set": name}
        for n, q in enumerate(questions)
        if q.question.strip()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=["evals", "cmrc", "drcd"])
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model
    from qa.engine import Engine

    if args.set == "evals":
        engine = Engine.open()
        cache_questions(engine, eval_items(), CACHE / "evals.pkl")
        return
    from qa.squad import load_squad

    passages, _ = load_squad(SQUAD_FILES[args.set], args.limit)
    settings = Settings.from_env()
    engine = Engine.from_passages(passages, Embedder(resolve_model(settings.model, settings.cache_dir)), progress=True)
    cache_questions(engine, squad_items(args.set, SQUAD_FILES[args.set], args.limit), CACHE / f"{args.set}.pkl")


if __name__ == "__main__":
    main()
