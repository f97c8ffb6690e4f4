"""The index folder: qa never touches what is not its own, says in one line when it
cannot save, leaves no litter, lets readers load during swaps, and trusts no
malformed manifest. Real model, real FAISS, the session's index copied."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from qa.cli import main
from qa.engine import Engine
from qa.store import StaleIndex, read_index

from .conftest import CORPUS, ROOT

QUESTION = "安理会通过了几项决议？"


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def _copy_index(settings, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return copy


def _edit_manifests(folder: Path, edit) -> None:
    """Apply `edit(manifest dict)` to the index's manifest (wherever the layout keeps it)."""
    for path in folder.rglob("manifest.json"):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        edit(manifest)
        path.write_text(json.dumps(manifest), encoding="utf-8")


def _ask_cli(monkeypatch, capsys, index_dir: Path) -> tuple[int, str, str]:
    monkeypatch.setenv("QA_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(CORPUS))
    code = main(["ask", QUESTION])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_that_is_not_an_index_is_refused_and_left_untouched(engine, tmp_path, monkeypatch, capsys):
    notes = tmp_path / "mynotes"
    (notes / "sub").mkdir(parents=True)
    (notes / "thesis.txt").write_text("draft\n", encoding="utf-8")
    (notes / "sub" / "chapter.txt").write_text("chapter\n", encoding="utf-8")
    before = _snapshot(notes)
    code, out, err = _ask_cli(monkeypatch, capsys, notes)
    assert _snapshot(notes) == before, "qa changed a folder that is not its index"
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(notes) in lines[0] and "not a qa index" in lines[0], err
    assert not list(tmp_path.glob(".mynotes*")), "nothing written beside it either"


def test_a_regular_file_at_the_index_path_is_refused_and_left_untouched(engine, tmp_path, monkeypatch, capsys):
    path = tmp_path / "index"
    path.write_text("not a folder\n", encoding="utf-8")
    code, out, err = _ask_cli(monkeypatch, capsys, path)
    assert path.is_file() and path.read_text(encoding="utf-8") == "not a folder\n"
    assert code == 1 and len(err.strip().splitlines()) == 1 and str(path) in err and "is a file" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


@pytest.fixture
def world_readable_tmp():
    """A folder `nobody` can read (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="qa-store-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody() -> list[str]:
    if os.geteuid() != 0:
        return []  # not root: permissions already apply
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: cannot drop root's override of permissions")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def test_an_unwritable_index_location_answers_and_says_so_once(engine, settings, world_readable_tmp):
    """A stale index in a folder (and parent) the user cannot write: an answer, one line
    saying the index could not be saved, no traceback."""
    tmp = world_readable_tmp  # TMPDIR below: jieba cannot replace root's /tmp/jieba.cache and logs a traceback
    shutil.copytree(CORPUS, tmp / "corpus")
    shutil.copytree(settings.index_dir, tmp / "readonly" / "index")
    _edit_manifests(tmp / "readonly" / "index", lambda m: m.update(corpus_hash="0" * 64))
    models = Path(settings.cache_dir) / "models"
    shutil.copytree(models, tmp / "cache" / "models")  # root's own cache is private to root
    home = tmp / "home"
    home.mkdir()
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    if os.geteuid() == 0:
        os.chown(home, 65534, -1)
    env = {**os.environ, "HOME": str(home), "QA_CORPUS_DIR": str(tmp / "corpus"), "QA_INDEX_DIR": str(tmp / "readonly" / "index"), "QA_CACHE_DIR": str(tmp / "cache"), "TMPDIR": str(home), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    done = subprocess.run([*_as_nobody(), sys.executable, "-m", "qa", "ask", "--json", QUESTION], capture_output=True, text=True, cwd=tmp, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and json.loads(done.stdout)["answers"], done.stderr
    assert done.stderr.count("could not be saved") == 1, done.stderr
    assert sorted(p.name for p in (tmp / "readonly").iterdir()) == ["index"]


def test_litter_of_killed_builds_is_removed_by_the_next_build(engine, settings, tmp_path):
    folder = _copy_index(settings, tmp_path)
    _edit_manifests(folder, lambda m: m.update(corpus_hash="0" * 64))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    folders = [tmp_path / f".index.building-{dead}", tmp_path / f".index.old-{dead}", folder / "gen-20200101T000000000000Z-1.partial"]
    for path in folders:
        path.mkdir()
        (path / "passages.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / "letters").mkdir(exist_ok=True)
    half_share = folder / "letters" / "0123.npz.partial"
    half_share.write_bytes(b"half")
    litter = [*folders, half_share]
    alive = tmp_path / f".index.building-{os.getpid()}"  # a build still running: not litter
    alive.mkdir()
    Engine.open(replace(settings, index_dir=folder), embedder=engine.embedder)
    assert [p for p in litter if p.exists()] == []
    assert alive.is_dir()
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_after_a_swap_only_the_current_generation_remains(engine, settings, tmp_path):
    folder = _copy_index(settings, tmp_path)
    for _ in range(3):
        _edit_manifests(folder, lambda m: m.update(corpus_hash="0" * 64))
        Engine.open(replace(settings, index_dir=folder), embedder=engine.embedder)
    from qa.store import GENERATION, current_generation

    generations = [p.name for p in folder.iterdir() if GENERATION.fullmatch(p.name)]
    assert generations == [current_generation(folder).name]


WRITER = """
import json, sys, time
from pathlib import Path
from qa.store import IndexIdentity, read_index, write_index
folder, identity, seconds = Path(sys.argv[1]), IndexIdentity(**json.loads(sys.argv[2])), float(sys.argv[3])
stored = read_index(folder, identity)
print("ready", flush=True)
swaps, end = 0, time.monotonic() + seconds
while time.monotonic() < end:
    write_index(folder, identity, stored, "test")
    swaps += 1
print(swaps, flush=True)
"""


def test_a_reader_never_sees_a_missing_file_while_a_writer_swaps(settings, identity, tmp_path):
    folder = _copy_index(settings, tmp_path)
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), json.dumps(asdict(identity)), "20"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout.readline().strip() == "ready"
        loads, failures = 0, []
        while writer.poll() is None:
            try:
                read_index(folder, identity)
                loads += 1
            except StaleIndex as why:
                failures.append(str(why))
        swaps = int(writer.stdout.read().strip() or 0)
    finally:
        if writer.poll() is None:
            writer.send_signal(signal.SIGKILL)
    assert writer.returncode == 0
    assert failures == [], f"{len(failures)} of {loads + len(failures)} loads failed during {swaps} swaps: {failures[:3]}"
    assert loads > 10 and swaps > 10


def test_two_writers_are_serialised(settings, identity, tmp_path):
    """While one process holds the writer lock, another waits for it."""
    from qa.store import open_writer

    folder = _copy_index(settings, tmp_path)
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    code = "import sys, time; from pathlib import Path; from qa.store import open_writer\nwith open_writer(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(3)\n"
    other = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert other.stdout.readline().strip() == "held"
        began = time.monotonic()
        with open_writer(folder):
            waited = time.monotonic() - began
    finally:
        other.wait(timeout=60)
    assert waited > 1.5


def _without(key):
    return lambda m: m.pop(key)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda m: m.update(files=[]), "files"),
        (lambda m: m.update(files={}), "checksum"),
        (_without("files"), "files"),
        (_without("passage_count"), "passage_count"),
        (lambda m: m.update(passage_count="207"), "passage_count"),
        (lambda m: m.update(tokenizer=None), "tokenizer"),
        (lambda m: m.update(passage_count=True), "passage_count"),
    ],
    ids=["files-list", "files-empty", "no-files", "no-passage-count", "count-as-text", "tokenizer-null", "count-as-bool"],
)
def test_a_malformed_manifest_makes_the_index_stale(engine, settings, identity, tmp_path, edit, reason):
    folder = _copy_index(settings, tmp_path)
    read_index(folder, identity)  # the untouched copy is fine
    _edit_manifests(folder, edit)
    with pytest.raises(StaleIndex, match=reason):
        read_index(folder, identity)
    with pytest.raises(StaleIndex):
        Engine.open(replace(settings, index_dir=folder), rebuild="never", embedder=engine.embedder)


def test_a_manifest_without_checksums_never_lets_a_damaged_file_through(settings, identity, tmp_path):
    folder = _copy_index(settings, tmp_path)
    _edit_manifests(folder, _without("files"))
    for path in folder.rglob("dense.faiss"):
        data = bytearray(path.read_bytes())
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
    with pytest.raises(StaleIndex):
        read_index(folder, identity)


def test_a_file_unchanged_since_its_checksum_matched_is_not_read_again_and_a_changed_one_is(settings, identity, tmp_path, monkeypatch):
    from qa import checksums

    folder = _copy_index(settings, tmp_path)
    settled = time.time() - 60  # files just written are not stamped (checksums.SETTLED_S)
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (settled, settled))
    read_index(folder, identity)  # checks every file and keeps their stamps
    hashed: list[Path] = []
    real = checksums.file_sha256
    monkeypatch.setattr(checksums, "file_sha256", lambda path: hashed.append(path) or real(path))
    read_index(folder, identity)
    assert hashed == []
    vectors = next((folder / "segments").rglob("vectors.npy"))
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF  # same size, changed in place
    vectors.write_bytes(bytes(data))
    with pytest.raises(StaleIndex, match="truncated or corrupt"):
        read_index(folder, identity)
    assert vectors in hashed
