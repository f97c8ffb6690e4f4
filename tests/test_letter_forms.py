"""The five letters in every form users have them in parse to the same cited passages.

The forms are generated from the shipped `.txt` letters by `tests/letter_forms.py`: a real
multi-page PDF laid out like an ODS document, a Word file with automatic numbering, the text
`pdftotext -layout` gives for that PDF (also with footers glued inside sentences at page
breaks, as pypdf may give them), and one-line-per-paragraph text with other numbering,
CRLF line ends, no blank lines, Markdown headings.
"""

from __future__ import annotations

import re

import pytest

from qa.corpus import load_letter
from qa.readers import ReaderError, read_document

from .conftest import CORPUS
from .letter_forms import UNSEEN_FORMS, identity, layout_text, normalise_space, write_form

LETTERS = sorted(path.name for path in CORPUS.glob("*.txt"))
# plain.txt (pypdf's text: no indentation, no blank lines) is asserted only for the letters whose
# paragraph ends its widths and punctuation tell (`test_pypdf_text_...`); scripts/bench_forms.py
# measures every letter: without indents or spacing a paragraph's end is not always knowable.
FORMS = (
    *("pdf", "docx", "layout.txt", "glued.txt", "fullwidth", "comma", "crlf", "compact", "markdown", "narrow.txt", "tabs", "mixed", "docx-overrides"),
    *("docx-typed", "docx-styled", "spaced-plain.txt", "wide-headings", "header-glued.txt", "docx-footnotes"),
    *UNSEEN_FORMS,
)
COVERED = ("pdf", "docx", "layout.txt", "glued.txt", "header-glued.txt", "pdf-letter", "pdf-one-line-cover")  # the forms that carry a cover block
FURNITURE = re.compile(r"A/\d{2}/\d{3}|\d{2}-\d{5}|\*\d{5,9}\*|请回收|Distr\.|Original:|(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])|联 ?合 ?国 ?S/")


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """Every letter in every form, parsed: {(form, source): ParsedLetter}."""
    folder = tmp_path_factory.mktemp("forms")
    return {(form, name): load_letter(write_form(CORPUS / name, form, folder / form)) for form in FORMS for name in LETTERS}


def passage_rows(parsed):
    return [(p.id.split("/", 1)[1], p.part, p.label, p.section, normalise_space(p.text)) for p in parsed.passages]


@pytest.mark.parametrize("form", FORMS)
def test_every_letter_gives_the_same_passages_in_every_form(forms, letters, form):
    for name in LETTERS:
        parsed = forms[(form, name)]
        assert passage_rows(parsed) == passage_rows(letters[name]), f"{name} as {form}"
        assert [p.id.split("/", 1)[0] for p in parsed.passages] == [name.rsplit(".", 1)[0]] * len(parsed.passages)


@pytest.mark.parametrize("form", FORMS)
def test_letter_metadata_is_the_same_in_every_form(forms, letters, form):
    for name in LETTERS:
        got, expected = forms[(form, name)].letter, letters[name].letter
        assert (got.title, got.date, got.senders, got.addressee, got.signatories, got.annex_title) == (
            expected.title,
            expected.date,
            expected.senders,
            expected.addressee,
            expected.signatories,
            expected.annex_title,
        ), f"{name} as {form}"


@pytest.mark.parametrize("form", COVERED)
def test_no_page_furniture_in_any_passage(forms, form):
    for name in LETTERS:
        who = identity(CORPUS / name)
        for passage in forms[(form, name)].passages:
            where = " ".join((*passage.section, passage.text))
            assert not FURNITURE.search(where), (name, form, passage.id, FURNITURE.search(where))
            assert who.symbol not in where, (name, form, passage.id)


@pytest.mark.parametrize("form", COVERED)
def test_the_cover_gives_symbol_distribution_date_and_original_language(forms, form):
    for name in LETTERS:
        who = identity(CORPUS / name)
        parsed = forms[(form, name)]
        header = dict(parsed.letter.header)
        assert parsed.letter.symbol == who.symbol, (name, form)
        assert header["date"] == who.distributed.isoformat() and header["original_language"] == "English", (name, form)
        assert all(p.letter_symbol == who.symbol for p in parsed.passages)


def test_citation_names_the_symbol_when_the_cover_gives_one(forms):
    passage = next(p for p in forms[("pdf", "000_bcf0f639adb97a43.txt")].passages if p.label == "13")
    assert passage.citation == f"{identity(CORPUS / '000_bcf0f639adb97a43.txt').symbol} · 附件 · 第13段"


