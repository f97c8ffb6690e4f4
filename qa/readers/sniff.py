"""What a file really is, told from its first bytes: for the message that refuses a file whose
content is not what its name says (a web page saved as `.pdf`, a `.doc` renamed `.docx`, an
image renamed `.txt`).
"""

from __future__ import annotations

from pathlib import Path

PDF = "a PDF file"
ZIP = "a zip archive"
OLD_OFFICE = "an old Microsoft Office file (Word 97-2003 .doc, or .xls/.ppt)"
HTML = "an HTML web page"

_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLD_OFFICE),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # an empty zip
    (b"{\\rtf", "a Rich Text (.rtf) file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
)
_HEAD = 1024  # a PDF header may stand anywhere in the first 1024 bytes


def sniff(path: Path) -> str | None:
    """What the file is by its content (`PDF`, `ZIP`, `HTML`, …), or None when not known."""
    try:
        with open(path, "rb") as file:
            head = file.read(_HEAD)
    except OSError:
        return None
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> str | None:
    """`sniff` on a file's first bytes.

    >>> sniff_bytes(b"<!DOCTYPE html><html><body>Not found</body></html>")
    'an HTML web page'
    >>> sniff_bytes(b"\\n%PDF-1.7\\n") == PDF, sniff_bytes("安理会".encode()) is None
    (True, True)
    """
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if b"%PDF-" in head:
        return PDF
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (start.startswith(b"<") and b"<html" in start):
        return HTML
    if start.startswith(b"<?xml"):
        return "an XML file"
    return None


def named_as(kind: str, suffix: str) -> str:
    """The reason that refuses a file: `kind` under a `suffix` name."""
    return f"not a {suffix} file: it is {kind} with a {suffix} name"
