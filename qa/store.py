"""The index on disk: generations of a checked index, a pointer to the current one.

    index/
      QA_INDEX              marks the folder as qa's own (qa writes nowhere else)
      CURRENT               the name of the generation in use, replaced atomically
      writer.lock           held (flock) by the one process building; builds queue
      readers.lock          held shared while a process loads a generation
      gen-STAMP-PID/        one complete index:
        manifest.json       format version, qa version, model id and dimension, corpus
                            hash, passage and sentence counts, tokenizer settings,
                            build time, the letters it holds, its segments in order
                            (each with the SHA-256 of its files), the SHA-256 of its own files
        dense.faiss         the FAISS index over the passage vectors as last built
        sentences.faiss     the FAISS index over their sentence vectors
        *.part-FIRST.faiss  the rows added since, from passage FIRST on (see below)
      segments/seg-…/       passages, vectors, sentences and BM25 postings (see `segments`),
                            written once and shared by every generation that lists them
      letters/KEY.npz       one letter's encoded share (see `letter_cache`)

Adding letters writes one new segment and a small FAISS part over its vectors for each index
(`dense.part-FIRST.faiss`, `sentences.part-FIRST.faiss`, FIRST its first passage's position;
an IVF part is coded with the main index's trained quantizer, `dense.empty_like`); the main
FAISS files and the parts already written are hard links into the new generation, so nothing
already written is rewritten or hashed again. Parts are merged binary-counter fashion (a part
at least as big as the one before it is merged into it), so there are at most about log2 of
the rows added, and each row is rewritten that many times. The FAISS indexes are built afresh
(and an IVF retrained, the parts folded in) when letters are removed or the passages have
grown by half since they were last built. Small segments at
the end are merged into one when there are more than MAX_SMALL_SEGMENTS of them.

A generation is written as `gen-….partial`, renamed when complete, and only
then named in CURRENT, so a reader sees the old index or the new one, never a
half. Old generations are removed once no reader holds `readers.lock`, and
so are segments no generation lists; a `.partial` left by a killed build is removed by the next build (the writer
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
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import locks

from .dense import PartedIndex, add_rows, build_dense_index, empty_like, index_kind, load_dense_index, save_dense_index
from .documents import Passage
from .lexical import LexicalIndex
from .postings import SegmentedBM25
from .sentences import SentenceTable
from .checksums import VerifiedFiles, file_sha256
from .segments import PARTIAL, SEGMENTS, PassageStore, RowStack, Segment, share_chunk, write_segment
from .segments import FILES as SEGMENT_FILES

log = logging.getLogger(__name__)

FORMAT_VERSION = 8  # 8: BM25 vocabularies as memory-mapped tries (`qa.postings`; format 7 is upgraded in place, `qa.upgrade`)
MANIFEST = "manifest.json"
MARKER = "QA_INDEX"
CURRENT = "CURRENT"
WRITER_LOCK = "writer.lock"
READERS_LOCK = "readers.lock"
VERIFIED = "verified.json"  # stamps of the index files whose checksums matched (checksums.VerifiedFiles)
CORPUS_STAMPS = "corpus-verified.json"  # stamps of the letter files hashed for the corpus hash (corpus.corpus_stamps)
LETTERS = "letters"
GENERATION = re.compile(r"gen-[0-9TZ]+-[0-9]+")
SEGMENT = re.compile(r"seg-[0-9TZ]+-[0-9]+-[0-9]+")
INDEX_FILES = ("dense.faiss", "sentences.faiss")
# A format-3 index kept these at the top of the folder; they are qa's to replace.
LEGACY_FILES = (MANIFEST, "passages.jsonl", "vectors.npy", "sentences.npz", *INDEX_FILES, "lexical")
SEGMENT_PASSAGES = 50_000  # a build writes a segment per this many passages (bounds its memory)
MAX_SMALL_SEGMENTS = 8  # more segments smaller than SEGMENT_PASSAGES than this: the trailing ones are merged
REBUILD_GROWTH = 1.5  # the FAISS indexes are rebuilt (IVF retrained) when the passages have grown this much


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
    passages: Sequence[Passage]  # a segments.PassageStore: read by offset
    vectors: np.ndarray  # a segments.RowStack over memory-mapped arrays
    dense: object  # faiss.Index
    lexical: LexicalIndex
    sentences: SentenceTable  # its vectors a RowStack
    sentence_index: object  # faiss.Index

    @property
    def segments(self) -> list[dict]:
        return self.manifest["segments"]


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


def _refuse_newer(folder: Path) -> None:
    """IndexLocationError when the index in `folder` was written by a newer qa: this one would
    replace it with an older format (the newer qa then builds it again, at archive scale hours
    of encoding), so it leaves it as it is."""
    version = (written_manifest(folder) or {}).get("format_version")  # no index yet, or a damaged one: rebuilt as before
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise IndexLocationError(
            f"{folder} holds an index written by a newer qa (format {version}; this qa writes format {FORMAT_VERSION}); "
            "it is left as it is: use that qa, or set QA_INDEX_DIR to another folder"
        )


def written_manifest(folder: Path) -> dict | None:
    """The manifest of `folder`'s current generation as written, not checked against this
    format's schema (to read the format of an index older or newer than this qa's); None when
    there is none readable."""
    try:
        manifest = json.loads((current_generation(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (StaleIndex, OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


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
        self.segments_dir = folder / SEGMENTS
        self._written = 0

    def update(self, identity: IndexIdentity, qa_version: str, shares: Iterable, *, base: dict | None = None, removed: Iterable[str] = ()) -> dict:
        """Write a generation holding `base`'s segments (a manifest from `reusable_base`, or None)
        without the letters named in `removed`, plus `shares`: (LetterShare, its manifest
        record) pairs, consumed one at a time and written SEGMENT_PASSAGES passages per
        segment, so memory stays bounded whatever the size of the corpus."""
        removed = set(removed)
        segments = list(base["segments"]) if base else []
        appended = bool(base) and not removed
        if removed:
            kept = []
            for record in segments:
                if removed & {letter["source"] for letter in record["letters"]}:
                    chunk = Segment(self.segments_dir / record["name"], record).chunk(drop=removed)
                    record = write_segment(self.segments_dir, self.segment_name(), [chunk]) if chunk.passages else None
                if record:
                    kept.append(record)
            segments = kept
        base_passages = sum(r["passages"] for r in segments)
        base_sentences = sum(r["sentences"] for r in segments)
        chunks, size = [], 0
        for share, record in shares:
            chunks.append(share_chunk(share, record))
            size += len(share.passages)
            if size >= SEGMENT_PASSAGES:
                segments.append(write_segment(self.segments_dir, self.segment_name(), chunks))
                chunks, size = [], 0
        if chunks:
            segments.append(write_segment(self.segments_dir, self.segment_name(), chunks))
        del chunks
        segments = self._merge_small(segments)
        loaded = [Segment(self.segments_dir / r["name"], r) for r in segments]
        total = sum(r["passages"] for r in segments)
        vectors = RowStack([s.vectors for s in loaded])
        sentence_vectors = RowStack([s.sentences.vectors for s in loaded])
        if appended and base.get("dense_built_at", 0) * REBUILD_GROWTH > total and (extended := self._extend(base, vectors, sentence_vectors, base_passages, base_sentences)):
            dense, sentence_index, parts, linked = extended
            built_at = base["dense_built_at"]
        else:
            dense, sentence_index, built_at = build_dense_index(vectors), build_dense_index(sentence_vectors), total
            parts, linked = [], {}
        return self.commit(identity, segments, dense, sentence_index, qa_version, dense_built_at=built_at, parts=parts, linked=linked)

    def _extend(self, base: dict, vectors, sentence_vectors, passages: int, sentences: int):
        """The base generation's FAISS indexes with the rows from `passages`/`sentences` on in
        a new part (merged with the parts before it as `merged_parts` says): (passage index,
        sentence index, the parts' records, the unchanged files to link from the base
        generation), or None when the base's files cannot be read (then all is built afresh)."""
        generation = self.folder / base["generation"]
        parts = list(base["parts"])
        if len(vectors) > passages:
            parts = merged_parts([*parts, {"first": passages, "passages": len(vectors) - passages, "first_sentence": sentences, "sentences": len(sentence_vectors) - sentences}])
        unchanged = [part for part in parts if part in base["parts"]]
        written = parts[len(unchanged) :]  # the last part, new or merged (or none)
        indexes = []
        for kind, count, first, rows in (("dense", "passages", "first", vectors), ("sentences", "sentences", "first_sentence", sentence_vectors)):
            try:
                pieces = [load_dense_index(generation / name) for name in (f"{kind}.faiss", *(part_file(kind, part) for part in unchanged))]
            except (OSError, RuntimeError):
                return None
            if written and sum(piece.ntotal for piece in pieces) != written[0][first]:
                return None
            pieces += [add_rows(empty_like(pieces[0]), rows, part[first], part[first] + part[count]) for part in written]
            indexes.append(PartedIndex(pieces) if len(pieces) > 1 else pieces[0])
        names = [f"{kind}.faiss" for kind in ("dense", "sentences")] + [part_file(kind, part) for part in unchanged for kind in ("dense", "sentences")]
        linked = {name: (generation / name, base["files"][name]) for name in names}
        return indexes[0], indexes[1], parts, linked

    def _merge_small(self, segments: list[dict]) -> list[dict]:
        """Merge the trailing small segments into one when there are too many small ones
        (merging neighbours keeps every passage's position, so the FAISS ids stay right)."""
        small = [i for i, r in enumerate(segments) if r["passages"] < SEGMENT_PASSAGES]
        if len(small) <= MAX_SMALL_SEGMENTS:
            return segments
        first = len(segments)
        while first > 0 and segments[first - 1]["passages"] < SEGMENT_PASSAGES:
            first -= 1
        if len(segments) - first < 2:
            return segments
        chunks = [Segment(self.segments_dir / r["name"], r).chunk() for r in segments[first:]]
        return segments[:first] + [write_segment(self.segments_dir, self.segment_name(), chunks)]

    def segment_name(self) -> str:
        self._written += 1
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        return f"seg-{stamp}-{os.getpid()}-{self._written}"

    def commit(self, identity: IndexIdentity, segments: Sequence[dict], dense, sentence_index, qa_version: str, *, dense_built_at: int, parts: Sequence[dict] = (), linked: dict[str, tuple[Path, str]] | None = None) -> dict:
        """Write a generation over `segments` (written already, in `segments/`) with these
        FAISS indexes (a `PartedIndex` has a file per piece, `parts` naming them), make it
        current, and remove what it replaces. `linked`: file name -> (the same file in an
        older generation, its checksum), hard-linked instead of written."""
        linked = linked or {}
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"gen-{stamp}-{os.getpid()}"
        staging = self.folder / (name + PARTIAL)
        staging.mkdir()
        for kind, index in (("dense", dense), ("sentences", sentence_index)):
            pieces = index.pieces if isinstance(index, PartedIndex) else (index,)
            for file_name, piece in zip((f"{kind}.faiss", *(part_file(kind, part) for part in parts)), pieces, strict=True):
                if file_name in linked:
                    _link(linked[file_name][0], staging / file_name)
                else:
                    save_dense_index(piece, staging / file_name)
        manifest = {
            "format_version": FORMAT_VERSION,
            "qa_version": qa_version,
            "model_id": identity.model_id,
            "dimension": int(dense.d),
            "corpus_hash": identity.corpus_hash,
            "passage_count": sum(r["passages"] for r in segments),
            "sentence_count": sum(r["sentences"] for r in segments),
            "tokenizer": identity.tokenizer,
            "dense_index": index_kind(dense),
            "dense_built_at": dense_built_at,
            "parts": [dict(part) for part in parts],
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "generation": name,
            "letters": [{k: v for k, v in letter.items() if k not in ("first", "letter")} for r in segments for letter in r["letters"]],
            "segments": [dict(r) for r in segments],
            "files": {**_file_hashes(staging, skip=set(linked)), **{file_name: digest for file_name, (_, digest) in linked.items()}},
        }
        _write_synced(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        _fsync_tree(staging)
        os.rename(staging, self.folder / name)
        if linked:  # links of files checked already: stamped as their sources, so not read again at load
            verified = _verified(self.folder)
            verified.carry({self.folder / name / file_name: source for file_name, (source, _) in linked.items()})
            keep_stamps(self.folder, verified)
        _write_synced(self.folder / (CURRENT + PARTIAL), name + "\n")
        os.replace(self.folder / (CURRENT + PARTIAL), self.folder / CURRENT)
        self._remove_retired(keep=name, segments={r["name"] for r in segments})
        self._remove_unused_letters({letter["cache"] for letter in manifest["letters"] if letter.get("cache")})
        return manifest

    def clean(self) -> None:
        """Remove what killed builds left: `.partial` files and folders here and in
        letters/, and format-3 staging folders beside this one whose process is gone."""
        for path in [*self.folder.glob("*" + PARTIAL), *self.letters_dir.glob("*" + PARTIAL), *self.segments_dir.glob("*" + PARTIAL)]:
            _remove(path)
        pattern = re.compile(re.escape(f".{self.folder.name}.") + r"(?:building|old)-([0-9]+)")
        for path in self.folder.parent.glob(f".{self.folder.name}.*"):
            match = pattern.fullmatch(path.name)
            if match and path.is_dir() and not _process_alive(int(match.group(1))):
                _remove(path)

    def _remove_retired(self, keep: str, segments: set[str]) -> None:
        """Old generations, and segments the current one does not list, go once no reader
        is loading one (else at a later build)."""
        with locks.exclusive(self.folder / READERS_LOCK, wait=False) as free:
            if not free:
                return
            for path in self.folder.iterdir():
                if GENERATION.fullmatch(path.name) and path.name != keep:
                    _remove(path)
            for path in self.segments_dir.iterdir() if self.segments_dir.is_dir() else ():
                if SEGMENT.fullmatch(path.name) and path.name not in segments:
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
    IndexNotWritable when it cannot be written; both before any work is done. An index written
    by a newer qa is refused too (IndexLocationError): it is not this qa's to replace."""
    folder = Path(os.path.abspath(folder))
    key = (folder, threading.get_ident())
    if key in _writers:  # this thread already holds it (`qa add` builds under its own lock)
        yield _writers[key]
        return
    check_owned(folder)
    _refuse_newer(folder)
    with ExitStack() as held:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / MARKER).exists():
                (folder / MARKER).write_text("This folder is a qa index; qa manages everything in it.\n", encoding="utf-8")
            (folder / LETTERS).mkdir(exist_ok=True)
            (folder / SEGMENTS).mkdir(exist_ok=True)
            held.enter_context(locks.exclusive(folder / WRITER_LOCK, on_wait=lambda: log.warning("waiting for another qa process that is building the index in %s", folder)))
        except OSError as error:
            raise IndexNotWritable(f"{folder} is not writable ({error.strerror or error})") from None
        writer = IndexWriter(folder)
        writer.clean()
        _writers[key] = writer
        held.callback(_writers.pop, key)
        yield writer


