"""Shared fixtures: the real corpus, parsed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import Settings
from qa.corpus import load_corpus
from qa.engine import Engine
from qa.store import IndexIdentity

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
RETREAT = "000_bcf0f639adb97a43.txt"
ASSESSMENT = "004_16b675922abb74e1.txt"


@pytest.fixture(scope="session")
def letters():
    return {parsed.letter.source: parsed for parsed in load_corpus(CORPUS)}


@pytest.fixture(scope="session")
def all_passages(letters):
    return [p for parsed in letters.values() for p in parsed.passages]


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """The real corpus with an index of this test session's own (never index/)."""
    return Settings.from_env(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("engine") / "index")


@pytest.fixture(scope="session")
def engine(settings):
    """The engine over the real letters, built once with the real model."""
    return Engine.open(settings, rebuild="always")


@pytest.fixture(scope="session")
def identity(engine, settings):
    from qa.corpus import corpus_hash, letter_files

    return IndexIdentity(engine.embedder.model_id, corpus_hash(letter_files(settings.corpus_dir)), engine.tokenizer.settings)
