"""nn.DataParallel as PyTorch's is on a machine without a GPU: it keeps the model and calls it.

PyTorch splits each batch over the GPUs it is given; with none (the only case here) its
DataParallel ignores device_ids and passes the call through to the module. Code that wraps
its model (d2l.ai's multi-GPU training, PyTorch's DCGAN tutorial) runs, and as in PyTorch the
state_dict's keys gain the prefix "module.". DistributedDataParallel, which needs processes
working together, is not here.
"""

from __future__ import annotations

from ..errors import ArgumentError
from .module import Module


class DataParallel(Module):
    """Wraps `module` and calls it: DataParallel(model)(x) is model(x) (see the module
    docstring). The model is `self.module`."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise ArgumentError(
                f"DataParallel(module=...) wraps a model, got {type(module).__name__} "
                f"{module!r:.40}; pass your nn.Module, e.g. nn.DataParallel(model)."
            )
        # device_ids and output_device name GPUs; PyTorch ignores them when it has none.
        self.module = module
        self.device_ids: list = []  # PyTorch's, without a GPU
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
