"""LayerNorm: normalise each sample over its last dims, then scale and shift.

(BatchNorm lives in batchnorm.py.) Read next: sparse.py.
"""

from __future__ import annotations

from ..tensor import Tensor, _check_device
from . import functional as F
from . import init
from .linear import _empty
from .module import Module, Parameter


class LayerNorm(Module):
    """out = (x - mean) / sqrt(var + eps) * weight + bias over the last dims (Ba et al. 2016).

    Args:
        normalized_shape: the size (int) or sizes of the last dims to normalise over.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn weight (ones at start) and bias (zeros).
        bias: learn the bias too (default True).

    Shape: (*, *normalized_shape) -> same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.LayerNorm(4)(sh.tensor([[1.0, 2.0, 3.0, 4.0]]))
        tensor([[-1.3416, -0.4472,  0.4472,  1.3416]], grad_fn=<LayerNormBackward>)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_empty(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(_empty(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
