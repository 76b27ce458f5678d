"""The small data sets that ship with scikit-learn, as tensors, with no network at all.

Also the `Split` every loader in this package returns (train and validation tensors plus the
class names) and the seeded random split they share. Read next: download.py for the data sets
that must be downloaded, mnist.py for reading them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..creation import from_numpy
from ..errors import ArgumentError
from ..random import Generator
from ..tensor import Tensor
from .download import DatasetError


@dataclass(repr=False)
class Split:
    """A data set cut into a training part and a validation part, as tensors.

    Unpacks like a tuple: `x_train, y_train, x_valid, y_valid = sh.datasets.digits()`.

    Attributes:
        x_train, y_train: the inputs and targets the model learns from.
        x_valid, y_valid: held out to measure how well it does on data it has not seen.
        classes: the class names, `classes[y]` names label y; None for regression.
        name: the data set's name, e.g. "digits".
        feature_names: the column names of a table, else None.
    """

    x_train: Tensor
    y_train: Tensor
    x_valid: Tensor
    y_valid: Tensor
    classes: list[str] | None = None
    name: str = ""
    feature_names: list[str] | None = field(default=None)

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_valid, self.y_valid))

    @property
    def task(self) -> str:
        """'classification' when there are classes, else 'regression'."""
        return "regression" if self.classes is None else "classification"

    @property
    def n_classes(self) -> int:
        return 0 if self.classes is None else len(self.classes)

    @property
    def train_ds(self):
        """The training part as a `scratchish.data.TensorDataset(x_train, y_train)`."""
        from ..data import TensorDataset  # data/ is a sibling package; import on use

        return TensorDataset(self.x_train, self.y_train)

    @property
    def valid_ds(self):
        """The validation part as a `scratchish.data.TensorDataset(x_valid, y_valid)`."""
        from ..data import TensorDataset

        return TensorDataset(self.x_valid, self.y_valid)

    def __repr__(self) -> str:
        what = f"{self.n_classes} classes" if self.classes is not None else "regression"
        return (
            f"Split({self.name!r}: train {len(self.y_train)} x {tuple(self.x_train.shape[1:])}, "
            f"valid {len(self.y_valid)}, {what})"
        )


def check_split_args(split: str | None, valid_pct: float, fn: str) -> None:
    if split not in (None, "train", "valid"):
        raise ArgumentError(
            f"{fn}: split={split!r} is not one of None (both parts), 'train' or 'valid'."
        )
    if not isinstance(valid_pct, (int, float)) or not 0 <= valid_pct < 1:
        raise ArgumentError(
            f"{fn}: valid_pct={valid_pct!r} must be a fraction in [0, 1), e.g. 0.2 keeps 20% "
            f"of the samples for validation."
        )


def random_split(n: int, valid_pct: float, seed: int, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, valid) of a seeded random split that keeps `int(n * valid_pct)` samples
    for validation (as fastai's RandomSplitter). The permutation is `torch.randperm(n)` after
    `manual_seed(seed)`, so PyTorch code with the same seed picks the same samples."""
    n_valid = int(n * valid_pct)
    if valid_pct > 0 and n_valid == 0:  # (valid_pct < 1, so the training part is never empty)
        need = math.ceil(1 / valid_pct)
        raise DatasetError(
            f"{fn}: too few samples for a validation split: {n} samples with valid_pct="
            f"{valid_pct} leave {n_valid} for validation and {n - n_valid} for training. "
            f"At least {max(need, 2)} samples are needed, or pass a larger valid_pct."
        )
    perm = Generator().manual_seed(seed).randperm(n)
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def make_split(
    x: np.ndarray,
    y: np.ndarray,
    classes: list[str] | None,
    name: str,
    split: str | None,
    valid_pct: float,
    seed: int,
    feature_names: list[str] | None = None,
):
    """Cut arrays into a Split (or one part of it, by `split`) of float32 x and int64 or
    float32 y."""
    check_split_args(split, valid_pct, name)
    train, valid = random_split(len(y), valid_pct, seed, name)
    parts = to_split(x[train], y[train], x[valid], y[valid], classes, name, feature_names)
    return select(parts, split)


def to_split(
    x_train, y_train, x_valid, y_valid, classes, name, feature_names=None, x_dtype=np.float32
) -> Split:
    """Wrap NumPy arrays as tensors: x float32 (or `x_dtype`), y int64 (classes) or float32
    (regression)."""
    y_dtype = np.float32 if classes is None else np.int64

    def wrap(a, dtype):
        return from_numpy(np.ascontiguousarray(a, dtype=dtype))

    return Split(
        wrap(x_train, x_dtype),
        wrap(y_train, y_dtype),
        wrap(x_valid, x_dtype),
        wrap(y_valid, y_dtype),
        classes=classes,
        name=name,
        feature_names=feature_names,
    )


