"""Benchmark on SQuAD-format sets (CMRC 2018, DRCD, DuReader style).

All contexts become passages of a temporary in-memory index (never `index/`),
split into paragraphs the way letters are; every question is asked and
scored by answer containment.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .documents import Passage
from .engine import Engine, QuestionError, check_question
from .evaluate import answer_contains
from .textclean import clean

UNDATED = dt.date.min  # SQuAD contexts carry no date


class SquadFormatError(ValueError):
    """The file is not SQuAD-format JSON; the message names the file."""


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    answers: tuple[str, ...]


def load_squad(path: Path, limit: int | None = None) -> tuple[list[Passage], list[SquadQuestion]]:
    """Passages from the contexts and the questions (the first `limit` only,
    with just the articles they come from, for a quick run)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = data["data"]
        if not isinstance(articles, list):
            raise TypeError("'data' is not a list")
    except OSError as error:
        raise SquadFormatError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise SquadFormatError(f"{path}: not a SQuAD-format JSON file ({type(error).__name__}: {error})") from None
    passages: list[Passage] = []
    questions: list[SquadQuestion] = []
    try:
        for a, article in enumerate(articles):
            if limit is not None and len(questions) >= limit:
                break
            title = str(article.get("title") or f"article {a}")
            for c, paragraph in enumerate(article["paragraphs"]):
                passages.extend(_context_passages(paragraph["context"], title, f"{a:04d}-{c:03d}"))
                for qa in paragraph["qas"]:
                    questions.append(SquadQuestion(str(qa["id"]), qa["question"], tuple(x["text"] for x in qa.get("answers", []))))
    except (KeyError, TypeError, AttributeError) as error:
        raise SquadFormatError(f"{path}: not a SQuAD-format JSON file (missing {error})") from None
    if not questions:
        raise SquadFormatError(f"{path}: holds no questions")
    return passages, questions[:limit] if limit is not None else questions


def _context_passages(context: str, title: str, source: str) -> list[Passage]:
    lines = [clean(line) for line in context.splitlines()]
    return [
        Passage(source=source, letter_title=title, date=UNDATED, part="annex", section=(), label=f"p{n}", kind="paragraph", text=line)
        for n, line in enumerate((line for line in lines if line), start=1)
    ]


def _predict(engine: Engine, item: SquadQuestion) -> tuple[dict, float | None]:
    """One question's prediction row, and the seconds it took (None if refused)."""
    began = time.perf_counter()
    try:
        question = check_question(item.question)
    except QuestionError:  # e.g. an empty question in the set: counted as unanswered
        return {"id": item.id, "answer": "", "abstained": True, "passages": []}, None
    response = engine.ask_encoded(question, engine.encode_question(question), k=1, related=20)
    seconds = time.perf_counter() - began
    # The top span is scored even where the engine would abstain (every
    # SQuAD question is answerable); the abstention rate is reported apart.
    answer = response.answers[0].text if response.answers else ""
    return {"id": item.id, "answer": answer, "abstained": response.abstained, "passages": [h.passage.text for h in response.related]}, seconds


def run_squad_bench(engine: Engine, questions: list[SquadQuestion], *, progress: Callable[[int], None] | None = None) -> tuple[dict, list[dict]]:
    """Ask every question (one at a time, as a user would) and score it."""
    predictions = []
    latencies = []
    top = {1: 0, 5: 0, 20: 0}
    hits = 0
    lengths = []
    for n, item in enumerate(questions, start=1):
        prediction, seconds = _predict(engine, item)
        predictions.append(prediction)
        if seconds is not None:
            latencies.append(seconds)
        for k in top:
            top[k] += any(answer_contains(t, item.answers) for t in prediction["passages"][:k])
        answer = prediction["answer"]
        hits += bool(answer) and answer_contains(answer, item.answers)
        if answer:
            lengths.append(len(answer))
        if progress:
            progress(n)
    total = len(questions)
    report = {
        "questions": total,
        "passages": len(engine.passages),
        "top1_containment": round(top[1] / total, 4),
        "top5_containment": round(top[5] / total, 4),
        "top20_containment": round(top[20] / total, 4),
        "answer_hit@1": round(hits / total, 4),
        "abstain_rate": round(sum(p["abstained"] for p in predictions) / total, 4),
        "mean_answer_chars": round(statistics.fmean(lengths), 1) if lengths else 0.0,
        "latency_ms_p50": round(1000 * statistics.median(latencies), 1),
        "latency_ms_p95": round(1000 * sorted(latencies)[max(0, int(0.95 * total) - 1)], 1),
    }
    return report, predictions