@pytest.mark.parametrize(
    ("name", "form"),
    [
        *(("000_bcf0f639adb97a43.txt", "plain.txt"), ("002_f3e08423b88a68df.txt", "plain.txt"), ("003_f8451f1751e71b7b.txt", "plain.txt")),
        ("001_3f00e30ef83b5dc3.txt", "plain.txt"),
        *((name, "narrow-plain.txt") for name in LETTERS),
        *(("002_f3e08423b88a68df.txt", "marks-plain.txt"), ("003_f8451f1751e71b7b.txt", "marks-plain.txt")),
    ],
)
def test_pypdf_text_without_indents_or_spacing_gives_the_same_passages(tmp_path, letters, name, form):
    # Paragraph ends known only from widths: a first line short of the margin by its lost indent
    # after a sentence ending at the margin; a line wider than a labelled first line above it; a
    # full first line (short by its indent) that goes on; items listed inline within a sentence;
    # a paragraph after a bullet whose sentence ended at the bullet's margin (001: its next line
    # reaches past where lines under a label can); on a narrow page (004), a line that had room
    # for the next line's first character (exact for Chinese) did not wrap there, so it ends its
    # paragraph or, mid-sentence and short of where first lines wrap, is a heading; footnote
    # marks flattened into plain digits (`说明。3`, `3 见…`) are raised back.
    parsed = load_letter(write_form(CORPUS / name, form, tmp_path))
    assert passage_rows(parsed) == passage_rows(letters[name])


@pytest.mark.parametrize("name", ["002_f3e08423b88a68df.txt", "003_f8451f1751e71b7b.txt"])
def test_word_footnotes_give_the_footnotes_the_pdf_gives(tmp_path, letters, name):
    # The footnotes live in word/footnotes.xml, referenced from the text; each follows the
    # paragraph that cites it (a PDF prints it at that page's foot, so only its place may differ).
    parsed = load_letter(write_form(CORPUS / name, "docx-footnotes", tmp_path))
    expected = letters[name]

    def body(passages):
        return [row for passage, row in zip(passages, passage_rows_of(passages)) if passage.kind != "footnote"]

    def notes(passages):
        return {p.id: (normalise_space(p.text), p.cited_by) for p in passages if p.kind == "footnote"}

    assert body(parsed.passages) == body(expected.passages)
    assert notes(parsed.passages) == notes(expected.passages) and notes(parsed.passages)
    assert [p.footnotes for p in parsed.passages if p.kind != "footnote"] == [p.footnotes for p in expected.passages if p.kind != "footnote"]


def passage_rows_of(passages):
    return [(p.id.split("/", 1)[1], p.part, p.label, p.section, normalise_space(p.text)) for p in passages]


def test_formats_are_recorded(forms):
    assert {forms[(form, LETTERS[0])].format for form in FORMS} == {"pdf", "docx", "txt"}


def test_a_pdf_without_a_text_layer_is_refused_as_such(tmp_path):
    from reportlab.pdfgen import canvas

    scan = canvas.Canvas(str(tmp_path / "scan.pdf"))
    scan.rect(100, 100, 300, 500, fill=1)  # an image of a page, no text
    scan.showPage()
    scan.save()
    with pytest.raises(ReaderError, match="no text layer.*OCR"):
        read_document(tmp_path / "scan.pdf")


@pytest.mark.parametrize(("name", "content"), [("broken.pdf", b"%PDF-1.7\nnot really"), ("broken.docx", b"PK\x03\x04 not a zip")])
def test_damaged_pdf_and_word_files_are_refused_with_their_name(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ReaderError, match=re.escape(name)):
        read_document(tmp_path / name)


