"""The `qa` command line: a thin layer over the library.

    qa corpus                         list the letters (date, senders, passages)
    qa show 000 13                    print one passage with its citation (no label: all)
    qa index                          build index/ (other commands build it on first use)
    qa add new_letter.txt             copy a letter into the corpus and index it
    qa remove 005                     take a letter out of the corpus and the index
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
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .admin import names_letter as _names_letter
from .config import Settings
from .corpus import load_corpus, read_corpus
from .documents import Passage
from .errors import describe
from .questions import MAX_QUESTION_CHARS, EmptyQuestion, QuestionError, check_date_range, check_filters, check_k, check_question, printable
from .results import Answer, Hit, Response


class UsageError(Exception):
    """Bad input from the user; printed as a one-line message."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        status = args.handler(args) or 0
        sys.stdout.flush()  # a reader that went away shows here, not as a warning at exit
        return status
    except BrokenPipeError:
        # The reader stopped early (`qa ask --json - | head -1`): stop quietly, as a program
        # killed by SIGPIPE does; stdout goes to devnull so that the flush at exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # every kind of error is one line (`python -X dev` shows the traceback)
        if sys.flags.dev_mode:
            raise
        print(f"qa: {describe(error)}", file=sys.stderr)
        return 1


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (argparse prints the whole usage first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qa", description="Cited answers from UN Security Council letters (Chinese).")
    parser.add_argument("--corpus", help="corpus folder (default: corpus/, or $QA_CORPUS_DIR)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter  # keep the examples' line breaks

    corpus = commands.add_parser("corpus", formatter_class=raw, help="list the letters in the corpus", description="List the letters: date, senders, addressee, passages.\n\nexample: qa corpus --json")
    corpus.add_argument("--json", action="store_true", help="one JSON object per letter")
    corpus.set_defaults(handler=_corpus)

    show = commands.add_parser("show", formatter_class=raw, help="print a letter's passages, or one, with citations", description="Print one passage with its citation, or every passage of a letter in document order.\n\nexamples: qa show 000 13 ; qa show 000_bcf0f639adb97a43.txt annex/p2 ; qa show 000 --json")
    show.add_argument("source", help="letter file name, its stem or its number prefix (000)")
    show.add_argument("label", nargs="?", help="paragraph label: 13, 6(a), p2, fn1, title; PART/LABEL when ambiguous (letter/p2); none: every passage")
    show.add_argument("--json", action="store_true", help="JSON, one object per passage per line")
    show.set_defaults(handler=_show)

    index = commands.add_parser("index", formatter_class=raw, help="build the search index", description="Build index/ from the corpus, encoding every letter again (replacing it atomically).\n\nexample: qa index")
    index.add_argument("--if-stale", action="store_true", help="only when the index is missing or stale, and encode only new or changed letters")
    index.set_defaults(handler=_index)

    add = commands.add_parser("add", formatter_class=raw, help="add letters to the corpus and the index", description="Parse each letter file, copy it into the corpus folder (never over a different file) and update the index, encoding only the new letters.\n\nexample: qa add ~/Downloads/S_2024_101.txt")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE", help="letter files")
    add.set_defaults(handler=_add)

    remove = commands.add_parser("remove", formatter_class=raw, help="remove a letter from the corpus and the index", description="Delete a letter file from the corpus folder and update the index.\n\nexample: qa remove 005")
    remove.add_argument("source", help="letter file name, its stem or its number prefix (005)")
    remove.set_defaults(handler=_remove)

    search = commands.add_parser("search", formatter_class=raw, help="ranked passages for a question", description="Ranked passages with dense, lexical and fused scores.\n\nexample: qa search -k 3 执笔方制度")
    _question_options(search)
    search.set_defaults(handler=_search)

    ask = commands.add_parser("ask", formatter_class=raw, help="quoted answers with citations", description="Answer questions with spans quoted from the letters.\n\nexamples: qa ask 安理会通过了几项决议？\n          printf '问题一\\n问题二\\n' | qa ask --json -")
    _question_options(ask)
    ask.set_defaults(handler=_ask)

    evaluate = commands.add_parser("eval", formatter_class=raw, help="metrics on eval sets of known Q&A pairs", description="Run eval sets (default: evals/*.jsonl).\n\nexample: qa eval --json report.json")
    evaluate.add_argument("files", nargs="*", type=Path, help="eval JSONL files (default: evals/*.jsonl)")
    evaluate.add_argument("--json", metavar="OUT", type=_output_file, help="write the full report (with per-question rows) as JSON")
    evaluate.set_defaults(handler=_eval)

    bench = commands.add_parser("bench", formatter_class=raw, help="benchmarks", description="Benchmarks.")
    bench_kinds = bench.add_subparsers(title="benchmarks", metavar="KIND")
    squad = bench_kinds.add_parser("squad", formatter_class=raw, help="SQuAD-format set (CMRC 2018, DRCD)", description="Index all contexts of a SQuAD-format file in memory, ask every question, report containment, answer hit@1 and latency.\n\nexample: qa bench squad ../shared/benchmarks/cmrc2018/cmrc2018_trial.json --limit 100")
    squad.add_argument("file", type=Path)
    squad.add_argument("--predictions", metavar="OUT", type=_output_file, help="write one JSON line per question")
    squad.add_argument("--limit", type=int, help="only the first N questions (and the articles they come from)")
    squad.add_argument("--json", action="store_true", help="print the report as JSON")
    squad.set_defaults(handler=_bench_squad)
    return parser


def _question_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("questions", nargs="+", metavar="QUESTION", help="one or more questions; - reads one per line from stdin")
    command.add_argument("-k", type=_k, default=5, help="number of answers or passages, 1-50 (default 5)")
    command.add_argument("--json", action="store_true", help="one JSON object per line per question")
    command.add_argument("--letter", action="append", default=[], metavar="SOURCE", help="only this letter (file name, stem or number prefix); repeatable")
    command.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD", help="only letters dated on or after")
    command.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD", help="only letters dated on or before")


def _k(text: str) -> int:
    try:
        return check_k(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _output_file(text: str) -> Path:
    """A file to write a report to, checked before the work that fills it: its folder exists."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    if not path.absolute().parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder of {text} does not exist")
    return path


def _write_output(path: Path, text: str) -> None:
    """Write a report whole or not at all (beside it, then renamed over it)."""
    partial = path.with_name(f".{path.name}.qa-writing")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=args.corpus)


def _engine(args: argparse.Namespace, rebuild: str = "auto", must_save: bool = False):
    from .engine import Engine  # heavy imports (torch) only for commands that need them

    _quiet_logging()
    return Engine.open(_settings(args), rebuild=rebuild, progress=sys.stderr.isatty(), must_save=must_save)


def _quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="qa: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG


def _index(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    engine = _engine(args, rebuild="auto" if args.if_stale else "always", must_save=True)
    print(f"{_index_summary(engine.manifest)}; {time.perf_counter() - began:.1f} s")
    return 0


def _index_summary(m: dict) -> str:
    return f"index: {len(m['letters'])} letters, {m['passage_count']} passages, {m['sentence_count']} sentences, model {m['model_id']} ({m['dimension']}-d, {m['dense_index']}), built {m['built_at']}"


def _add(args: argparse.Namespace) -> int:
    from .admin import add_letters

    _quiet_logging()
    began = time.perf_counter()
    result = add_letters(_settings(args), args.files, progress=sys.stderr.isatty())
    for line in result.refused:
        print(f"qa: refused {line}", file=sys.stderr)
    for name in result.present:
        print(f"already in the corpus: {name}")
    for name in result.added:
        print(f"added: {name}")
    if result.engine is not None:
        print(f"{_index_summary(result.engine.manifest)}; {time.perf_counter() - began:.1f} s")
    if result.index_error:
        print(f"qa: the index was not updated: {result.index_error}", file=sys.stderr)
    if result.refused:  # exit status 1: some files, or all, were not added
        print(f"qa: {len(result.added)} added, {len(result.present)} already there, {len(result.refused)} refused", file=sys.stderr)
    return 1 if result.refused or result.index_error else 0


def _remove(args: argparse.Namespace) -> int:
    from .admin import remove_letter

    _quiet_logging()
    began = time.perf_counter()
    name, engine = remove_letter(_settings(args), args.source)
    print(f"removed: {name}")
    print(f"{_index_summary(engine.manifest)}; {time.perf_counter() - began:.1f} s")
    return 0


@dataclass(frozen=True)
class Question:
    """One question of a batch: as given, and as asked (cleaned) or why it cannot be."""

    number: int
    given: str
    asked: str = ""
    error: str = ""

    def error_record(self) -> dict[str, str]:
        """Its line of `--json` output when it cannot be asked: no answers, the reason."""
        shown = printable(self.given)
        return {"question": shown if len(shown) <= MAX_QUESTION_CHARS else shown[:MAX_QUESTION_CHARS] + "…", "error": self.error}


def _read_questions(args: argparse.Namespace) -> list[Question]:
    """The questions in order, each checked; `-` reads one per line from stdin (blank lines skipped)."""
    given = []  # (text, read from stdin)
    for argument in args.questions:
        if argument == "-":
            given.extend((line, True) for line in _stdin_lines())
        else:
            given.append((argument, False))
    questions = []
    for text, from_stdin in given:
        try:
            asked, error = check_question(text), ""
        except EmptyQuestion as why:
            if from_stdin:
                continue  # a blank line (or one of invisible characters only) asks nothing
            asked, error = "", str(why)
        except QuestionError as why:
            asked, error = "", str(why)
        questions.append(Question(len(questions) + 1, text, asked, error))
    if not questions:
        raise UsageError("no questions given")
    return questions


def _stdin_lines():
    """stdin as lines of text, read as bytes: a line that is not UTF-8 becomes that question's
    error (its bytes kept as lone surrogates), not the whole batch's."""
    for line in sys.stdin.buffer:
        yield line.decode("utf-8", "surrogateescape").strip()


def _filters(args: argparse.Namespace, engine):
    from .engine import Filters

    sources = []
    for given in args.letter:
        matches = [letter.source for letter in engine.letters if _names_letter(letter.source, given)]
        if len(matches) != 1:
            raise UsageError(f"--letter {given!r} matches {len(matches)} letters; see 'qa corpus'")
        sources.extend(matches)
    return check_filters(Filters(tuple(sources), args.date_from, args.date_to), engine.letters)


BATCH = 32  # questions embedded together; each batch is printed as soon as it is answered


def _answer_batch(args: argparse.Namespace, answer: Callable, show: Callable) -> int:
    """Ask every question that can be asked, in batches, and print each result in order: a
    question that cannot be asked is reported on stderr (and as an error record with --json)
    and the rest go on. Exit status 1 when any question could not be asked."""
    from tqdm import tqdm

    questions = _read_questions(args)
    check_date_range(args.date_from, args.date_to)  # before the model loads
    for question in questions:
        if question.error:
            print(f"qa: question {question.number}: {question.error}", file=sys.stderr)
    engine = filters = None  # loaded only when some question can be asked
    if any(not q.error for q in questions):
        engine = _engine(args)
        filters = _filters(args, engine)
    with tqdm(total=len(questions), desc="questions", unit="q", disable=len(questions) < 100 or not sys.stderr.isatty(), file=sys.stderr) as bar:
        for start in range(0, len(questions), BATCH):
            batch = questions[start : start + BATCH]
            asked = [q.asked for q in batch if not q.error]
            results = iter(answer(engine, asked, filters) if asked else ())
            for question in batch:
                if question.error:
                    if args.json:
                        print(json.dumps(question.error_record(), ensure_ascii=False), flush=True)
                else:
                    show(next(results))
            bar.update(len(batch))
    return 1 if any(q.error for q in questions) else 0


def _search(args: argparse.Namespace) -> int:
    def search(engine, questions, filters):
        return [(q, engine.search(q, args.k, filters=filters)) for q in questions]

    def show(result) -> None:
        question, hits = result
        if args.json:
            print(json.dumps({"question": question, "hits": [hit_record(h) for h in hits]}, ensure_ascii=False), flush=True)
            return
        print(f"问：{question}")
        for rank, hit in enumerate(hits, start=1):
            print(f"{rank}. [{hit.score:.4f} dense {hit.dense:.3f} #{hit.dense_rank} · bm25 {hit.lexical:.2f} #{hit.lexical_rank}] {hit.passage.citation}")
            print(f"   {hit.passage.text[:120]}")
        print(flush=True)

    return _answer_batch(args, search, show)


def _ask(args: argparse.Namespace) -> int:
    def ask(engine, questions, filters):
        return engine.ask_many(questions, args.k, filters=filters)

    def show(response) -> None:
        print(json.dumps(response_record(response), ensure_ascii=False) if args.json else format_response(response), flush=True)

    return _answer_batch(args, ask, show)


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import calibrate_threshold, read_eval_set, score_responses

    settings = _settings(args)
    files = args.files or sorted((settings.corpus_dir.parent / "evals").glob("*.jsonl"))
    if not files:
        raise UsageError("no eval files given and none in evals/")
    loads = [read_eval_set(path) for path in files]
    problems = [problem for loaded in loads for problem in loaded.problems]
    for problem in problems:
        print(f"qa: {problem}", file=sys.stderr)
    items = [item for loaded in loads for item in loaded.items]
    if not items:
        raise UsageError("no eval question could be read")
    engine = _engine(args)
    began = time.perf_counter()
    responses = engine.ask_many([item.question for item in items], 5, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - began
    report = score_responses(items, responses)
    report["files"] = [str(p) for p in files]
    report["abstain_below"] = engine.abstain_below
    report["calibration"] = calibrate_threshold(report["rows"])
    report["seconds_per_question"] = round(seconds / len(items), 4)
    if args.json:
        _write_output(args.json, json.dumps(report, ensure_ascii=False, indent=2))
    for key, value in report.items():
        if key not in ("rows", "by_type", "files"):
            print(f"{key:28} {value}")
    print("by type:")
    for kind, metrics in report["by_type"].items():
        print(f"  {kind:14} " + "  ".join(f"{k} {v}" for k, v in metrics.items()))
    if problems:
        print(f"qa: {len(problems)} eval lines skipped; {len(items)} questions scored", file=sys.stderr)
    return 1 if problems else 0


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
        _write_output(args.predictions, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in predictions))
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
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
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
        "symbol": p.letter_symbol,
        "date": p.date.isoformat(),
        "paragraph": p.label,
        "citation": p.citation,
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
    loaded = read_corpus(_settings(args).corpus_dir)
    for item in loaded.skipped:
        print(f"qa: skipped {item}", file=sys.stderr)
    for item in loaded.warnings:
        print(f"qa: warning: {item}", file=sys.stderr)
    if not loaded.letters:
        raise UsageError(f"{_settings(args).corpus_dir}: no letter could be loaded")
    for parsed in loaded.letters:
        letter = parsed.letter
        row = {
            "source": letter.source,
            "date": letter.date.isoformat(),
            "senders": list(letter.senders),
            "addressee": letter.addressee,
            "passages": len(parsed.passages),
            "title": letter.title,
            "symbol": letter.symbol,
            "format": parsed.format,
        }
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['date']}  {letter.symbol or '-':<12} {'、'.join(letter.senders)} → {letter.addressee}  {row['passages']:>3} passages  {letter.source}")
    return 0


def _show(args: argparse.Namespace) -> int:
    letters = load_corpus(_settings(args).corpus_dir)
    matches = [p for p in letters if _names_letter(p.letter.source, args.source)]
    if not matches:
        raise UsageError(f"no letter matches {args.source!r}; see 'qa corpus'")
    if len(matches) > 1:
        raise UsageError(f"{args.source!r} matches several letters: {', '.join(p.letter.source for p in matches)}")
    if args.label is None:
        found = list(matches[0].passages)
    else:
        part, _, label = args.label.rpartition("/")
        found = [p for p in matches[0].passages if p.label == label and part in ("", p.part)]
        if not found:
            labels = " ".join(f"{p.part}/{p.label}" for p in matches[0].passages)
            raise UsageError(f"{matches[0].letter.source} has no paragraph {args.label!r}; labels: {labels}")
        if len(found) > 1:
            raise UsageError(f"{args.label!r} is in several parts; say which: {', '.join(f'{p.part}/{p.label}' for p in found)}")
    for number, passage in enumerate(found):
        if args.json:
            print(json.dumps(passage_record(passage), ensure_ascii=False))
            continue
        if number:
            print()
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
        "id": passage.id,
        "source": passage.source,
        "letter_symbol": passage.letter_symbol,
        "letter": passage.letter_title,
        "date": passage.date.isoformat(),
        "part": passage.part,
        "section": list(passage.section),
        "paragraph": passage.label,
        "label": passage.label,
        "kind": passage.kind,
        "citation": passage.citation,
        "text": passage.text,
        "symbols": list(passage.symbols),
    }
