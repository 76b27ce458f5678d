"""torch.backends on scratchish: the switches PyTorch code sets for GPUs, kept as plain flags.

`torch.backends.mps.is_available()` answers False; `torch.backends.cudnn.deterministic = True`,
`torch.backends.cudnn.benchmark = False` and `torch.backends.cuda.matmul.allow_tf32 = True`
can be set and read, and change nothing: scratchish has no GPU kernels and is deterministic.
Read next: cuda.py (torch.cuda), compat.py.
"""

from .. import compat
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]


def __getattr__(name: str):
    return compat.unsupported_attribute("torch.backends", name)
