"""The index on disk: generations of a checked index, a pointer to the current one.

    index/
      QA_INDEX              marks the folder as qa's own (qa writes nowhere else)
      CURRENT               the name of the generation in use, replaced atomically
      writer.lock           held (flock) by the one process building; builds queue
      readers.lock          held shared while a process loads a generation
      gen-STAMP-PID/        one complete index:
        manifest.json       format version, qa version, model id and dimension, corpus
                            hash, passage and sentence counts, tokenizer settings,
                            build time, the letters it holds, the SHA-256 of every file
        passages.jsonl      the passages with their citations, in vector order
        vectors.npy         float32 passage embeddings (L2-normalised)
        dense.faiss         the FAISS index over those vectors
        lexical/            the bm25s index over jieba tokens
        sentences.npz       every sentence's passage, offsets and embedding
        sentences.faiss     the FAISS index over the sentence embeddings
      letters/KEY.npz       one letter's encoded share (see `letter_cache`)

A generation is written as `gen-….partial`, renamed when complete, and only
then named in CURRENT, so a reader sees the old index or the new one, never a
half. Old generations are removed once no reader holds `readers.lock`; a
`.partial` left by a killed build is removed by the next build (the writer
lock proves its owner is gone). Loading checks the manifest against a schema
and against what the caller expects, and raises `StaleIndex` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import locks
from .dense import index_kind, load_dense_index, save_dense_index
from .documents import Passage
from .lexical import LexicalIndex
from .sentences import SentenceTable
from .checksums import file_sha256

log = logging.getLogger(__name__)

FORMAT_VERSION = 4
MANIFEST = "manifest.json"
MARKER = "QA_INDEX"
CURRENT = "CURRENT"
WRITER_LOCK = "writer.lock"
READERS_LOCK = "readers.lock"
LETTERS = "letters"
PARTIAL = ".partial"  # the suffix of whatever a build has not finished writing
GENERATION = re.compile(r"gen-[0-9TZ]+-[0-9]+")
INDEX_FILES = ("passages.jsonl", "vectors.npy", "dense.faiss", "sentences.npz", "sentences.faiss")
# A format-3 index kept these at the top of the folder; they are qa's to replace.
LEGACY_FILES = (MANIFEST, *INDEX_FILES, "lexical")


class StaleIndex(Exception):
    """The index on disk cannot be used as it is; the message says why."""


class IndexLocationError(ValueError):
    """The index folder is not qa's to write: it holds something else."""


class IndexNotWritable(OSError):
    """The index folder cannot be created or written to; the message says why."""


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


# --- whose folder ----------------------------------------------------------------------------


def check_owned(folder: Path) -> None:
    """Raise IndexLocationError unless qa may write in `folder`: it is absent,
    empty, or holds a qa index (the marker, or a format-3 manifest)."""
    if not folder.exists():
        if folder.is_symlink():
            raise IndexLocationError(f"{folder} is a dangling symbolic link; qa will not write through it")
        return
    if not folder.is_dir():
        raise IndexLocationError(f"{folder} is a file, not an index folder; set QA_INDEX_DIR to a new or empty folder")
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        raise IndexNotWritable(f"{folder} cannot be listed ({error.strerror or error})") from None
    if not names or MARKER in names or _is_legacy_index(folder):
        return
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise IndexLocationError(f"{folder} is not a qa index (it holds {shown}); qa writes only to a new or empty folder or its own index: set QA_INDEX_DIR to one")


