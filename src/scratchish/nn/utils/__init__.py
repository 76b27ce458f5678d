"""Gradient utilities: clip_grad_norm_, clip_grad_value_, and flattening parameters into one
vector and back (torch.nn.utils); rnn.py holds padding and packing of sequences
(torch.nn.utils.rnn). Read next: optim/.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...creation import cat
from ...errors import ArgumentError
from ...tensor import Tensor
from . import rnn


def _grads(parameters) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm.

    total = ||(||g_1||, ..., ||g_k||)||_p (the p-norm of all gradients as one vector);
    every g is multiplied by min(1, max_norm / (total + 1e-6)), in place.

    Returns:
        the total norm before clipping, a 0-d tensor (log it: spikes show instability).
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(np.zeros((), dtype=np.float32))
    dtype = grads[0].dtype
    if norm_type == math.inf:
        norms = [np.abs(g).max() if g.size else dtype.type(0) for g in grads]
        total = np.max(norms).astype(dtype)
    elif norm_type == 2.0:
        # the common case: sqrt(g . g) per gradient by one BLAS dot product, in float64 as
        # the power-and-sum line below (3x faster than it)
        flats = (g.astype(np.float64).ravel() for g in grads)
        norms = np.array([math.sqrt(np.dot(f, f)) for f in flats]).astype(dtype)
        total = np.sqrt(np.dot(norms.astype(np.float64), norms.astype(np.float64))).astype(dtype)
    else:
        # each norm accumulated in float64, rounded to the gradient's dtype (as PyTorch's
        # per-tensor norms), then the norm of the norms
        norms = np.array(
            [(np.abs(g.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type) for g in grads]
        ).astype(dtype)
        total = ((np.abs(norms.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type)).astype(
            dtype
        )
    if error_if_nonfinite and not np.isfinite(total):
        raise ArgumentError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, so they cannot be clipped. Some gradient holds nan/inf: look for a "
            f"loss that was already nan, or lower the learning rate. Pass "
            f"error_if_nonfinite=False to skip this check."
        )
    coef = dtype.type(max_norm) / (total + dtype.type(1e-6))
    if not coef >= 1:  # below 1, or nan (which spreads to every gradient, as in torch);
        # a product by 1 would change no value: skipped
        with np.errstate(invalid="ignore"):  # inf * 0 = nan, quietly, as in torch
            for g in grads:
                g *= coef
    return Tensor._make(np.asarray(total, dtype=dtype))


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None
) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (in the graph)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into the parameters (in place)."""
    start = 0
    for p in parameters:
        n = p.numel()
        p.array[...] = vec.array[start : start + n].reshape(p.array.shape)
        start += n
    if start != vec.numel():
        raise ArgumentError(
            f"vector_to_parameters: the vector has {vec.numel()} elements, the parameters {start}."
        )


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from ... import compat

    return compat.unsupported_attribute("torch.nn.utils", name)
