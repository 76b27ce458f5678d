"""Metrics: numbers that say how good a model is, computed on the whole validation set.

Each metric is a plain function `metric(preds, targs) -> float`, with `preds` the model's raw
outputs (logits for a classifier) and `targs` the targets, as in fastai. The Recorder
(callbacks.py) calls them after every validation pass. Read learner.py first.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import Tensor

__all__ = ["accuracy", "error_rate", "f1_score", "mae", "rmse", "r2_score"]


def _arrays(preds, targs) -> tuple[np.ndarray, np.ndarray]:
    return _array(preds), _array(targs)


def _array(t) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, Tensor) else np.asarray(t)


def _classes(name: str, preds, targs) -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true class indices, flat. preds (..., C) logits, targs (...) ints."""
    p, t = _arrays(preds, targs)
    if p.ndim == 0 or p.shape[:-1] != t.shape:
        raise ShapeError(
            f"{name}: preds of shape {p.shape} hold scores for {p.shape[:-1]} samples (one row "
            f"of class scores each), but targs has shape {t.shape}. Pass the model's outputs "
            f"(N, C) and the true classes (N,)."
        )
    return p.argmax(axis=-1).reshape(-1), t.reshape(-1)


def _values(name: str, preds, targs) -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true values for regression, flat and in float64: (N, 1) and (N,) match."""
    p, t = _arrays(preds, targs)
    if p.size != t.size:
        raise ShapeError(
            f"{name}: preds of shape {p.shape} and targs of shape {t.shape} hold different "
            f"numbers of values ({p.size} and {t.size}); pass one prediction per target."
        )
    try:
        return p.reshape(-1).astype(np.float64), t.reshape(-1).astype(np.float64)
    except (TypeError, ValueError):
        raise DTypeError(f"{name}: preds and targs must hold numbers.") from None


def accuracy(preds, targs) -> float:
    """The fraction of samples whose highest-scoring class is the true class.

    Shape: preds (N, C) (or (..., C), e.g. a language model's (B, T, vocab)), targs (N,).

    Example:
        >>> import scratchish as sh
        >>> accuracy(sh.tensor([[0.1, 0.9], [0.8, 0.2]]), sh.tensor([1, 1]))
        0.5
    """
    p, t = _classes("accuracy", preds, targs)
    return float((p == t).mean())


def error_rate(preds, targs) -> float:
    """1 - accuracy: the fraction of samples classified wrongly.

    Example:
        >>> import scratchish as sh
        >>> error_rate(sh.tensor([[0.1, 0.9], [0.8, 0.2]]), sh.tensor([1, 1]))
        0.5
    """
    return 1.0 - accuracy(preds, targs)


def f1_score(preds, targs) -> float:
    """Macro F1: the mean over classes of 2 * precision * recall / (precision + recall).

    Every class counts the same, however rare, so it shows a classifier that ignores a small
    class where accuracy would not. Classes that never occur (neither predicted nor true) are
    left out; a class with no true positives scores 0 (as scikit-learn's zero_division=0).

    Example:
        >>> import scratchish as sh
        >>> preds = sh.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # predicts 0, 0, 1
        >>> round(f1_score(preds, sh.tensor([0, 1, 1])), 4)
        0.6667
    """
    p, t = _classes("f1_score", preds, targs)
    scores = []
    for c in np.union1d(p, t):
        tp = np.sum((p == c) & (t == c))
        fp, fn = np.sum((p == c) & (t != c)), np.sum((p != c) & (t == c))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def mae(preds, targs) -> float:
    """Mean absolute error: mean(|pred - targ|), in the target's units.

    Example:
        >>> import scratchish as sh
        >>> mae(sh.tensor([[1.0], [3.0]]), sh.tensor([2.0, 3.0]))
        0.5
    """
    p, t = _values("mae", preds, targs)
    return float(np.abs(p - t).mean())


def rmse(preds, targs) -> float:
    """Root mean squared error: sqrt(mean((pred - targ)^2)), in the target's units.

    Example:
        >>> import scratchish as sh
        >>> rmse(sh.tensor([1.0, 3.0]), sh.tensor([2.0, 3.0]))
        0.7071067811865476
    """
    p, t = _values("rmse", preds, targs)
    return float(np.sqrt(((p - t) ** 2).mean()))


def r2_score(preds, targs) -> float:
    """Coefficient of determination: R^2 = 1 - sum((targ - pred)^2) / sum((targ - mean)^2).

    1 is perfect, 0 is no better than always predicting the mean, negative is worse.

    Example:
        >>> import scratchish as sh
        >>> r2_score(sh.tensor([1.0, 2.0, 3.0]), sh.tensor([1.0, 2.0, 4.0]))
        0.7857142857142857
    """
    p, t = _values("r2_score", preds, targs)
    total = ((t - t.mean()) ** 2).sum()
    if total == 0:  # a constant target: R^2 is undefined; report 0 unless the fit is exact
        return 1.0 if np.allclose(p, t) else 0.0
    return float(1.0 - ((t - p) ** 2).sum() / total)
