"""The ONNX backends of the default model (float32, the default; int8, opt-in) against torch
float32 on the real letters.

Uses the shared model cache (as the engine tests do): the ONNX folders are exported there once.
"""

from __future__ import annotations

import json
import os
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
# Measured with scripts/bench_scale.py --encoders over the letters' 207 passages (see the README):
# float32 ONNX min 1.00000 (to 5 decimals), int8 min 0.9955, mean 0.9969; each bound leaves a margin below
# the measured minimum.
FP32_MIN_COSINE = 0.9999
MIN_COSINE = 0.99
MIN_MEAN_COSINE = 0.995


@pytest.fixture(scope="module")
def cache_dir() -> Path:
    return Settings.from_env().cache_dir


@pytest.fixture(scope="module")
def embedders(cache_dir):
    return {backend: Embedder(resolve_model("default", cache_dir, backend)) for backend in ("torch", "onnx", "onnx-int8")}


@pytest.fixture(scope="module")
def passage_texts(letters):
    contexts = {source: document_context(parsed.letter) for source, parsed in letters.items()}
    return [index_text(p, contexts[p.source]) for parsed in letters.values() for p in parsed.passages]


@pytest.fixture(scope="module")
def torch_vectors(embedders, passage_texts):
    return embedders["torch"].encode_passages(passage_texts)


def _cosines_to_torch(embedder, passage_texts, torch_vectors) -> tuple[np.ndarray, str]:
    vectors = embedder.encode_passages(passage_texts)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(vectors * torch_vectors, axis=1)
    worst = int(np.argmin(cosines))
    return cosines, f"over {len(passage_texts)} passages: min {cosines.min():.6f}, mean {cosines.mean():.6f}; worst {passage_texts[worst][:40]!r}"


def test_float32_onnx_gives_torchs_vectors_on_every_passage(embedders, passage_texts, torch_vectors):
    cosines, message = _cosines_to_torch(embedders["onnx"], passage_texts, torch_vectors)
    assert cosines.min() >= FP32_MIN_COSINE, message


def test_int8_vectors_stay_close_to_float32_on_every_passage(embedders, passage_texts, torch_vectors):
    cosines, message = _cosines_to_torch(embedders["onnx-int8"], passage_texts, torch_vectors)
    assert cosines.min() >= MIN_COSINE, message
    assert cosines.mean() >= MIN_MEAN_COSINE, message
    assert cosines.min() < FP32_MIN_COSINE, message  # really the quantised graph, not the float32 one


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_queries_get_the_query_prompt(embedders, backend):
    onnx = embedders[backend]
    question = "执笔方制度有哪些问题？"
    assert onnx.prompts == {"query": "query: ", "passage": "passage: "}
    as_query = onnx.encode_queries([question])[0]
    as_passage = onnx.encode_passages([question])[0]
    assert float(as_query @ as_passage) < 0.999  # the prefix really changes the vector
    assert float(as_query @ embedders["torch"].encode_queries([question])[0]) >= MIN_COSINE


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_length_sorted_batches_give_each_text_its_own_vector(embedders, backend):
    """Texts are reordered by length for batching; the vectors must come back in input order.
    (Not bit-equal: int8 activations are scaled per batch, so a vector moves a little with its batch.)"""
    texts = ["安理会", "安全理事会于2020年举行了多次公开会议，讨论了海地局势。", "S/2017/507", "执笔方制度"]
    together = embedders[backend].encode_passages(texts, batch_size=2)
    alone = np.stack([embedders[backend].encode_passages([t])[0] for t in texts])
    similarity = together @ alone.T
    assert list(np.argmax(similarity, axis=1)) == list(range(len(texts)))
    assert np.diag(similarity).min() >= MIN_COSINE


def test_backend_is_part_of_the_model_id(embedders, cache_dir):
    ids = {backend: embedder.model_id for backend, embedder in embedders.items()}
    assert ids["torch"].endswith("@torch-fp32")
    assert ids["onnx"].endswith("@onnx-fp32")
    assert ids["onnx-int8"].endswith("@onnx-int8")
    assert len(set(ids.values())) == 3
    assert resolve_model("default", cache_dir).model_id == ids["onnx"]  # auto: float32 onnx for the default model
    assert resolve_model("some/model", cache_dir).backend == "torch"  # auto: torch for any other


