"""Where PyTorch's `torch.utils` names live: `scratchish.utils.data` is `scratchish.data`.

Code written as `from torch.utils.data import DataLoader` works here as
`from scratchish.utils.data import DataLoader`. The data classes themselves are in data/.
"""

from . import data, tensorboard

__all__ = ["data", "tensorboard"]


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from .. import compat

    return compat.unsupported_attribute("torch.utils", name)
