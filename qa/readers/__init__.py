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


def reader_for(path: Path) -> Reader | None:
    """The reader that accepts this file, or None when no reader does."""
    return next((reader for reader in READERS if reader.accepts(path)), None)


def read_document(path: Path) -> Document:
    """Read one file with the reader for its format; a `ReaderError` names the file."""
    reader = reader_for(path)
    if reader is None:
        raise ReaderError(f"{path}: not a format qa reads ({', '.join(sorted(SUFFIXES))})")
    if path.is_file() and path.stat().st_size == 0:
        raise ReaderError(f"{path}: the file is empty")
    return reader.read(path)


SUFFIXES = frozenset(s for reader in READERS for s in reader.suffixes)

__all__ = ["Document", "Line", "Reader", "ReaderError", "READERS", "SUFFIXES", "read_document", "reader_for"]
