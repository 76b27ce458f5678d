"""Where PyTorch's `torch.utils` names live: `scratchish.utils.data` is `scratchish.data`.

Code written as `from torch.utils.data import DataLoader` works here as
`from scratchish.utils.data import DataLoader`. The data classes themselves are in data/.
"""

from . import data

__all__ = ["data"]
