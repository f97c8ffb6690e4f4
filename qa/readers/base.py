"""What every reader gives: a document's lines, in reading order, with what the format knows
about their layout (page, indent, vertical gap, whether a line reaches the right margin).

Everything after reading (page furniture, joining wrapped lines, the letter's structure) works
on this structure alone and never asks which format the file was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class ReaderError(ValueError):
    """A file cannot be read as a document; the message names the file and says why."""


@dataclass(frozen=True)
class Line:
    """One line (a wrapped line of a PDF, or a whole paragraph of a Word file)."""

    text: str
    page: int = 1
    indent: float | None = None  # distance from the left margin, in ems (None: unknown)
    gap_before: bool | None = None  # a blank line or extra vertical space precedes it
    full: bool | None = None  # reaches the right margin, so the text may go on in the next line
    zone: str = ""  # "top" or "bottom": printed in the page's header or footer band


@dataclass(frozen=True)
class Document:
    format: str  # "txt", "pdf", "docx"
    lines: tuple[Line, ...]
    # True: lines are wrapped at the page width (a PDF); False: one line per paragraph (Word);
    # None: not known (plain text), decided from the lines' widths.
    wrapped: bool | None = None


class Reader(Protocol):
    format: str
    suffixes: tuple[str, ...]  # lower-case, with the dot

    def accepts(self, path: Path) -> bool: ...

    def read(self, path: Path) -> Document: ...
