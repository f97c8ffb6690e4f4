"""A start does not read an unchanged corpus again to hash it: each letter's checksum is kept
with its size, modification time and inode (index/corpus-verified.json); a letter rewritten,
replaced or touched since is read and hashed again."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from qa import checksums, corpus
from qa.corpus import corpus_hash, corpus_stamps
from qa.engine import Engine
from qa.store import CORPUS_STAMPS

from .conftest import CORPUS

HOUR_AGO = time.time() - 3600


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """The files hashed (read whole) from now on."""
    read: list[Path] = []
    original = checksums.file_sha256
    for module in (checksums, corpus):
        monkeypatch.setattr(module, "file_sha256", lambda path: read.append(Path(path)) or original(path))
    return read


def settled_letters(folder: Path, count: int = 4) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"letter-{i}.txt"
        path.write_text(f"第{i}封信的正文。" * 50, encoding="utf-8")
        os.utime(path, (HOUR_AGO, HOUR_AGO))  # older than a clock tick: stamped
        paths.append(path)
    return paths


def test_an_unchanged_corpus_is_not_read_again_and_a_changed_letter_is(tmp_path, reads):
    letters = settled_letters(tmp_path / "corpus")
    record = tmp_path / "index" / CORPUS_STAMPS
    record.parent.mkdir()
    first = corpus_hash(letters, stamps := corpus_stamps(record))
    stamps.save()
    assert first == corpus_hash(letters) and len(reads) == 8  # read once with stamps (stamped), once without
    reads.clear()
    assert corpus_hash(letters, corpus_stamps(record)) == first and reads == []

    letters[1].write_text("另一封信。" * 50, encoding="utf-8")  # rewritten in place
    os.utime(letters[1], (HOUR_AGO + 1, HOUR_AGO + 1))
    replacement = tmp_path / "new.txt"  # same bytes, same size and time, another file
    shutil.copy2(letters[2], replacement)
    os.replace(replacement, letters[2])
    changed = corpus_hash(letters, stamps := corpus_stamps(record))
    stamps.save()
    assert changed != first and changed == corpus_hash(letters[:1] + letters[1:])
    assert sorted(reads[:2]) == sorted(p.absolute() for p in letters[1:3])
    reads.clear()
    assert corpus_hash(letters, corpus_stamps(record)) == changed and reads == []


def test_a_start_reads_no_letter_of_an_unchanged_corpus(engine, settings, tmp_path, reads):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    library = replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    for path in library.corpus_dir.iterdir():
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    letters = sorted(p.absolute() for p in library.corpus_dir.iterdir())

    def letters_read() -> list[Path]:
        return sorted(p.absolute() for p in reads if p.absolute().parent == library.corpus_dir.absolute())

    Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert letters_read() == letters and (library.index_dir / CORPUS_STAMPS).is_file()
    reads.clear()
    Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert letters_read() == []
    os.utime(letters[0])  # touched: read again (and the index is still fresh: same bytes)
    Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert letters_read() == letters[:1]
