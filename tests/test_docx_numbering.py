"""Word's automatic numbering as a reader sees it: start values, formats, level restarts,
`startOverride` restarts, numbering inherited from a style (through `basedOn`), `numId` 0."""

from __future__ import annotations

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from qa.readers import read_document


def _numbered(paragraph, num_id: int, level: int | None = None) -> None:
    ilvl = f'<w:ilvl w:val="{level}"/>' if level is not None else ""
    paragraph._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {nsdecls("w")}>{ilvl}<w:numId w:val="{num_id}"/></w:numPr>'))


def _level(ilvl: int, number_format: str, text: str, start: int = 1, restart: int | None = None) -> str:
    restart_xml = f'<w:lvlRestart w:val="{restart}"/>' if restart is not None else ""
    return f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{number_format}"/><w:lvlText w:val="{text}"/>{restart_xml}</w:lvl>'


def _define_numbering(document, abstracts: dict[int, list[str]], nums: dict[int, tuple[int, str]]) -> None:
    """Writes into the document's `numbering.xml` abstract numberings (id -> its levels' XML)
    and nums (id -> (abstract id, the XML of its `w:lvlOverride`s))."""
    numbering = document.part.numbering_part.element
    for abstract_id, levels in abstracts.items():
        numbering.append(parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{"".join(levels)}</w:abstractNum>'))
    for num_id, (abstract_id, overrides) in nums.items():
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'))


def test_numbers_are_computed_as_word_shows_them(tmp_path):
    document = docx.Document()
    _define_numbering(
        document,
        {
            70: [_level(0, "decimal", "%1.", start=5), _level(1, "lowerLetter", "(%2)"), _level(2, "lowerRoman", "%1.%3", restart=0)],
            71: [_level(0, "chineseCounting", "%1、")],
        },
        {70: (70, ""), 72: (70, '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'), 71: (71, "")},
    )
    styles = document.styles.element
    styles.append(parse_xml(f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="Listed"><w:name w:val="Listed"/><w:pPr><w:numPr><w:numId w:val="71"/></w:numPr></w:pPr></w:style>'))
    styles.append(parse_xml(f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="Child"><w:name w:val="Child"/><w:basedOn w:val="Listed"/></w:style>'))

    plan = [("甲", 70, 0), ("乙", 70, 1), ("丙", 70, 1), ("丁", 70, 2), ("戊", 70, 0), ("己", 70, 1), ("庚", 70, 2), ("辛", 72, 0)]
    for text, num_id, level in plan:
        _numbered(document.add_paragraph(text), num_id, level)
    document.add_paragraph("壬", style="Child")  # numbered by its parent style
    document.add_paragraph("癸", style="Child")
    _numbered(document.add_paragraph("子", style="Child"), 0)  # numId 0 turns the style's numbering off
    document.add_paragraph("丑")
    path = tmp_path / "numbered.docx"
    document.save(str(path))

    lines = [line.text for line in read_document(path).lines]
    assert lines == ["5. 甲", "(a) 乙", "(b) 丙", "5.i 丁", "6. 戊", "(a) 己", "6.ii 庚", "1. 辛", "一、 壬", "二、 癸", "子", "丑"]


def test_a_level_defined_in_the_num_replaces_the_abstract_level(tmp_path):
    # `w:lvlOverride` holding a `w:lvl`: that list's numbers come from its own level definition.
    document = docx.Document()
    own_level = f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="7"/>{_level(0, "decimal", "%1.", start=7)}</w:lvlOverride>'
    _define_numbering(document, {80: [_level(0, "lowerRoman", "%1)"), _level(1, "lowerLetter", "(%2)")]}, {80: (80, ""), 81: (80, own_level)})
    for text, num_id, level in [("甲", 80, 0), ("乙", 80, 0), ("丙", 81, 0), ("丁", 81, 1), ("戊", 81, 0), ("己", 81, 1)]:
        _numbered(document.add_paragraph(text), num_id, level)
    path = tmp_path / "override.docx"
    document.save(str(path))
    assert [line.text for line in read_document(path).lines] == ["i) 甲", "ii) 乙", "7. 丙", "(a) 丁", "8. 戊", "(a) 己"]


def test_raised_digits_in_word_text_are_footnote_marks(tmp_path):
    document = docx.Document()
    paragraph = document.add_paragraph("安理会的决定。")
    paragraph.add_run("2").font.superscript = True
    document.add_paragraph("2023年，安理会通过了2项决议。")
    path = tmp_path / "raised.docx"
    document.save(str(path))
    assert [line.text for line in read_document(path).lines] == ["安理会的决定。²", "2023年，安理会通过了2项决议。"]
