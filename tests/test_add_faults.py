"""`qa add` given what users give it: a folder of letters with bad files among them, the
same letter again under another name, and a rerun after an add killed between encoding a
letter and copying it. The good letters go in, each bad one is named in one line, nothing is
encoded twice. Real model and FAISS; the session's index copied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from qa.admin import add_letters
from qa.cli import main
from qa.engine import Engine

from .conftest import CORPUS, ROOT
from .test_add import BASE, CountingEmbedder, library, texts_to_encode  # noqa: F401 (a fixture)

PLACES = ("青蛙湖会议中心", "白鹭洲会堂", "松林会议厅")


def new_letters(folder):
    """Three new letters made from a shipped one (another date and meeting place each), and
    two bad files: one binary, one not a letter."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (CORPUS / BASE).read_text(encoding="utf-8")
    for number, place in enumerate(PLACES):
        letter = text.replace("2024年3月1日日本", f"2025年5月{number + 2}日日本").replace("举行一次公开辩论，主题为", f"在{place}举行一次公开辩论，主题为")
        (folder / f"10{number}_new.txt").write_text(letter, encoding="utf-8")
    (folder / "200_scan.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "201_notes.txt").write_text("购物清单：苹果、梨。\n", encoding="utf-8")
    return folder


def test_adding_a_folder_adds_its_letters_and_names_each_bad_file(engine, library, tmp_path, monkeypatch, capsys):  # noqa: F811
    folder = new_letters(tmp_path / "incoming")
    monkeypatch.setenv("QA_CORPUS_DIR", str(library.corpus_dir))
    monkeypatch.setenv("QA_INDEX_DIR", str(library.index_dir))
    assert main(["add", str(folder)]) == 1, "exit status 1: not every file was added"
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert [line for line in out.splitlines() if line.startswith("added: ")] == [f"added: 10{n}_new.txt" for n in range(3)]
    refused = [line for line in err.splitlines() if line.startswith("qa: refused ")]
    assert len(refused) == 2 and refused[0].startswith(f"qa: refused {folder / '200_scan.txt'}: ") and refused[1].startswith(f"qa: refused {folder / '201_notes.txt'}: no title line")
    assert "qa: 3 added, 0 already there, 2 refused" in err
    assert sorted(p.name for p in library.corpus_dir.iterdir()) == sorted([*(p.name for p in CORPUS.iterdir()), "100_new.txt", "101_new.txt", "102_new.txt"])
    loaded = Engine.open(library, rebuild="never", embedder=engine.embedder)
    assert [loaded.search(place, 1)[0].passage.source for place in PLACES] == ["100_new.txt", "101_new.txt", "102_new.txt"]


def test_a_letter_already_in_the_corpus_under_another_name_is_refused(engine, library, tmp_path):  # noqa: F811
    copy = tmp_path / "incoming" / "copy_of_003.txt"
    copy.parent.mkdir()
    copy.write_bytes((CORPUS / BASE).read_bytes())
    twins = new_letters(tmp_path / "twins")
    (twins / "100_again.txt").write_bytes((twins / "100_new.txt").read_bytes())
    counter = CountingEmbedder(engine.embedder)
    result = add_letters(library, [copy, twins / "100_new.txt", twins / "100_again.txt"], embedder=counter)
    assert result.added == ["100_new.txt"]
    assert result.refused == [
        f"{copy}: the same letter as {BASE} (the same passages under another name); not added",
        f"{twins / '100_again.txt'}: the same letter as 100_new.txt (the same passages under another name); not added",
    ]
    assert not (library.corpus_dir / copy.name).exists() and not (library.corpus_dir / "100_again.txt").exists()
    assert len(counter.encoded) == texts_to_encode(twins / "100_new.txt"), "only the one new letter is encoded"
    assert len(Engine.open(library, rebuild="never", embedder=counter).letters) == 6


KILLED_BEFORE_COPY = """
import os, signal, sys
from pathlib import Path
from qa import admin
from qa.config import Settings

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

admin._copy_into = die  # the letter is encoded and its share stored; the copy not yet made
admin.add_letters(Settings.from_env(), [Path(sys.argv[1])])
"""


def test_an_add_killed_before_the_copy_is_rerun_without_encoding_again(engine, library, tmp_path):  # noqa: F811
    letter = new_letters(tmp_path / "incoming") / "100_new.txt"
    env = {**os.environ, "QA_CORPUS_DIR": str(library.corpus_dir), "QA_INDEX_DIR": str(library.index_dir), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([sys.executable, "-c", KILLED_BEFORE_COPY, str(letter)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not (library.corpus_dir / letter.name).exists()
    counter = CountingEmbedder(engine.embedder)
    result = add_letters(library, [letter], embedder=counter)
    assert result.added == [letter.name] and counter.encoded == [], "the stored share is used"
    assert result.engine.search(PLACES[0], 1)[0].passage.source == letter.name
