"""Word letters (`.docx`), read with python-docx, with Word's automatic numbering resolved.

The UN's Word files number paragraphs automatically: the text of paragraph 13 has no `13.` in
it; the number comes from the paragraph's numbering properties (`w:numPr`: `numId` and level
`ilvl`), set on the paragraph or inherited from its style, resolved through `numbering.xml`.
This reader computes those numbers as Word shows them and puts them in front of the text, so
the parser sees `13. …` as in any other format. Body paragraphs and tables are read in document
order; headers and footers (page furniture) are separate parts and are not read. Footnotes
(`word/footnotes.xml`) are numbered as Word shows them (in the order they are referenced): the
reference becomes its mark (`¹`) in the text and the footnote's text comes as `¹ …` at the foot
of its page, as a PDF prints it: before the first paragraph of the next page where Word saved
its page breaks (`w:lastRenderedPageBreak`, a page break), else after the paragraph citing it.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from lxml import etree

from .base import Document, Line, ReaderError
from .numbering import Numbering, NumberingError
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

        kind = sniff(path)
        if kind is not None and kind != ZIP:  # something else under a .docx name
            raise ReaderError(f"{path}: {named_as(kind, '.docx')}" + ("; open it in Word and save it as .docx" if kind == OLD_OFFICE else ""))
        try:
            _check_package(path)
            document = docx.Document(str(path))
            return Document(self.format, tuple(_lines(document)), wrapped=False)
        except _Damaged as error:
            raise ReaderError(f"{path}: not a readable Word (.docx) file ({error})") from None
        except NumberingError as error:
            raise ReaderError(f"{path}: not a readable Word (.docx) file (its numbering: {error})") from None
        except PackageNotFoundError:
            raise ReaderError(f"{path}: not a readable Word (.docx) file (no Word document in the package)") from None
        except OSError as error:
            raise ReaderError(f"{path}: cannot be read ({error.strerror or error})") from None


class _Damaged(ValueError):
    """A Word package whose zip or XML is damaged; says which part."""


_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}Types"


def _check_package(path: Path) -> None:
    """Refuse, naming the part, a file that is not a zip, an XML part that does not parse, or
    a package without its list of content types: python-docx would fail somewhere inside."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = {name: package.read(name) for name in package.namelist() if name.endswith((".xml", ".rels"))}
    except zipfile.BadZipFile:
        raise _Damaged("not a zip archive") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error) as error:
        raise _Damaged(f"the zip archive cannot be unpacked: {error}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    roots = {}
    for name, data in parts.items():
        try:
            roots[name] = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as error:
            raise _Damaged(f"{name} is not well-formed XML: {error.msg}") from None
    if "[Content_Types].xml" not in roots or roots["[Content_Types].xml"].tag != _CONTENT_TYPES:
        raise _Damaged("[Content_Types].xml is missing or lists no content types")


def _lines(document) -> list[Line]:
    numbering = Numbering.of(document)
    notes = _footnotes(document)
    marks: dict[str, str] = {}  # footnote id -> its number as Word shows it, in superscript
    # Where Word saved its page breaks, a footnote follows the last paragraph of its page (the
    # section in force at the page's foot, as a PDF prints it); else the paragraph citing it.
    paged = any(_ends_page(node) for node in document.element.body.iter(*_PAGE_BREAKS))
    cited: list[str] = []  # footnote ids cited and not yet placed
    lines: list[Line] = []
    gap = False

    def add(pieces: list[str]) -> None:
        nonlocal gap
        for piece in pieces:
            if piece:
                lines.append(Line(piece, 1, None, gap if lines else None))
                gap = False

    def footnotes() -> list[str]:
        placed = [f"{marks[note]} {notes[note]}" for note in cited if notes.get(note)]
        cited.clear()
        return placed

    for paragraph in _paragraphs(document.element.body):
        page_break = _page_break(paragraph) if paged else None
        if page_break == "start":
            add(footnotes())
        text = _text(paragraph, marks, cited)
        label = numbering.label(paragraph)
        pieces = [piece.strip() for piece in text.split("\n")]
        if not any(pieces):
            gap = True
            continue
        if label:
            pieces[0] = f"{label} {pieces[0]}"
        add(pieces + (footnotes() if page_break == "inside" or not paged else []))
    add(footnotes())
    return lines


def _page_break(paragraph) -> str | None:
    """Where a page ends in this paragraph, as Word saved it: "start" (before its text),
    "inside", or None."""
    text = False
    for node in paragraph.iter(f"{W}t", *_PAGE_BREAKS):
        if node.tag == f"{W}t":
            text = text or bool((node.text or "").strip())
        elif _ends_page(node):
            return "inside" if text else "start"
    return None


def _ends_page(node) -> bool:
    return node.tag == f"{W}lastRenderedPageBreak" or node.get(f"{W}type") == "page"


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
_PAGE_BREAKS = (f"{W}lastRenderedPageBreak", f"{W}br")
