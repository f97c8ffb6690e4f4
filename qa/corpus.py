"""The corpus folder: reading letter files safely and parsing them all.

Users drop letters into `corpus/` as `.txt`/`.md`, `.pdf` or `.docx` files (`qa.readers`). A
folder never fails as a whole: a file that cannot be read or parsed is skipped with a one-line
reason naming it, and the rest load. Files are read only from inside the folder (a link to
elsewhere is refused, a dangling one reported); an exact duplicate of another letter is skipped;
a letter too short to be one is loaded with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .checksums import VerifiedFiles, file_sha256
from .documents import Letter
from .parse import PARSER_VERSION, LetterFormatError, ParsedLetter, parse_document
from .readers import SUFFIXES, ReaderError, read_document
from .readers.text import read_text

log = logging.getLogger(__name__)

# A letter's text after its title, in characters, below which it is reported as implausibly
# short (a truncated or mistaken file): the shortest letters run to a few hundred characters.
MIN_LETTER_CHARS = 200
# Files of other formats in the folder above this many are reported in one line.
MANY_OTHER_FILES = 10


class CorpusError(ValueError):
    """A corpus file cannot be read as a letter; the message names the file."""


@dataclass(frozen=True)
class Skipped:
    """A file of the corpus folder that was not loaded, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class HeldLetter:
    """A letter file the index holds unchanged: its metadata and `content_digest`, kept so the
    file need not be parsed again."""

    letter: Letter
    content: str


@dataclass(frozen=True)
class CorpusLoad:
    letters: tuple[ParsedLetter, ...]  # the letters parsed
    skipped: tuple[Skipped, ...] = ()  # not loaded
    warnings: tuple[Skipped, ...] = ()  # loaded, but suspicious
    every: tuple[Letter, ...] = ()  # every letter loaded, parsed or held, in file-name order
    contents: tuple[str, ...] = ()  # the `content_digest` of each of `every`


def read_letter_text(path: Path) -> str:
    """The text of one plain-text letter file, decoded strictly."""
    try:
        return read_text(path)
    except ReaderError as error:
        raise CorpusError(str(error)) from None


def load_letter(path: Path) -> ParsedLetter:
    """Read and parse one letter file of any format qa reads; errors name the file."""
    try:
        return parse_document(read_document(path), path.name)
    except (ReaderError, LetterFormatError) as error:
        raise CorpusError(str(error)) from None


def letter_files(corpus_dir: Path) -> list[Path]:
    """The letter files of a corpus folder that may be read (inside it), in file-name order."""
    files, _ = _scan(corpus_dir)
    if not files:
        raise CorpusError(f"{corpus_dir}: no letters ({', '.join(sorted(SUFFIXES))}) in the corpus folder")
    return files


def read_corpus(corpus_dir: Path, held: Callable[[Path], HeldLetter | None] = lambda path: None) -> CorpusLoad:
    """Every letter of the folder that loads, with the files skipped and the warnings. A file
    for which `held` gives the letter is not parsed (it counts for duplicates all the same)."""
    files, skipped = _scan(corpus_dir)
    letters: list[ParsedLetter] = []
    every: list[Letter] = []
    warnings: list[Skipped] = []
    seen: dict[str, str] = {}
    for path in files:
        known = held(path)
        if known is None:
            try:
                parsed = load_letter(path)
            except CorpusError as error:
                skipped.append(Skipped(path.name, without_file_name(str(error), path)))
                continue
            known = HeldLetter(parsed.letter, content_digest(parsed))
        else:
            parsed = None
        if known.content in seen:
            skipped.append(Skipped(path.name, f"an exact duplicate of {seen[known.content]}; skipped"))
            continue
        seen[known.content] = path.name
        if parsed is not None:
            length = sum(len(p.text) for p in parsed.passages if p.label != "title")
            if length < MIN_LETTER_CHARS:
                warnings.append(Skipped(path.name, f"only {length} characters of text after the title, implausibly short for a letter (a truncated file?)"))
            letters.append(parsed)
        every.append(known.letter)
    return CorpusLoad(tuple(letters), tuple(skipped), tuple(warnings), tuple(every), tuple(seen))


