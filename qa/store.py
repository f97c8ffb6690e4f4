"""The index on disk: a folder of arrays, passages and a checked manifest.

    index/
      manifest.json   format version, qa version, model id and dimension, corpus
                      hash, passage count, tokenizer settings, build time, and the
                      SHA-256 of every other file
      passages.jsonl  the passages with their citations, in vector order
      vectors.npy     float32 passage embeddings (L2-normalised)
      dense.faiss     the FAISS index over those vectors
      lexical/        the bm25s index over jieba tokens
      sentences.npz   every sentence's passage, offsets and embedding
      sentences.faiss the FAISS index over the sentence embeddings

A folder is written next to its destination and renamed into place, so a
reader never sees a half-written index. Loading checks the manifest against
what the caller expects and raises `StaleIndex` with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .dense import index_kind, load_dense_index, save_dense_index
from .documents import Passage
from .lexical import LexicalIndex
from .sentences import SentenceTable

FORMAT_VERSION = 4
MANIFEST = "manifest.json"


class StaleIndex(Exception):
    """The index on disk cannot be used as it is; the message says why."""


@dataclass(frozen=True)
class IndexIdentity:
    """What an index must have been built from to be usable now."""

    model_id: str
    corpus_hash: str
    tokenizer: dict[str, str]


@dataclass(frozen=True)
class StoredIndex:
    manifest: dict
    passages: tuple[Passage, ...]
    vectors: np.ndarray
    dense: object  # faiss.Index
    lexical: LexicalIndex
    sentences: SentenceTable
    sentence_index: object  # faiss.Index


def write_index(folder: Path, identity: IndexIdentity, index, qa_version: str) -> dict:
    """Write a complete index to `folder`, atomically replacing what was there.

    `index` has the parts of a `StoredIndex` (an `Engine` does)."""
    passages, vectors = index.passages, index.vectors
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with open(staging / "passages.jsonl", "w", encoding="utf-8") as out:
            for passage in passages:
                out.write(json.dumps(passage_to_record(passage), ensure_ascii=False) + "\n")
        np.save(staging / "vectors.npy", vectors)
        save_dense_index(index.dense, staging / "dense.faiss")
        index.lexical.save(staging / "lexical")
        index.sentences.save(staging / "sentences.npz")
        save_dense_index(index.sentence_index, staging / "sentences.faiss")
        manifest = {
            "format_version": FORMAT_VERSION,
            "qa_version": qa_version,
            "model_id": identity.model_id,
            "dimension": int(vectors.shape[1]),
            "corpus_hash": identity.corpus_hash,
            "passage_count": len(passages),
        "sentence_count": len(index.sentences.passage),
            "tokenizer": identity.tokenizer,
            "dense_index": index_kind(index.dense),
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "files": _file_hashes(staging),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise StaleIndex(f"no index at {folder}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StaleIndex(f"{path} is corrupt") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise StaleIndex(f"{path} is not a qa index manifest")
    return manifest


def check_manifest(manifest: dict, identity: IndexIdentity) -> None:
    """Raise StaleIndex unless the index was built from exactly `identity`."""
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise StaleIndex(f"index format {version} is {'newer' if newer else 'older'} than this qa's format {FORMAT_VERSION}")
    if manifest.get("model_id") != identity.model_id:
        raise StaleIndex(f"index was built with model {manifest.get('model_id')!r}, not {identity.model_id!r}")
    if manifest.get("corpus_hash") != identity.corpus_hash:
        raise StaleIndex("the corpus changed since the index was built")
    if manifest.get("tokenizer") != identity.tokenizer:
        raise StaleIndex("the tokenizer settings changed since the index was built")


def read_index(folder: Path, identity: IndexIdentity) -> StoredIndex:
    """Load an index, verifying its manifest and every file's checksum."""
    manifest = read_manifest(folder)
    check_manifest(manifest, identity)
    actual = _file_hashes(folder)
    for name, digest in manifest.get("files", {}).items():
        if name not in actual:
            raise StaleIndex(f"index file {name} is missing")
        if actual[name] != digest:
            raise StaleIndex(f"index file {name} is truncated or corrupt (checksum mismatch)")
    try:
        passages = tuple(record_to_passage(json.loads(line)) for line in (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines())
        vectors = np.load(folder / "vectors.npy")
        dense = load_dense_index(folder / "dense.faiss")
        lexical = LexicalIndex.load(folder / "lexical")
        sentences = SentenceTable.load(folder / "sentences.npz")
        sentence_index = load_dense_index(folder / "sentences.faiss")
    except Exception as error:  # checksums matched, so this is a bug or a foreign file
        raise StaleIndex(f"index at {folder} cannot be read: {type(error).__name__}: {error}") from None
    if not (len(passages) == len(vectors) == dense.ntotal == manifest["passage_count"]) or sentence_index.ntotal != len(sentences.passage):
        raise StaleIndex("index files disagree on the number of passages or sentences")
    return StoredIndex(manifest, passages, vectors, dense, lexical, sentences, sentence_index)


def passage_to_record(passage: Passage) -> dict:
    record = asdict(passage)
    record["date"] = passage.date.isoformat()
    return record


def record_to_passage(record: dict) -> Passage:
    fields = dict(record)
    fields["date"] = dt.date.fromisoformat(fields["date"])
    for key in ("section", "symbols", "footnotes", "cited_by"):
        fields[key] = tuple(fields[key])
    return Passage(**fields)


def _file_hashes(folder: Path) -> dict[str, str]:
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            hashes[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Rename the finished folder into place; the old one is removed after."""
    retired = folder.parent / f".{folder.name}.old-{os.getpid()}"
    if folder.exists():
        os.rename(folder, retired)
    os.rename(staging, folder)
    shutil.rmtree(retired, ignore_errors=True)
