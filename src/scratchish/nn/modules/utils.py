"""torch.nn.modules.utils: the helpers custom layers use to read an int-or-tuple size
argument (kernel_size=3 or (3, 5)) as a tuple: _single, _pair, _triple, _quadruple."""

from collections.abc import Iterable
from itertools import repeat


def _ntuple(n: int, name: str = "parse"):
    """A function giving a tuple of n for a single value (3 -> (3, 3) for n = 2), and
    any iterable as a tuple unchanged, as PyTorch's."""

    def parse(x):
        if isinstance(x, Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
