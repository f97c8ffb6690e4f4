"""The pipeline: corpus → passages → hybrid index → search (and ask).

    from qa import Engine
    engine = Engine.open()                 # loads index/, or builds it (only new letters are encoded)
    for hit in engine.search("执笔方制度是什么？", k=3):
        print(hit.passage.citation, hit.score)
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import __version__
from .config import Settings
from .corpus import corpus_hash, corpus_stamps, letter_files, load_corpus, refresh_corpus
from .dense import build_dense_index, dense_search
from .documents import Letter, Passage
from .embedder import Embedder, resolve_model
from .errors import describe
from .fusion import dense_evidence, order_by_score, rank_positions, reciprocal_rank_fusion
from .lexical import LexicalIndex, as_mask
from .postings import SegmentedBM25
from .questions import MAX_QUESTION_CHARS, QuestionError, check_k, check_question  # noqa: F401 (re-exported)
from .answer import extract_answers
from .answer_model import shipped_models
from .candidates import CJK
from .results import Hit, Response
from .sentences import SentenceTable, build_sentence_table
from .held_letters import held_letters, letter_entry, stored_letters
from .letter_cache import LetterShare, load_share, save_share
from .parse import ParsedLetter
from .segments import PassageList
from .store import CORPUS_STAMPS, LETTERS, IndexIdentity, StaleIndex, file_sha256, keep_stamps, open_writer, read_index, reusable_base
from .upgrade import upgrade_index
from .tokens import ChineseTokenizer

log = logging.getLogger(__name__)


CANDIDATE_POOL = 50  # candidates taken from each retriever before fusion
# Tuned on evals/ (scripts/bench_retrieval.py): BM25 over jieba words is the
# sharper signal for Chinese questions; the dense ranking breaks its ties and
# carries English and paraphrased questions alone. A small k makes first ranks count.
FUSION_WEIGHTS = (1.0, 2.0)  # dense, lexical
FUSION_K = 10
ANSWER_PASSAGES = 8  # passages whose sentences compete for the answer
# Lists of an IVF sentence index scanned per question: a fixed number, so the scan grows with the
# square root of the corpus, not with the corpus (a tenth of the lists scanned 450k sentence codes
# a question at 1M passages). Its hits only add candidates to the passage index's, each re-scored
# with its stored vectors: at 1M (scripts/bench_scale.py's index), 8 / 16 / 32 / 64 lists kept
# 0.992 / 0.997 / 0.998 / 1.000 of the dense top 10 that 426 lists gave.
SENTENCE_PROBES = 32
ABSTAIN_MESSAGE = "文件中没有找到能够回答这个问题的内容。以下是最接近的段落，仅供参考。"


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some letters and/or a date range (inclusive)."""

    sources: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def admits(self, passage: Passage) -> bool:
        return (
            (not self.sources or passage.source in self.sources)
            and (self.date_from is None or passage.date >= self.date_from)
            and (self.date_to is None or passage.date <= self.date_to)
        )

    @property
    def active(self) -> bool:
        return bool(self.sources) or self.date_from is not None or self.date_to is not None


def document_context(letter: Letter) -> str:
    """The letter's symbol, who wrote it, when, and what its annex is: words a question uses
    ("S/2020/186", "比利时担任主席期间", "金斯敦务虚会") that a paragraph itself leaves out.

    >>> import datetime as dt
    >>> document_context(Letter("x.txt", "…的信", dt.date(2020, 11, 9), ("比利时",), "安全理事会主席", annex_title="工作评估(2020年2月)"))
    '比利时 2020年11月 工作评估(2020年2月)'
    """
    return " ".join(part for part in (letter.symbol or "", "、".join(letter.senders), f"{letter.date.year}年{letter.date.month}月", letter.annex_title or "") if part)


def index_text(passage: Passage, context: str) -> str:
    """What is embedded and tokenised for a passage: its document's context and
    its section path (a country, a meeting), then its own text."""
    return "\n".join(part for part in (context, " > ".join(passage.section), passage.text) if part)


def encode_letter(parsed: ParsedLetter, sha256: str, embedder: Embedder, tokenizer: ChineseTokenizer, *, progress: bool = False) -> LetterShare:
    """Run the model over one letter: its passages (with their context) and sentences."""
    passages = tuple(parsed.passages)
    context = document_context(parsed.letter)
    texts = [index_text(p, context) for p in passages]
    vectors = embedder.encode_passages(texts, progress=progress)
    sentences = build_sentence_table(passages, embedder, progress=progress)
    return LetterShare(parsed.letter.source, sha256, passages, vectors, sentences, tuple(tuple(tokenizer.tokens(text)) for text in texts))


