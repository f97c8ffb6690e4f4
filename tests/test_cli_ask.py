"""The `qa ask`, `qa eval` and `qa bench squad` contracts, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qa.cli import main

from .conftest import ROOT

CMRC = ROOT.parent / "shared" / "benchmarks" / "cmrc2018" / "cmrc2018_trial.json"
ANSWER_KEYS = {"text": str, "score": float, "source": str, "letter": str, "symbol": (str, type(None)), "date": str, "paragraph": str, "citation": str, "passage_id": str, "passage": str, "start": int, "end": int, "short": (str, type(None)), "short_start": (int, type(None)), "short_end": (int, type(None))}


@pytest.fixture
def with_index(engine, settings, monkeypatch):
    """Point the CLI at the session's already-built index."""
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(settings.corpus_dir))


def check_contract(record: dict, question: str) -> None:
    assert set(record) == {"question", "abstained", "message", "answers"}
    assert record["question"] == question and isinstance(record["abstained"], bool) and isinstance(record["message"], str)
    assert 1 <= len(record["answers"]) <= 5
    for answer in record["answers"]:
        assert set(answer) == set(ANSWER_KEYS)
        for key, kind in ANSWER_KEYS.items():
            assert isinstance(answer[key], kind), key
        assert answer["passage"][answer["start"] : answer["end"]] == answer["text"]
        if answer["short"] is not None:
            assert answer["passage"][answer["short_start"] : answer["short_end"]] == answer["short"]
            assert answer["start"] <= answer["short_start"] < answer["short_end"] <= answer["end"]
        assert len(answer["date"]) == 10 and answer["passage_id"].startswith(answer["source"].rsplit(".", 1)[0])


def test_ask_json_gives_one_line_per_question_in_order(with_index, capsys):
    questions = ["执笔方制度有哪些问题？", "比利时担任主席期间安理会举行了多少次公开会议？", "What is note S/2017/507 about?"]
    assert main(["ask", "--json", "-k", "3", *questions]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, question in zip(lines, questions):
        check_contract(json.loads(line), question)
    assert "26次公开会议" in json.loads(lines[1])["answers"][0]["text"]


def test_ask_reads_questions_from_stdin(settings):
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_CORPUS_DIR": str(settings.corpus_dir)}
    stdin = "安理会在2023年派出了几支实地访问团？\n\nPRST/2020/3号主席声明赞扬了什么？\n"
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "-"], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in records] == ["安理会在2023年派出了几支实地访问团？", "PRST/2020/3号主席声明赞扬了什么？"]
    for record in records:
        check_contract(record, record["question"])


@pytest.mark.parametrize("question", ["巴黎奥运会的开幕式在哪一天举行？", "Who won the 2018 World Cup?"])
def test_out_of_scope_question_abstains_with_related_reading(engine, question):
    response = engine.ask(question)
    assert response.abstained and response.message
    assert response.related, "related passages are still listed"


def test_english_question_gets_a_chinese_span(engine):
    response = engine.ask("Who briefed the Council on the situation in Haiti on 20 February 2020?")
    assert not response.abstained
    top = response.answers[0]
    assert top.passage.source.startswith("004") and any("\u4e00" <= ch <= "\u9fff" for ch in top.text)
    assert top.passage.text[top.start : top.end] == top.text


def test_answers_are_short_spans_not_whole_paragraphs(engine):
    for question in ["安理会在2020年2月通过了几项决议？", "金斯敦务虚会上成员们对新闻要点有什么看法？"]:
        for answer in engine.ask(question).answers:
            assert len(answer.text) <= 80 and len(answer.text) < len(answer.passage.text) or len(answer.passage.text) <= 80


@pytest.mark.parametrize(
    ("question", "signers"),
    [
        ("比利时常驻联合国代表是谁？", ["菲利普·克里德尔卡"]),
        ("谁签署了新西兰和瑞士的信？", ["帕斯卡尔·贝里斯韦尔", "克雷格·约翰·霍克"]),
        ("Who signed the letter from Belgium?", ["菲利普·克里德尔卡"]),
    ],
)
def test_who_signed_a_letter_is_answered_by_its_whole_signature_block(engine, question, signers):
    response = engine.ask(question)
    top = response.answers[0]
    assert not response.abstained and top.passage.kind == "signature"
    assert top.text == top.passage.text and all(name in top.text for name in signers)


@pytest.mark.parametrize(("question", "message"), [("", "empty"), ("问" * 10_000, "10000 characters")])
def test_bad_questions_are_clean_errors(capsys, question, message):
    assert main(["ask", question]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_eval_reports_the_named_metrics(with_index, tmp_path, capsys):
    subset = tmp_path / "small.jsonl"
    lines = (ROOT / "evals" / "letters.jsonl").read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[:8] + [l for l in lines if '"unanswerable"' in l][:2]) + "\n", encoding="utf-8")
    report_path = tmp_path / "report.json"
    assert main(["eval", str(subset), "--json", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["questions"] == 10 and report["unanswerable"] == 2
    for key in ("recall@1", "recall@5", "mrr", "answer_hit@1", "citation_accuracy", "abstain_rate_unanswerable", "abstain_rate_answerable", "mean_answer_chars"):
        assert 0 <= report[key] <= (1 if key != "mean_answer_chars" else 200), key
    assert "by_type" in report and "recall@5" in capsys.readouterr().out


@pytest.mark.skipif(not CMRC.exists(), reason="../shared/benchmarks is not beside the repository")
def test_bench_squad_on_a_slice(tmp_path, capsys):
    predictions = tmp_path / "predictions.jsonl"
    assert main(["bench", "squad", str(CMRC), "--limit", "12", "--predictions", str(predictions), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 12 and 0 <= report["answer_hit@1"] <= 1
    assert report["top1_containment"] <= report["top5_containment"] <= report["top20_containment"]
    rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12 and set(rows[0]) == {"id", "answer", "abstained", "passages"} and len(rows[0]["passages"]) <= 20


def test_bench_refuses_a_file_that_is_not_squad(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "items": []}', encoding="utf-8")
    assert main(["bench", "squad", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "not a SQuAD-format JSON file" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("near_miss", "answerable", "expected"),
    [
        # the letter assesses February 2020, not March
        ("2020年3月安理会举行了多少次公开会议？", "2020年2月安理会举行了多少次公开会议？", "26次公开会议"),
        # the retreat report names no journalists, and no count of them
        ("金斯敦务虚会有多少名记者参加？", "金斯敦务虚会是在哪一天开幕的？", "1月17日"),
    ],
)
def test_a_near_miss_abstains_where_its_twin_is_answered(engine, near_miss, answerable, expected):
    assert engine.ask(near_miss).abstained
    response = engine.ask(answerable)
    assert not response.abstained and expected in response.answers[0].text


def test_an_answer_record_carries_the_letters_symbol_and_citation(engine):
    """A letter whose cover gives its UN symbol is cited by it in `qa ask --json`; one
    without gives null and its title."""
    from dataclasses import replace

    from qa.cli import answer_record

    top = engine.ask("执笔方制度有哪些问题？").answers[0]
    plain = answer_record(top)
    assert plain["symbol"] is None and plain["citation"].startswith(top.passage.letter_title)
    cited = replace(top, passage=replace(top.passage, letter_symbol="S/2020/186"))
    record = answer_record(cited)
    assert record["symbol"] == "S/2020/186"
    assert record["citation"].startswith("S/2020/186 · ")
    assert record["passage"][record["start"] : record["end"]] == record["text"]
