"""The `qa` command line: a thin layer over the library.

    qa corpus                 list the letters (date, senders, passages)
    qa show 000 13            print one passage with its citation
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .config import Settings
from .corpus import CorpusError, load_corpus
from .documents import Passage


class UsageError(Exception):
    """Bad input from the user; printed as a one-line message."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except (UsageError, CorpusError) as error:
        print(f"qa: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited answers from UN Security Council letters (Chinese).")
    parser.add_argument("--corpus", help="corpus folder (default: corpus/, or $QA_CORPUS_DIR)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    corpus = commands.add_parser("corpus", help="list the letters in the corpus", description="List the letters: date, senders, addressee, passages.\n\nexample: qa corpus --json")
    corpus.add_argument("--json", action="store_true", help="one JSON object per letter")
    corpus.set_defaults(handler=_corpus)

    show = commands.add_parser("show", help="print one passage with its citation", description="Print one passage with its citation.\n\nexamples: qa show 000 13 ; qa show 000_bcf0f639adb97a43.txt annex/p2")
    show.add_argument("source", help="letter file name, its stem or its number prefix (000)")
    show.add_argument("label", help="paragraph label: 13, 6(a), p2, fn1, title; PART/LABEL when ambiguous (letter/p2)")
    show.add_argument("--json", action="store_true", help="print the passage as JSON")
    show.set_defaults(handler=_show)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=args.corpus)


def _corpus(args: argparse.Namespace) -> int:
    letters = load_corpus(_settings(args).corpus_dir)
    for parsed in letters:
        letter = parsed.letter
        row = {
            "source": letter.source,
            "date": letter.date.isoformat(),
            "senders": list(letter.senders),
            "addressee": letter.addressee,
            "passages": len(parsed.passages),
            "title": letter.title,
        }
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['date']}  {'、'.join(letter.senders)} → {letter.addressee}  {row['passages']:>3} passages  {letter.source}")
    return 0


def _show(args: argparse.Namespace) -> int:
    letters = load_corpus(_settings(args).corpus_dir)
    matches = [p for p in letters if _names_letter(p.letter.source, args.source)]
    if not matches:
        raise UsageError(f"no letter matches {args.source!r}; see 'qa corpus'")
    if len(matches) > 1:
        raise UsageError(f"{args.source!r} matches several letters: {', '.join(p.letter.source for p in matches)}")
    part, _, label = args.label.rpartition("/")
    found = [p for p in matches[0].passages if p.label == label and part in ("", p.part)]
    if not found:
        labels = " ".join(f"{p.part}/{p.label}" for p in matches[0].passages)
        raise UsageError(f"{matches[0].letter.source} has no paragraph {args.label!r}; labels: {labels}")
    if len(found) > 1:
        raise UsageError(f"{args.label!r} is in several parts; say which: {', '.join(f'{p.part}/{p.label}' for p in found)}")
    passage = found[0]
    if args.json:
        print(json.dumps(passage_record(passage), ensure_ascii=False))
    else:
        print(passage.citation)
        if passage.section:
            print(" > ".join(passage.section))
        print()
        print(passage.text)
    return 0


def passage_record(passage: Passage) -> dict[str, object]:
    """A passage as plain JSON-ready data."""
    return {
        "passage_id": passage.id,
        "source": passage.source,
        "letter": passage.letter_title,
        "date": passage.date.isoformat(),
        "part": passage.part,
        "section": list(passage.section),
        "paragraph": passage.label,
        "kind": passage.kind,
        "citation": passage.citation,
        "text": passage.text,
        "symbols": list(passage.symbols),
    }


def _names_letter(source: str, given: str) -> bool:
    stem = source.rsplit(".", 1)[0]
    return given in (source, stem) or stem.startswith(given + "_") or stem.split("_", 1)[0] == given
