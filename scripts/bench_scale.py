"""Scale benchmarks: embedding backends, and the dense index from 10k to 1M vectors.

    .venv/bin/python scripts/bench_scale.py --encoders [--rounds 3] [--json]
    .venv/bin/python scripts/bench_scale.py --dense [--sizes 10000,100000,1000000] [--json]
    .venv/bin/python scripts/bench_scale.py [--sizes 10000,100000,1000000] [--keep DIR] [--json]
    .venv/bin/python scripts/bench_scale.py --add DIR/index-N LETTER [--json]
    .venv/bin/python scripts/bench_scale.py --format-7 DIR/index-N   (a kept index of format 6, before --add)
    .venv/bin/python scripts/bench_scale.py --components DIR/index-N QUESTIONS   (CPU ms per stage of a query)

--encoders: each backend (torch float32, onnx float32, onnx-int8) encodes the letters' passages
and sentences (the texts the index embeds), rounds interleaved so that all see the same load on a
shared machine; prints texts/s (median of the rounds, with min and max; and per CPU-second, with its
ratio to torch's), query latency (one question per call, median), and the cosine of each passage
vector to torch float32's (min and mean; and the min over the sentences).

--dense: vectors derived from real ones, since encoding a million texts takes hours on 2 cores:
the letters' passage and sentence vectors, each synthetic vector a random mix of two of them plus
Gaussian noise (renormalised); queries are the eval set's questions, encoded. For each size:
build time, index size, exact (flat) and approximate (`qa.dense` above EXACT_LIMIT) search
latency p50/p95 through `dense_search`, and recall@10 of the approximate index against exact.

--sizes (without --dense): the whole pipeline by size. Real Chinese text: the letters' passages
and the contexts of the CMRC trial and DRCD test sets, cut into passages (as `qa squad` does); a
sample of REAL_SAMPLE of them is encoded for real once (passages and sentences, cached in
.cache/bench_scale/) and tokenised with jieba. Synthetic letters of LETTER_PASSAGES passages each
reuse these passages (real text) with their real vectors plus noise, renormalised
("vectors": "derived"), and their real tokens, except the rare ones ("text": "derived"): repeating
REAL_SAMPLE texts would give every word of a million passages a document frequency in the
thousands, where an archive's names, numbers and symbols stay rare. So a word found in at most
RARE_DF passages of the real sample gets, in each synthetic letter, its own variant: the word
itself or the word with a suffix `~N`, N drawn from a Zipf distribution (exponent RARE_ZIPF), so
a rare word of the questions keeps a small document frequency and its variants spread over many
rare terms; the common words (those of most questions) are unchanged. The index is built through the project's path: letter shares, made one
at a time and saved to letters/ as a build does, streamed into `IndexWriter.update` (segments of
SEGMENT_PASSAGES, then the FAISS indexes). add_letter_s: one more real letter encoded (timed
apart, add_letter_encode_s), then the index updated as `qa add` does: the current generation's
segments checked (`reusable_base`), the letter written as a new segment, the FAISS indexes
extended, the generation committed (parsing the corpus is not counted). A fresh process then
loads the index and answers QUESTIONS questions (eval set, CMRC, DRCD): search and ask latency,
RSS after them (rss_mb; rss_anon_mb without the memory-mapped files' pages) and peak (both taken
before the exact searches of the recall read every vector), recall@10
of the passage and sentence dense indexes against exact search (over the first questions only
where exact search would read more than RECALL_VECTORS vectors: 36 questions at 1M).
Each row gives the 1-minute load average as the build ended and as the answering ended: the
machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERY_SAMPLE = 40  # questions timed one by one for query latency
REAL_SAMPLE = 400  # passages encoded for real (with their sentences) for --sizes: 2 cores, minutes
MAX_CHARS = 300  # longest CMRC/DRCD context taken into the real sample
LETTER_PASSAGES = 50  # passages per synthetic letter
QUESTIONS = 200
RECALL_VECTORS = 200_000_000  # vectors read by the exact searches of the recall (all 200 questions up to 180k passages)
RARE_DF = 3  # a word in at most this many passages of the real sample (< 1%) is rare: a third of the tokens
RARE_ZIPF = 1.1  # variants of a rare word: the word itself in 1 of ζ(1.1) ≈ 10.6 letters
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
SQUAD_FILES = (BENCHMARKS / "cmrc2018" / "cmrc2018_trial.json", BENCHMARKS / "drcd" / "DRCD_test.json")
CACHE = ROOT / ".cache" / "bench_scale"


def letter_texts() -> tuple[list[str], list[str]]:
    """What the index embeds for the letters: passage texts (with their context) and sentences."""
    from qa.config import Settings
    from qa.corpus import load_corpus
    from qa.engine import document_context, index_text
    from qa.sentences import passage_sentences

    parsed = load_corpus(Settings.from_env().corpus_dir)
    contexts = {letter.letter.source: document_context(letter.letter) for letter in parsed}
    passages = [p for letter in parsed for p in letter.passages]
    sentences = [p.text[s:e] for p in passages for s, e in passage_sentences(p)]
    return [index_text(p, contexts[p.source]) for p in passages], sentences


def eval_questions() -> list[str]:
    from qa.evaluate import load_eval_set

    return [item.question for path in sorted((ROOT / "evals").glob("*.jsonl")) for item in load_eval_set(path)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# --------------------------------------------------------------------------- encoders


def bench_encoders(rounds: int) -> list[dict]:
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model

    settings = Settings.from_env()
    passages, sentences = letter_texts()
    questions = eval_questions()[:QUERY_SAMPLE]
    backends = ["torch", "onnx", "onnx-int8"]
    embedders, load_s = {}, {}
    for backend in backends:
        began = time.perf_counter()
        embedders[backend] = Embedder(resolve_model(settings.model, settings.cache_dir, backend))
        load_s[backend] = time.perf_counter() - began
        embedders[backend].encode_queries(questions[:2])  # first-call set-up is not throughput
    speed = {b: {"passages": [], "sentences": [], "query_ms": [], "cpu": []} for b in backends}
    vectors, sentence_vectors = {}, {}
    for _ in range(rounds):
        for backend in backends:
            embedder = embedders[backend]
            began, cpu = time.perf_counter(), time.process_time()
            vectors[backend] = embedder.encode_passages(passages)
            speed[backend]["passages"].append(len(passages) / (time.perf_counter() - began))
            began = time.perf_counter()
            sentence_vectors[backend] = embedder.encode_passages(sentences)
            speed[backend]["sentences"].append(len(sentences) / (time.perf_counter() - began))
            speed[backend]["cpu"].append((len(passages) + len(sentences)) / (time.process_time() - cpu))
            for question in questions:
                began = time.perf_counter()
                embedder.encode_queries([question])
                speed[backend]["query_ms"].append(1000 * (time.perf_counter() - began))
    rows = []
    for backend in backends:
        cosines = np.sum(vectors[backend] * vectors["torch"], axis=1)
        sentence_cosines = np.sum(sentence_vectors[backend] * sentence_vectors["torch"], axis=1)
        texts_per_s = speed[backend]["passages"] + speed[backend]["sentences"]
        rows.append(
            {
                "backend": backend,
                "model_id": embedders[backend].model_id,
                "texts_per_s": round(statistics.median(texts_per_s), 1),
                "texts_per_s_min_max": [round(min(texts_per_s), 1), round(max(texts_per_s), 1)],
                # texts per CPU-second of this process (all its threads): the work, which a
                # shared machine disturbs less than the wall clock
                "texts_per_cpu_s": round(statistics.median(speed[backend]["cpu"]), 1),
                "cpu_speedup_vs_torch": round(statistics.median(speed[backend]["cpu"]) / statistics.median(speed["torch"]["cpu"]), 2),
                "passages_per_s": round(statistics.median(speed[backend]["passages"]), 1),
                "sentences_per_s": round(statistics.median(speed[backend]["sentences"]), 1),
                "query_ms": round(statistics.median(speed[backend]["query_ms"]), 2),
                "query_p95_ms": round(percentile(speed[backend]["query_ms"], 95), 2),
                "min_cosine_vs_fp32": round(float(cosines.min()), 5),
                "mean_cosine_vs_fp32": round(float(cosines.mean()), 5),
                # sentences are short, and quantisation moves short texts' vectors the most
                "min_sentence_cosine_vs_fp32": round(float(sentence_cosines.min()), 5),
                "load_s": round(load_s[backend], 2),
                "passages": len(passages),
                "sentences": len(sentences),
                "rounds": rounds,
            }
        )
    return rows


# --------------------------------------------------------------------------- dense index


def real_vectors() -> tuple[np.ndarray, np.ndarray]:
    """The letters' passage and sentence vectors, and the eval questions' vectors (default model)."""
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model

    settings = Settings.from_env()
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
    passages, sentences = letter_texts()
    return embedder.encode_passages(passages + sentences), embedder.encode_queries(eval_questions())


def synthetic(real: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """n unit vectors near the real ones: a random mix of two real vectors plus noise whose norm is
    `noise` (cosine to the mix about 0.96), so neighbours are as dense as in a large corpus."""
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = real[rng.integers(0, len(real), m)], real[rng.integers(0, len(real), m)]
        weight = rng.random((m, 1), dtype=np.float32)
        mixed = weight * a + (1 - weight) * b
        mixed += noise * np.linalg.norm(mixed, axis=1, keepdims=True) * rng.standard_normal(mixed.shape, dtype=np.float32) / np.sqrt(real.shape[1])
        out[start : start + m] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def timed_searches(index, queries: np.ndarray, k: int = 10) -> tuple[list[set[int]], list[float]]:
    from qa.dense import dense_search

    found, times = [], []
    for query in queries:
        began = time.perf_counter()
        hits = dense_search(index, query, k)
        times.append(1000 * (time.perf_counter() - began))
        found.append({p for p, _ in hits})
    return found, times


def bench_dense(sizes: list[int]) -> list[dict]:
    import faiss

    from qa.dense import build_dense_index, index_kind, load_dense_index, save_dense_index

    real, queries = real_vectors()
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        vectors = synthetic(real, n, rng)
        exact_index = faiss.IndexFlatIP(vectors.shape[1])
        exact_index.add(vectors)
        exact, flat_ms = timed_searches(exact_index, queries)
        began = time.perf_counter()
        approx_index = build_dense_index(vectors, exact_limit=0)
        build_s = time.perf_counter() - began
        del vectors
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "dense.faiss"
            save_dense_index(approx_index, path)
            del approx_index
            loaded = load_dense_index(path)  # memory-mapped, as an answering process has it
            approx, approx_ms = timed_searches(loaded, queries)
            disk_mb = path.stat().st_size / 2**20
            kind = index_kind(loaded)
            del loaded
        rows.append(
            {
                "vectors": n,
                "kind": kind,
                "build_s": round(build_s, 1),
                "disk_mb": round(disk_mb, 1),
                "flat_mb": round(n * real.shape[1] * 4 / 2**20, 1),
                "flat_p50_ms": round(percentile(flat_ms, 50), 2),
                "flat_p95_ms": round(percentile(flat_ms, 95), 2),
                "search_p50_ms": round(percentile(approx_ms, 50), 2),
                "search_p95_ms": round(percentile(approx_ms, 95), 2),
                "recall_at_10": round(float(np.mean([len(a & e) / len(e) for a, e in zip(approx, exact)])), 4),
                "queries": len(queries),
                "synthetic": "letters' passage+sentence vectors, mixed in pairs, plus noise",
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


# --------------------------------------------------------------------------- whole pipeline


def real_share(embedder, tokenizer):
    """The real sample as one LetterShare (passages, vectors, sentences, jieba tokens), encoded once."""
    import hashlib
    import random

    from qa.config import Settings
    from qa.corpus import load_corpus
    from qa.engine import document_context, index_text
    from qa.letter_cache import LetterShare, load_share, save_share
    from qa.sentences import build_sentence_table
    from qa.squad import load_squad

    parsed = load_corpus(Settings.from_env().corpus_dir)
    letters = [(p, document_context(letter.letter)) for letter in parsed for p in letter.passages]
    # contexts no longer than a letter's paragraphs (a whole DRCD article encodes ten times slower)
    squad = [(p, p.letter_title) for path in SQUAD_FILES for p in load_squad(path)[0] if len(p.text) <= MAX_CHARS]
    random.Random(0).shuffle(squad)
    pool = (letters + squad)[:REAL_SAMPLE]
    passages = tuple(p for p, _ in pool)
    texts = [index_text(p, context) for p, context in pool]
    sha = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    CACHE.mkdir(parents=True, exist_ok=True)
    share = load_share(CACHE, "real-sample", sha, passages, embedder.model_id, tokenizer.settings)
    if share is None:
        print(f"encoding {len(passages)} real passages and their sentences (once)", file=sys.stderr)
        vectors = embedder.encode_passages(texts, progress=True)
        sentences = build_sentence_table(passages, embedder, progress=True)
        share = LetterShare("real-sample", sha, passages, vectors, sentences, tuple(tuple(tokenizer.tokens(t)) for t in texts))
        save_share(CACHE, share, embedder.model_id, tokenizer.settings)
    return share


def jitter(vectors: np.ndarray, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """Real vectors plus Gaussian noise of relative norm `noise`, renormalised (cosine ~0.96)."""
    out = vectors + noise * rng.standard_normal(vectors.shape, dtype=np.float32) / np.sqrt(vectors.shape[1])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def rare_words(real) -> frozenset[str]:
    """The words of at most RARE_DF passages of the real sample."""
    from collections import Counter

    df = Counter(word for tokens in real.tokens for word in set(tokens))
    return frozenset(word for word, count in df.items() if count <= RARE_DF)


def letter_tokens(token_lists, rare: frozenset[str], rng: np.random.Generator) -> tuple[tuple[str, ...], ...]:
    """The passages' tokens with each rare word replaced by this letter's variant of it:
    the word itself, or the word with a Zipf-drawn suffix (the same in the whole letter)."""
    words = sorted({word for tokens in token_lists for word in tokens if word in rare})
    variant = {word: word if n == 1 else f"{word}~{n}" for word, n in zip(words, rng.zipf(RARE_ZIPF, len(words)).tolist())}
    return tuple(tuple(variant.get(word, word) for word in tokens) for tokens in token_lists)


def synthetic_share(real, number: int, rng: np.random.Generator, rare: frozenset[str] = frozenset()):
    """A letter of LETTER_PASSAGES passages drawn from the real sample (text real, rare words
    varied per letter in the tokens, vectors derived)."""
    import dataclasses

    from qa.letter_cache import LetterShare
    from qa.sentences import SentenceTable

    source = f"synthetic-{number:07d}.txt"
    picks = rng.integers(0, len(real.passages), LETTER_PASSAGES)
    passages = tuple(dataclasses.replace(real.passages[i], source=source, label=f"p{k + 1}", part="annex", cited_by=(), footnotes=()) for k, i in enumerate(picks))
    rows = [real.sentences.rows_of(int(i)) for i in picks]
    flat = np.concatenate([np.arange(r.start, r.stop) for r in rows]).astype(np.int64)
    sentences = SentenceTable(
        np.repeat(np.arange(len(picks), dtype=np.int32), [len(r) for r in rows]),
        real.sentences.start[flat],
        real.sentences.end[flat],
        jitter(real.sentences.vectors[flat], rng),
    )
    tokens = letter_tokens([real.tokens[i] for i in picks], rare, rng)
    return LetterShare(source, f"{number:064x}", passages, jitter(real.vectors[picks], rng), sentences, tokens)


def synthetic_record(share, embedder, tokenizer) -> dict:
    """A synthetic share's record in the index, with the metadata of a letter made up for it."""
    from qa.documents import Letter
    from qa.held_letters import letter_entry
    from qa.parse import ParsedLetter

    first = share.passages[0]
    letter = Letter(share.source, first.letter_title, first.date, (), "安全理事会主席")
    return {**share.record(embedder.model_id, tokenizer.settings), **letter_entry(ParsedLetter(letter, share.passages))}


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def bench_size(n: int, real, embedder, tokenizer, questions_file: Path, keep: Path | None = None) -> dict:
    import subprocess

    from qa import __version__
    from qa.letter_cache import save_share
    from qa.store import IndexIdentity, LETTERS, open_writer, read_manifest

    rng = np.random.default_rng(n)
    identity = IndexIdentity(embedder.model_id, f"synthetic-{n}", tokenizer.settings)
    rare = rare_words(real)
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache") as tmp:
        folder = (keep / f"index-{n}") if keep else Path(tmp) / "index"
        began = time.perf_counter()
        with open_writer(folder) as writer:

            def shares():  # one at a time, as a build encodes them
                for j in range(-(-n // LETTER_PASSAGES)):
                    share = synthetic_share(real, j, rng, rare)
                    save_share(writer.letters_dir, share, embedder.model_id, tokenizer.settings)
                    yield share, synthetic_record(share, embedder, tokenizer)

            manifest = writer.update(identity, __version__, shares())
        build_s = time.perf_counter() - began
        build_load = os.getloadavg()[0]
        added = add_letter(folder, identity, embedder, tokenizer, 0)
        passages = manifest["passage_count"]
        manifest = read_manifest(folder)  # the index that answers below has the added letter
        disk_mb = folder_mb(folder) - folder_mb(folder / LETTERS)  # the generation and its segments
        shares_mb = folder_mb(folder / LETTERS)
        run = subprocess.run([sys.executable, __file__, "--answer", str(folder), str(questions_file)], capture_output=True, text=True)
        if run.returncode:
            sys.exit(f"the answering process failed:\n{run.stderr[-2000:]}")
        answered = json.loads(run.stdout.strip().splitlines()[-1])
    row = {"load_average_build": round(build_load, 2), "passages": passages, "build_s": round(build_s, 1), **added, "disk_mb": round(disk_mb, 1), "shares_mb": round(shares_mb, 1), **answered, "dense_index": manifest["dense_index"], "segments": len(manifest["segments"]), "sentences": manifest["sentence_count"], "vectors": "derived", "text": "derived", "real_encoded": len(real.passages)}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def add_letter(folder: Path, identity, embedder, tokenizer, number: int) -> dict:
    """Add the corpus's letter `number` (encoded for real, timed apart) as `qa add` does: the
    current segments checked (`reusable_base`, timed apart), the letter written as a new
    segment, the FAISS indexes extended, the generation committed."""
    from qa import __version__
    from qa.config import Settings
    from qa.corpus import load_corpus
    from qa.engine import encode_letter
    from qa.held_letters import letter_entry
    from qa.letter_cache import save_share
    from qa.store import open_writer, reusable_base

    new = load_corpus(Settings.from_env().corpus_dir)[number]
    began = time.perf_counter()
    added = encode_letter(new, f"{number:x}" * 64, embedder, tokenizer)
    encode_s = time.perf_counter() - began
    began = time.perf_counter()
    with open_writer(folder) as writer:
        save_share(writer.letters_dir, added, embedder.model_id, tokenizer.settings)
        checked = time.perf_counter()
        base = reusable_base(folder, identity)
        check_s = time.perf_counter() - checked
        writer.update(identity, __version__, [(added, {**added.record(embedder.model_id, tokenizer.settings), **letter_entry(new)})], base=base)
    return {"add_letter_s": round(time.perf_counter() - began, 2), "add_letter_check_s": round(check_s, 2), "add_letter_encode_s": round(encode_s, 2)}


def add_to_kept(folder: Path, number: int) -> dict:
    """--add: one more letter added to a kept index (its checksum stamps written by the last add)."""
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model
    from qa.store import IndexIdentity, open_writer, read_manifest
    from qa.tokens import ChineseTokenizer
    from qa.upgrade import upgrade_index

    settings = Settings.from_env()
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
    tokenizer = ChineseTokenizer()
    began = time.perf_counter()
    with open_writer(folder) as writer:  # an index of the format before: its vocabularies rewritten, as any qa command does
        upgraded = upgrade_index(writer, progress=True)
    upgrade_s = time.perf_counter() - began
    manifest = read_manifest(folder)
    row = add_letter(folder, IndexIdentity(manifest["model_id"], manifest["corpus_hash"], tokenizer.settings), embedder, tokenizer, number)
    return {"passages": read_manifest(folder)["passage_count"], **row, **({"upgrade_s": round(upgrade_s, 1)} if upgraded else {}), "load_average": round(os.getloadavg()[0], 2)}


def kept_as_format_7(folder: Path) -> None:
    """--format-7: a kept index of format 6 (built before the letters' metadata was kept) with each
    letter's metadata made from its passages, as `synthetic_record` makes it, and marked format 7,
    so that `upgrade_index` can bring it up to date in place (format 6 itself is rebuilt from the
    letter shares: an hour at 1M). Only the current generation's manifest is rewritten."""
    from qa.documents import Letter, record_to_passage
    from qa.held_letters import letter_entry
    from qa.parse import ParsedLetter
    from qa.store import MANIFEST, SEGMENTS, current_generation

    path = current_generation(folder) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest["format_version"] != 6:
        sys.exit(f"{path} is of format {manifest['format_version']}, not 6")
    for record in manifest["segments"]:
        text = (folder / SEGMENTS / record["name"] / "passages.jsonl").read_bytes()
        offsets = np.load(folder / SEGMENTS / record["name"] / "passage_offsets.npy")
        for letter in record["letters"]:
            passages = tuple(record_to_passage(json.loads(text[offsets[i] : offsets[i + 1]])) for i in range(letter["first"], letter["first"] + letter["passages"]))
            made = Letter(letter["source"], passages[0].letter_title, passages[0].date, (), "安全理事会主席")
            letter.update(letter_entry(ParsedLetter(made, passages)))
    manifest["format_version"] = 7
    staging = path.with_name(MANIFEST + ".partial")
    staging.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(staging, path)


def answer_index(folder: Path, questions_file: Path, recall: int | None = None) -> dict:
    """Run in a fresh process: load the index, answer the questions, report latency, RSS and recall."""
    from qa.config import Settings
    from qa.dense import dense_search
    from qa.embedder import Embedder, resolve_model
    from qa.engine import SENTENCE_PROBES, Engine
    from qa.store import IndexIdentity, read_index, read_manifest
    from qa.tokens import ChineseTokenizer

    settings = Settings.from_env()
    manifest = read_manifest(folder)
    began = time.perf_counter()
    stored = read_index(folder, IndexIdentity(manifest["model_id"], manifest["corpus_hash"], manifest["tokenizer"]))
    tokenizer = ChineseTokenizer()
    engine = Engine(stored.passages, stored.vectors, stored.dense, stored.lexical, stored.sentences, stored.sentence_index, Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend)), tokenizer)
    load_s = time.perf_counter() - began
    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    engine.ask(questions[0])  # first-call set-up (jieba, glossary) is not latency
    search_ms, ask_ms, passage_recall, sentence_recall = [], [], [], []
    for question in questions:
        began = time.perf_counter()
        engine.search(question)
        search_ms.append(1000 * (time.perf_counter() - began))
        began = time.perf_counter()
        engine.ask(question)
        ask_ms.append(1000 * (time.perf_counter() - began))
    # RSS of the answering, before exact search reads every vector for the recall below;
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would show the parent's RSS
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    # exact search reads every vector: at 1M passages (5.5M vectors, 8 GB) the recall is taken
    # over the first questions only, as many as RECALL_VECTORS vectors read allow
    recall_questions = questions[: max(20, RECALL_VECTORS // (len(engine.vectors) + len(engine.sentences.vectors))) if recall is None else recall]
    for question in recall_questions:
        query = engine.encode_question(question)
        for index, vectors, probes, out in ((engine.dense, engine.vectors, None, passage_recall), (engine.sentence_index, engine.sentences.vectors, SENTENCE_PROBES, sentence_recall)):
            exact = set(np.argsort(-(vectors @ query))[:10].tolist())
            out.append(len(exact & {p for p, _ in dense_search(index, query, 10, probes=probes)}) / 10)
    return {
        "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
        "rss_anon_mb": round(int(status["RssAnon"].split()[0]) / 1024, 1),
        "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1),
        "load_s": round(load_s, 2),
        "search_p50_ms": round(percentile(search_ms, 50), 1),
        "search_p95_ms": round(percentile(search_ms, 95), 1),
        "ask_p50_ms": round(percentile(ask_ms, 50), 1),
        "ask_p95_ms": round(percentile(ask_ms, 95), 1),
        "recall_at_10": round(float(np.mean(passage_recall)), 4) if passage_recall else None,
        "sentence_recall_at_10": round(float(np.mean(sentence_recall)), 4) if sentence_recall else None,
        "questions": len(questions),
        "recall_questions": len(recall_questions),
        "load_average": round(os.getloadavg()[0], 2),  # 1 minute, as the answering ends
    }


def components(folder: Path, questions_file: Path, count: int) -> dict:
    """--components: the CPU time (all threads) of each stage of `search`/`ask` on a kept index,
    per question (mean, p50, p95 ms over the first `count` bench questions, after a warm-up
    question), and the answering process's resident memory by the file it maps."""
    from collections import defaultdict

    from qa.config import Settings
    from qa.dense import dense_search
    from qa.embedder import Embedder, resolve_model
    from qa.engine import CANDIDATE_POOL, SENTENCE_PROBES, Engine
    from qa.store import IndexIdentity, read_index, read_manifest
    from qa.tokens import ChineseTokenizer

    settings = Settings.from_env()
    manifest = read_manifest(folder)
    stored = read_index(folder, IndexIdentity(manifest["model_id"], manifest["corpus_hash"], manifest["tokenizer"]))
    tokenizer = ChineseTokenizer()
    engine = Engine(stored.passages, stored.vectors, stored.dense, stored.lexical, stored.sentences, stored.sentence_index, Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend)), tokenizer)
    questions = json.loads(questions_file.read_text(encoding="utf-8"))[:count]
    engine.ask(questions[0])
    stages = {
        "encode": lambda q, v, c: engine.encode_question(q),
        "passage_ivf": lambda q, v, c: c.update(p for p, _ in dense_search(engine.dense, v, CANDIDATE_POOL)),
        "sentence_ivf": lambda q, v, c: c.update(int(engine.sentences.passage[r]) for r, _ in dense_search(engine.sentence_index, v, CANDIDATE_POOL, probes=SENTENCE_PROBES)),
        "rescore": lambda q, v, c: [engine._dense_score(p, v) for p in c],
        "bm25": lambda q, v, c: engine.lexical_ranking(tokenizer.question_text(q), CANDIDATE_POOL),
        "search_encoded": lambda q, v, c: engine.search_encoded(q, v, 5),
        "ask_encoded": lambda q, v, c: engine.ask_encoded(q, v, 5),
    }
    spent = defaultdict(list)
    for question in questions:
        query, candidates = engine.encode_question(question), set()
        for name, stage in stages.items():
            began = time.process_time()
            stage(question, query, candidates)
            spent[name].append(1000 * (time.process_time() - began))
    row = {f"{name}_ms": [round(float(np.mean(ms)), 1), round(percentile(ms, 50), 1), round(percentile(ms, 95), 1)] for name, ms in spent.items()}
    mapped, current = defaultdict(int), "[anonymous]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            current = fields[5].rsplit("/", 1)[-1] if len(fields) > 5 and fields[5].startswith("/") else "[anonymous]"
        elif fields[0] == "Rss:":
            mapped[current] += int(fields[1])
    return {"passages": len(engine.passages), "questions": len(questions), **row, "rss_mb_by_file": {name: round(kb / 1024) for name, kb in sorted(mapped.items(), key=lambda item: -item[1])[:10]}, "load_average": round(os.getloadavg()[0], 2)}


