"""Bad input through the real CLI: every failure is one line, and one bad question never sinks a batch."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from qa.cli import main
from qa.engine import MAX_QUESTION_CHARS

from .conftest import ROOT

GOOD = ("执笔方制度有哪些问题？", "安理会在2023年派出了几支实地访问团？", "比利时担任主席期间安理会举行了多少次公开会议？")


@pytest.fixture
def with_index(engine, settings, monkeypatch):
    """Point the CLI at the session's already-built index."""
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(settings.corpus_dir))


def _env(settings) -> dict[str, str]:
    return {**os.environ, "QA_INDEX_DIR": str(settings.index_dir), "QA_CORPUS_DIR": str(settings.corpus_dir)}


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def _one_line(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_undecodable_bytes_on_stdin_are_refused_by_name_and_the_rest_answered(engine, settings):
    stdin = b"\xff\xfe\xe5\xae\x89\xe7\x90\x86\xe4\xbc\x9a\xef\xbc\x9f\n" + GOOD[0].encode() + b"\n"  # \xff\xfe安理会？
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "-"], input=stdin, capture_output=True, cwd=ROOT, env=_env(settings), timeout=300)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    bad, good = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert bad == {"question": "\\xff\\xfe安理会？", "error": bad["error"]} and "not valid" in bad["error"]
    assert good["question"] == GOOD[0] and good["answers"] and "error" not in good
    _one_line(err)
    assert "question 1" in err and "\\xff\\xfe安理会？" in err


def test_one_over_long_line_in_a_batch_of_2000_leaves_1999_answered(with_index, monkeypatch, capsys):
    lines = [f"{GOOD[i % len(GOOD)]}（{i}）" for i in range(2000)]
    lines[1000] = "问" * (MAX_QUESTION_CHARS + 1)
    _stdin(monkeypatch, ("\n".join(lines) + "\n").encode())
    assert main(["ask", "--json", "-k", "1", "-"]) == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2000
    assert [r["question"] for r in records[:3]] == lines[:3] and records[-1]["question"] == lines[-1]
    bad = records[1000]
    assert set(bad) == {"question", "error"} and f"{MAX_QUESTION_CHARS + 1} characters" in bad["error"]
    answered = [r for r in records if "error" not in r]
    assert len(answered) == 1999 and all(len(r["answers"]) == 1 for r in answered)
    _one_line(err)
    assert "question 1001" in err


def test_search_batch_reports_a_bad_question_and_searches_the_rest(with_index, capsys):
    assert main(["search", "--json", "-k", "2", GOOD[0], "\u200b\u2060", GOOD[1]]) == 1
    out, err = capsys.readouterr()
    first, empty, third = [json.loads(line) for line in out.splitlines()]
    assert len(first["hits"]) == 2 and len(third["hits"]) == 2
    assert set(empty) == {"question", "error"} and "empty" in empty["error"]
    _one_line(err)


def test_a_reader_that_stops_early_ends_the_batch_quietly(engine, settings, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("\n".join(GOOD * 30) + "\n", encoding="utf-8")
    command = f"set -o pipefail; {sys.executable} -m qa ask --json - < {questions} | head -1"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, env=_env(settings), timeout=300)
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["question"] == GOOD[0]
    assert done.stderr == "", done.stderr


def test_a_model_cache_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("mine", encoding="utf-8")
    monkeypatch.setenv("QA_CACHE_DIR", str(not_a_folder))
    monkeypatch.setenv("QA_MODEL", "default")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    assert main(["ask", GOOD[0]]) == 1
    err = capsys.readouterr().err
    _one_line(err)
    assert str(not_a_folder) in err and "QA_CACHE_DIR" in err
    assert not_a_folder.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("k", ["2.5", "zwei", "0", "51"])
def test_k_must_be_a_whole_number_from_1_to_50(k, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["ask", "-k", k, GOOD[0]])
    assert exit.value.code == 2
    assert "k must be a whole number between 1 and 50" in capsys.readouterr().err


def test_a_reversed_date_range_is_refused_before_the_model_loads(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "never-built"))
    assert main(["ask", "--from", "2021-01-01", "--to", "2020-01-01", GOOD[0]]) == 1
    err = capsys.readouterr().err
    _one_line(err)
    assert "2021-01-01" in err and "2020-01-01" in err and "after" in err
    assert not (tmp_path / "never-built").exists()


def test_dates_that_leave_no_letter_are_refused(with_index, capsys):
    assert main(["ask", "--from", "2030-01-01", GOOD[0]]) == 1
    err = capsys.readouterr().err
    _one_line(err)
    assert "no letter" in err


def test_a_question_of_only_zero_width_characters_is_empty(capsys):
    assert main(["ask", "\u200b\u200c\u200d\u2060\ufeff\u00ad"]) == 1
    err = capsys.readouterr().err
    _one_line(err)
    assert "empty" in err
