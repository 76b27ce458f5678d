"""torch.accelerator on scratchish: there is no accelerator (GPU, MPS, ...), and code that asks
first keeps working.

PyTorch's current tutorials pick the device with
    device = (torch.accelerator.current_accelerator().type
              if torch.accelerator.is_available() else "cpu")
`is_available()` answers False here, so that line picks the CPU. What would need a device
raises as PyTorch's does without one. Read next: cuda.py, the same for torch.cuda.
"""

from __future__ import annotations

from . import compat
from .errors import UnsupportedError

_NONE = (
    "Cannot access accelerator device when none is available: scratchish runs on the CPU "
    "(it is NumPy underneath). Check torch.accelerator.is_available() first."
)


def is_available() -> bool:
    """False: there is no accelerator, only the CPU."""
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (PyTorch's answer on a machine without one)."""
    return None


def device_count() -> int:
    """0: there are no accelerators to count."""
    return 0


def current_device_index() -> int:
    raise UnsupportedError(_NONE)


def synchronize(device=None) -> None:
    raise UnsupportedError(_NONE)


def __getattr__(name: str):
    return compat.unsupported_attribute("torch.accelerator", name)
