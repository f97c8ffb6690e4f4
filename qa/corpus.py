"""The corpus folder: reading letter files safely and parsing them all.

Users drop `.txt` letters into `corpus/`. A file is decoded as UTF-8 (with or
without BOM), UTF-16 (with BOM) or GB18030 (a superset of GBK); anything else,
an empty file or a binary one is refused with a message naming the file, so a
letter is never half-read.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterable
from pathlib import Path

from .parse import LetterFormatError, ParsedLetter, parse_letter


class CorpusError(ValueError):
    """A corpus file cannot be read as a letter; the message names the file."""


def read_letter_text(path: Path) -> str:
    """The text of one letter file, decoded strictly."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CorpusError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty")
    text = _decode(data, path)
    if any(ch in text for ch in "\x00\ufffd") or _control_share(text) > 0.01:
        raise CorpusError(f"{path}: looks like a binary file, not a text letter")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: Path) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise CorpusError(f"{path}: starts with a {encoding} byte-order mark but is not valid {encoding} ({error.reason})") from None
    if b"\x00" in data:
        raise CorpusError(f"{path}: looks like a binary file, not a text letter")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"{path}: not valid UTF-8, UTF-16 or GBK/GB18030 text; save it as UTF-8")


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / max(len(text), 1)


def load_letter(path: Path) -> ParsedLetter:
    """Read and parse one letter file; errors name the file."""
    text = read_letter_text(path)
    try:
        return parse_letter(text, path.name)
    except LetterFormatError as error:
        raise CorpusError(str(error)) from None


def letter_files(corpus_dir: Path) -> list[Path]:
    """The `.txt` letters of a corpus folder, in file-name order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus folder not found")
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    if not files:
        raise CorpusError(f"{corpus_dir}: no .txt letters in the corpus folder")
    return files


def load_corpus(corpus_dir: Path) -> list[ParsedLetter]:
    """Every letter of the folder, parsed; the first unreadable file stops it."""
    return [load_letter(path) for path in letter_files(corpus_dir)]


def corpus_hash(paths: Iterable[Path]) -> str:
    """Content hash of the corpus files (names and bytes), for index staleness checks."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
