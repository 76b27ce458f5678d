"""torch.nn.parameter: Parameter and the placeholders of lazy layers, under PyTorch's module
name (`from torch.nn.parameter import Parameter` is common in custom layers). They live in
module.py; this module only gives them that address."""

from .. import compat
from .module import (
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
    UninitializedTensorMixin,
    is_lazy,
)

__all__ = [
    "Parameter",
    "UninitializedBuffer",
    "UninitializedParameter",
    "UninitializedTensorMixin",
    "is_lazy",
]


def __getattr__(name: str):
    return compat.unsupported_attribute("torch.nn.parameter", name)
