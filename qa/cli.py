"""The `qa` command line: a thin layer over the library.

    qa corpus                         list the letters (date, senders, passages)
    qa show 000 13                    print one passage with its citation
    qa index                          build index/ (other commands build it on first use)
    qa search "执笔方制度"             ranked passages with their scores
    qa ask "安理会通过了几项决议？"      quoted answers with citations (--json: one line each)
    qa eval                           metrics on evals/*.jsonl
    qa bench squad FILE               benchmark on a SQuAD-format set
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .config import Settings
from .corpus import CorpusError, load_corpus
from .documents import Passage
from .embedder import EmbedderError
from .evaluate import EvalSetError
from .results import Answer, Hit, Response
from .store import StaleIndex


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
    except (UsageError, CorpusError, EmbedderError, EvalSetError, StaleIndex, ValueError) as error:
        print(f"qa: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited answers from UN Security Council letters (Chinese).")
    parser.add_argument("--corpus", help="corpus folder (default: corpus/, or $QA_CORPUS_DIR)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter  # keep the examples' line breaks

    corpus = commands.add_parser("corpus", formatter_class=raw, help="list the letters in the corpus", description="List the letters: date, senders, addressee, passages.\n\nexample: qa corpus --json")
    corpus.add_argument("--json", action="store_true", help="one JSON object per letter")
    corpus.set_defaults(handler=_corpus)

    show = commands.add_parser("show", formatter_class=raw, help="print one passage with its citation", description="Print one passage with its citation.\n\nexamples: qa show 000 13 ; qa show 000_bcf0f639adb97a43.txt annex/p2")
    show.add_argument("source", help="letter file name, its stem or its number prefix (000)")
    show.add_argument("label", help="paragraph label: 13, 6(a), p2, fn1, title; PART/LABEL when ambiguous (letter/p2)")
    show.add_argument("--json", action="store_true", help="print the passage as JSON")
    show.set_defaults(handler=_show)

    index = commands.add_parser("index", formatter_class=raw, help="build the search index", description="Build index/ from the corpus (replacing it atomically).\n\nexample: qa index")
    index.add_argument("--if-stale", action="store_true", help="only build when the index is missing or stale")
    index.set_defaults(handler=_index)

    search = commands.add_parser("search", formatter_class=raw, help="ranked passages for a question", description="Ranked passages with dense, lexical and fused scores.\n\nexample: qa search -k 3 执笔方制度")
    _question_options(search)
    search.set_defaults(handler=_search)

    ask = commands.add_parser("ask", formatter_class=raw, help="quoted answers with citations", description="Answer questions with spans quoted from the letters.\n\nexamples: qa ask 安理会通过了几项决议？\n          printf '问题一\\n问题二\\n' | qa ask --json -")
    _question_options(ask)
    ask.set_defaults(handler=_ask)

    evaluate = commands.add_parser("eval", formatter_class=raw, help="metrics on eval sets of known Q&A pairs", description="Run eval sets (default: evals/*.jsonl).\n\nexample: qa eval --json report.json")
    evaluate.add_argument("files", nargs="*", type=Path, help="eval JSONL files (default: evals/*.jsonl)")
    evaluate.add_argument("--json", metavar="OUT", type=Path, help="write the full report (with per-question rows) as JSON")
    evaluate.set_defaults(handler=_eval)

    bench = commands.add_parser("bench", formatter_class=raw, help="benchmarks", description="Benchmarks.")
    bench_kinds = bench.add_subparsers(title="benchmarks", metavar="KIND")
    squad = bench_kinds.add_parser("squad", formatter_class=raw, help="SQuAD-format set (CMRC 2018, DRCD)", description="Index all contexts of a SQuAD-format file in memory, ask every question, report containment, answer hit@1 and latency.\n\nexample: qa bench squad ../shared/benchmarks/cmrc2018/cmrc2018_trial.json --limit 100")
    squad.add_argument("file", type=Path)
    squad.add_argument("--predictions", metavar="OUT", type=Path, help="write one JSON line per question")
    squad.add_argument("--limit", type=int, help="only the first N questions (and the articles they come from)")
    squad.add_argument("--json", action="store_true", help="print the report as JSON")
    squad.set_defaults(handler=_bench_squad)
    return parser


def _question_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("questions", nargs="+", metavar="QUESTION", help="one or more questions; - reads one per line from stdin")
    command.add_argument("-k", type=int, default=5, help="number of answers or passages (default 5)")
    command.add_argument("--json", action="store_true", help="one JSON object per line per question")
    command.add_argument("--letter", action="append", default=[], metavar="SOURCE", help="only this letter (file name, stem or number prefix); repeatable")
    command.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD", help="only letters dated on or after")
    command.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD", help="only letters dated on or before")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=args.corpus)


def _engine(args: argparse.Namespace, rebuild: str = "auto"):
    from .engine import Engine  # heavy imports (torch) only for commands that need them

    logging.basicConfig(level=logging.WARNING, format="qa: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG
    return Engine.open(_settings(args), rebuild=rebuild, progress=sys.stderr.isatty())


def _index(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    engine = _engine(args, rebuild="auto" if args.if_stale else "always")
    m = engine.manifest
    print(f"index: {m['passage_count']} passages, {m['sentence_count']} sentences, model {m['model_id']} ({m['dimension']}-d, {m['dense_index']}), built {m['built_at']}; {time.perf_counter() - began:.1f} s")
    return 0


def _read_questions(args: argparse.Namespace) -> list[str]:
    from .engine import check_question

    questions = []
    for given in args.questions:
        if given == "-":
            questions.extend(line.strip() for line in sys.stdin if line.strip())
        else:
            questions.append(given)
    if not questions:
        raise UsageError("no questions given")
    if args.k < 1 or args.k > 50:
        raise UsageError("-k must be between 1 and 50")
    for number, question in enumerate(questions, start=1):
        try:
            check_question(question)
        except ValueError as error:
            raise UsageError(f"question {number}: {error}") from None
    return questions


def _filters(args: argparse.Namespace, engine):
    from .engine import Filters

    sources = []
    for given in args.letter:
        matches = [letter.source for letter in engine.letters if _names_letter(letter.source, given)]
        if len(matches) != 1:
            raise UsageError(f"--letter {given!r} matches {len(matches)} letters; see 'qa corpus'")
        sources.extend(matches)
    return Filters(tuple(sources), args.date_from, args.date_to)


def _search(args: argparse.Namespace) -> int:
    questions = _read_questions(args)
    engine = _engine(args)
    filters = _filters(args, engine)
    for question in questions:
        hits = engine.search(question, args.k, filters=filters)
        if args.json:
            print(json.dumps({"question": question, "hits": [hit_record(h) for h in hits]}, ensure_ascii=False))
            continue
        print(f"问：{question}")
        for rank, hit in enumerate(hits, start=1):
            print(f"{rank}. [{hit.score:.4f} dense {hit.dense:.3f} #{hit.dense_rank} · bm25 {hit.lexical:.2f} #{hit.lexical_rank}] {hit.passage.citation}")
            print(f"   {hit.passage.text[:120]}")
        print()
    return 0


def _ask(args: argparse.Namespace) -> int:
    questions = _read_questions(args)
    engine = _engine(args)
    filters = _filters(args, engine)
    for response in engine.ask_many(questions, args.k, filters=filters):
        if args.json:
            print(json.dumps(response_record(response), ensure_ascii=False), flush=True)
        else:
            print(format_response(response), flush=True)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import calibrate_threshold, load_eval_set, score_responses

    settings = _settings(args)
    files = args.files or sorted((settings.corpus_dir.parent / "evals").glob("*.jsonl"))
    if not files:
        raise UsageError("no eval files given and none in evals/")
    items = [item for path in files for item in load_eval_set(path)]
    engine = _engine(args)
    began = time.perf_counter()
    responses = engine.ask_many([item.question for item in items], 5)
    seconds = time.perf_counter() - began
    report = score_responses(items, responses)
    report["files"] = [str(p) for p in files]
    report["abstain_below"] = engine.abstain_below
    report["calibration"] = calibrate_threshold(report["rows"])
    report["seconds_per_question"] = round(seconds / len(items), 4)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    for key, value in report.items():
        if key not in ("rows", "by_type", "files"):
            print(f"{key:28} {value}")
    print("by type:")
    for kind, metrics in report["by_type"].items():
        print(f"  {kind:14} " + "  ".join(f"{k} {v}" for k, v in metrics.items()))
    return 0


def _bench_squad(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .squad import load_squad, run_squad_bench

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    passages, questions = load_squad(args.file, args.limit)
    engine = _engine_for_passages(args, passages)
    with tqdm(total=len(questions), desc="questions", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        report, predictions = run_squad_bench(engine, questions, progress=lambda n: bar.update(1))
    report["file"] = str(args.file)
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8") as out:
            for row in predictions:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key:20} {value}")
    return 0


def _engine_for_passages(args: argparse.Namespace, passages):
    """An in-memory engine over the given passages (never index/)."""
    from .embedder import Embedder, resolve_model
    from .engine import Engine

    settings = _settings(args)
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir))
    return Engine.from_passages(passages, embedder, progress=sys.stderr.isatty())


def hit_record(hit: Hit) -> dict[str, object]:
    return {**passage_record(hit.passage), "score": round(hit.score, 6), "dense": round(hit.dense, 6), "lexical": round(hit.lexical, 6), "dense_rank": hit.dense_rank, "lexical_rank": hit.lexical_rank}


def answer_record(answer: Answer) -> dict[str, object]:
    """One answer in the `qa ask --json` contract."""
    p = answer.passage
    return {
        "text": answer.text,
        "score": answer.score,
        "source": p.source,
        "letter": p.letter_title,
        "date": p.date.isoformat(),
        "paragraph": p.label,
        "passage_id": p.id,
        "passage": p.text,
        "start": answer.start,
        "end": answer.end,
        "short": answer.short,
        "short_start": answer.short_start,
        "short_end": answer.short_end,
    }


def response_record(response: Response) -> dict[str, object]:
    """One question's line of `qa ask --json` (and the app's /ask endpoint)."""
    return {"question": response.question, "abstained": response.abstained, "message": response.message, "answers": [answer_record(a) for a in response.answers]}


def format_response(response: Response) -> str:
    lines = [f"问：{response.question}"]
    if response.abstained:
        lines.append(f"答：{response.message}")
        lines.extend(f"  · {h.passage.citation}\n    {h.passage.text[:100]}" for h in response.related[:3])
    else:
        top, *others = response.answers
        lines.append(f"答：「{top.text}」")
        lines.append(f"    —— {top.passage.citation}")
        lines.extend(f"  其他：「{a.text}」 —— {a.passage.citation}" for a in others)
    return "\n".join(lines) + "\n"


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