def content_key(parsed: ParsedLetter) -> tuple:
    """What makes two files the same letter: the same passages, whatever the file's name or format."""
    return tuple((p.part, p.label, p.section, p.kind, p.text) for p in parsed.passages)


def content_digest(parsed: ParsedLetter) -> str:
    """`content_key` in short, as the index keeps it for the letters it holds."""
    return hashlib.sha256(json.dumps(content_key(parsed), ensure_ascii=False).encode("utf-8")).hexdigest()


def load_corpus(corpus_dir: Path) -> list[ParsedLetter]:
    """The letters of the folder that load; skipped files and warnings are logged.

    Raises CorpusError only when no letter at all can be loaded."""
    return list(refresh_corpus(corpus_dir).letters)


def refresh_corpus(corpus_dir: Path, held: Callable[[Path], HeldLetter | None] = lambda path: None) -> CorpusLoad:
    """`read_corpus`, its skipped files and warnings logged. Raises CorpusError only when no
    letter at all can be loaded."""
    loaded = read_corpus(corpus_dir, held)
    for item in loaded.skipped:
        log.warning("skipped %s", item)
    for item in loaded.warnings:
        log.warning("%s", item)
    if not loaded.every:
        reasons = "; ".join(str(item) for item in loaded.skipped)
        raise CorpusError(f"{corpus_dir}: no letter could be loaded" + (f" ({reasons})" if reasons else ""))
    return loaded


def corpus_hash(paths: Iterable[Path], stamps: VerifiedFiles | None = None) -> str:
    """Content hash of the corpus files (names and bytes) and of the parser's version, for
    index staleness checks. With `stamps` (`corpus_stamps`), a file unchanged since it was
    last hashed (size, modification time, inode) is not read again."""
    digest = hashlib.sha256(f"parser {PARSER_VERSION}\0".encode("ascii"))
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(stamps.sha256(path.absolute()) if stamps else file_sha256(path)))
    return digest.hexdigest()


def corpus_stamps(record: Path) -> VerifiedFiles:
    """The letters' checksums with their stamps, kept in `record` (a file of the index), by
    absolute path: another corpus folder's files are hashed afresh."""
    return VerifiedFiles(Path("/"), record)


def _scan(corpus_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """Files of the folder that may be read, and those refused (links out, dangling links,
    formats qa does not read)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus folder not found")
    root = corpus_dir.resolve()
    files: list[Path] = []
    refused: list[Skipped] = []
    other: list[Path] = []
    for path in sorted(corpus_dir.iterdir()):
        if path.name.startswith(".") or (path.is_dir() and not path.is_symlink()):
            continue
        if path.is_symlink():
            problem = broken_link(path)
            if problem:
                refused.append(Skipped(path.name, problem))
                continue
            target = path.resolve()
            if not target.is_relative_to(root):
                refused.append(Skipped(path.name, f"a link to {target}, outside the corpus folder; refused"))
                continue
        if not path.is_file():
            refused.append(Skipped(path.name, "not a regular file"))
        elif path.suffix.lower() not in SUFFIXES:
            other.append(path)
        else:
            files.append(path)
    return files, refused + other_formats(other)


def broken_link(path: Path) -> str | None:
    """Why the symbolic link `path` leads to no file (a loop, a missing target), or None."""
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop
        return "a link that loops back on itself (it leads to no file); refused"
    return None if target.exists() else f"a link to {path.readlink()}, which does not exist"


def other_formats(paths: list[Path]) -> list[Skipped]:
    """Files of formats qa does not read, one line each; many (a folder of photos, data
    files) in one line counting them by extension, so the letters' own lines stay readable."""
    reads = f"not a format qa reads ({', '.join(sorted(SUFFIXES))})"
    if len(paths) <= MANY_OTHER_FILES:
        return [Skipped(path.name, reads) for path in paths]
    counts = Counter(path.suffix.lower() or "no extension" for path in paths)
    kinds = ", ".join(f"{count:,} {suffix}" for suffix, count in counts.most_common())
    return [Skipped(f"{len(paths):,} files ({kinds})", reads)]


def without_file_name(message: str, path: Path) -> str:
    """An error message without the file's path in front (the caller names the file)."""
    for prefix in (f"{path}: ", f"{path.name}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
