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