def write_index(folder: Path, identity: IndexIdentity, index: StoredIndex, qa_version: str) -> dict:
    """Write a loaded index of `folder` again as its new current generation (same segments)."""
    with open_writer(folder) as writer:
        return writer.commit(identity, index.segments, index.dense, index.sentence_index, qa_version, dense_built_at=index.manifest["dense_built_at"], parts=index.manifest["parts"])


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
    "dense_built_at": int,
    "parts": list,
    "built_at": str,
    "generation": str,
    "letters": list,
    "segments": list,
    "files": dict,
}


def manifest_problem(manifest: dict, segment_files: Sequence[str] = SEGMENT_FILES) -> str | None:
    """What is wrong with a manifest's fields, or None: every field present with
    its type, counts not negative, a checksum for every index file (`segment_files` in each
    segment: those of this format unless told)."""
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
    if not _checksums(files):
        return "'files' is not a table of SHA-256 checksums"
    for part in manifest["parts"]:
        if not (isinstance(part, dict) and all(isinstance(part.get(key), int) and not isinstance(part.get(key), bool) and part[key] >= 0 for key in ("first", "passages", "first_sentence", "sentences"))):
            return "'parts' holds an entry without its first rows and counts"
    missing = [name for name in (*INDEX_FILES, *(part_file(kind, part) for part in manifest["parts"] for kind in ("dense", "sentences"))) if name not in files]
    if missing:
        return f"no checksum for {', '.join(missing)}"
    for record in manifest["segments"]:
        if not (isinstance(record, dict) and isinstance(record.get("name"), str) and SEGMENT.fullmatch(record["name"]) and isinstance(record.get("files"), dict) and _checksums(record["files"])):
            return "'segments' holds an entry without a name or its files' checksums"
        if not (isinstance(record.get("passages"), int) and isinstance(record.get("sentences"), int) and isinstance(record.get("letters"), list)):
            return f"segment {record['name']} lacks its counts or letters"
        missing = [name for name in segment_files if name not in record["files"]]
        if missing:
            return f"no checksum for {record['name']}/{missing[0]}"
        if not all(isinstance(letter, dict) and isinstance(letter.get("first"), int) and isinstance(letter.get("passages"), int) for letter in record["letters"]):
            return f"segment {record['name']} lists a letter without its passages"
        if not all(isinstance(letter.get("letter"), dict) and isinstance(letter.get("content_sha256"), str) and isinstance(letter.get("parser"), int) for letter in record["letters"]):
            return f"segment {record['name']} lists a letter without its metadata"
    if sum(r["passages"] for r in manifest["segments"]) != manifest["passage_count"]:
        return "the segments do not hold passage_count passages"
    for letter in manifest["letters"]:
        if not (isinstance(letter, dict) and isinstance(letter.get("source"), str) and isinstance(letter.get("sha256"), str)):
            return "'letters' holds an entry without source and sha256"
    return None


