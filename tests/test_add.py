"""Adding and removing letters: only the new letter is encoded, its answers cite it,
removing drops it, a kill midway leaves the old index usable, and a running
chat engine follows. Real model and FAISS; the session's index copied."""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.admin import add_letters, remove_letter
from qa.corpus import load_letter
from qa.engine import Engine
from qa.live import LiveEngine
from qa.sentences import passage_sentences
from qa.letter_cache import cache_name
from qa.store import file_sha256, read_index

from .conftest import CORPUS, ROOT

BASE = "003_f8451f1751e71b7b.txt"
NEW = "005_frog_pond.txt"
PLACE = "青蛙湖会议中心"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, embedder):
        self._embedder = embedder
        self.encoded: list[str] = []

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def encode_passages(self, texts, **options) -> np.ndarray:
        self.encoded.extend(texts)
        return self._embedder.encode_passages(texts, **options)


def make_letter(folder: Path) -> Path:
    """A new letter made from a shipped one: another file name, date and meeting place."""
    text = (CORPUS / BASE).read_text(encoding="utf-8")
    new = text.replace("2024年3月1日日本", "2025年5月2日日本").replace("举行一次公开辩论，主题为", f"在{PLACE}举行一次公开辩论，主题为")
    assert new != text and new.count("2025年5月2日") >= 2
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NEW
    path.write_text(new, encoding="utf-8")
    return path


def texts_to_encode(path: Path) -> int:
    parsed = load_letter(path)
    return len(parsed.passages) + sum(len(passage_sentences(p)) for p in parsed.passages)


@pytest.fixture
def library(engine, settings, tmp_path):
    """A corpus copy with a copy of the session's (fresh) index."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def test_add_encodes_only_the_new_letter_and_its_answers_cite_it(engine, library, tmp_path):
    letter = make_letter(tmp_path / "incoming")
    counter = CountingEmbedder(engine.embedder)
    result = add_letters(library, [letter], embedder=counter)
    assert result.added == [NEW] and not result.refused
    assert (library.corpus_dir / NEW).read_bytes() == letter.read_bytes()
    assert len(counter.encoded) == texts_to_encode(letter), "only the new letter's passages and sentences are encoded"
    assert any(PLACE in text for text in counter.encoded)

    loaded = Engine.open(library, rebuild="never", embedder=counter)  # saved, not only in memory
    assert len(counter.encoded) == texts_to_encode(letter)
    assert len(loaded.letters) == 6 and len(loaded.passages) == len(engine.passages) + len(load_letter(letter).passages)
    assert loaded.search(PLACE, 1)[0].passage.source == NEW
    response = loaded.ask(f"公开辩论将在{PLACE}举行吗？", 3)
    assert response.answers[0].passage.source == NEW
    assert [s for s in loaded.manifest["letters"] if s["source"] == NEW]


def test_remove_drops_the_letter_without_encoding(engine, library, tmp_path):
    letter = make_letter(tmp_path / "incoming")
    counter = CountingEmbedder(engine.embedder)
    add_letters(library, [letter], embedder=counter)
    before = len(counter.encoded)
    name, updated = remove_letter(library, "005", embedder=counter)
    assert name == NEW and not (library.corpus_dir / NEW).exists()
    assert len(counter.encoded) == before, "removing encodes nothing"
    assert NEW not in {p.source for p in updated.passages} and len(updated.passages) == len(engine.passages)
    assert len(list((library.index_dir / "letters").glob("*.npz"))) == 5, "the removed letter's share is dropped"
    assert Engine.open(library, rebuild="never", embedder=counter).search(PLACE, 1)[0].passage.source != NEW


def test_add_refuses_what_is_not_a_letter_and_never_overwrites(engine, library, tmp_path):
    notes = tmp_path / "incoming" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("购物清单：苹果、梨。\n", encoding="utf-8")
    impostor = tmp_path / "incoming" / BASE
    impostor.write_bytes(make_letter(tmp_path / "other").read_bytes())
    before = {p.name: p.read_bytes() for p in library.corpus_dir.iterdir()}
    result = add_letters(library, [notes, impostor, CORPUS / BASE], embedder=engine.embedder)
    assert result.added == [] and result.present == [BASE]
    assert len(result.refused) == 2 and "notes.txt" in result.refused[0] and "different file" in result.refused[1]
    assert {p.name: p.read_bytes() for p in library.corpus_dir.iterdir()} == before


def test_remove_refuses_a_name_that_is_no_single_letter(library):
    shutil.copy(CORPUS / BASE, library.corpus_dir / "003_again.txt")
    with pytest.raises(ValueError, match="matches several"):
        remove_letter(library, "003")
    with pytest.raises(ValueError, match="no letter"):
        remove_letter(library, "../README.md")
    assert len(list(library.corpus_dir.iterdir())) == 6


KILLED_ADD = """
import os, signal, sys
from pathlib import Path
from qa import admin, engine, store
from qa.config import Settings

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "encoding":  # the new letter's passages are encoded, its sentences not yet
    engine.build_sentence_table = die
