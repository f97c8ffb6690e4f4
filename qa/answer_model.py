"""The fitted answer models, read from `qa/data/answer_models.json`.

Two models over the features of `qa/candidates.py` and `qa/answerability.py`:
the ranker scores every candidate span (the best one is the answer) and the
answerability model gives the probability that the chosen span answers; below
the threshold stored with it (set on questions it was not fitted on, for at
most 3% false abstention) the engine abstains. Both are written by
`scripts/train_answer_models.py`; either is a linear model (standardised
features, coefficients) or an ensemble of regression trees (as LightGBM dumps
them), evaluated here with numpy, so answering imports neither scikit-learn
nor LightGBM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .answerability import ANSWERABILITY_FEATURES
from .candidates import SPAN_FEATURES

MODEL_FILE = "answer_models.json"


class AnswerModelError(ValueError):
    """The model file does not fit the features this code computes."""


@dataclass(frozen=True)
class LinearModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def raw(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.coef + self.intercept


@dataclass(frozen=True)
class TreeModel:
    """Regression trees, each as flat arrays: an internal node sends a row left
    when its feature is <= the threshold; a child below 0 is leaf ~child."""

    trees: tuple[dict[str, np.ndarray], ...]

    def raw(self, features: np.ndarray) -> np.ndarray:
        total = np.zeros(len(features))
        rows = np.arange(len(features))
        for tree in self.trees:
            if not len(tree["feature"]):  # a single leaf
                total += tree["value"][0]
                continue
            node = np.zeros(len(features), dtype=np.int64)
            active = np.ones(len(features), dtype=bool)
            while active.any():
                current = node[active]
                go_left = features[rows[active], tree["feature"][current]] <= tree["threshold"][current]
                node[active] = np.where(go_left, tree["left"][current], tree["right"][current])
                active = node >= 0
            total += tree["value"][~node]
        return total


def _model(spec: dict, names: tuple[str, ...], what: str) -> LinearModel | TreeModel:
    if tuple(spec["features"]) != names:
        raise AnswerModelError(f"the {what} in {MODEL_FILE} was fitted on other features; run scripts/train_answer_models.py")
    if spec["kind"] == "linear":
        return LinearModel(np.array(spec["mean"]), np.array(spec["scale"]), np.array(spec["coef"]), float(spec["intercept"]))
    return TreeModel(tuple({key: np.array(value) for key, value in tree.items()} for tree in spec["trees"]))


@dataclass(frozen=True)
class AnswerModels:
    ranker: LinearModel | TreeModel
    answerability: LinearModel | TreeModel
    threshold: float  # abstain when the probability that the top span answers is below this

    @classmethod
    def from_dict(cls, data: dict) -> "AnswerModels":
        return cls(
            _model(data["ranker"], SPAN_FEATURES, "ranker"),
            _model(data["answerability"], ANSWERABILITY_FEATURES, "answerability model"),
            float(data["answerability"]["threshold"]),
        )

    def rank(self, features: np.ndarray) -> np.ndarray:
        """A score per candidate span: higher is a better answer."""
        return self.ranker.raw(features) if len(features) else np.zeros(0)

    def probability(self, features: np.ndarray) -> float:
        """The probability that the chosen span answers the question."""
        return float(1.0 / (1.0 + np.exp(-self.answerability.raw(features[None, :])[0])))


@lru_cache(maxsize=1)
def shipped_models() -> AnswerModels:
    """The models shipped in the package (read once)."""
    return AnswerModels.from_dict(json.loads(resources.files("qa.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")))
