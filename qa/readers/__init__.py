"""Readers: one small module per file format, all giving the same `Document`.

A new format is one new module with a reader object added to `READERS`.
"""

from __future__ import annotations

from pathlib import Path

from .base import Document, Line, Reader, ReaderError
from .docx import DocxReader
from .pdf import PdfReader
from .text import TextReader

READERS: tuple[Reader, ...] = (PdfReader(), DocxReader(), TextReader())
# The largest file read as a letter, by format, in MB: a letter's text runs to some hundred
# kilobytes and a PDF or Word file with its images to a few megabytes; a file far larger is
# something else (a dump, a video renamed) and would hold the whole folder up while read.
LARGEST_MB = {"pdf": 100, "docx": 100, "txt": 20}


def reader_for(path: Path) -> Reader | None:
    """The reader that accepts this file, or None when no reader does."""
    return next((reader for reader in READERS if reader.accepts(path)), None)


def read_document(path: Path) -> Document:
    """Read one file with the reader for its format; a `ReaderError` names the file."""
    reader = reader_for(path)
    if reader is None:
        raise ReaderError(f"{path}: not a format qa reads ({', '.join(sorted(SUFFIXES))})")
    try:
        size = path.stat().st_size
    except OSError as error:  # gone since the folder was listed, or unreadable
        raise ReaderError(f"{path}: cannot be read ({error.strerror or error})") from None
    if size == 0 and path.is_file():
        raise ReaderError(f"{path}: the file is empty")
    largest = LARGEST_MB[reader.format]
    if size > largest * 2**20:
        raise ReaderError(f"{path}: {size / 2**20:,.0f} MB, too large to be a letter (qa reads .{reader.format} letters up to {largest} MB); not read")
    return reader.read(path)


SUFFIXES = frozenset(s for reader in READERS for s in reader.suffixes)

__all__ = ["Document", "Line", "LARGEST_MB", "Reader", "ReaderError", "READERS", "SUFFIXES", "read_document", "reader_for"]
