"""Parse one letter into a `Letter` and its cited `Passage`s, whatever format it came in.

A reader (`qa.readers`) gives the document's lines; `qa.layout` removes page furniture and
joins wrapped lines into blocks; this module reads the letter's structure from those blocks.
The letters follow the UN's layout: an optional cover block (`qa.cover`: symbol,
`Distr.: General`, date, languages), the title line `YYYY年M月D日…给…的信`,
the cover letter ending in a signature block, then `…的信的附件` with the
annex title and the annex body. The annex numbers its paragraphs (`1.`),
lettered items (`(a)`), headings (`一.`, `A.`), bullets (`- `) and footnotes
(`¹`); unnumbered paragraphs get an ordinal label (`p1`, `p2`, …) per part.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from .cover import header_fields
from .documents import Letter, Passage, Signatory
from .layout import TITLE_START, label_form, letter_blocks
from .readers.base import Document
from .readers.text import text_document
from .script import fold_script
from .symbols import find_symbols
from .textclean import ends_sentence


# Bumped whenever a file may parse to other passages than before (a reader or layout rule
# changed): it is part of the corpus hash, so an index built by an older parser is stale and is
# reassembled (only letters whose passages changed are encoded again).
PARSER_VERSION = 4  # 4: a label alone on its line joins its text; traditional-script letters


class LetterFormatError(ValueError):
    """The text is not a letter this parser understands."""


TITLE = re.compile(r"^(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日(?P<sender>.+?)给(?P<addressee>[^给]+?)的信$")
SENDER_SUFFIX = re.compile(r"(?:常驻联合国代表团?|常驻代表团?|临时代办|代表团?)$")
# 和 joins two senders, except inside 共和国 and inside names that contain it.
SENDER_SEPARATOR = re.compile(r"((?<!共)和|、|及)")
NAMES_WITH_CONJUNCTION = frozenset(
    {
        "圣文森特和格林纳丁斯",
        "特立尼达和多巴哥",
        "安提瓜和巴布达",
        "圣多美和普林西比",
        "波斯尼亚和黑塞哥维那",
        "圣基茨和尼维斯",
        "大不列颠及北爱尔兰联合王国",
    }
)
CLOSING_FORMULA = re.compile(r"分发(?:为|给)荷|为荷。$")
SIGNED = re.compile(r"[(（]签名[)）]")

FOOTNOTE = re.compile(r"^([¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*(.+)$")
NUMBERED = re.compile(r"^(\d{1,3})[.．]\s*(.+)$")
LETTERED = re.compile(r"^(?:[-•]\s*)?[(（]([a-z])[)）]\s*(.+)$")
BULLET = re.compile(r"^[-•·]\s+(.+)$")
HEADING_LEVELS = (
    (re.compile(r"^[一二三四五六七八九十]+[.、．]\s*\S"), 1),
    (re.compile(r"^[A-Z][.．]\s*\S"), 2),
    (re.compile(r"^[(（][一二三四五六七八九十]+[)）]\s*[^。]{1,40}$"), 2),  # （一） under 一、 in Chinese numbering
)
SUPERSCRIPT_DIGITS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
FOOTNOTE_MARK = re.compile(r"(?<=\S)[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
# A title wrapped over several lines is joined back from at most this many.
TITLE_LINES = 4


@dataclass(frozen=True)
class ParsedLetter:
    letter: Letter
    passages: tuple[Passage, ...]
    format: str = "txt"  # the file format it was read from: txt, pdf, docx


@dataclass
class _Block:
    """A line of the body once classified; `text` may grow by a page-break join."""

    kind: str  # paragraph | numbered | item | bullet | footnote | heading | subheading | line
    text: str
    number: str = ""  # document's own number or letter or footnote number
    level: int = 0  # for labelled headings


def parse_letter(text: str, source: str) -> ParsedLetter:
    """Parse the text of one letter (any text layout); `source` is its corpus file name."""
    return parse_document(text_document(text), source)


def parse_document(document: Document, source: str) -> ParsedLetter:
    """Parse a document as a reader gave it; `source` is its corpus file name."""
    lines = _join_title(letter_blocks(document))
    title_at = next((i for i, line in enumerate(lines) if TITLE.match(fold_script(line))), None)
    if title_at is None:
        raise LetterFormatError(f"{source}: no title line of the form 'YYYY年M月D日…给…的信' found")
    title = lines[title_at]
    match = TITLE.match(fold_script(title))  # its spans are the title's as written
    assert match is not None
    sender = title[match.start("sender") : match.end("sender")]
    suffix = SENDER_SUFFIX.search(fold_script(sender))
    date = _date(match, source)
    annex_at = next((i for i, line in enumerate(lines) if i > title_at and line.startswith(title + "的附件")), None)
    cover = lines[title_at + 1 : annex_at]
    body, signature = _split_signature(cover)
    annex_title = lines[annex_at + 1] if annex_at is not None and annex_at + 1 < len(lines) else None
    header = header_fields(lines[:title_at])

    letter = Letter(
        source=source,
        title=title,
        date=date,
        senders=split_senders(sender[: suffix.start()] if suffix else sender),
        addressee=title[match.start("addressee") : match.end("addressee")],
        signatories=_signatories(signature),
        annex_title=annex_title,
        header=header,
        symbol=next((value for key, value in header if key == "symbol"), None),
    )
    builder = _PassageBuilder(letter)
    builder.add("letter", "title", "title", title, ())
    builder.add_body("letter", body)
    if signature:
        builder.add("letter", "signature", "signature", "\n".join(signature), ())
    if annex_title is not None:
        builder.add("annex", "title", "title", annex_title, ())
        builder.add_body("annex", lines[annex_at + 2 :])
    return ParsedLetter(letter, builder.finish(), document.format)


def split_senders(senders: str) -> tuple[str, ...]:
    """Countries named in the sender part of a title.

    >>> split_senders("科威特和圣文森特和格林纳丁斯")
    ('科威特', '圣文森特和格林纳丁斯')
    >>> split_senders("阿拉伯叙利亚共和国")
    ('阿拉伯叙利亚共和国',)
    """
    pieces = SENDER_SEPARATOR.split(senders)
    names: list[str] = [pieces[0]]
    for separator, piece in zip(pieces[1::2], pieces[2::2]):
        if fold_script(names[-1] + separator + piece) in NAMES_WITH_CONJUNCTION:
            names[-1] += separator + piece
        else:
            names.append(piece)
    return tuple(name for name in names if name)


def _join_title(lines: list[str]) -> list[str]:
    """Blocks with a title broken over lines (`…给安` / `全理事会主席的信`) joined back."""
    if any(TITLE.match(fold_script(line)) for line in lines):
        return lines
    for start, line in enumerate(lines):
        if TITLE_START.match(line):
            for end in range(start + 2, min(start + TITLE_LINES, len(lines)) + 1):
                if TITLE.match(fold_script("".join(lines[start:end]))):
                    return lines[:start] + ["".join(lines[start:end])] + lines[end:]
    return lines


def _date(match: re.Match[str], source: str) -> dt.date:
    try:
        return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as error:
        raise LetterFormatError(f"{source}: the title's date is not a real date ({error})") from None


def _split_signature(cover: list[str]) -> tuple[list[str], list[str]]:
    """Cover-letter body and the signature block after the closing formula."""
    closing = next((i for i in range(len(cover) - 1, -1, -1) if CLOSING_FORMULA.search(fold_script(cover[i]))), None)
    if closing is not None:
        return cover[: closing + 1], cover[closing + 1 :]
    # No closing formula: the signature block is the trailing run of short
    # unpunctuated lines, when one of them carries "(签名)".
    start = len(cover)
    while start > 0 and len(cover[start - 1]) <= 30 and "。" not in cover[start - 1]:
        start -= 1
    if any(SIGNED.search(fold_script(line)) for line in cover[start:]):
        return cover[:start], cover[start:]
    return cover, []


def _signatories(lines: list[str]) -> tuple[Signatory, ...]:
    """Names marked "(签名)" with their titles: the lines before each name, or
    after it when the block starts with a name."""
    if not lines:
        return ()
    names_first = bool(SIGNED.search(fold_script(lines[0])))
    people: list[Signatory] = []
    titles: list[str] = []
    for line in lines:
        if signed := SIGNED.search(fold_script(line)):
            if names_first and people:
                people[-1] = Signatory(people[-1].name, tuple(titles))
                titles = []
            people.append(Signatory((line[: signed.start()] + line[signed.end() :]).strip(), () if names_first else tuple(titles)))
            if not names_first:
                titles = []
        else:
            titles.append(line)
    if names_first and people:
        people[-1] = Signatory(people[-1].name, tuple(titles))
    return tuple(people)


def _classify(line: str) -> _Block:
    line = label_form(line)
    if m := FOOTNOTE.match(line):
        return _Block("footnote", m[2], number=m[1].translate(SUPERSCRIPT_DIGITS))
    if m := NUMBERED.match(line):
        return _Block("numbered", m[2], number=m[1])
    if m := LETTERED.match(line):
        return _Block("item", m[2], number=m[1])
    if m := BULLET.match(line):
        return _Block("bullet", m[1])
    for pattern, level in HEADING_LEVELS:
        if pattern.match(line):
            return _Block("heading", line, level=level)
    if len(line) <= 40 and "·" in line and "。" not in line:
        # A line naming a person (a briefer, a signatory) stands alone:
        # neither a heading nor the first half of a paragraph cut by a page break.
        return _Block("line", line)
    if _looks_like_heading(line):
        return _Block("subheading", line)
    return _Block("paragraph", line)


def _looks_like_heading(line: str) -> bool:
    """A short line that is not a sentence: `背景：`, `非洲`, `中东局势，包括巴勒斯坦问题`."""
    if "。" in line or line.count("，") > 1 or line[-1] in "，、；。！？":
        return False
    # A lead-in sentence such as "为此，…请安全理事会：" is not a heading.
    return len(line) <= 40 and not ("，" in line and line.endswith("："))


def _join_page_breaks(blocks: list[_Block]) -> list[_Block]:
    """Join a paragraph cut in mid-sentence by a page break with its continuation.

    A paragraph that does not end a sentence continues in the next unlabelled
    block; footnotes printed at the page foot in between are stepped over.
    """
    joined: list[_Block] = []
    open_paragraph: _Block | None = None
    for block in blocks:
        continues = block.kind in ("paragraph", "subheading")
        if open_paragraph is not None and continues:
            open_paragraph.text += block.text
        else:
            joined.append(block)
            if block.kind == "footnote" and open_paragraph is not None:
                continue
        last = joined[-1]
        cut = last.kind in ("paragraph", "numbered", "item") and not ends_sentence(last.text)
        open_paragraph = last if cut and not _looks_like_heading(last.text) else None
    return joined


class _PassageBuilder:
    """Turns classified blocks into passages with labels and section paths."""

    def __init__(self, letter: Letter):
        self.letter = letter
        self.passages: list[Passage] = []

    def add(self, part: str, label: str, kind: str, text: str, section: tuple[str, ...]) -> None:
        self.passages.append(
            Passage(
                source=self.letter.source,
                letter_title=self.letter.title,
                date=self.letter.date,
                part=part,
                section=section,
                label=label,
                kind=kind,
                text=text,
                symbols=find_symbols(text),
                letter_symbol=self.letter.symbol,
            )
        )

    def add_body(self, part: str, lines: list[str]) -> None:
        blocks = _join_page_breaks([_classify(line) for line in lines])
        path: list[tuple[int, str, bool]] = []  # (level, heading, labelled)
        ordinal = 0
        paragraph_number = ""
        for i, block in enumerate(blocks):
            if block.kind == "heading":
                path = [entry for entry in path if entry[0] < block.level] + [(block.level, block.text, True)]
                continue
            if block.kind == "subheading":
                if i == 0 or blocks[i - 1].kind != "subheading":
                    path = _place_subheadings(path, _subheading_run(blocks, i))
                continue
            section = tuple(entry[1] for entry in path)
            if block.kind == "numbered":
                paragraph_number = block.number
                self.add(part, block.number, "paragraph", block.text, section)
            elif block.kind == "item" and paragraph_number:
                self.add(part, f"{paragraph_number}({block.number})", "item", block.text, section)
            elif block.kind == "footnote":
                self.add(part, f"fn{block.number}", "footnote", block.text, section)
            else:
                ordinal += 1
                kind = "bullet" if block.kind == "bullet" else "paragraph"
                text = f"({block.number}) {block.text}" if block.kind == "item" else block.text
                self.add(part, f"p{ordinal}", kind, text, section)

    def finish(self) -> tuple[Passage, ...]:
        """Link footnote marks to the footnotes of the same letter, both ways."""
        footnotes = {p.label[2:]: p for p in self.passages if p.kind == "footnote"}
        citing: dict[str, list[str]] = {}
        linked = []
        for passage in self.passages:
            marks = [m.translate(SUPERSCRIPT_DIGITS) for m in FOOTNOTE_MARK.findall(passage.text)]
            ids = tuple(footnotes[m].id for m in marks if m in footnotes and passage.kind != "footnote")
            for footnote_id in ids:
                citing.setdefault(footnote_id, []).append(passage.id)
            linked.append(replace(passage, footnotes=ids))
        return tuple(replace(p, cited_by=tuple(citing.get(p.id, ()))) for p in linked)


def _subheading_run(blocks: list[_Block], start: int) -> list[str]:
    """The unlabelled headings that stand in a row from `start`."""
    end = start
    while end < len(blocks) and blocks[end].kind == "subheading":
        end += 1
    return [block.text for block in blocks[start:end]]


def _place_subheadings(path: list[tuple[int, str, bool]], run: list[str]) -> list[tuple[int, str, bool]]:
    """Section path after a run of unlabelled headings.

    Unlabelled headings nest under the last labelled one. Within a run
    (`非洲` then `布隆迪`), each heading is the parent of the next; a lone one
    replaces the deepest unlabelled heading (`中非共和国` after `布隆迪`).
    """
    labelled = [entry for entry in path if entry[2]]
    base = labelled[-1][0] + 1 if labelled else 1
    unlabelled_levels = [entry[0] for entry in path if not entry[2]]
    deepest = max(unlabelled_levels[-1] if unlabelled_levels else base, base + len(run) - 1)
    first = deepest - len(run) + 1
    kept = [entry for entry in path if entry[0] < first]
    return kept + [(first + offset, heading, False) for offset, heading in enumerate(run)]


