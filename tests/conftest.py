"""Shared fixtures: the real corpus, parsed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.corpus import load_corpus

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
