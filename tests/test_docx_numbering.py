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


def test_numbers_are_computed_as_word_shows_them(tmp_path):
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.append(
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="70">'
            '<w:lvl w:ilvl="0"><w:start w:val="5"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%2)"/></w:lvl>'
            '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%1.%3"/><w:lvlRestart w:val="0"/></w:lvl>'
            "</w:abstractNum>"
        )
    )
    numbering.append(
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="71">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
            "</w:abstractNum>"
        )
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="70"><w:abstractNumId w:val="70"/></w:num>'))
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="72"><w:abstractNumId w:val="70"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>')
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="71"><w:abstractNumId w:val="71"/></w:num>'))
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
    numbering = document.part.numbering_part.element
    numbering.append(
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="80">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%1)"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%2)"/></w:lvl>'
            "</w:abstractNum>"
        )
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="80"><w:abstractNumId w:val="80"/></w:num>'))
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="81"><w:abstractNumId w:val="80"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="7"/>'
            '<w:lvl w:ilvl="0"><w:start w:val="7"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:lvlOverride></w:num>'
        )
    )
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
