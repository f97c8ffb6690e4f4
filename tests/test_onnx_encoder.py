"""The int8 ONNX backend of the default model, against torch float32 on the real letters.

Uses the shared model cache (as the engine tests do): the ONNX folder is exported there once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa import e5_onnx
from qa.config import Settings
from qa.embedder import Embedder, EmbedderError, resolve_model
from qa.engine import document_context, index_text

ROOT = Path(__file__).resolve().parent.parent
# Measured with scripts/bench_scale.py --encoders: min 0.9946, mean 0.9967 over the letters'
# 207 passages (see the README); the bound leaves a small margin below the measured minimum.
MIN_COSINE = 0.99
MIN_MEAN_COSINE = 0.995


@pytest.fixture(scope="module")
def cache_dir() -> Path:
    return Settings.from_env().cache_dir


@pytest.fixture(scope="module")
def embedders(cache_dir):
    return {backend: Embedder(resolve_model("default", cache_dir, backend)) for backend in ("torch", "onnx")}


@pytest.fixture(scope="module")
def passage_texts(letters):
    contexts = {source: document_context(parsed.letter) for source, parsed in letters.items()}
    return [index_text(p, contexts[p.source]) for parsed in letters.values() for p in parsed.passages]


def test_int8_vectors_stay_close_to_float32_on_every_passage(embedders, passage_texts):
    onnx = embedders["onnx"].encode_passages(passage_texts)
    torch = embedders["torch"].encode_passages(passage_texts)
    cosines = np.sum(onnx * torch, axis=1)
    worst = int(np.argmin(cosines))
    message = f"over {len(passage_texts)} passages: min {cosines.min():.5f}, mean {cosines.mean():.5f}; worst {passage_texts[worst][:40]!r}"
    assert cosines.min() >= MIN_COSINE, message
    assert cosines.mean() >= MIN_MEAN_COSINE, message
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)


def test_queries_get_the_query_prompt(embedders):
    onnx = embedders["onnx"]
    question = "执笔方制度有哪些问题？"
    assert onnx.prompts == {"query": "query: ", "passage": "passage: "}
    as_query = onnx.encode_queries([question])[0]
    as_passage = onnx.encode_passages([question])[0]
    assert float(as_query @ as_passage) < 0.999  # the prefix really changes the vector
    assert float(as_query @ embedders["torch"].encode_queries([question])[0]) >= MIN_COSINE


def test_length_sorted_batches_give_each_text_its_own_vector(embedders):
    """Texts are reordered by length for batching; the vectors must come back in input order.
    (Not bit-equal: int8 activations are scaled per batch, so a vector moves a little with its batch.)"""
    texts = ["安理会", "安全理事会于2020年举行了多次公开会议，讨论了海地局势。", "S/2017/507", "执笔方制度"]
    together = embedders["onnx"].encode_passages(texts, batch_size=2)
    alone = np.stack([embedders["onnx"].encode_passages([t])[0] for t in texts])
    similarity = together @ alone.T
    assert list(np.argmax(similarity, axis=1)) == list(range(len(texts)))
    assert np.diag(similarity).min() >= MIN_COSINE


def test_backend_is_part_of_the_model_id(embedders, cache_dir):
    assert embedders["onnx"].model_id != embedders["torch"].model_id
    assert embedders["onnx"].model_id.endswith("@onnx-int8")
    assert resolve_model("default", cache_dir).model_id == embedders["onnx"].model_id  # auto: onnx for the default model
    assert resolve_model("some/model", cache_dir).backend == "torch"  # auto: torch for any other


def test_unknown_backend_is_a_clear_error(cache_dir):
    with pytest.raises(EmbedderError, match="unknown embedding backend 'gpu'"):
        resolve_model("default", cache_dir, "gpu")


def test_onnx_path_imports_neither_torch_nor_sentence_transformers(embedders):
    """What makes a cold start fast: a new process answering with the default model."""
    code = (
        "import sys, json; from qa.config import Settings; from qa.embedder import Embedder, resolve_model;"
        "s = Settings.from_env(); e = Embedder(resolve_model(s.model, s.cache_dir, 'onnx')); e.encode_queries(['安理会']);"
        "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_cached_export_is_reused(cache_dir, monkeypatch):
    folder = e5_onnx.onnx_model_dir(cache_dir)

    def must_not_export(*args, **kwargs):
        raise AssertionError("exported again although a complete folder was cached")

    monkeypatch.setattr(e5_onnx, "export_onnx", must_not_export)
    assert e5_onnx.onnx_model_dir(cache_dir) == folder


def test_export_of_another_source_conversion_is_stale(cache_dir, tmp_path):
    from qa.e5_convert import default_model_dir

    source = default_model_dir(cache_dir)
    folder = e5_onnx.onnx_model_dir(cache_dir)
    assert e5_onnx.is_complete(folder, source)
    copy = tmp_path / "model"
    copy.mkdir()
    marker = json.loads((folder / e5_onnx.MARKER_FILE).read_text(encoding="utf-8"))
    marker["source_marker"] = {**marker["source_marker"], "source_sha256": "0" * 64}
    (copy / e5_onnx.MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    assert not e5_onnx.is_complete(copy, source)


def test_failed_export_leaves_nothing_behind(cache_dir, tmp_path, monkeypatch):
    from qa.e5_convert import default_model_dir

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(e5_onnx, "_export_fp32", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        e5_onnx.export_onnx(default_model_dir(cache_dir), tmp_path / "exported")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its staging copy