def encode_letters(parsed: Sequence[ParsedLetter], corpus_dir: Path, embedder: Embedder, tokenizer: ChineseTokenizer, *, cache_dir: Path, reuse: bool = True, save: bool = True, progress: bool = False) -> Iterator[LetterShare]:
    """Every letter's share, one at a time: taken from `cache_dir` when `reuse` finds
    it there, else encoded and (when `save`) stored there at once, so an interrupted
    build loses at most the letter it was encoding."""
    encoded = 0
    with tqdm(parsed, desc="letters", unit="letter", disable=not progress, file=sys.stderr) as bar:
        for letter in bar:
            source = letter.letter.source
            sha256 = file_sha256(corpus_dir / source)
            share = load_share(cache_dir, source, sha256, tuple(letter.passages), embedder.model_id, tokenizer.settings) if reuse else None
            if share is None:
                bar.set_postfix_str(source)
                share = encode_letter(letter, sha256, embedder, tokenizer)
                encoded += 1
                if save:
                    save_share(cache_dir, share, embedder.model_id, tokenizer.settings)
            yield share
    log.info("index: %d of %d letters encoded, %d reused", encoded, len(parsed), len(parsed) - encoded)


class Engine:
    """A searchable collection of passages with dense and lexical indexes."""

    def __init__(self, passages: Sequence[Passage], vectors: np.ndarray, dense, lexical: LexicalIndex, sentences: SentenceTable, sentence_index, embedder: Embedder, tokenizer: ChineseTokenizer, letters: Sequence[Letter] = (), manifest: dict | None = None):
        self.passages = passages if hasattr(passages, "position") else PassageList(passages)  # a PassageStore reads from disk
        self.vectors = vectors
        self.dense = dense
        self.lexical = lexical
        self.sentences = sentences
        self.sentence_index = sentence_index
        self.letters = tuple(letters)
        # Below this probability that the top span answers, the engine abstains: the
        # threshold fitted with the answerability model (qa/data/answer_models.json).
        self.abstain_below = shipped_models().threshold
        self.contexts = {letter.source: document_context(letter) for letter in self.letters}
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.manifest = manifest or {}

    @classmethod
    def open(cls, settings: Settings | None = None, *, rebuild: str = "auto", progress: bool = False, embedder: Embedder | None = None, must_save: bool = False) -> "Engine":
        """The engine over the corpus folder, loading `index/` or (re)building it.

        rebuild: "auto" rebuilds a missing or stale index, encoding only the
        letters it has no share of (see `letter_cache`); "never" raises
        StaleIndex instead; "always" encodes every letter again.
        An index folder that is not qa's raises IndexLocationError before any
        work. One that cannot be written gets an index built in memory, with a
        warning, or IndexNotWritable when `must_save`.
        """
        settings = settings or Settings.from_env()
        tokenizer = ChineseTokenizer()
        embedder = embedder or Embedder(resolve_model(settings.model, settings.cache_dir, settings.backend))
        stamps = corpus_stamps(settings.index_dir / CORPUS_STAMPS)  # an unchanged letter is not read again to be hashed
        identity = IndexIdentity(embedder.model_id, corpus_hash(letter_files(settings.corpus_dir), stamps), tokenizer.settings)
        if rebuild != "always":
            try:
                loaded = cls._load(settings, identity, embedder, tokenizer)
                keep_stamps(settings.index_dir, stamps)
                return loaded
            except StaleIndex as why:
                if rebuild == "never":
                    raise StaleIndex(f"{why}; run 'qa index --if-stale' to bring it up to date") from None
                log.warning("updating the index: %s", why)
        try:
            with open_writer(settings.index_dir) as writer:  # refuses a folder not qa's, or a newer qa's index, before any work
                keep_stamps(settings.index_dir, stamps)
                if rebuild != "always":
                    upgrade_index(writer, progress=progress)  # an index of the format before: its vocabularies alone rewritten
                    try:  # another process may have built it while this one waited
                        return cls._load(settings, identity, embedder, tokenizer)
                    except StaleIndex:
                        pass
                # letters the current index holds unchanged are kept (their segments reused, their
                # files not parsed), the others parsed and encoded
                base = reusable_base(settings.index_dir, identity) if rebuild != "always" else None
                loaded = refresh_corpus(settings.corpus_dir, held_letters(base, stamps))
                new = list(loaded.letters)
                kept = {letter.source for letter in loaded.every} - {letter.letter.source for letter in new}
                removed = {letter["source"] for record in base["segments"] for letter in record["letters"]} - kept if base else set()
                shares = encode_letters(new, settings.corpus_dir, embedder, tokenizer, reuse=rebuild != "always", cache_dir=writer.letters_dir, progress=progress)
                records = ((share, {**share.record(embedder.model_id, tokenizer.settings), **letter_entry(letter)}) for letter, share in zip(new, shares, strict=True))
                writer.update(identity, __version__, records, base=base, removed=removed)
                return cls._load(settings, identity, embedder, tokenizer)
        except OSError as why:  # not writable (IndexNotWritable), or the disk filled up while writing
            if must_save:
                raise
            log.warning("the index could not be saved (%s); answering from an index built in memory", describe(why))
        parsed = load_corpus(settings.corpus_dir)
        shares = list(encode_letters(parsed, settings.corpus_dir, embedder, tokenizer, reuse=rebuild != "always", cache_dir=settings.index_dir / LETTERS, save=False, progress=progress))
        return cls.from_shares(shares, embedder, tokenizer, letters=[letter.letter for letter in parsed])

    @classmethod
    def _load(cls, settings: Settings, identity: IndexIdentity, embedder: Embedder, tokenizer: ChineseTokenizer) -> "Engine":
        stored = read_index(settings.index_dir, identity)
        return cls(stored.passages, stored.vectors, stored.dense, stored.lexical, stored.sentences, stored.sentence_index, embedder, tokenizer, stored_letters(stored.manifest), stored.manifest)

    @classmethod
    def from_shares(cls, shares: Sequence[LetterShare], embedder: Embedder, tokenizer: ChineseTokenizer, *, letters: Sequence[Letter] = ()) -> "Engine":
        """An in-memory engine assembled from encoded letters (no model run)."""
        passages = tuple(p for share in shares for p in share.passages)
        offsets = np.cumsum([0] + [len(share.passages) for share in shares[:-1]])
        vectors = np.concatenate([share.vectors for share in shares]).astype(np.float32, copy=False)
        sentences = SentenceTable(
            np.concatenate([share.sentences.passage + offset for share, offset in zip(shares, offsets)]).astype(np.int32),
            np.concatenate([share.sentences.start for share in shares]).astype(np.int32),
            np.concatenate([share.sentences.end for share in shares]).astype(np.int32),
            np.concatenate([share.sentences.vectors for share in shares]).astype(np.float32, copy=False),
        )
        lexical = SegmentedBM25.build([tokens for share in shares for tokens in share.tokens])
        return cls(passages, vectors, build_dense_index(vectors), lexical, sentences, build_dense_index(sentences.vectors), embedder, tokenizer, letters)

    @classmethod
    def from_passages(cls, passages: Iterable[Passage], embedder: Embedder, tokenizer: ChineseTokenizer | None = None, *, letters: Sequence[Letter] = (), progress: bool = False) -> "Engine":
        """An in-memory engine over any passages (nothing is written)."""
        passages = tuple(passages)
        tokenizer = tokenizer or ChineseTokenizer()
        contexts = {letter.source: document_context(letter) for letter in letters}
        texts = [index_text(p, contexts.get(p.source, p.letter_title)) for p in passages]
        vectors = embedder.encode_passages(texts, progress=progress)
        lexical = SegmentedBM25.build([tokenizer.tokens(text) for text in texts])
        sentences = build_sentence_table(passages, embedder, progress=progress)
        return cls(passages, vectors, build_dense_index(vectors), lexical, sentences, build_dense_index(sentences.vectors), embedder, tokenizer, letters)

    def encode_question(self, question: str) -> np.ndarray:
        """The question's vector, as the dense retriever and the answer scorer use it."""
        return self.embedder.encode_queries([self.tokenizer.question_text(question)])[0]

    def search(self, question: str, k: int = 5, *, filters: Filters | None = None) -> list[Hit]:
        """The k passages that best match the question, best first."""
        question, k = check_question(question), check_k(k)
        return self.search_encoded(question, self.encode_question(question), k, filters=filters)

    def search_encoded(self, question: str, query: np.ndarray, k: int, *, filters: Filters | None = None) -> list[Hit]:
        """`search` with the question's vector already computed (for batches).

        Dense candidates come from the passage and the sentence indexes; each is
        scored by `dense_evidence`. Lexical candidates come from BM25. The two
        rankings are merged by weighted reciprocal rank fusion.
        """
        allowed = self._allowed(filters)
        pool = max(CANDIDATE_POOL, k)
        dense_order, dense_scores = self.dense_ranking(query, pool, allowed)
        lexical_hits = self.lexical_ranking(self.tokenizer.question_text(question), pool, allowed)
        lexical_order = [p for p, _ in lexical_hits]
        fused = reciprocal_rank_fusion([dense_order, lexical_order], weights=FUSION_WEIGHTS, k=FUSION_K)
        lexical_scores = dict(lexical_hits)
        dense_ranks = rank_positions(dense_order)
        lexical_ranks = rank_positions(lexical_order)
        return [
            Hit(
                passage=self.passages[p],
                score=fused[p],
                dense=dense_scores[p] if p in dense_scores else self._dense_score(p, query),
                lexical=lexical_scores.get(p, 0.0),
                dense_rank=dense_ranks.get(p),
                lexical_rank=lexical_ranks.get(p),
            )
            for p in order_by_score(fused)[:k]
        ]

    def dense_ranking(self, query: np.ndarray, pool: int, allowed: np.ndarray | None = None) -> tuple[list[int], dict[int, float]]:
        """Passage positions by dense evidence, best first, with their scores; `allowed`:
        the positions admitted, or a boolean mask over the passages."""
        if allowed is not None:
            allowed = as_mask(allowed, len(self.passages))
        candidates = {p for p, _ in dense_search(self.dense, query, pool, allowed)}
        sentence_rows = None if allowed is None else allowed[self.sentences.passage]
        candidates.update(int(self.sentences.passage[r]) for r, _ in dense_search(self.sentence_index, query, pool, sentence_rows, probes=SENTENCE_PROBES))
        scores = {p: self._dense_score(p, query) for p in candidates}
        return order_by_score(scores)[:pool], scores

    def lexical_ranking(self, question: str, pool: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(passage position, BM25 score) for passages sharing words with the question."""
        return self.lexical.search(self.tokenizer.tokens(question), pool, allowed)

    def _dense_score(self, position: int, query: np.ndarray) -> float:
        rows = self.sentences.rows_of(position)
        best_sentence = float(np.max(self.sentences.vectors[rows.start : rows.stop] @ query)) if len(rows) else None
        return dense_evidence(float(self.vectors[position] @ query), best_sentence)

    def ask(self, question: str, k: int = 5, *, filters: Filters | None = None) -> Response:
        """Up to k answers quoted from the passages, or an abstention with related reading."""
        question, k = check_question(question), check_k(k)
        return self.ask_encoded(question, self.encode_question(question), k, filters=filters)

    def ask_encoded(self, question: str, query: np.ndarray, k: int = 5, *, filters: Filters | None = None, related: int | None = None) -> Response:
        """`ask` with the question's vector already computed (for batches);
        `related` hits are returned as related reading (default k)."""
        related = k if related is None else related
        hits = self.search_encoded(question, query, max(k, related, ANSWER_PASSAGES), filters=filters)
        prepared = self.tokenizer.question_text(question)
        candidates = hits[: max(k, ANSWER_PASSAGES)]
        positions = [self.passages.position(h.passage) for h in candidates]
        choice = extract_answers(prepared, query, candidates, positions, self.sentences, self.tokenizer, contexts=self.contexts, vocabulary=self.lexical.vocabulary, cross_lingual=not CJK.search(question), k=k)
        abstained = not choice.answers or choice.probability < self.abstain_below
        return Response(question, choice.answers, abstained, ABSTAIN_MESSAGE if abstained else "", tuple(hits[:related]), round(choice.probability, 4))

    def ask_many(self, questions: Sequence[str], k: int = 5, *, filters: Filters | None = None, progress: bool = False) -> list[Response]:
        """`ask` for a batch: the questions are embedded together, once (`progress`: a bar
        over the questions answered)."""
        checked, k = [check_question(q) for q in questions], check_k(k)
        queries = self.embedder.encode_queries([self.tokenizer.question_text(q) for q in checked])
        answering = tqdm(zip(checked, queries), total=len(checked), desc="questions", unit="q", disable=not progress, file=sys.stderr)
        return [self.ask_encoded(q, v, k, filters=filters) for q, v in answering]

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        """A boolean mask of the passages `filters` admits (None: all), as `Filters.admits`
        decides; a saved index reads it off its letter ranges and dates, with no loop."""
        if filters is None or not filters.active:
            return None
        return self.passages.admitted(filters)
