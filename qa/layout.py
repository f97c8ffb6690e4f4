"""From a reader's lines to the blocks of a letter, whatever the layout.

Two steps, each in one place for every format:

1. **Page furniture out**: running headers and footers (the letter's symbol repeated on every
   page, job numbers `20-03456 (C)` with their processing dates, page numbers `2/8`, barcodes
   `*2003456*`, `请回收`), and any line in a page's header or footer band that repeats across
   pages, also where text extraction glued it inside a sentence. The cover block before the
   title is kept: it is the letter's identity (`qa.cover`).
2. **Wrapped lines joined**: a PDF (or text copied out of one) breaks a paragraph every ~38
   characters. A line goes on in the next one when it reaches the right margin, unless the next
   line starts a block of its own: a vertical gap before it (where the layout shows gaps), a
   paragraph number, a lettered item, a heading number, a bullet, a footnote mark, a signature,
   or a first-line indent. A wrap inside a sentence joins with no space (Chinese has none); only
   two Latin words get one back. Text with one line per paragraph is left as it is. Text that
   lost its indents and spacing (pypdf's) is joined from widths measured on the text itself
   (`_FlatWidths`): where full lines end, how far short of that a first line ends, how far a
   labelled first line reaches.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .footmarks import raise_footnote_marks
from .readers.base import Document, Line
from .readers.text import display_width
from .script import fold_script
from .textclean import clean, ends_sentence

TITLE_START = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
TITLE_LINE = re.compile(TITLE_START.pattern + r".*给.+的信(?:的附件)?$")
UN_SYMBOL = re.compile(r"(?<![A-Za-z0-9/])[A-Z]{1,5}(?:/[A-Z]{1,6})*/\d{2,4}/\d+(?:/(?:Rev|Add|Corr)\.\d+)*(?![0-9/])")

# Labels that start a block, in any of the forms letters use; `label_form` makes them ASCII.
NUMBER_LABEL = re.compile(r"^([0-9０-９]{1,3})\s*[.．、]\s*(?=\S)")
LETTER_LABEL = re.compile(r"^((?:[-•]\s*)?)[(（]([a-zａ-ｚ])[)）]\s*")
BULLET_LABEL = re.compile(r"^[•▪●◦]\s*(?=[^\s(（])")
# Heading numbers: `一.`, `一、`, `一．`; `A.`, `Ａ．` (not "U.S.").
HEADING_LABEL = re.compile(r"^(?:([一二三四五六七八九十]+)\s*[.、．]|([A-ZＡ-Ｚ])\s*[.．](?=\s*[^\sA-Za-z.．]))\s*")
BLOCK_START = re.compile(
    r"^(?:[0-9０-９]{1,3}\s*[.．、]"  # 13.  １３．  13、
    r"|(?:[-•]\s*)?[(（][a-zａ-ｚ][)）]"  # (a)  （a）
    r"|-\s|·\s|[•▪●◦]"  # bullet (a middle dot also joins the parts of a name: `罗斯玛丽·迪卡洛`)
    r"|[¹²³⁴⁵⁶⁷⁸⁹⁰]"  # footnote
    r"|[一二三四五六七八九十]+[.、．]"  # 一.  一、
    r"|[(（][一二三四五六七八九十]+[)）]"  # （一）
    r"|[A-ZＡ-Ｚ][.．]\s*[^\sA-Za-z]"  # A.  Ａ． (not "U.S.")
    r")"
)
SIGNED = re.compile(r"[(（]签名[)）]")

_TOKENS = (
    r"\d{2}-\d{5}(?:\s*\([A-Z]\))?",  # job number 20-03456 (C)
    r"\d{6}",  # processing date 050320
    r"\d{1,3}\s*/\s*\d{1,3}",  # page 2/8
    r"\*\d{5,9}\*",  # barcode *2003456*
    r"请回收",
)
_FURNITURE_LINE = re.compile(rf"(?:{'|'.join(_TOKENS)})(?:\s+(?:{'|'.join(_TOKENS)}))*")
_LATIN_WORD = re.compile(r"[!-~]+")
_LABEL_HEADING = re.compile(r"^[^，。；：,;:]{1,8}[：:]$")
_LETTERS = "abcdefghijklmnopqrstuvwxyzａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"  # item letters, half- and full-width
_LABEL_AND_SPACE = re.compile(BLOCK_START.pattern + r"\S*?\s*")
_BARE_LABEL = re.compile(r"(?:" + BLOCK_START.pattern + r"|[A-ZＡ-Ｚ][.．])\s*")  # a label and nothing after it
# A sentence's end for certain (a closing bracket alone, as in `(S/2017/507)`, may be a wrap).
_SENTENCE_END = re.compile(r"[。！？；：…][”’」』）)]*[¹²³⁴⁵⁶⁷⁸⁹⁰]*$")
_PAGE_NUMBER = re.compile(r"(\d{1,3})\s*/\s*(\d{1,3})")
_JOB = re.compile(r"\d{2}-\d{5}")
# Right edges within this many ems of the widest lines count as reaching the margin
# (kinsoku pulls a closing mark onto a full line; Latin text does not fill a line exactly).
_MARGIN_TOLERANCE = 1.5
_LOST_INDENT = 6.0  # ems: the deepest indent of a body line (an item's text)
# Marks that never start a line (kinsoku): one that did not fit stays on the full line before.
_KINSOKU = "，。、；：？！）》”’」』)"


def letter_blocks(document: Document) -> list[str]:
    """The document as cleaned blocks (paragraphs, headings, lines of the cover and signature)."""
    lines = strip_furniture(document.lines)
    # The cover block before the title is a column of fields, never a wrapped paragraph.
    title_at = next((i for i, line in enumerate(lines) if TITLE_START.match(line.text.strip())), 0)
    cover, body = lines[:title_at], raise_footnote_marks(lines[title_at:])
    wrapped = document.wrapped if document.wrapped is not None else _looks_wrapped(body)
    groups = [[line] for line in body] if not wrapped else _join_wrapped(*_with_margins(body, document.wrapped is None))
    groups = [[line] for line in cover] + _labels_with_their_text(groups)
    blocks = [clean(_join_text([line.text for line in group])) for group in groups]
    return [block for block in blocks if block]


def _labels_with_their_text(groups: list[list[Line]]) -> list[list[Line]]:
    """A label standing alone on its line (`1.`, `(a)`, `一、`: text copied from a web page or a
    table puts the number above its text) goes with the block after it, unless that block
    starts with a label of its own."""
    out: list[list[Line]] = []
    for group in groups:
        if out and len(out[-1]) == 1 and _BARE_LABEL.fullmatch(out[-1][0].text.strip()) and not BLOCK_START.match(group[0].text.strip()):
            out[-1] = out[-1] + group
        else:
            out.append(group)
    return out


def strip_furniture(lines: Sequence[Line]) -> list[Line]:
    """The lines without page furniture. A line on a new page, or after a removed line that
    stood among the body lines (text copied from a PDF), has an unknown gap before it: the gap
    was the page's, not the paragraph's."""
    title_at = next((i for i, line in enumerate(lines) if TITLE_START.match(line.text.strip())), len(lines))
    symbol = next((m[0] for line in lines[:title_at] for m in [UN_SYMBOL.search(line.text)] if m), None)
    # A symbol alone on a line, again and again: the running header of a letter without a cover.
    alone = Counter(text for line in lines if UN_SYMBOL.fullmatch(text := line.text.strip()))
    running = {text for text, count in alone.items() if count >= 2} | ({symbol} if symbol else set())
    repeated = _repeated_in_bands(lines)
    glued = _glued_furniture(lines, running)
    header = _glued_header(lines[title_at + 1 :], running)
    kept: list[Line] = []
    dropped_since = False
    for i, line in enumerate(lines):
        text = line.text.strip()
        furniture = (
            _is_furniture_text(text)
            or (i > title_at and text in running)
            or (i > title_at and line.zone != "" and (_band_key(text) in repeated or UN_SYMBOL.fullmatch(text) is not None))
        )
        if furniture:
            dropped_since = dropped_since or not line.zone
            continue
        if glued is not None and i > title_at and glued.search(text):
            line = replace(line, text=glued.sub("", text))
        if header is not None and i > title_at and header.match(line.text):
            line = replace(line, text=header.sub("", line.text, count=1), indent=None)
        new_page = bool(kept) and kept[-1].page != line.page
        if (dropped_since or new_page) and kept:
            line = replace(line, gap_before=None)
        kept.append(line)
        dropped_since = False
    return kept


def _glued_furniture(lines: Sequence[Line], symbols: set[str]) -> re.Pattern[str] | None:
    """A pattern for footers and headers glued inside a body line (pypdf may give a sentence cut
    by a page break as `…而不需2/620-03456S/2020/186要进行编纂。`): a run of furniture around
    this letter's own job number, as its footer lines give it, with page numbers `n/N` of its
    own page count. None when no footer line gives them."""
    footers = [line.text.strip() for line in lines if _is_furniture_text(line.text.strip())]
    jobs = {m[0] for text in footers for m in _JOB.finditer(text)}
    counts = {m[2] for text in footers for m in _PAGE_NUMBER.finditer(text) if int(m[1]) <= int(m[2])}
    if not jobs:
        return None
    page = rf"\d{{1,3}}/(?:{'|'.join(map(re.escape, counts))})" if counts else None
    token = "|".join(filter(None, (r"\s*\([A-Z]\)", r"\d{6}", r"\*\d{5,9}\*", "请回收", page, *map(re.escape, sorted(symbols, key=len, reverse=True)))))
    return re.compile(rf"(?:{page or '(?!)'})?\s*(?:{'|'.join(map(re.escape, jobs))})(?:\s*(?:{token}))*")


def _glued_header(lines: Sequence[Line], symbols: set[str]) -> re.Pattern[str] | None:
    """A pattern for a running header that carries the letter's symbol and the page number,
    glued to the start of a page's first line (`S/2020/1862/12总之，…`, `2/12S/2020/186…`).
    The page count is the one every such line allows: in `S/2020/3812/93. 总之` the page may be
    `2/9` or `2/93`, and `3/9有…` on the next page says which. None when no line starts so."""
    if not symbols:
        return None
    symbol = "|".join(map(re.escape, sorted(symbols, key=len, reverse=True)))
    start = re.compile(rf"^\s*(?:(?:{symbol})\s*(\d{{1,3}})\s*/\s*(\d{{1,3}})|(\d{{1,3}})\s*/\s*(\d{{1,3}})\s*(?:{symbol}))")
    allowed: set[str] | None = None
    for line in lines:
        if m := start.match(line.text):
            page, digits = (m[1], m[2]) if m[1] else (m[3], m[4])
            counts = {digits} if m[3] else {digits[:n] for n in range(1, len(digits) + 1)}
            counts = {count for count in counts if 0 < int(page) <= int(count)}
            allowed = counts if allowed is None else allowed & counts
    if not allowed:
        return None
    count = min(allowed, key=int)
    return re.compile(rf"^\s*(?:(?:{symbol})\s*\d{{1,3}}\s*/\s*{count}|\d{{1,3}}\s*/\s*{count}\s*(?:{symbol}))\s*")


def _is_furniture_text(text: str) -> bool:
    if not _FURNITURE_LINE.fullmatch(text):
        return False
    page = _PAGE_NUMBER.fullmatch(text)
    return page is None or 0 < int(page[1]) <= int(page[2])


def _band_key(text: str) -> str:
    return re.sub(r"\d", "0", text)


def _repeated_in_bands(lines: Sequence[Line]) -> set[str]:
    """Header and footer band texts (digits aside) printed on two pages or more."""
    pages: dict[str, set[int]] = {}
    for line in lines:
        if line.zone:
            pages.setdefault(_band_key(line.text.strip()), set()).add(line.page)
    return {key for key, on in pages.items() if len(on) >= 2}


def _right_edge(line: Line) -> float:
    return (line.indent or 0.0) + display_width(line.text)


_OPENING = "“‘（(《「『〈【"
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _had_room(line: Line, following: Line | None, room: float) -> bool:
    """Whether what starts the next line (a Latin word, an opening mark with the character it
    opens, a character) would have fitted on `line` within `room`: then `line` did not wrap
    there for want of room. Widths of Chinese text and digits are exact; Latin letters are
    not (proportional type), so a line with any is given a margin of doubt."""
    if _LATIN_LETTER.search(line.text):
        return _reach(line, following) < room - _MARGIN_TOLERANCE
    if following is None:
        return True
    text = following.text.strip()
    word = _LATIN_WORD.match(text)
    if word:
        unit = display_width(word[0])
    else:
        opening = len(text) - len(text.lstrip(_OPENING))
        unit = display_width(text[: opening + 1])
    return _right_edge(line) + unit <= room


def _core_edge(line: Line) -> float:
    """Where a line ends but for a closing mark that kinsoku may have kept beyond the margin."""
    text = line.text.rstrip()
    return _right_edge(line) - (display_width(text[-1]) if text and text[-1] in _KINSOKU else 0)


def _looks_wrapped(lines: Sequence[Line]) -> bool:
    """Whether plain text is hard-wrapped: most of its long lines end at the same right margin."""
    edges = [_right_edge(line) for line in lines if _right_edge(line) >= 10]
    if len(edges) < 5:
        return False
    margin = Counter(round(edge) for edge in edges).most_common(1)[0][0]
    return sum(abs(edge - margin) <= _MARGIN_TOLERANCE for edge in edges) >= 0.4 * len(edges)


def _reach(line: Line, following: Line | None) -> float:
    """How far a line would reach with the next line's first Latin word on it: text has lost
    the justification that stretched a line to the margin when that word did not fit."""
    word = _LATIN_WORD.match(following.text.strip()) if following is not None else None
    return _right_edge(line) + (0.5 + display_width(word[0]) if word else 0)


@dataclass(frozen=True)
class _FlatWidths:
    """What the widths of text that lost its indents and spacing (pypdf's) still tell."""

    margin: float  # the most common right edge (`full` is measured against it)
    widest: float  # the widest recurring edge: where an unindented line ends when full
    first_indent: float  # how far short of `widest` a paragraph's first line ends when full

    @classmethod
    def of(cls, lines: list[Line], margin: float) -> _FlatWidths:
        edges = Counter(round(_right_edge(line)) for line in lines if _right_edge(line) >= 10)
        most = max(edges.values(), default=0)
        # Not the most common edge: that may be the indented lines' (numbered paragraphs').
        widest = max((edge for edge, n in edges.items() if n >= 0.25 * most), default=margin)
        # After a line that certainly ends a paragraph, an unfinished unlabelled line is the next
        # paragraph's first line, and so wraps where first lines do.
        shortfalls = Counter(
            round(widest - _reach(line, following))
            for previous, line, following in zip(lines, lines[1:], [*lines[2:], None])
            if _right_edge(previous) < margin - _LOST_INDENT
            and ends_sentence(previous.text)
            and not ends_sentence(line.text)
            and not BLOCK_START.match(line.text.strip())
            and widest - _LOST_INDENT <= _reach(line, following)
        )
        indent, n = shortfalls.most_common(1)[0] if shortfalls else (0, 0)
        return cls(margin, widest, float(indent) if n >= 3 and n >= 0.5 * sum(shortfalls.values()) else 0.0)

    def ends_block(self, line: Line, group: list[Line], following: Line | None) -> bool:
        """Whether widths show that `line` cannot go on the block before (an unfinished line, one
        not ending a sentence, wraps at its block's width):

        - an unlabelled paragraph's lines after the first reach the margin: one that ends a
          sentence short of it is the paragraph's last; a line short of it after one that ended
          a sentence there is the next paragraph's first line;
        - a labelled first line (`1.`, `(a)`, `•`) reaches at least as far as the lines under it
          (its label sits in the hanging indent): a line wider than it is not one of them;
        - an unlabelled line that starts a block and stops mid-sentence short of where a first
          line wraps (the margin less the first-line indent) is whole: a heading."""
        previous = group[-1]
        labelled = BLOCK_START.match(group[0].text.strip()) is not None
        if not labelled and len(group) > 1 and ends_sentence(previous.text) and _had_room(previous, line, self.widest):
            return True  # a paragraph's line after its first ended a sentence short of the margin
        if (
            not labelled
            and len(group) == 1
            and self.first_indent
            and not ends_sentence(previous.text)
            and _had_room(previous, line, self.widest - self.first_indent)
        ):
            return True  # a line alone that stops mid-sentence short of where first lines wrap: a heading
        if self.full_first_ending_sentence(line, following):
            return True
        if _SENTENCE_END.search(line.text):
            return False
        reach = _reach(line, following)
        if labelled:
            return len(group) == 1 and _reach(previous, line) + _MARGIN_TOLERANCE < reach
        at_margin = not _had_room(previous, line, self.widest)
        return len(group) > 1 and at_margin and ends_sentence(previous.text) and _had_room(line, following, self.widest)

    def wrapped_under_label(self, previous: Line, group: list[Line], line: Line) -> bool:
        """Whether a line under a labelled first line (`1.`, `(a)`, `•`) reaches as far as such
        lines go: where the first line ends, less its label (which sits in the hanging indent)."""
        first = group[0]
        label = _LABEL_AND_SPACE.match(first.text.strip()) if BLOCK_START.match(first.text.strip()) else None
        if label is None or previous is first or _right_edge(first) < self.margin - _LOST_INDENT:
            return False
        return _reach(previous, line) >= _reach(first, group[1]) - display_width(label[0]) - _MARGIN_TOLERANCE

    def full_first_ending_sentence(self, line: Line, following: Line | None) -> bool:
        """Whether `line`, which ends a sentence, is a paragraph's full first line: the next
        line reaches past where first lines end, so it goes on from `line`; as a line after a
        first one, `line` would have taken the start of that next line, as a first line it could
        not."""
        return (
            self.first_indent > 0
            and following is not None
            and _SENTENCE_END.search(line.text) is not None
            and not BLOCK_START.match(line.text.strip())
            and not BLOCK_START.match(following.text.strip())
            and _core_edge(following) > self.widest - self.first_indent + 0.5
            and _had_room(line, following, self.widest)
            and not _had_room(line, following, self.widest - self.first_indent)
        )

    def too_wide_under_label(self, group: list[Line], ahead: Sequence[Line]) -> bool:
        """Whether the next line (`ahead[0]`) cannot go on under a labelled first line (`1.`,
        `(a)`, `•`): lines under a label stand right of it, so none reaches past the widest line
        less the label (a closing mark that kinsoku kept on a full line aside). The line and
        those that must go on with it, to the end of its sentence, are measured: a paragraph's
        first line may be as short as an item's, its next line not."""
        first = group[0].text.strip()
        label = _LABEL_AND_SPACE.match(first) if BLOCK_START.match(first) else None
        if label is None:
            return False
        room = self.widest - display_width(label[0]) + 0.5
        for at, line in enumerate(ahead):
            if at and BLOCK_START.match(line.text.strip()):
                return False
            if _core_edge(line) > room:
                return True
            if ends_sentence(line.text):
                return False
        return False

    def full_first_line(self, line: Line, group: list[Line], following: Line | None) -> bool:
        """Whether a paragraph's one line so far, though it ends a sentence short of the margin,
        is a full first line (short by the first-line indent) that goes on in `line`: the line
        after it reaches the margin, which the next paragraph's first line would not."""
        previous = group[-1]
        return (
            self.first_indent > _MARGIN_TOLERANCE
            and len(group) == 1
            and not BLOCK_START.match(previous.text.strip())
            and abs(_reach(previous, line) - (self.widest - self.first_indent)) < 1
            and not _SENTENCE_END.search(line.text)
            and not BLOCK_START.match(line.text.strip())
            and _reach(line, following) >= self.widest - _MARGIN_TOLERANCE
        )


def _with_margins(lines: list[Line], estimate: bool) -> tuple[list[Line], float | None]:
    """Lines with `full` set: from positions where the reader had them, else from text widths
    against the right margin (returned; None where the reader gave positions)."""
    if not estimate or all(line.full is not None for line in lines):
        return lines, None
    edges = [_right_edge(line) for line in lines if _right_edge(line) >= 10]
    margin = Counter(round(edge) for edge in edges).most_common(1)[0][0] if edges else 0

    def full(line: Line, following: Line | None) -> bool:
        if line.indent is None and not ends_sentence(line.text):
            # Its indent went with furniture glued before it: it may have been up to a deep
            # indent short of the margin, and a line that stops mid-sentence goes on.
            return _reach(line, following) >= margin - _LOST_INDENT
        return _reach(line, following) >= margin - _MARGIN_TOLERANCE

    return [line if line.full is not None else replace(line, full=full(line, following)) for line, following in zip(lines, [*lines[1:], None])], margin


def _join_wrapped(lines: list[Line], margin: float | None) -> list[list[Line]]:
    gaps_known = _gaps_separate_paragraphs(lines)
    # Text without indentation or spacing (pypdf's) has lost the indents that made some lines
    # shorter (a first line, an item's lines): such a line may go on though short of the margin.
    flat = margin is not None and not gaps_known and all(not line.indent for line in lines)
    widths = _FlatWidths.of(lines, margin) if flat and margin is not None else None
    groups: list[list[Line]] = []
    for at, line in enumerate(lines):
        if not groups or _starts_block(line, groups[-1], gaps_known, widths, lines[at + 1 :]):
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _inline_item(text: str, group: list[Line]) -> bool:
    """Whether a line starting with a lettered item (`(b) …`) is a wrap inside a sentence that
    lists its items inline (`…事项：(a) …；(b) …；(c) …`): the item before it stands inside
    the block above, or the next one inside this line, after punctuation."""
    label = LETTER_LABEL.match(text)
    if label is None or label[1]:
        return False
    at = _LETTERS.index(label[2]) % 26

    def listed(index: int, where: str) -> bool:
        if not 0 <= index < 26:
            return False
        return re.search(rf"[；;，,、：:。]\s*[(（][{_LETTERS[index]}{_LETTERS[index + 26]}][)）]", where) is not None

    return listed(at - 1, _join_text([line.text for line in group])) or listed(at + 1, text[label.end() :])


def _gaps_separate_paragraphs(lines: list[Line]) -> bool:
    """Whether this layout puts a gap (blank line, paragraph spacing) before each paragraph:
    true when lines that certainly start a paragraph (after a short line) mostly have one."""
    starts = [line for previous, line in zip(lines, lines[1:]) if not previous.full and line.gap_before is not None]
    return len(starts) >= 3 and sum(bool(line.gap_before) for line in starts) >= 0.8 * len(starts)


def _starts_block(line: Line, group: list[Line], gaps_known: bool, flat: _FlatWidths | None, after: Sequence[Line]) -> bool:
    """Whether `line` starts a block of its own rather than going on in `group`; `after`: the
    lines that follow it."""
    previous = group[-1]
    following = after[0] if after else None
    text = line.text.strip()
    short_of_margin = not previous.full
    if short_of_margin and flat is not None:
        # An indent lost with the layout, not a paragraph's end, unless a sentence ends there.
        short_of_margin = _right_edge(previous) < flat.margin - _LOST_INDENT or (
            ends_sentence(previous.text) and not flat.full_first_line(line, group, following) and not flat.wrapped_under_label(previous, group, line)
        )
    if line.gap_before or short_of_margin or SIGNED.search(fold_script(previous.text)):
        return True
    if TITLE_LINE.match(fold_script(_join_text([member.text for member in group]))) and not text.startswith("的附件"):
        return True  # a title ends with 的信 (or 的附件, which a narrow page may wrap), full line or not
    if gaps_known and line.gap_before is False:
        return False  # no paragraph spacing: the paragraph goes on, whatever the line starts with
    if (BLOCK_START.match(text) and not _inline_item(text, group)) or SIGNED.search(fold_script(text)):
        return True
    if flat is not None and flat.ends_block(line, group, following):
        return True
    if flat is not None and ends_sentence(previous.text) and flat.too_wide_under_label(group, [line, *after[:8]]):
        return True
    if flat is not None and _right_edge(line) < flat.margin - _LOST_INDENT and (not ends_sentence(text) or _LABEL_HEADING.match(text)):
        if ends_sentence(previous.text) or not (previous.full or flat.wrapped_under_label(previous, group, line)):
            # Without indents or spacing, a short unpunctuated line (or a word and a colon,
            # `背景：`) is a heading when the line before ended a sentence or fell short of
            # the margin (a title, another heading).
            return True
    # A first-line indent starts a paragraph; a hanging indent (the text of `1.` or `(a)`
    # continuing under itself) does not.
    if line.indent is not None and previous.indent is not None and line.indent > previous.indent + 0.25:
        return not (len(group) == 1 and BLOCK_START.match(previous.text.strip()))
    return False


def _join_text(pieces: list[str]) -> str:
    """Wrapped lines into one paragraph: no space in Chinese, one between two Latin words."""
    text = ""
    for piece in (p.strip() for p in pieces):
        if text and piece and text[-1].isascii() and text[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            text += " "
        text += piece
    return text


def label_form(line: str) -> str:
    """A paragraph, item or heading label in ASCII: `１３．` and `13、` as `13. `, `（ａ）` as
    `(a) `, `一、` as `一. `, `Ｂ．` as `B. `.

    >>> [label_form(s) for s in ("１３．文本", "7、文本", "（ａ）文本", "13. 文本", "•文本", "一、背景", "Ｂ．会议", "U.S.")]
    ['13. 文本', '7. 文本', '(a) 文本', '13. 文本', '• 文本', '一. 背景', 'B. 会议', 'U.S.']
    """
    if m := HEADING_LABEL.match(line):
        return f"{m[1] or unicodedata.normalize('NFKC', m[2])}. {line[m.end():]}"
    if m := NUMBER_LABEL.match(line):
        return f"{int(m[1])}. {line[m.end():]}"
    if m := BULLET_LABEL.match(line):
        return f"• {line[m.end():]}"
    if m := LETTER_LABEL.match(line):
        letter = _LETTERS[_LETTERS.index(m[2]) % 26]
        return f"{m[1]}({letter}) {line[m.end():]}"
    return line
