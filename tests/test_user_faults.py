"""What a user may do to the corpus or index folder: thousands of files that are no letters, a
symbolic link that loops, a file far too large to be a letter, a file deleted while the folder
is read, an index written by a newer qa. Each gives one line naming what is wrong, the rest goes
on, and nothing qa did not make is changed."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace

import pytest

from qa import corpus
from qa.admin import add_letters
from qa.config import Settings
from qa.corpus import read_corpus
from qa.engine import Engine
from qa.readers import LARGEST_MB
from qa.store import FORMAT_VERSION, IndexLocationError, current_generation

from .conftest import CORPUS, RETREAT


@pytest.fixture
def folder(tmp_path):
    """A corpus folder holding two of the shipped letters."""
    path = tmp_path / "corpus"
    path.mkdir()
    for name in sorted(p.name for p in CORPUS.glob("*.txt"))[:2]:
        shutil.copy(CORPUS / name, path / name)
    return path


def test_a_symbolic_link_that_loops_is_skipped_and_the_letters_load(folder):
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "self.pdf").symlink_to("self.pdf")
    loaded = read_corpus(folder)
    assert len(loaded.letters) == 2
    assert {str(item) for item in loaded.skipped} == {f"{name}: a link that loops back on itself (it leads to no file); refused" for name in ("a.txt", "b.txt", "self.pdf")}


def test_thousands_of_files_that_are_no_letters_are_reported_in_one_line(folder):
    for i in range(2000):
        (folder / f"IMG_{i:04d}.jpg").write_bytes(b"\xff\xd8\xff")
    for i in range(30):
        (folder / f"data_{i}.json").write_text("{}")
    loaded = read_corpus(folder)
    assert len(loaded.letters) == 2
    assert [str(item) for item in loaded.skipped] == ["2,030 files (2,000 .jpg, 30 .json): not a format qa reads (.docx, .md, .pdf, .txt)"]


def test_a_few_files_of_other_formats_are_each_named(folder):
    (folder / "notes.odt").write_bytes(b"PK")
    assert [str(item) for item in read_corpus(folder).skipped] == ["notes.odt: not a format qa reads (.docx, .md, .pdf, .txt)"]


@pytest.mark.parametrize("name", ["huge.txt", "huge.pdf", "huge.docx"])
def test_a_file_far_too_large_to_be_a_letter_is_refused_unread(folder, name):
    path = folder / name
    with open(path, "wb") as out:  # sparse: its size without writing it
        out.truncate((LARGEST_MB[name.rsplit(".", 1)[1]] + 1) * 2**20)
    loaded = read_corpus(folder)
    assert len(loaded.letters) == 2
    (skipped,) = loaded.skipped
    assert skipped.name == name and skipped.reason.startswith(f"{LARGEST_MB[path.suffix[1:]] + 1} MB, too large to be a letter")
    assert path.stat().st_size == (LARGEST_MB[path.suffix[1:]] + 1) * 2**20  # left as it was


def test_a_file_deleted_between_listing_and_reading_is_skipped(folder, monkeypatch):
    gone = folder / "gone.txt"
    shutil.copy(CORPUS / RETREAT, gone)
    listing = corpus._scan

    def listed_then_deleted(corpus_dir):
        found = listing(corpus_dir)
        gone.unlink()
        return found

    monkeypatch.setattr(corpus, "_scan", listed_then_deleted)
    loaded = read_corpus(folder)
    assert len(loaded.letters) == 2
    assert [item.name for item in loaded.skipped] == ["gone.txt"] and "cannot be read" in loaded.skipped[0].reason


def test_an_index_written_by_a_newer_qa_is_left_as_it_is(engine, settings, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    manifest_path = current_generation(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format_version": FORMAT_VERSION + 1}), encoding="utf-8")
    before = {path: path.read_bytes() for path in index.rglob("*") if path.is_file() and not path.name.endswith(".lock")}
    with pytest.raises(IndexLocationError, match=f"written by a newer qa \\(format {FORMAT_VERSION + 1}; this qa writes format {FORMAT_VERSION}\\)"):
        Engine.open(replace(settings, index_dir=index), embedder=engine.embedder)
    assert {path: path.read_bytes() for path in index.rglob("*") if path.is_file() and not path.name.endswith(".lock")} == before
    assert os.path.isdir(current_generation(index))


def test_an_add_of_a_folder_names_a_looping_link_and_counts_what_is_no_letter(folder, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a.txt").symlink_to("b.txt")
    (incoming / "b.txt").symlink_to("a.txt")
    for i in range(40):
        (incoming / f"scan_{i}.png").write_bytes(b"\x89PNG")
    settings = Settings.from_env(corpus_dir=folder, index_dir=tmp_path / "index")
    result = add_letters(settings, [incoming])
    assert result.added == [] and result.refused == [
        f"{incoming}: 40 files (40 .png): not a format qa reads (.docx, .md, .pdf, .txt)",
        *(f"{incoming / name}: a link that loops back on itself (it leads to no file); refused" for name in ("a.txt", "b.txt")),
    ]
    assert sorted(path.name for path in folder.iterdir()) == sorted(p.name for p in CORPUS.glob("*.txt"))[:2]
