"""Checks of the eval set data itself (`evals/letters.jsonl`) against the real parser.

These do not run the engine: they make sure every gold passage id still exists
after parser changes and every expected answer still stands verbatim in it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import opencc
import pytest

from qa.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "evals" / "letters.jsonl"
UNANSWERABLE = {"unanswerable", "out_of_scope"}
TYPES = {"fact", "paraphrase", "why", "english", "traditional", "symbol"} | UNANSWERABLE
FIELDS = {"id", "question", "answers", "passage_id", "type"}
OPTIONAL = {"note"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    rows = []
    for number, line in enumerate(EVAL_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            pytest.fail(f"{EVAL_FILE.name}:{number}: not JSON ({error})")
    return rows


@pytest.fixture(scope="module")
def passages() -> dict:
    return {p.id: p for parsed in load_corpus(ROOT / "corpus") for p in parsed.passages}


def test_every_line_is_a_well_formed_record(records):
    for record in records:
        assert isinstance(record, dict), record
        missing = FIELDS - record.keys()
        extra = record.keys() - FIELDS - OPTIONAL
        assert not missing, f"{record.get('id')}: missing fields {missing}"
        assert not extra, f"{record.get('id')}: unknown fields {extra}"
        assert re.fullmatch(r"L\d{3,}", record["id"]), record["id"]
        assert isinstance(record["question"], str) and record["question"].strip(), record["id"]
        assert isinstance(record["answers"], list) and all(isinstance(a, str) and a.strip() for a in record["answers"]), record["id"]
        assert record["passage_id"] is None or isinstance(record["passage_id"], str), record["id"]
        assert record["type"] in TYPES, f"{record['id']}: unknown type {record['type']!r}"
        assert isinstance(record.get("note", ""), str), record["id"]


def test_ids_and_questions_are_unique(records):
    ids = Counter(r["id"] for r in records)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    questions = Counter(r["question"] for r in records)
    assert not [q for q, n in questions.items() if n > 1], "duplicate questions"


def test_size_and_type_coverage(records):
    assert len(records) >= 80
    types = Counter(r["type"] for r in records)
    assert set(types) == TYPES, f"missing types: {TYPES - set(types)}"
    assert types["unanswerable"] >= 30 and types["out_of_scope"] >= 25


def test_answer_model_training_questions_are_not_eval_questions(records):
    """The off-topic questions the answerability model is fitted on are not scored here."""
    training = ROOT / "scripts" / "data" / "offtopic_train.jsonl"
    trained = {json.loads(line)["question"] for line in training.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(trained) >= 50
    assert not trained & {r["question"] for r in records}


def test_answerable_questions_point_at_a_real_passage_containing_every_answer(records, passages):
    for record in records:
        if record["type"] in UNANSWERABLE:
            continue
        pid = record["passage_id"]
        assert pid is not None, f"{record['id']}: answerable question without passage_id"
        assert pid in passages, f"{record['id']}: passage {pid} not in the parsed corpus"
        assert record["answers"], f"{record['id']}: answerable question without answers"
        text = passages[pid].text
        for answer in record["answers"]:
            assert answer in text, f"{record['id']}: {answer!r} not verbatim in {pid}"


def test_unanswerable_questions_have_no_passage_and_no_answers(records):
    for record in records:
        if record["type"] in UNANSWERABLE:
            assert record["passage_id"] is None, record["id"]
            assert record["answers"] == [], record["id"]
        else:
            assert record["passage_id"] is not None, record["id"]


def test_every_letter_in_the_set_has_at_least_ten_questions(records):
    per_letter = Counter(r["passage_id"].split("/")[0] for r in records if r["passage_id"])
    assert per_letter and all(n >= 10 for n in per_letter.values()), per_letter


def test_language_variants_are_what_their_type_says(records):
    to_simplified = opencc.OpenCC("t2s")
    for record in records:
        question = record["question"]
        if record["type"] == "traditional":
            assert to_simplified.convert(question) != question, f"{record['id']}: not in traditional characters"
        elif record["type"] == "english":
            assert re.search(r"[A-Za-z]{3,}", question) and not re.search(r"[\u4e00-\u9fff]", question), record["id"]


def test_the_held_out_abstention_questions_stand_apart_and_point_at_real_passages(records, passages):
    """scripts/data/heldout_abstain.jsonl: never scored by default nor fitted on, so no eval or training question."""
    held_out = [json.loads(line) for line in (ROOT / "scripts" / "data" / "heldout_abstain.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    training = ROOT / "scripts" / "data" / "offtopic_train.jsonl"
    trained = {json.loads(line)["question"] for line in training.read_text(encoding="utf-8").splitlines() if line.strip()}
    questions = {r["question"] for r in held_out}
    assert len(questions) == len(held_out) >= 40
    assert not questions & ({r["question"] for r in records} | trained)
    for record in held_out:
        assert set(record) <= FIELDS | OPTIONAL and record["type"] in TYPES, record["id"]
        if record["type"] in UNANSWERABLE:
            assert record["passage_id"] is None and record["answers"] == [], record["id"]
            continue
        assert record["answers"] and all(answer in passages[record["passage_id"]].text for answer in record["answers"]), record["id"]