def _checksums(files: object) -> bool:
    return isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in files.items())


def check_manifest(manifest: dict, identity: IndexIdentity) -> None:
    """Raise StaleIndex unless the index was built from exactly `identity`."""
    if manifest.get("model_id") != identity.model_id:
        raise StaleIndex(f"index was built with model {manifest.get('model_id')!r}, not {identity.model_id!r}")
    if manifest.get("corpus_hash") != identity.corpus_hash:
        raise StaleIndex("the corpus changed since the index was built")
    if manifest.get("tokenizer") != identity.tokenizer:
        raise StaleIndex("the tokenizer settings changed since the index was built")


def read_index(folder: Path, identity: IndexIdentity) -> StoredIndex:
    """Load the current generation, verifying its manifest and every file's checksum
    (its segments' included; a file unchanged since it last matched, by its stamp). Arrays and passages stay on disk, memory-mapped.
    A shared lock keeps a writer from removing it while it loads. IndexLocationError when
    the folder is not qa's (a file, or a folder of other files): no index is looked for there."""
    check_owned(folder)
    with locks.shared(folder / READERS_LOCK) if (folder / MARKER).is_file() else nullcontext():  # never write in a folder not qa's
        generation = current_generation(folder)
        manifest = _read_manifest(generation)
        check_manifest(manifest, identity)
        verified = _verified(folder)
        problem = _damage(generation, manifest["files"], verified) or next(filter(None, (_damage(folder / SEGMENTS / r["name"], r["files"], verified, r["name"] + "/") for r in manifest["segments"])), None)
        if problem:
            raise StaleIndex(problem)
        keep_stamps(folder, verified)
        try:
            segments = [Segment(folder / SEGMENTS / r["name"], r) for r in manifest["segments"]]
            dense, sentence_index = (_load_pieces(generation, kind, manifest["parts"]) for kind in ("dense", "sentences"))
        except Exception as error:  # checksums matched, so this is a bug or a foreign file
            raise StaleIndex(f"index at {generation} cannot be read: {type(error).__name__}: {error}") from None
    passages = PassageStore(segments)
    vectors = RowStack([s.vectors for s in segments])
    starts = np.cumsum([0] + [s.passage_count for s in segments])
    sentences = SentenceTable(
        np.concatenate([np.asarray(s.sentences.passage) + int(start) for s, start in zip(segments, starts)]).astype(np.int32) if segments else np.zeros(0, np.int32),
        np.concatenate([np.asarray(s.sentences.start) for s in segments]) if segments else np.zeros(0, np.int32),
        np.concatenate([np.asarray(s.sentences.end) for s in segments]) if segments else np.zeros(0, np.int32),
        RowStack([s.sentences.vectors for s in segments]),
    )
    lexical = SegmentedBM25([s.postings for s in segments])
    if not (len(passages) == len(vectors) == dense.ntotal == lexical.count == manifest["passage_count"]) or not (sentence_index.ntotal == len(sentences.passage) == len(sentences.vectors) == manifest["sentence_count"]):
        raise StaleIndex("index files disagree on the number of passages or sentences")
    return StoredIndex(manifest, passages, vectors, dense, lexical, sentences, sentence_index)


