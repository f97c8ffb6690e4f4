"""The segmented index: BM25 over segments scores as one bm25s index, an added letter
reuses the written segments and searches as a full rebuild, a killed build resumes to the
same index without encoding, small segments merge, and a loaded index is memory-mapped
(read, not copied). Real model and FAISS where an index of the letters is the point;
synthetic vectors and text where size is."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa import store
from qa.admin import add_letters
from qa.dense import add_rows, build_dense_index, dense_search
from qa.documents import Letter, Passage
from qa.engine import Engine
from qa.held_letters import letter_entry
from qa.lexical import LexicalIndex
from qa.letter_cache import LetterShare
from qa.parse import ParsedLetter
from qa.postings import Postings, SegmentedBM25
from qa.sentences import SentenceTable
from qa.store import IndexIdentity, open_writer, read_index, reusable_base
from qa.tokens import ChineseTokenizer

from .conftest import CORPUS, ROOT
from .test_add import CountingEmbedder, make_letter

QUESTIONS = ["执笔方制度有哪些问题？", "安理会通过了几项决议？", "S/2019/993号说明规定了什么？", "谁通报了海地局势？", "公开辩论的主题是什么？"]


def _results(engine, questions=QUESTIONS):
    return [[(h.passage.id, round(h.score, 6), round(h.lexical, 5)) for h in engine.search(q, 10)] for q in questions]


def test_bm25_over_segments_scores_exactly_as_one_bm25s_index(all_passages):
    tokenizer = ChineseTokenizer()
    tokens = [tokenizer.tokens(p.text) for p in all_passages]
    whole = LexicalIndex.build(tokens)
    cut = len(tokens) // 3
    parts = [Postings.build(tokens[:cut]), Postings.build(tokens[cut : 2 * cut]), Postings.build(tokens[2 * cut :])]
    for segmented in (SegmentedBM25(parts), SegmentedBM25([Postings.concatenate(parts[:2]), parts[2]])):
        for question in QUESTIONS:
            query = tokenizer.tokens(question)
            assert np.array_equal(segmented.scores(query), whole.scores(query)), question
            assert segmented.search(query, 20) == whole.search(query, 20)
        assert all(t in segmented.vocabulary for t in tokens[-1]) and "青蛙湖不存在的词" not in segmented.vocabulary


@pytest.fixture
def library(engine, settings, tmp_path):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def _shares_only(library, folder: Path):
    """An index folder holding only the letters' encoded shares (no generation, no segment)."""
    (folder / "letters").mkdir(parents=True)
    for path in (library.index_dir / "letters").glob("*.npz"):
        shutil.copy(path, folder / "letters" / path.name)
    (folder / "QA_INDEX").write_text("qa\n", encoding="utf-8")
    return replace(library, index_dir=folder)


def test_an_added_letter_reuses_the_segments_and_searches_as_a_full_rebuild(engine, library, tmp_path):
    before = store.read_manifest(library.index_dir)
    old_files = {p: p.stat().st_ino for p in (library.index_dir / "segments").rglob("*") if p.is_file()}
    add_letters(library, [make_letter(tmp_path / "incoming")], embedder=engine.embedder)
    added = Engine.open(library, rebuild="never", embedder=engine.embedder)
    names = [s["name"] for s in added.manifest["segments"]]
    assert names[: len(before["segments"])] == [s["name"] for s in before["segments"]] and len(names) == len(before["segments"]) + 1
    assert all(p.stat().st_ino == inode for p, inode in old_files.items()), "the old segments are neither rewritten nor copied"

    full = Engine.open(_shares_only(library, tmp_path / "full"), embedder=CountingEmbedder(engine.embedder))
    assert full.embedder.encoded == [] and len(full.manifest["segments"]) == 1
    assert [p.id for p in added.passages] == [p.id for p in full.passages]
    assert _results(added) == _results(full)


KILLED_BUILD = """
import os, signal, sys
from qa import engine, store
from qa.config import Settings

store.SEGMENT_PASSAGES = 60  # several segments from five letters
written = store.write_segment  # patched where the writer calls it
calls = []

def write_then_die(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return written(*args, **kwargs)

store.write_segment = write_then_die
engine.Engine.open(Settings.from_env())
"""


