"""Adding letters to the corpus and taking them out, index included.

    added = add_letters(settings, [Path("new.txt")])   # parse, encode, copy, update
    remove_letter(settings, "005")

A new letter is parsed (a file that is not a letter is refused with the
reason) and encoded into its share of the index *before* it is copied into the
corpus, all under the index's writer lock: a kill while encoding leaves the
corpus and the index as they were, and a kill after the copy leaves the old
index intact and the share stored, so the next run only assembles.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .errors import describe
from .corpus import MANY_OTHER_FILES, CorpusError, broken_link, content_digest, corpus_stamps, letter_files, load_letter, other_formats, read_corpus, without_file_name
from .held_letters import held_letters
from .readers import SUFFIXES
from .store import CORPUS_STAMPS, PARTIAL, StaleIndex, file_sha256, open_writer, read_manifest

COPYING = ".qa-adding"  # a letter being copied into the corpus: .NAME.qa-adding.partial


class LetterError(ValueError):
    """A letter cannot be added or removed; the message says which and why."""


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)  # file names now in the corpus
    present: list[str] = field(default_factory=list)  # already there, byte for byte
    refused: list[str] = field(default_factory=list)  # one line each: the file and why
    engine: object = None  # the updated Engine
    index_error: str = ""  # why the index could not be updated (then `engine` is None)


def names_letter(source: str, given: str) -> bool:
    """Whether `given` names the letter file `source`: its name, its stem, or its number prefix (000)."""
    stem = source.rsplit(".", 1)[0]
    return given in (source, stem) or stem.startswith(given + "_") or stem.split("_", 1)[0] == given


def add_letters(settings: Settings, paths: Sequence[Path], *, embedder=None, progress: bool = False) -> AddResult:
    """Copy each letter file (a folder: each letter file in it) into the corpus and update
    the index, encoding only the new letters. A file that is not a letter, whose name is
    taken by a different file, or that holds the same letter as another file of the corpus,
    is refused (listed in `refused`) and the others go on."""
    from .embedder import Embedder, resolve_model
    from .engine import Engine, encode_letter
    from .letter_cache import load_share, save_share
    from .tokens import ChineseTokenizer

    result = AddResult()
    corpus_dir = settings.corpus_dir
    if not corpus_dir.is_dir():
        raise LetterError(f"{corpus_dir}: corpus folder not found")
    files = _letter_paths(map(Path, paths), result.refused)
    with open_writer(settings.index_dir) as writer:
        _clean_copies(corpus_dir)
        letters = []
        known: dict[str, str] | None = None  # each corpus letter's content digest -> its file name, read when first needed
        for path in files:
            try:
                if _already_present(path, corpus_dir):
                    result.present.append(path.name)
                    continue
                parsed = load_letter(path)
                if known is None:
                    known = _corpus_contents(settings)
                same = known.setdefault(content_digest(parsed), path.name)
                if same != path.name:
                    raise LetterError(f"{path}: the same letter as {same} (the same passages under another name); not added")
                letters.append((path, parsed))
            except (CorpusError, LetterError) as error:
                result.refused.append(f"{path}: {without_file_name(str(error), path)}")
        if not (letters or result.present):
            return result
        embedder = embedder or Embedder(resolve_model(settings.model, settings.cache_dir))
        tokenizer = ChineseTokenizer()
        for path, parsed in letters:
            try:
                sha256 = file_sha256(path)
                share = load_share(writer.letters_dir, parsed.letter.source, sha256, tuple(parsed.passages), embedder.model_id, tokenizer.settings)
                if share is None:  # not encoded by an earlier, interrupted add
                    share = encode_letter(parsed, sha256, embedder, tokenizer, progress=progress)
                    save_share(writer.letters_dir, share, embedder.model_id, tokenizer.settings)
                _copy_into(path, corpus_dir)
                result.added.append(path.name)
            except LetterError as error:
                result.refused.append(str(error))
            except OSError as error:  # a full disk, a corpus folder that cannot be written
                result.refused.append(f"{path}: not stored ({describe(error)})")
        try:
            result.engine = Engine.open(settings, embedder=embedder, progress=progress)
        except Exception as error:  # the letters added stay in the corpus: say so, not only why
            result.index_error = f"{describe(error)}; the letters added are in the corpus, and the next command (or 'qa index --if-stale') puts them in the index"
    return result


def remove_letter(settings: Settings, given: str, *, embedder=None, progress: bool = False):
    """Delete one letter file of the corpus (named by file name, stem or unique
    prefix) and update the index; returns (its file name, the updated Engine)."""
    from .engine import Engine

    with open_writer(settings.index_dir):
        files = letter_files(settings.corpus_dir)
        matches = [path for path in files if names_letter(path.name, given)]
        if not matches:
            raise LetterError(f"no letter in {settings.corpus_dir} matches {given!r}; see 'qa corpus'")
        if len(matches) > 1:
            raise LetterError(f"{given!r} matches several letters: {', '.join(p.name for p in matches)}")
        if len(files) == 1:
            raise LetterError(f"{matches[0].name} is the only letter of the corpus; qa needs at least one")
        matches[0].unlink()
        return matches[0].name, Engine.open(settings, embedder=embedder, progress=progress)


def _corpus_contents(settings: Settings) -> dict[str, str]:
    """Each corpus letter's `content_digest` -> its file name. The index keeps the digests of the
    letters it holds unchanged, so only the other files are parsed (an archive is not read whole
    to add one letter)."""
    stamps = corpus_stamps(settings.index_dir / CORPUS_STAMPS)
    try:
        manifest = read_manifest(settings.index_dir)
    except StaleIndex:  # no index yet, or one this qa cannot read: every letter is parsed
        manifest = None
    loaded = read_corpus(settings.corpus_dir, held_letters(manifest, stamps))
    return {content: letter.source for content, letter in zip(loaded.contents, loaded.every, strict=True)}


def _letter_paths(paths: Iterable[Path], refused: list[str]) -> list[Path]:
    """The files to add: each file given, and the letter files of each folder given (in name
    order; hidden files and subfolders are passed over, another format is refused)."""
    files = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        others = []
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.is_dir():
                continue
            if child.suffix.lower() in SUFFIXES:
                files.append(child)
            else:
                others.append(child)
        many = len(others) > MANY_OTHER_FILES  # then one line counts them
        refused.extend(f"{path}: {item}" if many else f"{path / item.name}: {item.reason}" for item in other_formats(others))
    return files


def _already_present(path: Path, corpus_dir: Path) -> bool:
    """True when the corpus holds this very file; LetterError when its name is
    taken by a different one (never overwritten)."""
    if not path.is_file():
        problem = broken_link(path) if path.is_symlink() else None
        raise LetterError(f"{path}: {problem or ('not a regular file' if path.exists() else 'no such file')}")
    target = corpus_dir / path.name
    if not (target.exists() or target.is_symlink()):
        return False
    if target.is_file() and file_sha256(target) == file_sha256(path):
        return True
    raise LetterError(f"{path}: the corpus already has a different file named {path.name}; rename the new letter")


def _copy_into(path: Path, corpus_dir: Path) -> None:
    """Copy a file into the corpus under its own name, never over another file:
    written beside it as a `.partial`, then linked into place (which refuses an
    existing name) so the corpus never holds half a letter."""
    target = corpus_dir / path.name
    partial = corpus_dir / f".{path.name}{COPYING}{PARTIAL}"
    with open(path, "rb") as source, open(partial, "wb") as out:
        while block := source.read(1 << 20):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(partial, target)
    except FileExistsError:
        raise LetterError(f"{path}: the corpus already has a file named {path.name}; rename the new letter") from None
    finally:
        partial.unlink()
    if target not in letter_files(corpus_dir):
        target.unlink()  # qa just created it, and would never read it
        raise LetterError(f"{path}: qa does not read {path.suffix or 'extension-less'} files as letters")


def _clean_copies(corpus_dir: Path) -> None:
    """Remove copies a killed `qa add` left half-written (only qa's own names)."""
    for path in corpus_dir.glob(f".*{COPYING}{PARTIAL}"):
        path.unlink(missing_ok=True)
