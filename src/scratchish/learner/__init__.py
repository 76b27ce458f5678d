"""The top-down path: a Learner that trains a model on your data in a few lines.

    import scratchish as sh
    learn = sh.learner.image_learner(sh.datasets.digits())
    learn.fit_one_cycle(5, 1e-2)

Read learner.py first (the training loop, top to bottom), then callbacks.py, metrics.py,
data.py (DataLoaders and one call per kind of data), models.py, export.py, plots.py.
"""

from .callbacks import (
    Callback,
    CancelBatchException,
    CancelEpochException,
    CancelFitException,
    CancelTrainException,
    CancelValidException,
    EarlyStoppingCallback,
    GradientClip,
    LRFinder,
    LRFindResult,
    NaNGuard,
    OneCycleScheduler,
    ProgressCallback,
    Recorder,
    SaveModelCallback,
    TrainingDivergedError,
)
from .data import (
    DataLoaders,
    ImagePrep,
    Prediction,
    TablePrep,
    TextPrep,
    dls_for,
    image_dls,
    read_csv,
    table_dls,
    text_dls,
)
from .export import export, load_learner
from .learner import Learner, image_learner, learner_for, tabular_learner, text_learner
from .metrics import accuracy, error_rate, f1_score, mae, r2_score, rmse
from .models import MLP, CharTransformer, SimpleCNN, TabularModel, build_model

__all__ = [
    "MLP",
    "Callback",
    "CancelBatchException",
    "CancelEpochException",
    "CancelFitException",
    "CancelTrainException",
    "CancelValidException",
    "CharTransformer",
    "DataLoaders",
    "EarlyStoppingCallback",
    "GradientClip",
    "ImagePrep",
    "LRFindResult",
    "LRFinder",
    "Learner",
    "NaNGuard",
    "OneCycleScheduler",
    "Prediction",
    "ProgressCallback",
    "Recorder",
    "SaveModelCallback",
    "SimpleCNN",
    "TablePrep",
    "TabularModel",
    "TextPrep",
    "TrainingDivergedError",
    "accuracy",
    "build_model",
    "dls_for",
    "error_rate",
    "export",
    "f1_score",
    "image_dls",
    "image_learner",
    "learner_for",
    "load_learner",
    "mae",
    "r2_score",
    "read_csv",
    "rmse",
    "table_dls",
    "tabular_learner",
    "text_dls",
    "text_learner",
]
