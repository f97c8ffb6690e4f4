"""The index folder when things go wrong: a read-only file system, a disk that fills up while
a new generation is written, an index of an older format, QA_INDEX_DIR pointing at a file or
at someone's folder. Questions are still answered where they can be, nothing is deleted, and
what to do is said in one line."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from qa import checksums
from qa.engine import Engine
from qa.store import IndexWriter, StaleIndex, read_index

from .conftest import ROOT


def copied(settings, tmp_path: Path):
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return replace(settings, index_dir=tmp_path / "index")


def test_an_index_on_a_read_only_file_system_answers(engine, settings, identity, tmp_path, monkeypatch):
    library = copied(settings, tmp_path)
    (library.index_dir / "verified.json").unlink(missing_ok=True)
    for path in library.index_dir.rglob("*"):  # settled files: loading has their stamps to keep
        os.utime(path, (time.time() - 60, time.time() - 60))

    written = []

    def read_only(*args, **kwargs):
        written.append(args)
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(checksums.Path, "write_text", read_only)
    monkeypatch.setattr(checksums.Path, "unlink", read_only)  # a read-only mount refuses this too
    assert read_index(library.index_dir, identity).manifest["passage_count"] == len(engine.passages)
    assert written, "loading tried to keep the stamps"


def test_a_disk_that_fills_up_while_the_index_is_written_leaves_answers_from_memory(engine, settings, tmp_path, monkeypatch, caplog):
    library = copied(settings, tmp_path)
    generation = (library.index_dir / "CURRENT").read_text()
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    (corpus / sorted(p.name for p in corpus.iterdir())[-1]).unlink()  # the index is stale now
    library = replace(library, corpus_dir=corpus)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(IndexWriter, "update", disk_full)
    opened = Engine.open(library, embedder=engine.embedder)
    assert len(opened.letters) == 4 and opened.search("执笔方制度", 1)
    assert "the index could not be saved (No space left on device (the disk is full)); answering from an index built in memory" in caplog.text
    assert (library.index_dir / "CURRENT").read_text() == generation, "the index on disk is the one before"


def test_an_index_of_an_older_format_says_what_to_run(engine, settings, tmp_path):
    library = copied(settings, tmp_path)
    for path in library.index_dir.rglob("manifest.json"):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**manifest, "format_version": manifest["format_version"] - 1}), encoding="utf-8")
    with pytest.raises(StaleIndex, match=r"older than this qa's format .*; run 'qa index --if-stale' to bring it up to date$"):
        Engine.open(library, rebuild="never", embedder=engine.embedder)


@pytest.mark.parametrize("kind", ["file", "folder of user files"])
def test_an_index_folder_that_is_not_qas_is_refused_in_one_line_and_left_alone(settings, tmp_path, kind):
    target = tmp_path / "notes"
    if kind == "file":
        target.write_text("my notes\n", encoding="utf-8")
    else:
        target.mkdir()
        (target / "thesis.txt").write_text("my thesis\n", encoding="utf-8")
    before = sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*"))
    env = {**os.environ, "QA_INDEX_DIR": str(target), "QA_CORPUS_DIR": str(settings.corpus_dir), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "执笔方制度有哪些问题？"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"qa: {target} is ") and "QA_INDEX_DIR" in done.stderr, done.stderr
    assert sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*")) == before
