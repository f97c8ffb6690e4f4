"""The letters' metadata kept in the index, so a start parses no letter the index holds unchanged.

Each letter's record in a segment (see `segments`) keeps its `Letter` metadata, the digest of its
passages' content (`corpus.content_digest`, for exact duplicates) and the parser's version: a
start on an up-to-date index takes the letters from there, and an update parses only the files
that are new, changed (another SHA-256) or parsed by an older parser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .checksums import VerifiedFiles
from .corpus import HeldLetter, content_digest
from .documents import Letter, letter_to_record, record_to_letter
from .parse import PARSER_VERSION, ParsedLetter
from .store import StaleIndex


def letter_entry(parsed: ParsedLetter) -> dict:
    """What a letter's record in the index keeps of its parse."""
    return {"letter": letter_to_record(parsed.letter), "content_sha256": content_digest(parsed), "parser": PARSER_VERSION}


def stored_letters(manifest: dict) -> list[Letter]:
    """The letters an index holds, in file-name order (as `corpus.read_corpus` gives them)."""
    records = sorted((letter for segment in manifest["segments"] for letter in segment["letters"]), key=lambda record: record["source"])
    try:
        return [record_to_letter(record["letter"]) for record in records]
    except (KeyError, TypeError, ValueError) as why:
        raise StaleIndex(f"the index holds a letter's metadata it cannot read ({why!r})") from None


def held_letters(manifest: dict | None, stamps: VerifiedFiles) -> Callable[[Path], HeldLetter | None]:
    """For `corpus.read_corpus`: the letter a file holds when `manifest`'s index holds that file
    unchanged (the same name and SHA-256, read by this parser; `stamps` spare reading a file
    unchanged since it was last hashed), else None (it is parsed)."""
    records = {letter["source"]: letter for segment in manifest["segments"] for letter in segment["letters"]} if manifest else {}

    def held(path: Path) -> HeldLetter | None:
        record = records.get(path.name)
        if record is None or record["parser"] != PARSER_VERSION or record["sha256"] != stamps.sha256(path.absolute()):
            return None
        try:
            return HeldLetter(record_to_letter(record["letter"]), record["content_sha256"])
        except (KeyError, TypeError, ValueError):
            return None  # parsed again

    return held