def test_a_build_killed_between_segments_resumes_to_the_same_index(engine, library, tmp_path, monkeypatch):
    killed = _shares_only(library, tmp_path / "killed")
    env = {**os.environ, "QA_CORPUS_DIR": str(killed.corpus_dir), "QA_INDEX_DIR": str(killed.index_dir), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-c", KILLED_BUILD], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not (killed.index_dir / "CURRENT").exists() and len(list((killed.index_dir / "segments").iterdir())) >= 2

    monkeypatch.setattr(store, "SEGMENT_PASSAGES", 60)
    counter = CountingEmbedder(engine.embedder)
    resumed = Engine.open(killed, embedder=counter)
    whole = Engine.open(_shares_only(library, tmp_path / "whole"), embedder=engine.embedder)
    assert counter.encoded == [], "the resumed build encodes nothing"
    assert len(resumed.manifest["segments"]) == len(whole.manifest["segments"]) > 2
    assert sorted(p.name for p in (killed.index_dir / "segments").iterdir()) == sorted(s["name"] for s in resumed.manifest["segments"]), "no half or orphan segment is left"
    assert [p.id for p in resumed.passages] == [p.id for p in whole.passages]
    assert _results(resumed) == _results(whole)


# --- synthetic indexes (no model): merging, and memory ----------------------------------------

WORDS = [f"词{i}" for i in range(5000)]


def synthetic_share(number: int, passages: int, rng: np.random.Generator, dimension: int = 384) -> LetterShare:
    source = f"synthetic-{number:06d}.txt"
    made = tuple(Passage(source, f"信{number}", dt.date(2000, 1, 1) + dt.timedelta(days=number), "annex", (), f"p{k + 1}", "paragraph", f"第{number}封信第{k + 1}段。再一句。") for k in range(passages))
    vectors = rng.standard_normal((passages, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentence_vectors = np.repeat(vectors, 2, axis=0)
    sentences = SentenceTable(np.repeat(np.arange(passages, dtype=np.int32), 2), np.tile(np.array([0, 8], np.int32), passages), np.tile(np.array([8, 12], np.int32), passages), sentence_vectors)
    tokens = tuple(tuple(WORDS[i] for i in rng.zipf(1.5, 30) % len(WORDS)) for _ in range(passages))
    return LetterShare(source, f"{number:064x}", made, vectors, sentences, tokens)


IDENTITY = IndexIdentity("synthetic", "synthetic", {"tokens": "synthetic"})


def _build(folder: Path, shares, *, base: bool = False) -> dict:
    with open_writer(folder) as writer:
        return writer.update(IDENTITY, "test", ((s, synthetic_record(s)) for s in shares), base=reusable_base(folder, IDENTITY) if base else None)


def synthetic_record(share: LetterShare) -> dict:
    """The share's record in the index, with the metadata of a letter made up for it."""
    first = share.passages[0]
    letter = Letter(share.source, first.letter_title, first.date, (), "安全理事会主席")
    return {**share.record("synthetic", IDENTITY.tokenizer), **letter_entry(ParsedLetter(letter, share.passages))}


def test_small_segments_merge_and_the_index_searches_as_one_built_at_once(tmp_path):
    rng = np.random.default_rng(0)
    shares = [synthetic_share(i, 30, rng) for i in range(20)]
    _build(tmp_path / "grown", shares[:5])
    for share in shares[5:]:
        manifest = _build(tmp_path / "grown", [share], base=True)
        assert sum(s["passages"] < store.SEGMENT_PASSAGES for s in manifest["segments"]) <= store.MAX_SMALL_SEGMENTS
    _build(tmp_path / "once", shares)
    grown, once = read_index(tmp_path / "grown", IDENTITY), read_index(tmp_path / "once", IDENTITY)
    assert len(grown.manifest["segments"]) < 16 and len(once.manifest["segments"]) == 1
    assert [p.id for p in grown.passages] == [p.id for p in once.passages]
    assert np.array_equal(np.asarray(grown.vectors), np.asarray(once.vectors)) and np.array_equal(np.asarray(grown.sentences.vectors), np.asarray(once.sentences.vectors))
    assert np.array_equal(grown.sentences.passage, once.sentences.passage)
    for query in rng.standard_normal((5, 384), dtype=np.float32):
        words = [WORDS[i] for i in rng.integers(0, 50, 3)]
        assert grown.lexical.search(words, 10) == once.lexical.search(words, 10)
        assert [p for p, _ in dense_search(grown.dense, query, 10)] == [p for p, _ in dense_search(once.dense, query, 10)]


@pytest.mark.parametrize("exact_limit", [None, 0], ids=["flat", "ivf-sq8"])
def test_an_add_writes_a_small_part_and_no_byte_of_the_main_faiss_files(tmp_path, monkeypatch, exact_limit):
    if exact_limit is not None:  # an IVF index below the size where one is built
        monkeypatch.setattr(store, "build_dense_index", lambda rows: build_dense_index(rows, exact_limit=exact_limit))
    rng = np.random.default_rng(0)
    shares = [synthetic_share(i, 40, rng) for i in range(14)]
    folder = tmp_path / "index"
    _build(folder, shares[:10])
    main = {name: os.stat(store.current_generation(folder) / name) for name in store.INDEX_FILES}
    for number, share in enumerate(shares[10:], start=1):
        manifest = _build(folder, [share], base=True)
        generation = store.current_generation(folder)
        for name, before in main.items():  # the same file (a hard link), unchanged
            after = os.stat(generation / name)
            assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
        assert manifest["dense_built_at"] == 400 and sum(p["passages"] for p in manifest["parts"]) == 40 * number
        assert len(manifest["parts"]) == bin(number).count("1")  # merged binary-counter fashion
        for part in manifest["parts"]:
            assert (generation / store.part_file("dense", part)).is_file() and (generation / store.part_file("sentences", part)).is_file()
    grown = read_index(folder, IDENTITY)
    assert store.index_kind(grown.dense) == ("flat" if exact_limit is None else "ivf-sq8")
    once = _build(tmp_path / "once", shares)
    assert once["parts"] == []
    whole = read_index(tmp_path / "once", IDENTITY)
    whole_dense = add_rows(build_dense_index(np.asarray(grown.vectors)[:400], **({} if exact_limit is None else {"exact_limit": 0})), np.asarray(grown.vectors), 400)
    for query in rng.standard_normal((5, 384), dtype=np.float32):
        found = dense_search(grown.dense, query, 10)
        assert found == dense_search(whole_dense, query, 10)  # the parts search as the first index extended
        if exact_limit is None:
            assert [p for p, _ in found] == [p for p, _ in dense_search(whole.dense, query, 10)]
    # a generation whose main file was damaged is not built on: the next add rebuilds the FAISS files
    with open(store.current_generation(folder) / "dense.faiss", "r+b") as handle:
        handle.seek(-8, os.SEEK_END)
        handle.write(b"\x00" * 8)
    manifest = _build(folder, [synthetic_share(99, 40, rng)], base=True)
    assert manifest["parts"] == [] and manifest["dense_built_at"] == 600
    read_index(folder, IDENTITY)


MEASURE = """
import json, sys
from pathlib import Path
import numpy as np
from qa.dense import dense_search
from qa.store import IndexIdentity, read_index

def rss():  # anonymous memory: what the process copied (memory-mapped pages are the page cache's)
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["RssAnon"].split()[0]) / 1024

identity = IndexIdentity(**json.loads(sys.argv[2]))
before = rss()
index = read_index(Path(sys.argv[1]), identity)
rng = np.random.default_rng(1)
for query in rng.standard_normal((20, 384), dtype=np.float32):
    hits = dense_search(index.dense, query, 10)
    for p, _ in hits:
        passage = index.passages[p]
        rows = index.sentences.rows_of(p)
        index.sentences.vectors[rows.start : rows.stop] @ query
    index.lexical.search(["词1", "词2", "词30"], 50)
print(json.dumps({"growth_mb": rss() - before, "passages": len(index.passages)}))
"""


def test_a_loaded_100k_index_is_memory_mapped_not_copied(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "index"
    _build(folder, (synthetic_share(i, 50, rng) for i in range(2000)))
    data_mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "letters" not in p.parts) / 2**20
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-c", MEASURE, str(folder), json.dumps({"model_id": IDENTITY.model_id, "corpus_hash": IDENTITY.corpus_hash, "tokenizer": IDENTITY.tokenizer})], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["passages"] == 100_000 and data_mb > 400
    assert measured["growth_mb"] < 60, f"loading {data_mb:.0f} MB of index grew the process by {measured['growth_mb']:.0f} MB"
