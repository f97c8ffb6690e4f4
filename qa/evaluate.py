"""Evaluation on sets of known Q&A pairs (`evals/*.jsonl`).

One record per line: {"id", "question", "answers": [str], "passage_id": str|null, "type"}.
A null passage_id marks a question the letters cannot answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .results import Response


class EvalSetError(ValueError):
    """An eval file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...]
    passage_id: str | None
    type: str

    @property
    def answerable(self) -> bool:
        return self.passage_id is not None


def load_eval_set(path: Path) -> list[EvalItem]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvalSetError(f"{path}: cannot be read ({error.strerror or error})") from None
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.append(EvalItem(str(record["id"]), record["question"], tuple(record.get("answers") or ()), record.get("passage_id"), record.get("type", "fact")))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise EvalSetError(f"{path}:{number}: not an eval record ({type(error).__name__}: {error})") from None
    return items


def answer_contains(answer_text: str, expected: Iterable[str]) -> bool:
    """Whether any expected string stands inside the answer (spaces ignored).

    >>> answer_contains("安理会通过了4项决议", ["4项决议"])
    True
    """
    squeezed = "".join(answer_text.split())
    return any("".join(e.split()) in squeezed for e in expected if e.strip())


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def score_responses(items: Sequence[EvalItem], responses: Sequence[Response]) -> dict:
    """A flat report of named metrics; the primary metric is answer_hit@1."""
    rows = []
    for item, response in zip(items, responses):
        ranked = [h.passage.id for h in response.related]
        top = response.answers[0] if response.answers else None
        answered = not response.abstained and top is not None
        rank = ranked.index(item.passage_id) + 1 if item.passage_id in ranked else None
        rows.append(
            {
                "id": item.id,
                "type": item.type,
                "answerable": item.answerable,
                "abstained": response.abstained,
                "confidence": response.confidence,
                "rank": rank,
                "hit": answered and item.answerable and answer_contains(top.text, item.answers),
                "cited": answered and item.answerable and top.passage.id == item.passage_id,
                "length": len(top.text) if answered else None,
                "answer": top.text if top else "",
            }
        )
    return _report(rows)


def _report(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    lengths = [r["length"] for r in rows if r["length"] is not None]
    report = {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall@1": _mean([r["rank"] == 1 for r in answerable]),
        "recall@5": _mean([r["rank"] is not None and r["rank"] <= 5 for r in answerable]),
        "mrr": _mean([1 / r["rank"] if r["rank"] else 0.0 for r in answerable]),
        "answer_hit@1": _mean([r["hit"] for r in answerable]),
        "citation_accuracy": _mean([r["cited"] for r in answerable]),
        "abstain_rate_unanswerable": _mean([r["abstained"] for r in unanswerable]),
        "abstain_rate_answerable": _mean([r["abstained"] for r in answerable]),
        "mean_answer_chars": _mean(lengths),
    }
    by_type: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_type[row["type"]].append(row)
    report["by_type"] = {
        kind: (
            {"n": len(group), "abstain_rate": _mean([r["abstained"] for r in group])}
            if not group[0]["answerable"]
            else {"n": len(group), "recall@5": _mean([r["rank"] is not None and r["rank"] <= 5 for r in group]), "answer_hit@1": _mean([r["hit"] for r in group]), "citation_accuracy": _mean([r["cited"] for r in group])}
        )
        for kind, group in sorted(by_type.items())
    }
    report["rows"] = rows
    return report


def calibrate_threshold(rows: Sequence[dict], max_false_abstain: float = 0.03) -> dict:
    """The abstention threshold that abstains on most unanswerable questions
    while wrongly abstaining on at most `max_false_abstain` of answerable ones.

    Of the thresholds that catch those unanswerable questions, the one midway
    between the last of them and the next answerable question is taken: the
    widest margin on both sides, not one that grazes an answerable question.

    >>> rows = [{"answerable": True, "confidence": c} for c in (0.5, 1.1, 1.3, 1.5)] + [{"answerable": False, "confidence": c} for c in (0.2, 0.9)]
    >>> calibrate_threshold(rows, max_false_abstain=0.25)["threshold"]
    1.0
    """
    answerable = sorted(r["confidence"] for r in rows if r["answerable"])
    unanswerable = [r["confidence"] for r in rows if not r["answerable"]]
    if not answerable or not unanswerable:
        return {}
    allowed = int(max_false_abstain * len(answerable))
    ceiling = answerable[allowed]  # abstaining strictly below this abstains on at most `allowed` answerable questions
    caught = [c for c in unanswerable if c < ceiling]
    if caught:
        last = max(caught)
        threshold = round((last + min(c for c in answerable if c > last)) / 2, 4)
    else:
        threshold = ceiling
    return {
        "threshold": threshold,
        "abstain_rate_unanswerable": _mean([c < threshold for c in unanswerable]),
        "abstain_rate_answerable": _mean([c < threshold for c in answerable]),
    }
