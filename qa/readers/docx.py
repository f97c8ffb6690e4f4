"""Word letters (`.docx`), read with python-docx, with Word's automatic numbering resolved.

The UN's Word files number paragraphs automatically: the text of paragraph 13 has no `13.` in
it; the number comes from the paragraph's numbering properties (`w:numPr`: `numId` and level
`ilvl`), set on the paragraph or inherited from its style, resolved through `numbering.xml`.
This reader computes those numbers as Word shows them and puts them in front of the text, so
the parser sees `13. …` as in any other format. Body paragraphs and tables are read in document
order; headers and footers (page furniture) are separate parts and are not read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .base import Document, Line, ReaderError
from .numbering import Numbering

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocxReader:
    format = "docx"
    suffixes = (".docx",)

    def accepts(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path) -> Document:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ReaderError(f"{path}: not a readable Word (.docx) file ({error or type(error).__name__})") from None
        numbering = Numbering.of(document)
        lines: list[Line] = []
        gap = False
        for paragraph in _paragraphs(document.element.body):
            text = _text(paragraph)
            label = numbering.label(paragraph)
            pieces = [piece.strip() for piece in text.split("\n")]
            if not any(pieces):
                gap = True
                continue
            if label:
                pieces[0] = f"{label} {pieces[0]}"
            for piece in pieces:
                if piece:
                    lines.append(Line(piece, 1, None, gap if lines else None))
                    gap = False
        return Document(self.format, tuple(lines), wrapped=False)


def _paragraphs(body):
    """Every `w:p` of the body in document order, table cells and text boxes included."""
    yield from body.iter(f"{W}p")


def _text(paragraph) -> str:
    """The paragraph's own text (not that of a text box inside it); a line break is `\\n`."""
    pieces = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if next(node.iterancestors(f"{W}p")) is not paragraph:
            continue
        pieces.append(node.text or "" if node.tag == f"{W}t" else " " if node.tag == f"{W}tab" else "\n")
    return "".join(pieces)