else:  # the letter is encoded and copied into the corpus; the new index not yet written
    store.IndexWriter.update = die
admin.add_letters(Settings.from_env(), [Path(sys.argv[2])])
"""


@pytest.mark.parametrize("stage", ["encoding", "assembling"])
def test_a_killed_add_leaves_the_old_index_usable(engine, library, identity, tmp_path, stage):
    letter = make_letter(tmp_path / "incoming")
    generation = read_index(library.index_dir, identity).manifest["generation"]
    env = {**os.environ, "QA_CORPUS_DIR": str(library.corpus_dir), "QA_INDEX_DIR": str(library.index_dir), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-c", KILLED_ADD, stage, str(letter)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert read_index(library.index_dir, identity).manifest["generation"] == generation, "the old index is intact"
    assert not [p for p in library.corpus_dir.iterdir() if p.name.startswith(".")], "no half-copied letter"
    counter = CountingEmbedder(engine.embedder)
    if stage == "encoding":
        assert sorted(p.name for p in library.corpus_dir.iterdir()) == sorted(p.name for p in CORPUS.iterdir())
        assert Engine.open(library, rebuild="never", embedder=counter).search("执笔方制度有哪些问题？", 1)
    else:
        assert (library.corpus_dir / NEW).read_bytes() == letter.read_bytes()
        resumed = Engine.open(library, embedder=counter)  # the next run only assembles
        assert counter.encoded == [] and resumed.search(PLACE, 1)[0].passage.source == NEW


def test_a_running_engine_follows_a_changed_index(engine, library, tmp_path):
    live = LiveEngine(Engine.open(library, rebuild="never", embedder=engine.embedder), library)
    first = live.current
    assert live.current is first, "nothing changed, nothing reloaded"
    add_letters(library, [make_letter(tmp_path / "incoming")], embedder=engine.embedder)
    assert live.current is not first and NEW in {letter.source for letter in live.current.letters}
    assert live.current.search(PLACE, 1)[0].passage.source == NEW


def test_a_build_encodes_only_the_letters_without_a_stored_share(engine, library):
    """Shares are written as each letter is encoded, so a build killed after some
    letters resumes with the others: here two letters' shares are missing."""
    missing = sorted(CORPUS.iterdir())[:2]
    for path in missing:
        (library.index_dir / "letters" / cache_name(path.name, file_sha256(path), engine.embedder.model_id, engine.tokenizer.settings)).unlink()
    (library.index_dir / "CURRENT").unlink()  # and no finished index
    counter = CountingEmbedder(engine.embedder)
    rebuilt = Engine.open(library, embedder=counter)
    assert len(counter.encoded) == sum(texts_to_encode(path) for path in missing)
    assert len({p.source for p in rebuilt.passages}) == 5 and len(rebuilt.passages) == len(engine.passages)
    assert len(list((library.index_dir / "letters").glob("*.npz"))) == 5


def test_the_chat_upload_adds_a_letter_and_the_next_question_cites_it(engine, library, tmp_path):
    app = pytest.importorskip("app")
    live = LiveEngine(Engine.open(library, rebuild="never", embedder=engine.embedder), library)
    assert "添加信件" not in str(app.build_app(live).config), "no upload unless asked for"
    assert "添加信件" in str(app.build_app(live, allow_upload=True).config)
    notes = tmp_path / "incoming" / "notes.txt"
    letter = make_letter(tmp_path / "incoming")
    notes.write_text("购物清单\n", encoding="utf-8")
    status, letters = app.add_uploaded(live, [letter, notes])
    status = html.unescape(status)  # the status is shown as escaped HTML
    assert f"已加入：{NEW}" in status and "未加入：" in status and "notes.txt" in status
    assert NEW in {l.source for l in letters}
    reply, copy = app.chat_turn(live.current, f"公开辩论将在{PLACE}举行吗？", 3, app.Filters(), follow_up=False)
    assert "2025年5月2日" in reply


def test_a_chat_opened_before_an_add_lists_the_new_letter_when_a_page_loads(engine, library, tmp_path):
    app = pytest.importorskip("app")
    live = LiveEngine(Engine.open(library, rebuild="never", embedder=engine.embedder), library)
    demo = app.build_app(live)  # no upload tab: the letter comes from elsewhere
    refreshes = [fn for fn in demo.fns.values() if fn.name == "current_letters"]
    assert {trigger for fn in refreshes for _, trigger in fn.targets} == {"load", "select"}, "when a page loads and when the letters tab is shown"
    refresh = refreshes[0]
    before, _ = refresh.fn()
    assert NEW not in {source for _, source in before["choices"]}
    add_letters(library, [make_letter(tmp_path / "incoming")], embedder=engine.embedder)
    choices, rows = refresh.fn()
    assert NEW in {source for _, source in choices["choices"]}
    assert NEW in {row[-1] for row in rows}