def bench_sizes(sizes: list[int], keep: Path | None = None) -> list[dict]:
    from qa.config import Settings
    from qa.embedder import Embedder, resolve_model
    from qa.squad import load_squad
    from qa.tokens import ChineseTokenizer

    settings = Settings.from_env()
    embedder = Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
    tokenizer = ChineseTokenizer()
    real = real_share(embedder, tokenizer)
    squad = [[q.question for q in load_squad(path)[1]] for path in SQUAD_FILES]
    questions = (eval_questions()[: QUESTIONS // 2] + squad[0][: QUESTIONS // 4] + squad[1])[:QUESTIONS]
    questions_file = CACHE / "questions.json"
    questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    return [bench_size(n, real, embedder, tokenizer, questions_file, keep) for n in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", action="store_true", help="compare the embedding backends")
    parser.add_argument("--dense", action="store_true", help="the dense index by size (synthetic vectors)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--keep", type=Path, help="with --sizes: build each index in KEEP/index-N and keep it")
    parser.add_argument("--add", nargs=2, metavar=("INDEX", "LETTER"), help="add the corpus's letter number LETTER to a kept index, timed")
    parser.add_argument("--components", nargs=2, metavar=("INDEX", "QUESTIONS"), help="CPU ms of each stage of search/ask on a kept index, over the first QUESTIONS bench questions")
    parser.add_argument("--format-7", type=Path, metavar="INDEX", help="mark a kept index of format 6 as format 7, its letters' metadata made from its passages")
    parser.add_argument("--answer", nargs=2, type=Path, help=argparse.SUPPRESS)  # the fresh answering process of --sizes
    parser.add_argument("--recall", type=int, help="with --answer: the questions the recall is taken over (exact search reads every vector)")
    args = parser.parse_args()
    if args.answer:
        print(json.dumps(answer_index(*args.answer, args.recall)))
        return
    if args.components:
        print(json.dumps(components(Path(args.components[0]), CACHE / "questions.json", int(args.components[1]))))
        return
    if args.format_7:
        kept_as_format_7(args.format_7)
        return
    if args.add:
        rows = [add_to_kept(Path(args.add[0]), int(args.add[1]))]
    elif args.encoders:
        rows = bench_encoders(args.rounds)
    elif args.dense:
        rows = bench_dense([int(s) for s in args.sizes.split(",")])
    else:
        rows = bench_sizes([int(s) for s in args.sizes.split(",")], args.keep)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif rows:
        columns = list(rows[0])
        print(" | ".join(columns))
        for row in rows:
            print(" | ".join(str(row.get(c, "")) for c in columns))


if __name__ == "__main__":
    main()
