"""Word letters (`.docx`), read with python-docx, with Word's automatic numbering resolved.

The UN's Word files number paragraphs automatically: the text of paragraph 13 has no `13.` in
it; the number comes from the paragraph's numbering properties (`w:numPr`: `numId` and level
`ilvl`), set on the paragraph or inherited from its style, resolved through `numbering.xml`.
This reader computes those numbers as Word shows them and puts them in front of the text, so
the parser sees `13. …` as in any other format. Body paragraphs and tables are read in document
order; headers and footers (page furniture) are separate parts and are not read. Footnotes
(`word/footnotes.xml`) are numbered as Word shows them (in the order they are referenced): the
reference becomes its mark (`¹`) in the text and the footnote's text follows the paragraph that
first cites it as `¹ …`, as a PDF prints it at the foot of that page.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from .base import Document, Line, ReaderError
from .numbering import Numbering
from .sniff import OLD_OFFICE, ZIP, named_as, sniff

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
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, OSError, etree.LxmlError) as error:
            raise ReaderError(f"{path}: {_why_unreadable(path, error)}") from None
        try:
            return Document(self.format, tuple(_lines(document)), wrapped=False)
        except (KeyError, ValueError, TypeError, AttributeError, etree.LxmlError) as error:
            # A part that is not what Word writes (a damaged or hand-made file).
            raise ReaderError(f"{path}: not a readable Word (.docx) file ({error or type(error).__name__})") from None


def _why_unreadable(path: Path, error: Exception) -> str:
    """Why python-docx cannot open the file: it is something else under a .docx name (an old
    .doc renamed), a zip that holds no Word document, or a damaged file."""
    kind = sniff(path)
    if kind == OLD_OFFICE:
        return f"{named_as(kind, '.docx')}; open it in Word and save it as .docx"
    if kind == ZIP:
        return f"not a readable Word (.docx) file (a zip archive without a Word document in it, or a damaged one: {error or type(error).__name__})"
    if kind is not None:
        return named_as(kind, ".docx")
    return "not a Word (.docx) file (it is not a zip archive, as a .docx is); a damaged download?"


def _lines(document) -> list[Line]:
    numbering = Numbering.of(document)
    notes = _footnotes(document)
    marks: dict[str, str] = {}  # footnote id -> its number as Word shows it, in superscript
    lines: list[Line] = []
    gap = False
    for paragraph in _paragraphs(document.element.body):
        cited: list[str] = []
        text = _text(paragraph, marks, cited)
        label = numbering.label(paragraph)
        pieces = [piece.strip() for piece in text.split("\n")]
        if not any(pieces):
            gap = True
            continue
        if label:
            pieces[0] = f"{label} {pieces[0]}"
        pieces += [f"{marks[note]} {notes[note]}" for note in cited if notes.get(note)]
        for piece in pieces:
            if piece:
                lines.append(Line(piece, 1, None, gap if lines else None))
                gap = False
    return lines


def _footnotes(document) -> dict[str, str]:
    """The text of each footnote of `word/footnotes.xml` by its id (none without that part)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import parse_xml

    try:
        part = document.part.part_related_by(RELATIONSHIP_TYPE.FOOTNOTES)
    except KeyError:
        return {}
    root = part.element if hasattr(part, "element") else parse_xml(part.blob)
    return {note.get(f"{W}id"): "".join(t.text or "" for t in note.iter(f"{W}t")).strip() for note in root.iter(f"{W}footnote") if note.get(f"{W}type") is None}


def _paragraphs(body):
    """Every `w:p` of the body in document order, table cells and text boxes included."""
    yield from body.iter(f"{W}p")


def _text(paragraph, marks: dict[str, str], cited: list[str]) -> str:
    """The paragraph's own text (not that of a text box inside it); a line break is `\\n`. A
    footnote reference is its mark, numbered on from `marks` (the footnote ids seen so far),
    and its id is added to `cited`; digits raised as superscript are written as such (`¹`)."""
    pieces = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}footnoteReference"):
        if next(node.iterancestors(f"{W}p")) is not paragraph:
            continue
        if node.tag == f"{W}footnoteReference":
            note = node.get(f"{W}id")
            if node.get(f"{W}customMarkFollows") in ("1", "true", "on"):
                continue  # the mark is the text that follows
            marks.setdefault(note, str(len(marks) + 1).translate(_SUPERSCRIPT))
            pieces.append(marks[note])
            if note not in cited:
                cited.append(note)
        elif node.tag == f"{W}t":
            text = node.text or ""
            pieces.append(text.translate(_SUPERSCRIPT) if text.isdigit() and _raised(node) else text)
        else:
            pieces.append(" " if node.tag == f"{W}tab" else "\n")
    return "".join(pieces)


def _raised(text_node) -> bool:
    align = text_node.getparent().find(f"{W}rPr/{W}vertAlign")
    return align is not None and align.get(f"{W}val") == "superscript"


_SUPERSCRIPT = str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰")
