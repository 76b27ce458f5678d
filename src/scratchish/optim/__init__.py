"""Optimizers: they change the parameters using their gradients (`opt.step()`).

Read optimizer.py first (the base class and its flat buffers), then sgd.py (the simplest
algorithm), adam.py, and lr_scheduler.py (changing the learning rate during training).
The other algorithms follow the same pattern, one per file: adagrad.py, adadelta.py,
rmsprop.py, adamax.py, nadam.py, radam.py, asgd.py, rprop.py; lbfgs.py (which needs a
closure) and adafactor.py (whose steps use whole-parameter norms) write their own step.
Names, defaults and numbers follow `torch.optim`.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "lr_scheduler",
]


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from .. import compat

    return compat.unsupported_attribute("torch.optim", name)
