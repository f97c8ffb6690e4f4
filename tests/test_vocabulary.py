"""The BM25 vocabulary is memory-mapped, not held in Python objects: opening a segment's
postings reads no term; and an index of format 7 (terms.json) is upgraded in place, its
vocabularies alone written again, with the same BM25 scores and no letter encoded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from qa import checksums, store
from qa.checksums import file_sha256
from qa.engine import Engine
from qa.postings import VOCABULARY_FILES, Postings
from qa.upgrade import TERMS_JSON

from .conftest import CORPUS, ROOT
from .test_add import CountingEmbedder
from .test_segments import QUESTIONS
from .test_start_metadata import HOUR_AGO

MEASURE = """
import json, sys
from pathlib import Path
from qa.postings import Postings

def anonymous_mb():  # what the process holds itself (memory-mapped pages are the page cache's)
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["RssAnon"].split()[0]) / 1024

before = anonymous_mb()
postings = Postings.load(Path(sys.argv[1]))
found = [postings.postings(term) for term in json.loads(sys.argv[2])]
print(json.dumps({"growth_mb": anonymous_mb() - before, "found": [None if hit is None else [hit[0].tolist(), hit[1].tolist()] for hit in found]}))
"""


def test_opening_a_segments_postings_holds_no_term_in_memory(tmp_path):
    """400,000 distinct terms (a derived 1M index has 1.1M a segment): format 7 parsed them into
    a list and a dict at every open (about 60 MB here); the trie is mapped, not read."""
    count = 400_000
    tokens = [[f"词{i}", f"名{i % 1000}", f"名{i % 1000}"] for i in range(count)]
    Postings.build(tokens).save(tmp_path)
    asked = ["词0", "词399999", "名7", "未见过的词"]
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), json.dumps(asked, ensure_ascii=False)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["found"] == [[[0], [1.0]], [[399999], [1.0]], [list(range(7, count, 1000)), [2.0] * 400], None]
    assert measured["growth_mb"] < 8, f"opening the postings of {count:,} terms grew the process by {measured['growth_mb']:.1f} MB"


@pytest.fixture
def library(engine, settings, tmp_path):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def as_format_7(index_dir) -> dict:
    """Rewrite the current generation as format 7 wrote it: each segment's vocabulary a
    terms.json of its terms in row order. The segments' other files: path -> inode."""
    generation = store.current_generation(index_dir)
    manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    inodes = {}
    for record in manifest["segments"]:
        folder = index_dir / "segments" / record["name"]
        terms = sorted(Postings.load(folder).terms(), key=lambda pair: pair[1])
        assert [row for _, row in terms] == list(range(len(terms)))
        (folder / TERMS_JSON).write_text(json.dumps([term for term, _ in terms], ensure_ascii=False), encoding="utf-8")
        for name in VOCABULARY_FILES:
            (folder / name).unlink()
            del record["files"][name]
        record["files"][TERMS_JSON] = file_sha256(folder / TERMS_JSON)
        inodes.update({(record["name"], name): (folder / name).stat().st_ino for name in record["files"] if name != TERMS_JSON})
    manifest["format_version"] = 7
    (generation / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return inodes


def test_an_index_of_format_7_is_upgraded_in_place_with_identical_bm25_scores(engine, library, monkeypatch):
    inodes = as_format_7(library.index_dir)
    for path in library.index_dir.rglob("*"):  # settled: files checked are stamped (`checksums.SETTLED_S`)
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    old_segments = {name for name, _ in inodes}
    counting = CountingEmbedder(engine.embedder)
    upgraded = Engine.open(library, embedder=counting)
    assert counting.encoded == [], "no letter is encoded again"
    manifest = upgraded.manifest
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert {p.name for p in (library.index_dir / "segments").iterdir()} == {r["name"] for r in manifest["segments"]} and not old_segments & {r["name"] for r in manifest["segments"]}
    new_names, old_names = [r["name"] for r in manifest["segments"]], [r["name"] for r in engine.manifest["segments"]]
    for (old, name), inode in inodes.items():  # every file but the vocabulary is the same file: linked, not rewritten
        assert (library.index_dir / "segments" / new_names[old_names.index(old)] / name).stat().st_ino == inode, name
    assert all(not (library.index_dir / "segments" / name / TERMS_JSON).exists() for name in new_names)
    tokenizer = engine.tokenizer
    for question in QUESTIONS:
        query = tokenizer.tokens(question)
        assert np.array_equal(upgraded.lexical.scores(query), engine.lexical.scores(query)), question
    assert [[(h.passage.id, h.score, h.lexical) for h in upgraded.search(q, 10)] for q in QUESTIONS] == [[(h.passage.id, h.score, h.lexical) for h in engine.search(q, 10)] for q in QUESTIONS]
    hashed = []
    monkeypatch.setattr(checksums, "file_sha256", lambda path: hashed.append(path.name) or file_sha256(path))
    reopened = Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert reopened.manifest["generation"] == manifest["generation"]
    assert set(hashed) <= set(VOCABULARY_FILES), "the links carry their checksums' stamps: a start reads them not again"
