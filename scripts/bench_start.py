"""How long `Engine.open` takes to start on an up-to-date index of N letters, and how many
letters it parses.

    python scripts/bench_start.py --letters 2000 [--repeat 5] [--keep DIR]
    python scripts/bench_start.py --letters 2000 --add [--repeat 3]   # `qa add` of one letter, then `qa remove`

The corpus is made from the five shipped letters, each copy with its own file name and title
date (so no copy is a duplicate of another). The index is built with a stand-in embedder
(seeded random unit vectors, no model run): the start's cost here is everything but loading the
model, which does not depend on the corpus. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None

from qa import corpus  # noqa: E402
from qa.admin import add_letters, remove_letter  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.corpus import load_corpus  # noqa: E402
from qa.engine import Engine  # noqa: E402

HOUR_AGO = time.time() - 3600  # letters older than a clock tick get checksum stamps


class StandInEmbedder:
    """Seeded random unit vectors for any text: an index to start from, without a model run."""

    model_id = "stand-in-384"
    dimension = 384

    def _vectors(self, texts) -> np.ndarray:
        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode("utf-8")).digest()[:8], "little")).standard_normal(self.dimension, dtype=np.float32) for t in texts]
        vectors = np.stack(rows) if rows else np.zeros((0, self.dimension), np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-9)

    def encode_passages(self, texts, **options) -> np.ndarray:
        return self._vectors(texts)

    def encode_queries(self, texts, **options) -> np.ndarray:
        return self._vectors(texts)


def make_corpus(folder: Path, count: int, first: int = 0) -> list[Path]:
    """`count` letters copied from the shipped five, each with another date (every mention of
    the letter's date changed: a cover that disagrees with its title is parsed in part only);
    `first` numbers them on from another corpus's."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = load_corpus(ROOT / "corpus")
    paths = []
    for i in range(first, first + count):
        letter = shipped[i % len(shipped)].letter
        text = (ROOT / "corpus" / letter.source).read_text(encoding="utf-8")
        date = dt.date(2000, 1, 1) + dt.timedelta(days=i)
        old, new = (f"{d.year}年{d.month}月{d.day}日" for d in (letter.date, date))
        path = folder / f"{i:05d}_{letter.source}"
        path.write_text(text.replace(old, new), encoding="utf-8")
        os.utime(path, (HOUR_AGO, HOUR_AGO))
        paths.append(path)
    return paths


def count_parses() -> list[str]:
    """The names of the letters parsed from now on."""
    parsed: list[str] = []
    original = corpus.parse_document
    corpus.parse_document = lambda document, name: parsed.append(name) or original(document, name)
    return parsed


def bench_add(settings: Settings, embedder, folder: Path, repeat: int) -> dict:
    """`qa add` of one new letter to the corpus, then `qa remove` of it, `repeat` times."""
    letters = len(list(settings.corpus_dir.iterdir()))
    parsed = count_parses()
    adds, removes, add_parses, remove_parses = [], [], [], []
    for round_ in range(repeat):
        (new,) = make_corpus(folder / f"new-{round_}", 1, first=letters + round_)
        del parsed[:]
        began = time.perf_counter()
        result = add_letters(settings, [new], embedder=embedder)
        adds.append(time.perf_counter() - began)
        add_parses.append(len(parsed))
        if result.added != [new.name]:
            raise SystemExit(f"the add failed: {result.refused or result.index_error}")
        del parsed[:]
        began = time.perf_counter()
        remove_letter(settings, new.stem, embedder=embedder)
        removes.append(time.perf_counter() - began)
        remove_parses.append(len(parsed))
    return {"add_s_median": round(statistics.median(adds), 2), "add_s_min": round(min(adds), 2), "parsed_per_add": statistics.mean(add_parses), "remove_s_median": round(statistics.median(removes), 2), "remove_s_min": round(min(removes), 2), "parsed_per_remove": statistics.mean(remove_parses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--add", action="store_true", help="time adding one letter and removing it, not a start")
    parser.add_argument("--keep", type=Path, help="a folder for the corpus and index, kept (reused when it holds them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        settings = Settings.from_env(corpus_dir=folder / "corpus", index_dir=folder / "index")
        embedder = StandInEmbedder()
        if not settings.corpus_dir.exists():
            make_corpus(settings.corpus_dir, args.letters)
        began = time.perf_counter()
        Engine.open(settings, embedder=embedder)  # builds the index (or brings it up to date)
        build_s = time.perf_counter() - began
        if args.add:
            print(json.dumps({"letters": args.letters, "build_s": round(build_s, 1), **bench_add(settings, embedder, Path(tmp), args.repeat)}))
            return
        parsed = count_parses()
        starts = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            engine = Engine.open(settings, rebuild="never", embedder=embedder)
            starts.append(time.perf_counter() - began)
        print(json.dumps({"letters": len(engine.letters), "passages": len(engine.passages), "build_s": round(build_s, 1), "start_s_median": round(statistics.median(starts), 2), "start_s_min": round(min(starts), 2), "parsed_per_start": len(parsed) / args.repeat}))


if __name__ == "__main__":
    main()