def _is_legacy_index(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and isinstance(manifest.get("format_version"), int) and manifest["format_version"] < FORMAT_VERSION


# --- writing ---------------------------------------------------------------------------------


class IndexWriter:
    """The one process allowed to build in an index folder (see `open_writer`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.letters_dir = folder / LETTERS

    def commit(self, identity: IndexIdentity, index, qa_version: str, letters: Sequence[dict] = ()) -> dict:
        """Write `index` (it has the parts of a `StoredIndex`; an `Engine` does) as
        a new generation, make it current, and remove what it replaces.

        `letters`: one record per letter it holds ({"source", "sha256", "cache"})."""
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"gen-{stamp}-{os.getpid()}"
        staging = self.folder / (name + PARTIAL)
        staging.mkdir()
        passages, vectors = index.passages, index.vectors
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
            "generation": name,
            "letters": [dict(letter) for letter in letters],
            "files": _file_hashes(staging),
        }
        _write_synced(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        _fsync_tree(staging)
        os.rename(staging, self.folder / name)
        _write_synced(self.folder / (CURRENT + PARTIAL), name + "\n")
        os.replace(self.folder / (CURRENT + PARTIAL), self.folder / CURRENT)
        self._remove_retired(keep=name)
        self._remove_unused_letters({letter["cache"] for letter in letters if letter.get("cache")})
        return manifest

    def clean(self) -> None:
        """Remove what killed builds left: `.partial` files and folders here and in
        letters/, and format-3 staging folders beside this one whose process is gone."""
        for path in [*self.folder.glob("*" + PARTIAL), *self.letters_dir.glob("*" + PARTIAL)]:
            _remove(path)
        pattern = re.compile(re.escape(f".{self.folder.name}.") + r"(?:building|old)-([0-9]+)")
        for path in self.folder.parent.glob(f".{self.folder.name}.*"):
            match = pattern.fullmatch(path.name)
            if match and path.is_dir() and not _process_alive(int(match.group(1))):
                _remove(path)

    def _remove_retired(self, keep: str) -> None:
        """Old generations go once no reader is loading one (else at a later build)."""
        with locks.exclusive(self.folder / READERS_LOCK, wait=False) as free:
            if not free:
                return
            for path in self.folder.iterdir():
                if GENERATION.fullmatch(path.name) and path.name != keep:
                    _remove(path)
            for name in LEGACY_FILES:
                _remove(self.folder / name)

    def _remove_unused_letters(self, used: set[str]) -> None:
        for path in self.letters_dir.glob("*.npz"):
            if path.name not in used:
                _remove(path)


_writers: dict[tuple[Path, int], IndexWriter] = {}


@contextmanager
def open_writer(folder: Path) -> Iterator[IndexWriter]:
    """Become the one writer of `folder`: check it is qa's, create it, take the
    writer lock (waiting for another build to finish), and clean what killed
    builds left. IndexLocationError when the folder is someone else's,
    IndexNotWritable when it cannot be written; both before any work is done."""
    folder = Path(os.path.abspath(folder))
    key = (folder, threading.get_ident())
    if key in _writers:  # this thread already holds it (`qa add` builds under its own lock)
        yield _writers[key]
        return
    check_owned(folder)
    with ExitStack() as held:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / MARKER).exists():
                (folder / MARKER).write_text("This folder is a qa index; qa manages everything in it.\n", encoding="utf-8")
            (folder / LETTERS).mkdir(exist_ok=True)
            held.enter_context(locks.exclusive(folder / WRITER_LOCK, on_wait=lambda: log.warning("waiting for another qa process that is building the index in %s", folder)))
        except OSError as error:
            raise IndexNotWritable(f"{folder} is not writable ({error.strerror or error})") from None
        writer = IndexWriter(folder)
        writer.clean()
        _writers[key] = writer
        held.callback(_writers.pop, key)
        yield writer


def write_index(folder: Path, identity: IndexIdentity, index, qa_version: str, letters: Sequence[dict] = ()) -> dict:
    """Write a complete index to `folder` as its new current generation."""
    with open_writer(folder) as writer:
        return writer.commit(identity, index, qa_version, letters)


# --- reading ---------------------------------------------------------------------------------


def current_generation(folder: Path) -> Path:
    """The folder of the generation in use (a format-3 index is its own folder)."""
    try:
        name = (folder / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if (folder / MANIFEST).is_file():
            return folder
        raise StaleIndex(f"no index at {folder}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StaleIndex(f"{folder / CURRENT} cannot be read ({error})") from None
    if not GENERATION.fullmatch(name):
        raise StaleIndex(f"{folder / CURRENT} is corrupt")
    return folder / name


def read_manifest(folder: Path) -> dict:
    """The manifest of `folder`'s current generation, checked against the schema."""
    return _read_manifest(current_generation(folder))


def _read_manifest(generation: Path) -> dict:
    path = generation / MANIFEST
    if not path.is_file():
        raise StaleIndex(f"no index at {generation}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StaleIndex(f"{path} is corrupt") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise StaleIndex(f"{path} is not a qa index manifest")
    version = manifest["format_version"]
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise StaleIndex(f"index format {version} is {'newer' if newer else 'older'} than this qa's format {FORMAT_VERSION}")
    problem = manifest_problem(manifest)
    if problem:
        raise StaleIndex(f"{path} is malformed: {problem}")
    return manifest


_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIELDS: dict[str, type] = {
    "format_version": int,
    "qa_version": str,
    "model_id": str,
    "dimension": int,
    "corpus_hash": str,
    "passage_count": int,
    "sentence_count": int,
    "tokenizer": dict,
    "dense_index": str,
    "built_at": str,
    "generation": str,
    "letters": list,
    "files": dict,
}


def manifest_problem(manifest: dict) -> str | None:
    """What is wrong with a manifest's fields, or None: every field present with
    its type, counts not negative, a checksum for every index file."""
    for name, kind in _FIELDS.items():
        if name not in manifest:
            return f"it lacks {name!r}"
        value = manifest[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{name!r} is {type(value).__name__}, not {kind.__name__}"
    if min(manifest["passage_count"], manifest["sentence_count"], manifest["dimension"]) < 0:
        return "a count is negative"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest["tokenizer"].items()):
        return "'tokenizer' is not a table of strings"
    files = manifest["files"]
    if not all(isinstance(k, str) and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in files.items()):
        return "'files' is not a table of SHA-256 checksums"
    missing = [name for name in INDEX_FILES if name not in files] + ([] if any(k.startswith("lexical/") for k in files) else ["lexical/"])
    if missing:
        return f"no checksum for {', '.join(missing)}"
    for letter in manifest["letters"]:
        if not (isinstance(letter, dict) and isinstance(letter.get("source"), str) and isinstance(letter.get("sha256"), str)):
            return "'letters' holds an entry without source and sha256"
    return None


def check_manifest(manifest: dict, identity: IndexIdentity) -> None:
    """Raise StaleIndex unless the index was built from exactly `identity`."""
    if manifest.get("model_id") != identity.model_id:
        raise StaleIndex(f"index was built with model {manifest.get('model_id')!r}, not {identity.model_id!r}")
    if manifest.get("corpus_hash") != identity.corpus_hash:
        raise StaleIndex("the corpus changed since the index was built")
    if manifest.get("tokenizer") != identity.tokenizer:
        raise StaleIndex("the tokenizer settings changed since the index was built")


def read_index(folder: Path, identity: IndexIdentity) -> StoredIndex:
    """Load the current generation, verifying its manifest and every file's checksum.
    A shared lock keeps a writer from removing it while it loads."""
    with locks.shared(folder / READERS_LOCK) if (folder / MARKER).is_file() else nullcontext():  # never write in a folder not qa's
        generation = current_generation(folder)
        manifest = _read_manifest(generation)
        check_manifest(manifest, identity)
        actual = _file_hashes(generation)
        for name, digest in manifest["files"].items():
            if name not in actual:
                raise StaleIndex(f"index file {name} is missing")
            if actual[name] != digest:
                raise StaleIndex(f"index file {name} is truncated or corrupt (checksum mismatch)")
        try:
            passages = tuple(record_to_passage(json.loads(line)) for line in (generation / "passages.jsonl").read_text(encoding="utf-8").splitlines())
            vectors = np.load(generation / "vectors.npy")
            dense = load_dense_index(generation / "dense.faiss")
            lexical = LexicalIndex.load(generation / "lexical")
            sentences = SentenceTable.load(generation / "sentences.npz")
            sentence_index = load_dense_index(generation / "sentences.faiss")
        except Exception as error:  # checksums matched, so this is a bug or a foreign file
            raise StaleIndex(f"index at {generation} cannot be read: {type(error).__name__}: {error}") from None
    if not (len(passages) == len(vectors) == dense.ntotal == manifest["passage_count"]) or not (sentence_index.ntotal == len(sentences.passage) == manifest["sentence_count"]):
        raise StaleIndex("index files disagree on the number of passages or sentences")
    return StoredIndex(manifest, passages, vectors, dense, lexical, sentences, sentence_index)


def generation_name(folder: Path) -> str | None:
    """The current generation's name, cheaply (to notice that the index changed)."""
    try:
        return (folder / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


# --- records and files -----------------------------------------------------------------------


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
    return {path.relative_to(folder).as_posix(): file_sha256(path) for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MANIFEST}


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def _fsync_tree(folder: Path) -> None:
    """Flush a finished generation to disk before it is named current."""
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
