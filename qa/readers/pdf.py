"""PDF letters: the text layer, read with pypdfium2 (PDFium), line by line with positions.

Positions give what plain extracted text loses: which lines sit in the header and footer bands
(page furniture), the indent of each line, the vertical gap before it, and whether it reaches
the right margin (a wrapped line whose paragraph goes on). A PDF without a text layer (a scan)
is refused: there is no OCR.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .base import Document, Line, ReaderError
from .sniff import PDF, named_as, sniff

# The header and footer bands: the top and bottom 9% of the page (ODS letters print the running
# header about 5% and the footer about 6% from the edge; the body starts well inside).
BAND = 0.09


@dataclass
class _Row:
    text: str
    left: float
    right: float
    bottom: float
    em: float  # the width of its CJK characters (0 when it has none)


class PdfReader:
    format = "pdf"
    suffixes = (".pdf",)

    def accepts(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path) -> Document:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(str(path))
        except OSError as error:
            raise ReaderError(f"{path}: cannot be read ({error.strerror or error})") from None
        except pdfium.PdfiumError:
            raise ReaderError(f"{path}: {_why_unreadable(path)}") from None
        try:
            lines: list[Line] = []
            for number in range(len(pdf)):
                page = pdf[number]
                lines.extend(_page_lines(page, number + 1))
        except pdfium.PdfiumError as error:
            raise ReaderError(f"{path}: a page of the PDF cannot be read ({error})") from None
        finally:
            pdf.close()
        if not any(line.text.strip() for line in lines):
            raise ReaderError(f"{path}: the PDF has no text layer (a scanned document?); qa does not do OCR")
        return Document(self.format, tuple(lines), wrapped=True)


def _why_unreadable(path: Path) -> str:
    """Why PDFium cannot open the file: it is something else under a .pdf name, it is locked
    with a password, or it is damaged."""
    kind = sniff(path)
    if kind is not None and kind != PDF:
        return named_as(kind, ".pdf")
    if kind is None:
        return "not a PDF file (it does not start as one); a damaged download?"
    if _encrypted(path):  # PDFium opens a file locked only against copying or printing
        return "the PDF is password-protected; qa cannot open it: save a copy without the password"
    return "not a readable PDF (damaged, incomplete or without pages)"  # PDFium's own reason can be an earlier file's


def _encrypted(path: Path) -> bool:
    """Whether the file has an encryption dictionary (PDFium's error code can be left over
    from an earlier file, so it is not asked)."""
    try:
        return b"/Encrypt" in path.read_bytes()
    except OSError:
        return False


def _page_lines(page, number: int) -> list[Line]:
    width, height = page.get_size()
    rows = _rows(page.get_textpage())
    body = [r for r in rows if BAND * height < r.bottom < (1 - BAND) * height]
    if not body:
        return [Line(r.text, number, zone=_zone(r, height)) for r in rows]
    ems = [r.em for r in body if r.em]
    em = statistics.median(ems) if ems else statistics.median(r.right - r.left for r in body) / 20
    left = min(r.left for r in body)
    # The right margin is where most lines end (justified); a closing mark kept on a full line
    # (kinsoku) may stick out beyond it, so the widest line does not say where the margin is.
    ends = sorted(r.right for r in body if r.right - left > (max(r.right for r in body) - left) / 2)
    right = ends[len(ends) // 2]
    # The line pitch: the smallest distance between baselines that recurs (a paragraph's lines);
    # more than that before a line is paragraph spacing.
    pitches = Counter(round((a.bottom - b.bottom) * 2) / 2 for a, b in zip(body, body[1:]) if 0.8 * em < a.bottom - b.bottom < 3 * em)
    recurring = [p for p, n in pitches.items() if n >= 2] or list(pitches)
    pitch = min(recurring) if recurring else em * 1.5
    lines = []
    previous: _Row | None = None
    for row in rows:
        zone = _zone(row, height)
        if zone:
            lines.append(Line(row.text, number, zone=zone))
            continue
        gap = None if previous is None else previous.bottom - row.bottom > pitch * 1.3
        lines.append(Line(row.text, number, round((row.left - left) / em * 2) / 2, gap, row.right >= right - em * 0.8))
        previous = row
    return lines


def _zone(row: _Row, height: float) -> str:
    if row.bottom >= (1 - BAND) * height:
        return "top"
    if row.bottom <= BAND * height:
        return "bottom"
    return ""


def _rows(textpage) -> list[_Row]:
    """The page's lines as PDFium splits its text, each with its box (loose glyph boxes, so a
    full-width bracket's side bearing does not shift the indent)."""
    text = _with_superscripts(textpage, textpage.get_text_range())
    rows: list[_Row] = []
    start = 0
    for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
        chars = text[start:end].rstrip("\r")
        boxes = [(ch, textpage.get_charbox(i, loose=True)) for i, ch in enumerate(chars, start) if not ch.isspace()]
        boxes = [(ch, b) for ch, b in boxes if b[2] > b[0]]
        if chars.strip() and boxes:
            cjk = [b[2] - b[0] for ch, b in boxes if "\u4e00" <= ch <= "\u9fff"]
            rows.append(
                _Row(
                    chars.strip(),
                    min(b[0] for _, b in boxes),
                    max(b[2] for _, b in boxes),
                    min(b[1] for _, b in boxes),
                    statistics.median(cjk) if cjk else 0.0,
                )
            )
        start = end + 1
    return _merge_same_line(rows)


def _merge_same_line(rows: list[_Row]) -> list[_Row]:
    """Pieces PDFium split off a line (a raised footnote mark, a label drawn apart from its
    text) joined back to it: they follow on its right at about the same height."""
    merged: list[_Row] = []
    for row in rows:
        last = merged[-1] if merged else None
        size = max(row.em, last.em if last else 0) or 10.0
        if last is not None and row.left >= last.right - 0.2 * size and abs(row.bottom - last.bottom) < 0.6 * size:
            gap = " " if row.left - last.right > 0.3 * size else ""
            merged[-1] = _Row(last.text + gap + row.text, last.left, row.right, min(last.bottom, row.bottom), last.em or row.em)
        else:
            merged.append(row)
    return merged


def _with_superscripts(textpage, text: str) -> str:
    """Footnote marks printed as small raised digits, written as superscript digits (`¹`), as
    the text of a letter writes them; PDFium gives them as plain digits."""
    import pypdfium2.raw as pdfium_c

    sizes = [pdfium_c.FPDFText_GetFontSize(textpage.raw, i) for i in range(len(text))]
    body = statistics.median([size for size, ch in zip(sizes, text) if "\u4e00" <= ch <= "\u9fff"] or [0])
    if not body:
        return text
    return "".join(
        _SUPERSCRIPT[ch] if ch in _SUPERSCRIPT and size < 0.8 * body else ch for ch, size in zip(text, sizes)
    )


_SUPERSCRIPT = dict(zip("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰"))
