"""Export a trained model for inference, and load it back without the training code.

The file is one safetensors file (no pickle: loading never runs code from it) holding the
weights, and in its JSON metadata the model's architecture (`model.config`, see models.py)
and what predict needs (the data's `prep`: class names, column statistics, vocabulary).
Read learner.py first.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArgumentError
from ..serialization import load as sh_load
from ..serialization import save as sh_save

__all__ = ["export", "load_learner"]

FORMAT = "scratchish.export/1"


def export(learn, fname: str | Path = "export.safetensors") -> Path:
    """Write `learn`'s model for inference to fname (relative to learn.path), atomically.

    Only the built-in models (models.py) can be exported: their architecture is a JSON
    config. For your own Module, save the weights with `sh.save(model.state_dict(), path)`
    and rebuild the model in code.

    Returns:
        the file's path.
    """
    config = getattr(learn.model, "config", None)
    if not isinstance(config, dict):
        raise ArgumentError(
            f"export: {type(learn.model).__name__} is not a built-in model, so its "
            f"architecture cannot be written as JSON. Save its weights instead: "
            f"sh.save(learn.model.state_dict(), 'weights.safetensors'), and rebuild the "
            f"model in your code before loading them."
        )
    prep = getattr(learn.dls, "prep", None)
    path = Path(fname)
    if path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    path = path if path.is_absolute() else learn.path / path
    path.parent.mkdir(parents=True, exist_ok=True)
    sh_save(
        {
            "format": FORMAT,
            "architecture": config,
            "data": prep.config() if prep is not None else None,
            "model": learn.model.state_dict(),
        },
        path,
    )
    return path


def load_learner(path: str | Path):
    """A Learner for inference from an exported file: `load_learner(p).predict(item)`.

    It has the model (in eval mode) and what predict needs, but no training data.
    """
    from .data import DataLoaders, ImagePrep, TablePrep, TextPrep
    from .learner import Learner, _flat_cross_entropy, _flat_mse
    from .models import build_model

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_learner: no file {path} (export one with learn.export()).")
    saved = sh_load(str(path))
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ArgumentError(
            f"load_learner: {path} is not an exported model (made by learn.export()); a "
            f"checkpoint from learn.save() loads with learn.load() instead."
        )
    model = build_model(saved["architecture"])
    model.load_state_dict(saved["model"])
    model.eval()
    data = saved["data"]
    prep = None
    if data is not None:
        kwargs = {k: v for k, v in data.items() if k != "kind"}
        prep = {"images": ImagePrep, "table": TablePrep, "text": TextPrep}[data["kind"]](**kwargs)
    loss = _flat_mse if getattr(prep, "task", None) == "regression" else _flat_cross_entropy
    return Learner(DataLoaders(None, None, prep), model, loss_func=loss, progress=False,
                   path=path.parent)  # fmt: skip
