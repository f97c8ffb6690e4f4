"""A corpus folder never fails as a whole, and what it holds is checked: truncated letters,
duplicates, links out of the folder (issue 10, item 8; issue 11, item 4)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from qa.cli import main
from qa.corpus import corpus_hash, letter_files, load_corpus, read_corpus

from .conftest import CORPUS, RETREAT
from .letter_forms import write_form


@pytest.fixture
def folder(tmp_path):
    """A copy of the five letters."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in CORPUS.glob("*.txt"):
        shutil.copy(path, corpus)
    return corpus


def skipped(loaded):
    return {item.name: item.reason for item in loaded.skipped}


def test_a_folder_with_bad_files_loads_the_others(folder):
    (folder / "zz_broken.txt").write_bytes(b"\xff\xfe\x00")
    (folder / "zz_scan.pdf").write_bytes(b"%PDF-1.7 not a pdf")
    (folder / "zz_notes.txt").write_text("只是一段话。", encoding="utf-8")
    loaded = read_corpus(folder)
    assert len(loaded.letters) == 5
    assert set(skipped(loaded)) == {"zz_broken.txt", "zz_scan.pdf", "zz_notes.txt"}
    assert "no title line" in skipped(loaded)["zz_notes.txt"]
    assert len(load_corpus(folder)) == 5  # what the engine uses: the letters that load


def test_qa_corpus_lists_skipped_files_and_exits_0(folder, capsys):
    (folder / "zz_broken.txt").write_bytes(b"\xff\xfe\x00")
    assert main(["--corpus", str(folder), "corpus", "--json"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert len(rows) == 5 and all(row["symbol"] is None and row["format"] == "txt" for row in rows)
    assert "skipped zz_broken.txt" in captured.err and "Traceback" not in captured.err


def test_a_folder_where_nothing_loads_is_one_error(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("只是一段话。", encoding="utf-8")
    assert main(["--corpus", str(tmp_path), "corpus"]) == 1
    assert "no letter could be loaded" in capsys.readouterr().err


def test_pdf_and_word_letters_are_listed_with_format_and_symbol(tmp_path, capsys):
    write_form(CORPUS / RETREAT, "pdf", tmp_path)
    write_form(CORPUS / "003_f8451f1751e71b7b.txt", "docx", tmp_path)
    assert main(["--corpus", str(tmp_path), "corpus", "--json"]) == 0
    rows = {row["source"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["000_bcf0f639adb97a43.pdf"]["format"] == "pdf" and rows["000_bcf0f639adb97a43.pdf"]["symbol"].startswith("S/2020/")
    assert rows["003_f8451f1751e71b7b.docx"]["format"] == "docx" and rows["003_f8451f1751e71b7b.docx"]["passages"] == 26


def test_a_truncated_letter_is_reported(folder):
    head = (CORPUS / RETREAT).read_bytes()[:300]
    (folder / "zz_truncated.txt").write_bytes(head.decode("utf-8", "ignore").encode("utf-8"))
    loaded = read_corpus(folder)
    warned = {item.name: item.reason for item in loaded.warnings}
    assert "implausibly short" in warned["zz_truncated.txt"]
    assert set(warned) == {"zz_truncated.txt"}  # the real letters are not


def test_an_exact_duplicate_is_skipped_naming_both_files(folder):
    shutil.copy(folder / RETREAT, folder / "zz_copy.txt")
    loaded = read_corpus(folder)
    assert [p.letter.source for p in loaded.letters].count("zz_copy.txt") == 0
    assert skipped(loaded)["zz_copy.txt"] == f"an exact duplicate of {RETREAT}; skipped"


def test_the_same_letter_in_another_format_is_a_duplicate(folder):
    write_form(CORPUS / RETREAT, "crlf", folder / "elsewhere")
    shutil.move(folder / "elsewhere" / RETREAT, folder / "zz_crlf.txt")
    assert "duplicate of " + RETREAT in skipped(read_corpus(folder))["zz_crlf.txt"]


def test_links_out_of_the_folder_are_refused_and_dangling_ones_reported(folder, tmp_path):
    outside = tmp_path / "outside.txt"
    shutil.copy(CORPUS / RETREAT, outside)
    os.symlink(outside, folder / "zz_out.txt")
    os.symlink(tmp_path / "gone.txt", folder / "zz_dangling.txt")
    os.symlink(folder / RETREAT, folder / "zz_inside.txt")  # inside: read (and a duplicate)
    loaded = read_corpus(folder)
    reasons = skipped(loaded)
    assert "outside the corpus folder" in reasons["zz_out.txt"]
    assert "does not exist" in reasons["zz_dangling.txt"]
    assert "duplicate" in reasons["zz_inside.txt"]
    assert {p.name for p in letter_files(folder)} == {p.name for p in CORPUS.glob("*.txt")} | {"zz_inside.txt"}
    corpus_hash(letter_files(folder))  # the index's hash never reads outside or follows a dangling link


def test_show_without_label_prints_every_passage_in_order(capsys, letters):
    assert main(["show", "000", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    passages = letters[RETREAT].passages
    assert [r["id"] for r in rows] == [p.id for p in passages]
    assert [(r["part"], r["label"], tuple(r["section"]), r["text"], r["citation"]) for r in rows] == [
        (p.part, p.label, p.section, p.text, p.citation) for p in passages
    ]


def test_the_corpus_hash_changes_with_the_parser_version(monkeypatch):
    # An index built by a parser that gave other passages must not be trusted as current.
    import qa.corpus

    files = letter_files(CORPUS)
    before = corpus_hash(files)
    monkeypatch.setattr(qa.corpus, "PARSER_VERSION", qa.corpus.PARSER_VERSION + 1)
    assert corpus_hash(files) != before
