"""A start takes the letters' metadata from the index: on an up-to-date index it parses no
letter, and after a change it parses only the letters that are new or changed."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from qa import corpus
from qa.admin import add_letters, remove_letter
from qa.corpus import load_corpus
from qa.engine import Engine

from .conftest import CORPUS, RETREAT
from .test_add import NEW, CountingEmbedder, make_letter

HOUR_AGO = time.time() - 3600


@pytest.fixture
def library(engine, settings, tmp_path):
    """A copy of the real corpus and of its index, settled (its letters' stamps kept)."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    for path in (tmp_path / "corpus").iterdir():
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The letters parsed from now on, by file name."""
    names: list[str] = []
    original = corpus.parse_document
    monkeypatch.setattr(corpus, "parse_document", lambda document, name: names.append(name) or original(document, name))
    return names


def test_a_start_on_an_up_to_date_index_parses_no_letter(engine, library, parsed):
    opened = Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert parsed == []
    assert opened.letters == tuple(letter.letter for letter in load_corpus(CORPUS))
    assert opened.contexts == engine.contexts
    question = "金斯敦务虚会讨论了什么？"
    assert [hit.passage.id for hit in opened.search(question, k=5)] == [hit.passage.id for hit in engine.search(question, k=5)]
    assert [(a.text, a.passage.id) for a in opened.ask(question).answers] == [(a.text, a.passage.id) for a in engine.ask(question).answers]


def test_a_changed_letter_alone_is_parsed_and_its_new_metadata_used(engine, library, parsed):
    path: Path = library.corpus_dir / RETREAT
    path.write_text(path.read_text(encoding="utf-8").replace("2020年3月3日", "2020年3月5日", 1), encoding="utf-8")
    opened = Engine.open(library, embedder=engine.embedder)
    assert parsed == [RETREAT]
    assert opened.letters == tuple(letter.letter for letter in load_corpus(library.corpus_dir))
    changed = next(letter for letter in opened.letters if letter.source == RETREAT)
    assert changed.date.day == 5 and changed.title.startswith("2020年3月5日")
    parsed.clear()
    again = Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert parsed == [] and again.letters == opened.letters


def test_a_removed_letter_leaves_the_list_without_any_parse(engine, library, parsed):
    (library.corpus_dir / RETREAT).unlink()
    opened = Engine.open(library, embedder=engine.embedder)
    assert parsed == []
    assert opened.letters == tuple(letter.letter for letter in load_corpus(library.corpus_dir))


def test_an_index_of_the_format_before_is_brought_up_to_date_without_encoding(engine, library, parsed):
    generation = library.index_dir / (library.index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 6  # as qa wrote it before the letters' metadata was kept
    for segment in manifest["segments"]:
        segment["letters"] = [{k: v for k, v in letter.items() if k not in ("letter", "content_sha256", "parser")} for letter in segment["letters"]]
    (generation / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    counting = CountingEmbedder(engine.embedder)
    opened = Engine.open(library, embedder=counting)
    assert counting.encoded == [] and len(parsed) == len(opened.letters) == 5
    assert opened.letters == engine.letters
    parsed.clear()
    assert Engine.open(library, rebuild="never", embedder=engine.embedder).letters == engine.letters and parsed == []


def test_an_add_parses_only_the_new_letter_and_still_refuses_a_twin(engine, library, parsed, tmp_path):
    new = make_letter(tmp_path / "incoming")
    twin = tmp_path / "incoming" / "900_twin.txt"
    shutil.copyfile(library.corpus_dir / RETREAT, twin)  # a corpus letter under another name
    result = add_letters(library, [new, twin], embedder=engine.embedder)
    assert result.added == [NEW] and result.refused == [f"{twin}: the same letter as {RETREAT} (the same passages under another name); not added"]
    assert set(parsed) == {NEW, twin.name}  # no letter the index holds is parsed
    parsed.clear()
    name, _ = remove_letter(library, NEW, embedder=engine.embedder)
    assert name == NEW and parsed == []