@pytest.mark.parametrize("name", ["empty.pdf", "empty.docx", "empty.txt", "empty.md"])
def test_an_empty_file_of_any_format_is_refused_as_empty(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(ReaderError, match=re.escape(name) + ": the file is empty$"):
        read_document(tmp_path / name)


@pytest.mark.parametrize(
    ("part", "damage", "why"),
    [
        ("word/document.xml", lambda xml: xml[: len(xml) // 2], "word/document.xml is not well-formed XML: "),  # cut short
        ("word/numbering.xml", lambda xml: xml.replace(b'<w:start w:val="1"/>', b'<w:start w:val="x"/>', 1), "its numbering: w:start has w:val 'x', not a number"),
        ("word/numbering.xml", lambda xml: xml.replace(b"<w:abstractNumId ", b"<w:other "), "its numbering: w:num '1' names no w:abstractNumId"),
        ("word/footnotes.xml", lambda xml: b"<w:footnotes", "word/footnotes.xml is not well-formed XML: "),
        ("[Content_Types].xml", lambda xml: b"<x/>", r"\[Content_Types\].xml is missing or lists no content types"),
    ],
)
def test_a_word_file_with_a_damaged_part_is_refused_in_one_line(tmp_path, part, damage, why):
    import zipfile

    good = write_form(CORPUS / "003_f8451f1751e71b7b.txt", "docx-footnotes", tmp_path / "good")
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, damage(data) if item.filename == part else data)
    with pytest.raises(ReaderError, match=r"damaged\.docx: not a readable Word \(\.docx\) file \(" + why + r".*\)$") as refused:
        read_document(damaged)
    assert "\n" not in str(refused.value)


def test_the_symbol_is_searchable_with_every_passage_of_its_letter(forms):
    from qa.engine import document_context, index_text
    from qa.tokens import ChineseTokenizer

    parsed = forms[("docx", "000_bcf0f639adb97a43.txt")]
    tokenizer = ChineseTokenizer()
    indexed = tokenizer.tokens(index_text(parsed.passages[5], document_context(parsed.letter)))
    asked = tokenizer.tokens(parsed.letter.symbol)  # as a question names it
    assert len(asked) == 1 and asked[0] in indexed


def test_running_headers_go_even_without_a_cover(tmp_path, letters):
    name = "004_16b675922abb74e1.txt"
    lines = layout_text(CORPUS / name).split("\n")
    title_at = next(i for i, line in enumerate(lines) if line.startswith("2020年11月9日"))
    (tmp_path / name).write_text("\n".join(lines[title_at:]), encoding="utf-8")
    parsed = load_letter(tmp_path / name)
    assert parsed.letter.symbol is None
    assert passage_rows(parsed) == passage_rows(letters[name])


@pytest.mark.parametrize("name", LETTERS)
def test_a_title_broken_over_two_lines_is_joined(letters, name):
    from qa.parse import parse_letter

    title = letters[name].letter.title
    text = (CORPUS / name).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(.*给.*的信)$", lambda m: m[1][:12] + "\n" + m[1][12:], text, count=1)
    assert passage_rows(parse_letter(text, name)) == passage_rows(letters[name]) and title


def test_items_listed_inside_a_sentence_stay_in_it_when_a_wrap_puts_one_at_a_line_start(tmp_path, letters):
    # In 004, pypdf-like text wraps `…以下事项：(a) …；(b) …；` so that `(a)` and `(c)` open lines.
    name = "004_16b675922abb74e1.txt"
    parsed = load_letter(write_form(CORPUS / name, "plain.txt", tmp_path))
    expected = next(p for p in letters[name].passages if "主席重点介绍了以下事项" in p.text)
    assert normalise_space(expected.text) in {normalise_space(p.text) for p in parsed.passages}


def test_chinese_section_numbers_nest_as_headings():
    from qa.parse import parse_letter

    text = "2024年3月1日日本常驻联合国代表给秘书长的信\n请分发为荷。\n日本常驻联合国代表\n山崎和之(签名)\n2024年3月1日日本常驻联合国代表给秘书长的信的附件\n概念说明\n一、背景\n（一）安理会的作用\n１．第一段。\n（二）工作方法\n２．第二段。\n二、问题\n３．第三段。\n"
    annex = [(p.label, p.section) for p in parse_letter(text, "x.txt").passages if p.part == "annex" and p.label.isdigit()]
    assert annex == [("1", ("一. 背景", "（一）安理会的作用")), ("2", ("一. 背景", "（二）工作方法")), ("3", ("二. 问题",))]


@pytest.mark.parametrize("paged", [True, False])
def test_a_word_footnote_stands_at_the_foot_of_its_page_where_word_saved_the_pages(tmp_path, paged):
    # Word saves where it last broke the pages (`w:lastRenderedPageBreak`): the footnote goes
    # before the next page's first paragraph, under the heading in force there, as in the PDF.
    # Without saved pages, it follows the paragraph that cites it.
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from tests.letter_forms import _add_footnotes

    document = docx.Document()
    citing = document.add_paragraph("甲段。")
    citing._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'))
    document.add_paragraph("新标题")
    document.add_paragraph("乙段。")
    next_page = document.add_paragraph()
    if paged:
        next_page._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:lastRenderedPageBreak/></w:r>'))
    next_page.add_run("丙段。")
    _add_footnotes(document, ["脚注。"])
    document.save(str(tmp_path / "paged.docx"))
    lines = [line.text for line in read_document(tmp_path / "paged.docx").lines]
    if paged:
        assert lines == ["甲段。¹", "新标题", "乙段。", "¹ 脚注。", "丙段。"]
    else:
        assert lines == ["甲段。¹", "¹ 脚注。", "新标题", "乙段。", "丙段。"]


def test_flattened_footnote_marks_are_the_digits_their_footnotes_follow():
    from qa.footmarks import raise_footnote_marks
    from qa.readers.base import Line

    texts = ["安理会共计2份报告。1此外，", "见第2段的说明。2另有16份3决定。", "1 脚注一。", "2 脚注二。", "3 脚注三。"]
    raised = [line.text for line in raise_footnote_marks([Line(text) for text in texts])]
    # numbers stay numbers (`共计2份`, `第2段`, `16份`): a mark after punctuation is preferred,
    # else the last lone digit before the footnote's body (`16份3决定`)
    assert raised == ["安理会共计2份报告。¹此外，", "见第2段的说明。²另有16份³决定。", "¹ 脚注一。", "² 脚注二。", "³ 脚注三。"]
    unraised = ["文本。1", "已有2项决定。"]  # a body 1 but none for 2: only 1 is a footnote
    assert [line.text for line in raise_footnote_marks([Line(text) for text in [*unraised, "1 脚注。"]])] == ["文本。¹", "已有2项决定。", "¹ 脚注。"]