def test_each_precision_has_its_own_folder(embedders):
    fp32, int8 = Path(embedders["onnx"].spec.location), Path(embedders["onnx-int8"].spec.location)
    assert fp32.name.endswith("-onnx-fp32") and int8.name.endswith("-onnx-int8")
    assert _weights_size(int8) < _weights_size(fp32) / 2


def _weights_size(folder: Path) -> int:
    return sum((folder / name).stat().st_size for name in (e5_onnx.GRAPH_FILE, e5_onnx.WEIGHTS_FILE))


@pytest.mark.parametrize("precision", e5_onnx.PRECISIONS)
def test_weights_lie_beside_the_graph(cache_dir, precision):
    """ONNX Runtime maps a weights file instead of copying the weights out of the graph's protobuf:
    most of a cold start's session set-up."""
    folder = e5_onnx.onnx_model_dir(cache_dir, precision)
    assert (folder / e5_onnx.GRAPH_FILE).stat().st_size < 1_000_000
    assert (folder / e5_onnx.WEIGHTS_FILE).stat().st_size > 50_000_000


def test_export_missing_its_weights_is_incomplete(cache_dir, tmp_path):
    from qa.e5_convert import default_model_dir

    folder = e5_onnx.onnx_model_dir(cache_dir)
    copy = tmp_path / "model"
    copy.mkdir()
    for name in (e5_onnx.MARKER_FILE, e5_onnx.GRAPH_FILE, e5_onnx.TOKENIZER_FILE):
        (copy / name).write_bytes((folder / name).read_bytes())
    assert not e5_onnx.is_complete(copy, default_model_dir(cache_dir))
    (copy / e5_onnx.WEIGHTS_FILE).symlink_to(folder / e5_onnx.WEIGHTS_FILE)
    assert e5_onnx.is_complete(copy, default_model_dir(cache_dir))


def test_unknown_backend_is_a_clear_error(cache_dir):
    with pytest.raises(EmbedderError, match="unknown embedding backend 'gpu'"):
        resolve_model("default", cache_dir, "gpu")
    with pytest.raises(EmbedderError, match="only for the default model"):
        resolve_model("some/model", cache_dir, "onnx-int8")


def test_default_path_imports_neither_torch_nor_sentence_transformers(embedders):
    """What makes a cold start fast: a new process answering with the default model and backend."""
    code = (
        "import sys, json; from qa.config import Settings; from qa.embedder import Embedder, resolve_model;"
        "s = Settings.from_env(); e = Embedder(resolve_model(s.model, s.cache_dir, s.backend)); e.encode_queries(['安理会']);"
        "print(json.dumps([e.model_id, sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)]))"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("QA_BACKEND", "QA_MODEL")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    model_id, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert model_id == embedders["onnx"].model_id
    assert imported == []


@pytest.mark.parametrize("precision", e5_onnx.PRECISIONS)
def test_cached_export_is_reused(cache_dir, monkeypatch, precision):
    folder = e5_onnx.onnx_model_dir(cache_dir, precision)

    def must_not_export(*args, **kwargs):
        raise AssertionError("exported again although a complete folder was cached")

    monkeypatch.setattr(e5_onnx, "export_onnx", must_not_export)
    assert e5_onnx.onnx_model_dir(cache_dir, precision) == folder


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
    for precision in e5_onnx.PRECISIONS:
        with pytest.raises(RuntimeError, match="disk full"):
            e5_onnx.export_onnx(default_model_dir(cache_dir), tmp_path / "exported", precision)
        assert list(tmp_path.iterdir()) == []  # neither the folder nor its staging copy


def test_float32_graph_runs_fused_attention(cache_dir):
    """Part of the float32 backend's speed is ONNX Runtime's fused kernels: one attention op per
    layer (12 in e5-small), not separate MatMul/Softmax nodes."""
    import onnx

    graph = onnx.load(str(e5_onnx.onnx_model_dir(cache_dir, "fp32") / e5_onnx.GRAPH_FILE)).graph
    operators = [node.op_type for node in graph.node]
    assert operators.count("Attention") == 12, sorted(set(operators))
    assert "Softmax" not in operators