def _load_pieces(generation: Path, kind: str, parts: Sequence[dict]):
    """The "dense" or "sentences" index of a generation, with its parts (a `PartedIndex`) if any."""
    pieces = [load_dense_index(generation / name) for name in (f"{kind}.faiss", *(part_file(kind, part) for part in parts))]
    return PartedIndex(pieces) if len(pieces) > 1 else pieces[0]


def _verified(folder: Path) -> VerifiedFiles:
    return VerifiedFiles(folder, folder / VERIFIED)


def keep_stamps(folder: Path, verified: VerifiedFiles) -> None:
    if (folder / MARKER).is_file():  # never write in a folder not qa's
        verified.save()


def _damage(folder: Path, files: dict[str, str], verified: VerifiedFiles, prefix: str = "") -> str | None:
    """What is wrong with the files of `folder` against their checksums, or None."""
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            return f"index file {prefix}{name} is missing"
        if not verified.matches(path, digest):
            return f"index file {prefix}{name} is truncated or corrupt (checksum mismatch)"
    return None


def reusable_base(folder: Path, identity: IndexIdentity) -> dict | None:
    """The current generation's manifest when a new one can be built on it: same format,
    model and tokenizer (the corpus may differ), its segments intact (checked by their
    checksums, or their stamps where unchanged since; a damaged one is left out, and its
    letters are written again)."""
    try:
        manifest = read_manifest(folder)
    except StaleIndex:
        return None
    if (manifest["model_id"], manifest["tokenizer"]) != (identity.model_id, identity.tokenizer):
        return None
    verified = _verified(folder)
    intact = [r for r in manifest["segments"] if not _damage(folder / SEGMENTS / r["name"], r["files"], verified)]
    if len(intact) < len(manifest["segments"]):
        log.warning("%d damaged segments of the index are written again", len(manifest["segments"]) - len(intact))
        return {**manifest, "segments": intact, "dense_built_at": 0}  # positions moved: FAISS is rebuilt
    if _damage(current_generation(folder), manifest["files"], verified):  # its FAISS files are linked into the next generation
        return {**manifest, "dense_built_at": 0}
    keep_stamps(folder, verified)
    return manifest