def select(parts: Split, split: str | None) -> Split | tuple[Tensor, Tensor]:
    """The whole Split, or the (x, y) pair of one part."""
    if split == "train":
        return parts.x_train, parts.y_train
    if split == "valid":
        return parts.x_valid, parts.y_valid
    return parts


def _sklearn():
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            "the bundled data sets (digits, iris, wine, breast_cancer, diabetes) come with "
            "scikit-learn, which is not installed. Install it with: "
            "pip install 'scratchish[datasets]'"
        ) from None
    return sklearn.datasets


def digits(
    split: str | None = None, valid_pct: float = 0.2, seed: int = 0
) -> Split | tuple[Tensor, Tensor]:
    """The 1,797 handwritten digits bundled with scikit-learn: 8x8 grey images, 10 classes.

    Args:
        split: None for the whole Split, 'train' or 'valid' for that part's (x, y).
        valid_pct: the fraction kept for validation.
        seed: seeds the random split (the same seed gives the same split as
            `torch.randperm` after `torch.manual_seed(seed)`).

    Shape:
        x: (N, 1, 8, 8) float32 in [0, 1] (the raw 0..16 values divided by 16).
        y: (N,) int64 in 0..9.

    Returns:
        A Split (or a pair of tensors if `split` is given).

    Example:
        >>> import scratchish as sh
        >>> ds = sh.datasets.digits()
        >>> ds.x_train.shape, ds.x_valid.shape, ds.classes[:3]
        (scratchish.Size([1438, 1, 8, 8]), scratchish.Size([359, 1, 8, 8]), ['0', '1', '2'])
    """
    bunch = _sklearn().load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]  # (N, 8, 8) -> (N, 1, 8, 8)
    classes = [str(c) for c in bunch.target_names]
    return make_split(x, bunch.target, classes, "digits", split, valid_pct, seed)


def _table(loader: str, name: str, split, valid_pct, seed, regression=False):
    bunch = getattr(_sklearn(), loader)()
    classes = None if regression else [str(c) for c in bunch.target_names]
    features = [str(f) for f in bunch.feature_names]
    return make_split(bunch.data, bunch.target, classes, name, split, valid_pct, seed, features)


def iris(
    split: str | None = None, valid_pct: float = 0.2, seed: int = 0
) -> Split | tuple[Tensor, Tensor]:
    """Fisher's iris flowers: 150 rows, 4 measurements (cm), 3 species.

    Args and Returns: as `digits`. Shape: x (N, 4) float32, y (N,) int64.

    Example:
        >>> import scratchish as sh
        >>> x, y = sh.datasets.iris(split="train")
        >>> x.shape, y.dtype
        (scratchish.Size([120, 4]), scratchish.int64)
    """
    return _table("load_iris", "iris", split, valid_pct, seed)


def wine(
    split: str | None = None, valid_pct: float = 0.2, seed: int = 0
) -> Split | tuple[Tensor, Tensor]:
    """Wines from three growers: 178 rows, 13 chemical measurements, 3 classes.

    Args and Returns: as `digits`. Shape: x (N, 13) float32, y (N,) int64.
    """
    return _table("load_wine", "wine", split, valid_pct, seed)


def breast_cancer(
    split: str | None = None, valid_pct: float = 0.2, seed: int = 0
) -> Split | tuple[Tensor, Tensor]:
    """Breast tumour measurements (Wisconsin): 569 rows, 30 features, malignant or benign.

    Args and Returns: as `digits`. Shape: x (N, 30) float32, y (N,) int64 (0 malignant).
    The features have very different scales: standardise them before training.
    """
    return _table("load_breast_cancer", "breast_cancer", split, valid_pct, seed)


def diabetes(
    split: str | None = None, valid_pct: float = 0.2, seed: int = 0
) -> Split | tuple[Tensor, Tensor]:
    """Diabetes progression after one year (a regression): 442 rows, 10 features.

    Args and Returns: as `digits`, with `classes` None. Shape: x (N, 10) float32 (already
    centred and scaled by scikit-learn), y (N,) float32 (a disease score, about 25..346).
    For `nn.MSELoss` against a model output of shape (N, 1), use `y.unsqueeze(1)`.
    """
    return _table("load_diabetes", "diabetes", split, valid_pct, seed, regression=True)


# name -> (loader, kind, size): what `available()` lists for the bundled sets
BUNDLED = {
    "digits": (digits, "images 1x8x8, 10 classes", "1,797 samples"),
    "iris": (iris, "table, 4 features, 3 classes", "150 rows"),
    "wine": (wine, "table, 13 features, 3 classes", "178 rows"),
    "breast_cancer": (breast_cancer, "table, 30 features, 2 classes", "569 rows"),
    "diabetes": (diabetes, "table, 10 features, regression", "442 rows"),
}
