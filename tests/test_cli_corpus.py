"""`qa corpus` and `qa show` through the real entry point."""

from __future__ import annotations

import json

from qa.cli import main


def test_corpus_lists_every_letter_as_json(capsys, letters):
    assert main(["corpus", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["source"] for r in rows] == sorted(letters)
    assert {r["date"] for r in rows} == {"2020-03-03", "2023-08-28", "2021-02-08", "2024-03-01", "2020-11-09"}
    assert all(r["passages"] == len(letters[r["source"]].passages) for r in rows)


def test_show_prints_citation_and_text(capsys):
    assert main(["show", "000", "13"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2020年3月3日科威特和圣文森特和格林纳丁斯常驻联合国代表给安全理事会主席的信 · 附件 · 第13段")
    assert "新闻要点" in out


def test_show_accepts_part_for_ordinal_labels(capsys):
    assert main(["show", "--json", "004_16b675922abb74e1.txt", "letter/p1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["passage_id"] == "004_16b675922abb74e1/letter/p1" and record["text"].startswith("谨随函转递")


def test_show_errors_are_messages_not_tracebacks(capsys):
    assert main(["show", "999", "1"]) == 1
    assert main(["show", "000", "99"]) == 1
    assert main(["show", "001", "p1"]) == 1
    err = capsys.readouterr().err
    assert "no letter matches '999'" in err and "no paragraph '99'" in err and "several parts" in err
    assert "Traceback" not in err


def test_missing_corpus_folder_is_a_message(capsys, tmp_path):
    assert main(["--corpus", str(tmp_path / "nowhere"), "corpus"]) == 1
    assert "corpus folder not found" in capsys.readouterr().err