def generation_name(folder: Path) -> str | None:
    """The current generation's name, cheaply (to notice that the index changed)."""
    try:
        return (folder / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


# --- records and files -----------------------------------------------------------------------


def _file_hashes(folder: Path, skip: Container[str] = ()) -> dict[str, str]:
    return {name: file_sha256(path) for path in sorted(folder.rglob("*")) if path.is_file() and (name := path.relative_to(folder).as_posix()) != MANIFEST and name not in skip}


def _link(source: Path, target: Path) -> None:
    """`target` the same file as `source` (a hard link: no byte written), or a copy where the
    file system has no hard links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def part_file(kind: str, part: dict) -> str:
    """The file of one part of the "dense" or "sentences" index."""
    return f"{kind}.part-{part['first']}.faiss"


def merged_parts(parts: list[dict]) -> list[dict]:
    """Merge the last part into the one before while it is at least as big (a binary counter:
    at most about log2(rows added) parts, each row rewritten about as many times).

    >>> [p["passages"] for p in merged_parts([{"first": 0, "passages": 4, "first_sentence": 0, "sentences": 8}, {"first": 4, "passages": 2, "first_sentence": 8, "sentences": 3}, {"first": 6, "passages": 2, "first_sentence": 11, "sentences": 5}])]
    [8]
    """
    parts = list(parts)
    while len(parts) >= 2 and parts[-1]["passages"] >= parts[-2]["passages"]:
        last = parts.pop()
        parts[-1] = {**parts[-1], "passages": parts[-1]["passages"] + last["passages"], "sentences": parts[-1]["sentences"] + last["sentences"]}
    return parts


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
