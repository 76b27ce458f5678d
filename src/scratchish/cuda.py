"""torch.cuda on scratchish: there is no GPU, and code that asks first keeps working.

`is_available()` answers False and `device_count()` 0, so the usual
`device = "cuda" if torch.cuda.is_available() else "cpu"` picks the CPU. Seeding is a no-op
(there is no GPU generator to seed); anything else raises an UnsupportedError that says
scratchish runs on the CPU. Read next: backends/ (torch.backends), compat.py.
"""

from __future__ import annotations

from . import compat

# `import torch.cuda.amp` must reach the import hook's advice (mixed precision) instead of
# Python's "torch.cuda is not a package": an empty __path__ makes this module a package.
__path__: list = []


def is_available() -> bool:
    """False: scratchish runs on the CPU only (it is NumPy underneath)."""
    return False


def device_count() -> int:
    """0: there are no GPUs to count."""
    return 0


def is_initialized() -> bool:
    """False: CUDA is never started."""
    return False


def manual_seed(seed: int) -> None:
    """Does nothing: there is no GPU generator. `torch.manual_seed(seed)` seeds scratchish."""


def manual_seed_all(seed: int) -> None:
    """Does nothing: there are no GPU generators. `torch.manual_seed(seed)` seeds scratchish."""


def seed() -> None:
    """Does nothing: there is no GPU generator."""


def seed_all() -> None:
    """Does nothing: there are no GPU generators."""


def empty_cache() -> None:
    """Does nothing, as in PyTorch when no GPU memory was ever used."""


def __getattr__(name: str):
    # every other torch.cuda name: an UnsupportedError explaining there is no GPU
    return compat.unsupported_attribute("torch.cuda", name)
