"""One letter's share of the index, kept on disk so each letter is encoded once.

Encoding (the model run) is the cost of a build; everything else (BM25, FAISS,
the files of a generation) is assembled from these shares in seconds. A share
is stored in `index/letters/KEY.npz`, KEY derived from the letter file's
name and SHA-256, the model id, the tokenizer settings and the index format, and is
written (atomically) as soon as the letter is encoded: a build that is killed
resumes without encoding the letters it finished. A share also holds the
passages it was encoded from, and is used only while the parser still gives
exactly those.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .documents import Passage, passage_to_record, record_to_passage
from .sentences import SentenceTable
from .store import PARTIAL

# The shares' own format: unchanged by index formats 6 and 7 (7 changed only the manifest), so
# an index of format 6 is brought to 7 without encoding a letter again.
SHARE_FORMAT = 6


@dataclass(frozen=True)
class LetterShare:
    """The encoded passages, sentences and tokens of one letter file."""

    source: str
    sha256: str  # of the letter file's bytes
    passages: tuple[Passage, ...]
    vectors: np.ndarray  # float32, one row per passage
    sentences: SentenceTable  # passage positions count from 0 within this letter
    tokens: tuple[tuple[str, ...], ...]  # the lexical tokens of each passage

    def record(self, model_id: str, tokenizer: dict[str, str]) -> dict:
        """The letter's entry in the manifest."""
        return {"source": self.source, "sha256": self.sha256, "passages": len(self.passages), "passages_sha256": passages_digest(self.passages), "cache": cache_name(self.source, self.sha256, model_id, tokenizer)}


def passages_digest(passages: Sequence[Passage]) -> str:
    """What the parser made of a letter, in short: a segment keeps a letter only while the
    parser still gives exactly these passages."""
    text = json.dumps([passage_to_record(p) for p in passages], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_name(source: str, sha256: str, model_id: str, tokenizer: dict[str, str]) -> str:
    """The share's file name. The source name is part of the key because the
    passages' ids and citations name it (two copies of a file are two letters)."""
    key = json.dumps([SHARE_FORMAT, model_id, tokenizer, source, sha256], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".npz"


def save_share(folder: Path, share: LetterShare, model_id: str, tokenizer: dict[str, str]) -> None:
    """Write a share atomically (a `.partial` file renamed into place)."""
    path = folder / cache_name(share.source, share.sha256, model_id, tokenizer)
    partial = path.with_name(path.name + PARTIAL)
    header = {"source": share.source, "sha256": share.sha256, "model_id": model_id, "format_version": SHARE_FORMAT}
    with open(partial, "wb") as out:
        np.savez(
            out,
            header=_text_array(json.dumps(header, ensure_ascii=False)),
            passages=_text_array(json.dumps([passage_to_record(p) for p in share.passages], ensure_ascii=False)),
            tokens=_text_array(json.dumps(share.tokens, ensure_ascii=False)),
            vectors=share.vectors,
            sentence_passage=share.sentences.passage,
            sentence_start=share.sentences.start,
            sentence_end=share.sentences.end,
            sentence_vectors=share.sentences.vectors,
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def load_share(folder: Path, source: str, sha256: str, passages: tuple[Passage, ...], model_id: str, tokenizer: dict[str, str]) -> LetterShare | None:
    """The stored share of this letter file, or None when there is none usable
    (absent, damaged, or encoded from passages the parser no longer gives)."""
    path = folder / cache_name(source, sha256, model_id, tokenizer)
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(_text(data["header"]))
            stored = tuple(record_to_passage(r) for r in json.loads(_text(data["passages"])))
            tokens = tuple(tuple(t) for t in json.loads(_text(data["tokens"])))
            vectors = data["vectors"]
            sentences = SentenceTable(data["sentence_passage"], data["sentence_start"], data["sentence_end"], data["sentence_vectors"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError):
        return None  # damaged: encoded again and overwritten
    if header.get("sha256") != sha256 or header.get("model_id") != model_id or stored != passages:
        return None
    if not (len(vectors) == len(tokens) == len(passages) and len(sentences.passage) == len(sentences.vectors)):
        return None
    return LetterShare(source, sha256, passages, vectors, sentences, tokens)


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")
