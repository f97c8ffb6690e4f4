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


@dataclass(frozen=True)
class EvalLoad:
    items: tuple[EvalItem, ...]
    problems: tuple[str, ...] = ()  # one line each: the file and line skipped, and why


def read_eval_set(path: Path) -> EvalLoad:
    """The records of one eval file that can be asked; a line that cannot (not JSON, a field
    missing or of the wrong type, a question that cannot be asked, an id used before) is left
    out and named in `problems`, and the rest are read. A file that cannot be read is one
    problem."""
    from .questions import QuestionError, check_question

    try:
        data = path.read_bytes()
    except OSError as error:
        return EvalLoad((), (f"{path}: cannot be read ({error.strerror or error})",))
    items: list[EvalItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            if not line.strip():
                continue
            item = _eval_item(json.loads(line))
            check_question(item.question)
            if item.id in seen:
                raise ValueError(f"the id {item.id!r} is used by an earlier line")
        except UnicodeDecodeError:
            problems.append(f"{path}:{number}: not UTF-8 text; skipped")
        except json.JSONDecodeError as error:
            problems.append(f"{path}:{number}: not valid JSON ({error.msg}, column {error.colno}); skipped")
        except (QuestionError, ValueError) as error:
            problems.append(f"{path}:{number}: {error}; skipped")
        else:
            seen.add(item.id)
            items.append(item)
    return EvalLoad(tuple(items), tuple(problems))


def load_eval_set(path: Path) -> list[EvalItem]:
    """Every record of one eval file; EvalSetError names the first line that is not one."""
    loaded = read_eval_set(path)
    if loaded.problems:
        raise EvalSetError(loaded.problems[0])
    return list(loaded.items)


def _eval_item(record: object) -> EvalItem:
    """One eval record, its fields checked (ValueError says which is wrong)."""
    if not isinstance(record, dict):
        raise ValueError(f"{_kind(record)}, not an object with id, question, answers, passage_id")
    for name in ("id", "question"):
        if name not in record:
            raise ValueError(f"no {name!r} field")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise ValueError(f"'id' is {_kind(record['id'])}, not text or a number")
    expected = {"question": "text", "answers": "a list of texts", "passage_id": "text or null", "type": "text"}
    answers = record.get("answers") or []
    problems = [
        name
        for name, good in (
            ("question", isinstance(record["question"], str)),
            ("answers", isinstance(answers, list) and all(isinstance(a, str) for a in answers)),
            ("passage_id", record.get("passage_id") is None or isinstance(record["passage_id"], str)),
            ("type", isinstance(record.get("type", "fact"), str)),
        )
        if not good
    ]
    if problems:
        raise ValueError(f"{problems[0]!r} is {_kind(record.get(problems[0]))}, not {expected[problems[0]]}")
    return EvalItem(str(record["id"]), record["question"], tuple(answers), record.get("passage_id"), record.get("type", "fact"))


def _kind(value: object) -> str:
    name = {"str": "text", "int": "a number", "float": "a number", "bool": "true/false", "list": "a list", "dict": "an object"}.get(type(value).__name__, type(value).__name__)
    return "null" if value is None else name


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
