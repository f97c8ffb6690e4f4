"""Plain-text letters (`.txt`, `.md`), in any layout: one line per paragraph, or hard-wrapped
text copied out of a PDF (with its page breaks as form feeds and its page furniture).

A file is decoded as UTF-8 (with or without BOM), UTF-16 (with BOM), or else in the Chinese
encoding its bytes fit best (GB18030/GBK, Big5, UTF-16 without BOM); anything else, an empty
file or a binary one is refused with a message naming the file (and what it is, when its first
bytes tell: an image, a zip archive…).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import charset_normalizer

from .base import Document, Line, ReaderError
from .sniff import named_as, sniff_bytes

# The encodings of Chinese text besides UTF-8, told apart by charset-normalizer: GB18030 (a
# superset of GBK and GB2312), Big5 as Windows (cp950) and Hong Kong (HKSCS) write it, and
# UTF-16 without a byte-order mark.
CHINESE_ENCODINGS = ["gb18030", "cp950", "big5hkscs", "utf_16_le", "utf_16_be"]
BINARY = "looks like a binary or damaged file (it holds NUL or control characters), not a text letter"
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_TABS = re.compile(r" *\t[\t ]*")
TAB_STOP = 4  # columns: a leading tab indents like four spaces (two ems)


class TextReader:
    format = "txt"
    suffixes = (".txt", ".md")

    def accepts(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path) -> Document:
        return text_document(read_text(path), markdown=path.suffix.lower() == ".md")


def text_document(text: str, markdown: bool = False) -> Document:
    """Lines of a text; pages split at form feeds; a blank line is a gap before the next line."""
    lines: list[Line] = []
    for page_number, page in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\f"), start=1):
        gap: bool | None = None  # what lies between pages is not known
        for raw in page.split("\n"):
            if not raw.strip():
                if lines and lines[-1].page == page_number:
                    gap = True
                continue
            body = _TABS.sub(" ", raw.lstrip())  # a tab after a label (`1.\t…`) is a space
            if markdown:
                body = _MARKDOWN_HEADING.sub("", body)
            indent = display_width(raw[: len(raw) - len(raw.lstrip())].expandtabs(TAB_STOP))
            lines.append(Line(body.rstrip(), page_number, indent, gap if lines else None))
            gap = False
    return Document(TextReader.format, tuple(lines))


def display_width(text: str) -> float:
    """Width in ems: a CJK or full-width character is one em, an ASCII one half an em."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def read_text(path: Path) -> str:
    """The text of a file, decoded strictly, with line ends as `\\n`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReaderError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not data.strip():
        raise ReaderError(f"{path}: the file is empty")
    kind = sniff_bytes(data[:1024])  # what the file is when it is no text (an image, a zip archive…)
    text = _decode(data, path, kind)
    if any(ch in text for ch in "\x00\ufffd") or _control_share(text) > 0.01:
        raise ReaderError(f"{path}: {named_as(kind, path.suffix or 'text') if kind else BINARY}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: Path, kind: str | None) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise ReaderError(f"{path}: starts with a {encoding} byte-order mark but is not valid {encoding} ({error.reason})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if kind is not None:
        raise ReaderError(f"{path}: {named_as(kind, path.suffix or 'text')}")
    guess = charset_normalizer.from_bytes(data, cp_isolation=CHINESE_ENCODINGS).best()
    if guess is not None:
        return str(guess)
    if b"\x00" in data:
        raise ReaderError(f"{path}: {BINARY}")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ReaderError(f"{path}: not text in an encoding qa reads (UTF-8, UTF-16, GB18030/GBK, Big5); save it as UTF-8") from None


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / max(len(text), 1)
