"""The cited units of the corpus: letters and the passages parsed out of them.

A passage knows exactly where it stands, so any span quoted from it can be cited
as "letter X, part Y, paragraph Z" and found again in the original document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

PART_NAMES = {"letter": "信", "annex": "附件"}
ADDRESSEE_ROLES = {
    "安全理事会主席": "President of the Security Council",
    "秘书长": "Secretary-General",
}


@dataclass(frozen=True)
class Signatory:
    name: str
    titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Letter:
    """One letter of the corpus with its metadata (not its passages)."""

    source: str  # corpus file name, e.g. "000_bcf0f639adb97a43.txt"
    title: str  # the "...的信" line
    date: dt.date
    senders: tuple[str, ...]  # countries whose representatives send it
    addressee: str  # as the title says it, e.g. "安全理事会主席"
    signatories: tuple[Signatory, ...] = ()
    annex_title: str | None = None
    header: tuple[tuple[str, str], ...] = ()  # document header, e.g. ("distribution", "General")
    symbol: str | None = None  # the UN document symbol on its cover, e.g. "S/2020/186"

    @property
    def addressee_role(self) -> str:
        return ADDRESSEE_ROLES.get(self.addressee, self.addressee)


@dataclass(frozen=True)
class Passage:
    """One paragraph (or item, footnote, title) of a letter, with its citation.

    `label` is the paragraph label as the document numbers it ("13", "6(a)"),
    or a stable ordinal within the part for unnumbered text ("p3"), "fn1" for
    footnote 1, "title" for a title line and "signature" for the signature block.
    """

    source: str
    letter_title: str
    date: dt.date
    part: str  # "letter" (the cover letter) or "annex"
    section: tuple[str, ...]
    label: str
    kind: str  # paragraph | item | bullet | footnote | title | signature
    text: str
    symbols: tuple[str, ...] = ()
    footnotes: tuple[str, ...] = ()  # ids of footnotes this passage cites
    cited_by: tuple[str, ...] = field(default=())  # for a footnote: ids of passages citing it
    letter_symbol: str | None = None  # the letter's UN symbol, when its cover gives one

    @property
    def id(self) -> str:
        return passage_id(self.source, self.part, self.label)

    @property
    def paragraph(self) -> str:
        """The paragraph label in words, e.g. "第13段", "第6段(a)项", "脚注1"."""
        return describe_label(self.label)

    @property
    def citation(self) -> str:
        """`S/2020/186 · 附件 · 第13段`; the letter's title stands for a letter without a symbol."""
        return " · ".join((self.letter_symbol or self.letter_title, PART_NAMES[self.part], self.paragraph))


def passage_id(source: str, part: str, label: str) -> str:
    stem = source.rsplit(".", 1)[0]
    return f"{stem}/{part}/{label}"


def describe_label(label: str) -> str:
    if label == "title":
        return "标题"
    if label == "signature":
        return "签名"
    if label.startswith("fn"):
        return f"脚注{label[2:]}"
    if label.startswith("p"):
        return f"第{label[1:]}段(未编号)"
    if "(" in label:
        number, item = label.split("(", 1)
        return f"第{number}段({item}项"
    return f"第{label}段"


def passage_to_record(passage: Passage) -> dict:
    """The passage as a JSON-ready record (how the index and the letter shares store it)."""
    record = asdict(passage)
    record["date"] = passage.date.isoformat()
    return record


def letter_to_record(letter: Letter) -> dict:
    """The letter's metadata as a JSON-ready record (how the index keeps it, so a start need not parse)."""
    record = asdict(letter)
    record["date"] = letter.date.isoformat()
    return record


def record_to_letter(record: dict) -> Letter:
    fields = dict(record)
    fields["date"] = dt.date.fromisoformat(fields["date"])
    fields["senders"] = tuple(fields["senders"])
    fields["signatories"] = tuple(Signatory(s["name"], tuple(s["titles"])) for s in fields["signatories"])
    fields["header"] = tuple(tuple(pair) for pair in fields["header"])
    return Letter(**fields)


def record_to_passage(record: dict) -> Passage:
    fields = dict(record)
    fields["date"] = dt.date.fromisoformat(fields["date"])
    for key in ("section", "symbols", "footnotes", "cited_by"):
        fields[key] = tuple(fields[key])
    return Passage(**fields)
