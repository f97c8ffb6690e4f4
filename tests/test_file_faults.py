"""Letter files as users really have them: Chinese text in the encodings Windows and Taiwan
write (Big5, UTF-16 without a byte-order mark), and files that are something else under a
letter's name (a web page saved as .pdf, an old .doc renamed .docx, an image renamed .txt, a
password-protected PDF). Each is read right, or refused in one line that says what it is."""

from __future__ import annotations

import re

import pytest

from qa.corpus import load_letter, read_corpus
from qa.readers import ReaderError, read_document
from qa.readers.text import read_text

from .conftest import CORPUS, RETREAT
from .letter_forms import traditional as to_traditional, write_form


def traditional(name: str) -> str:
    return to_traditional((CORPUS / name).read_text(encoding="utf-8"), big5=True)


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_big5_text_is_read_as_the_traditional_chinese_it_holds(tmp_path, encoding):
    text = traditional(RETREAT)
    path = tmp_path / "traditional.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_gives_the_same_passages(tmp_path, letters, encoding):
    path = tmp_path / RETREAT
    path.write_bytes((CORPUS / RETREAT).read_text(encoding="utf-8").replace("\n", "\r\n").encode(encoding))
    assert load_letter(path).passages == letters[RETREAT].passages


def test_gb18030_text_still_reads_as_before(tmp_path, letters):
    path = tmp_path / RETREAT
    path.write_bytes((CORPUS / RETREAT).read_text(encoding="utf-8").encode("gb18030"))
    assert load_letter(path).passages == letters[RETREAT].passages


OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # the first bytes of a Word 97-2003 .doc


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.pdf", b"<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>\n", "not a .pdf file: it is an HTML web page with a .pdf name"),
        ("old.docx", OLE2 + bytes(4000), "not a .docx file: it is an old Microsoft Office file (Word 97-2003 .doc, or .xls/.ppt) with a .docx name; open it in Word and save it as .docx"),
        ("scan.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not a .txt file: it is a PNG image with a .txt name"),
        ("notes.md", b"PK\x03\x04" + bytes(range(256)) * 8, "not a .md file: it is a zip archive with a .md name"),
    ],
)
def test_a_file_that_is_something_else_is_refused_saying_what_it_is(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ReaderError, match=re.escape(f"{tmp_path / name}: {message}") + "$"):
        read_document(tmp_path / name)


def locked_pdf(path, user_password: str) -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption(user_password, ownerPassword="owner", canCopy=0, canPrint=0))
    page.setFont("STSong-Light", 12)
    page.drawString(72, 720, "2020年3月3日科威特常驻联合国代表给安全理事会主席的信")
    page.save()


# A PDF with no pages (as pypdf writes one): PDFium refuses it without a reason of its own.
ZERO_PAGES = b"%PDF-1.3\n1 0 obj\n<< /Type /Pages /Count 0 /Kids [ ] >>\nendobj\n2 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000062 00000 n \ntrailer\n<< /Size 3 /Root 2 0 R >>\nstartxref\n111\n%%EOF\n"


def test_a_password_protected_pdf_is_refused_as_such_and_the_next_file_is_not(tmp_path):
    locked_pdf(tmp_path / "locked.pdf", "secret")
    with pytest.raises(ReaderError, match=r"locked\.pdf: the PDF is password-protected; .*save a copy without the password$"):
        read_document(tmp_path / "locked.pdf")
    (tmp_path / "empty.pdf").write_bytes(ZERO_PAGES)  # PDFium reports the locked file's reason again
    with pytest.raises(ReaderError) as refused:
        read_document(tmp_path / "empty.pdf")
    reason = str(refused.value).removeprefix(f"{tmp_path / 'empty.pdf'}: ")
    assert "password" not in reason and reason.startswith("not a readable PDF")


def test_a_pdf_locked_only_against_copying_is_read(tmp_path):
    locked_pdf(tmp_path / "locked.pdf", "")
    assert "科威特" in read_document(tmp_path / "locked.pdf").lines[0].text


def test_a_text_file_with_nul_bytes_is_refused_and_the_folder_loads_the_rest(tmp_path):
    text = (CORPUS / RETREAT).read_text(encoding="utf-8")
    (tmp_path / RETREAT).write_text(text, encoding="utf-8")
    (tmp_path / "damaged.txt").write_bytes((text[:400] + "\x00\x00" + text[400:]).encode("utf-8"))
    loaded = read_corpus(tmp_path)
    assert [parsed.letter.source for parsed in loaded.letters] == [RETREAT]
    assert [(item.name, item.reason) for item in loaded.skipped] == [("damaged.txt", "looks like a binary or damaged file (it holds NUL or control characters), not a text letter")]


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.txt")))
def test_a_big5_letter_in_traditional_script_gives_the_same_passages_in_that_script(tmp_path, letters, name):
    parsed, expected = load_letter(write_form(CORPUS / name, "big5", tmp_path)), letters[name]
    assert [(p.id, p.label, p.section, p.text) for p in parsed.passages] == [(p.id, p.label, tuple(map(to_traditional, p.section)), to_traditional(p.text)) for p in expected.passages]
    got, want = parsed.letter, expected.letter
    assert (got.title, got.date, got.senders, got.addressee) == (to_traditional(want.title), want.date, tuple(map(to_traditional, want.senders)), to_traditional(want.addressee))
    assert [(s.name, s.titles) for s in got.signatories] == [(to_traditional(s.name), tuple(map(to_traditional, s.titles))) for s in want.signatories]
