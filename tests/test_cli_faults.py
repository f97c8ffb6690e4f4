"""Faults through the CLI's other doors: an eval file with bad lines is scored without them,
a report's folder that does not exist is refused before the work, a question of punctuation
only is refused, and any error at all (one qa did not foresee included) is one line."""

from __future__ import annotations

import json

import pytest

from qa import cli
from qa.cli import main
from qa.evaluate import read_eval_set
from qa.questions import NoWords, check_question

GOOD = [
    {"id": "G1", "question": "执笔方制度有哪些问题？", "answers": ["执笔方"], "passage_id": None},
    {"id": "G2", "question": "安理会在2023年派出了几支实地访问团？", "answers": [], "passage_id": None, "type": "unanswerable"},
]
BAD = [
    ('{"id": "B1", "question": "断了的一行', "not valid JSON"),
    ('{"id": "B2", "answers": ["x"], "passage_id": null}', "no 'question' field"),
    ('{"id": "B3", "question": 123, "answers": [], "passage_id": null}', "'question' is a number, not text"),
    ('{"id": "B4", "question": "金斯敦在哪里？", "answers": "金斯敦", "passage_id": null}', "'answers' is text, not a list of texts"),
    ('{"id": "B5", "question": "   ", "answers": [], "passage_id": null}', "the question is empty"),
    ('["G3", "问题"]', "a list, not an object"),
    ('{"id": "G1", "question": "又一个问题？", "answers": [], "passage_id": null}', "the id 'G1' is used by an earlier line"),
]


@pytest.fixture
def eval_file(tmp_path):
    """Two good records, then one bad line of each kind, then a line that is not UTF-8."""
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(record, ensure_ascii=False).encode() for record in GOOD] + [line.encode() for line, _ in BAD] + [b'{"id": "B8", "question": "\xff\xfe"}']
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_an_eval_file_keeps_its_good_records_and_names_each_bad_line(eval_file):
    loaded = read_eval_set(eval_file)
    assert [item.id for item in loaded.items] == ["G1", "G2"]
    assert len(loaded.problems) == len(BAD) + 1
    for number, (problem, (_, reason)) in enumerate(zip(loaded.problems, BAD), start=3):
        assert problem.startswith(f"{eval_file}:{number}: ") and reason in problem and problem.endswith("; skipped"), problem
    assert loaded.problems[-1] == f"{eval_file}:{len(BAD) + 3}: not UTF-8 text; skipped"


def test_qa_eval_scores_the_good_lines_and_reports_the_bad_ones(engine, settings, monkeypatch, eval_file, capsys):
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(settings.corpus_dir))
    report = eval_file.parent / "report.json"
    assert main(["eval", str(eval_file), "--json", str(report)]) == 1, "some lines were skipped"
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith(f"qa: {eval_file}:")] == [f"qa: {problem}" for problem in read_eval_set(eval_file).problems]
    assert f"qa: {len(BAD) + 1} eval lines skipped; 2 questions scored" in err
    assert [row["id"] for row in json.loads(report.read_text(encoding="utf-8"))["rows"]] == ["G1", "G2"]
    assert "questions                    2" in out


def test_a_report_whose_folder_does_not_exist_is_refused_before_any_work(eval_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_engine", lambda *a, **k: pytest.fail("the engine was opened"))
    with pytest.raises(SystemExit) as exit:
        main(["eval", str(eval_file), "--json", str(tmp_path / "missing" / "report.json")])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == f"qa eval: argument --json: the folder of {tmp_path / 'missing' / 'report.json'} does not exist (see 'qa eval --help')"


@pytest.mark.parametrize("question", ["？！。，", "...", "😀😀😀", "— · —"])
def test_a_question_of_punctuation_or_symbols_only_is_refused(question, capsys):
    with pytest.raises(NoWords):
        check_question(question)
    assert main(["ask", "--json", question]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {"question": question, "error": "the question has no words, only punctuation or symbols"}


@pytest.mark.parametrize("question", ["第13段？", "S/2017/507", "2020", "Who?"])
def test_a_question_with_a_word_or_a_number_is_asked(question):
    assert check_question(question) == question


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (KeyError("passage_id"), "qa: unexpected error (KeyError: 'passage_id'); this is a bug in qa"),
        (RuntimeError("Error in faiss::FileIOWriter\nfwrite failed"), "qa: unexpected error (RuntimeError: Error in faiss::FileIOWriter fwrite failed); this is a bug in qa"),
        (PermissionError(13, "Permission denied", "/srv/corpus/a.txt"), "qa: /srv/corpus/a.txt: Permission denied"),
        (OSError(28, "No space left on device", "/srv/index/letters/a.npz"), "qa: /srv/index/letters/a.npz: No space left on device (the disk is full)"),
    ],
)
def test_any_error_is_one_line_without_a_traceback(monkeypatch, capsys, error, line):
    def fail(corpus_dir):
        raise error

    monkeypatch.setattr(cli, "read_corpus", fail)
    assert main(["corpus"]) == 1
    assert capsys.readouterr().err == line + "\n"
