"""Gradient utilities: clip_grad_norm_ (= get_total_norm + clip_grads_with_norm_),
clip_grad_value_, and flattening parameters into one vector and back (torch.nn.utils);
rnn.py holds padding and packing of sequences (torch.nn.utils.rnn). Read next: optim/.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np

from ...creation import cat
from ...errors import ArgumentError
from ...random import default_generator
from ...tensor import Tensor
from ..module import Parameter
from . import rnn


def _grads(parameters) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def get_total_norm(
    tensors: Iterable[Tensor] | Tensor,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """The norm of all the tensors as one vector: ||(||t_1||, ..., ||t_k||)||_p.

    Usually given the gradients, [p.grad for p in model.parameters() if p.grad is not None],
    to log or to clip with clip_grads_with_norm_ (clip_grad_norm_ is those two in one).

    Args:
        tensors: a tensor or an iterable of tensors.
        norm_type: p, the order of the norm (default 2; math.inf for the largest |t|).
        error_if_nonfinite: raise if the norm is nan or inf (default False).
        foreach: accepted for PyTorch compatibility and ignored.

    Returns:
        the total norm, a 0-d tensor (0 if there are no tensors).

    Example:
        >>> import scratchish as sh
        >>> sh.nn.utils.get_total_norm([sh.tensor([3.0]), sh.tensor([4.0])])
        tensor(5.)
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    arrays = [t.array for t in tensors]
    return Tensor._make(_total_norm(arrays, norm_type, error_if_nonfinite, "get_total_norm"))


def _total_norm(arrays: list[np.ndarray], norm_type, error_if_nonfinite: bool, who: str):
    """The p-norm of the arrays' p-norms, in the arrays' dtype (a 0-d ndarray)."""
    norm_type = float(norm_type)
    if not arrays:
        return np.zeros((), dtype=np.float32)
    dtype = arrays[0].dtype
    if norm_type == math.inf:
        norms = [np.abs(g).max() if g.size else dtype.type(0) for g in arrays]
        total = np.max(norms).astype(dtype)
    elif norm_type == 2.0 and dtype in (np.float32, np.float64):
        # the common case: sqrt(g . g) per array by one BLAS dot product in the arrays' dtype,
        # as PyTorch sums in float32 (a norm past float32's range is inf, one below it 0, in
        # both). BLAS's dot keeps many partial sums: on 400k values its error was 3e-7 of the
        # norm, PyTorch's 5e-6, float64's 5e-8; converting to float64 first took 9x as long
        # (307 against 34 us; the GPT's clip_grad_norm_ 1.24 -> 0.69-0.74 ms, 2026-11-27).
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            norms = np.array([np.dot(f, f) for f in (g.ravel() for g in arrays)], dtype)
            np.sqrt(norms, out=norms)
        total = np.sqrt(np.dot(norms.astype(np.float64), norms.astype(np.float64))).astype(dtype)
    else:
        # each norm accumulated in float64, rounded to the dtype (as PyTorch's per-tensor
        # norms), then the norm of the norms
        norms = np.array(
            [(np.abs(g.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type) for g in arrays]
        ).astype(dtype)
        total = ((np.abs(norms.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type)).astype(
            dtype
        )
    if error_if_nonfinite and not np.isfinite(total):
        raise ArgumentError(
            f"{who}: the total norm of order {norm_type} of the gradients is {total}, so they "
            f"cannot be clipped. Some gradient holds nan/inf: look for a loss that was already "
            f"nan, or lower the learning rate. Pass error_if_nonfinite=False to skip this check."
        )
    return np.asarray(total, dtype=dtype)


def clip_grads_with_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, total_norm, foreach=None
) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place: the second
    half of clip_grad_norm_, for a total_norm you computed (get_total_norm) and maybe logged.

    Example:
        >>> import scratchish as sh
        >>> w = sh.tensor([1.0, 1.0], requires_grad=True)
        >>> (w * sh.tensor([3.0, 4.0])).sum().backward()
        >>> total = sh.nn.utils.get_total_norm([w.grad])
        >>> sh.nn.utils.clip_grads_with_norm_([w], max_norm=1.0, total_norm=total)
        >>> [round(g, 4) for g in w.grad.tolist()]
        [0.6, 0.8]
    """
    grads = _grads(parameters)
    if not grads:
        return
    dtype = grads[0].dtype
    total = total_norm.array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = dtype.type(max_norm) / (total.astype(dtype) + dtype.type(1e-6))
    if not coef >= 1:  # below 1, or nan (which spreads to every gradient, as in torch);
        # a product by 1 would change no value: skipped
        with np.errstate(invalid="ignore"):  # inf * 0 = nan, quietly, as in torch
            for g in grads:
                g *= coef


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm.

    total = ||(||g_1||, ..., ||g_k||)||_p (the p-norm of all gradients as one vector);
    every g is multiplied by min(1, max_norm / (total + 1e-6)), in place. The same as
    get_total_norm on the gradients, then clip_grads_with_norm_.

    Returns:
        the total norm before clipping, a 0-d tensor (log it: spikes show instability).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total = _total_norm(_grads(parameters), norm_type, error_if_nonfinite, "clip_grad_norm_")
    clip_grads_with_norm_(parameters, max_norm, total)
    return Tensor._make(total)


def clip_grad_norm(*args, **kwargs) -> Tensor:
    """Deprecated (as in PyTorch): clip_grad_norm_, which this calls after a FutureWarning."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(*args, **kwargs)


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


class WeightNorm:
    """The forward pre-hook of weight_norm: recomputes module.<name> = g * v / ||v|| from the
    parameters <name>_g and <name>_v before every forward (PyTorch's older weight norm)."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """||v|| over every dim but `dim`, kept as size-1 dims (dim = -1: one norm of all of v)."""
    if dim == -1:
        return (v * v).sum().sqrt()
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(dim=others, keepdim=True).sqrt()


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Weight normalisation (Salimans & Kingma, 2016): w = g * v / ||v||, so that the size g
    and the direction v of each output's weights are learned apart.

    Replaces the parameter `name` with two: `name_g` (the norms, one per slice along `dim`;
    one number for dim=None) and `name_v` (the direction, starting as the old weight), and
    recomputes `module.name` from them before every forward, as PyTorch's (deprecated)
    torch.nn.utils.weight_norm does; it warns as that does. state_dict keys: 'weight_g',
    'weight_v'. remove_weight_norm undoes it.

    Where we differ from PyTorch: its newer torch.nn.utils.parametrizations.weight_norm
    (keys 'parametrizations.weight.original0/1', recomputed on every access) is not here.

    Example:
        >>> import scratchish as sh
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     layer = sh.nn.utils.weight_norm(sh.nn.Linear(20, 40))
        >>> tuple(layer.weight_g.shape), tuple(layer.weight_v.shape)
        ((40, 1), (40, 20))
    """
    weight = _weight_to_reparametrize(module, name, WeightNorm, "weight_norm")
    warnings.warn(
        "`torch.nn.utils.weight_norm` is deprecated in favor of "
        "`torch.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    fn = WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo weight_norm: `name` becomes one Parameter again, holding g * v / ||v||."""
    hook = _take_hook(module, name, WeightNorm, "weight_norm")
    weight = hook.compute_weight(module)
    for attr in (name, name + "_g", name + "_v"):
        delattr(module, attr)
    module.register_parameter(name, Parameter(weight.detach()))
    return module


def _weight_to_reparametrize(module, name: str, hook_class, what: str) -> Tensor:
    """The parameter `name` that weight_norm/spectral_norm will replace, after checking that
    it exists and has not been replaced already."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, hook_class) and hook.name == name:
            raise ArgumentError(
                f"{what}: the parameter '{name}' of {type(module).__name__} already has "
                f"{what.replace('_', ' ')}; apply it once (remove_{what} undoes it)."
            )
    weight = module._parameters.get(name)
    if weight is None:
        raise ArgumentError(
            f"{what}: {type(module).__name__} has no parameter '{name}' (it has "
            f"{list(module._parameters)}). Pass name=... of one of them."
        )
    return weight


def _take_hook(module, name: str, hook_class, what: str):
    """Remove and return the forward pre-hook that weight_norm/spectral_norm put on `name`."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, hook_class) and hook.name == name:
            del module._forward_pre_hooks[key]
            return hook
    raise ArgumentError(
        f"remove_{what}: {what} of '{name}' not found in {type(module).__name__}: was "
        f"{what} applied to it (with this name)?"
    )


class SpectralNorm:
    """The forward pre-hook of spectral_norm: before every forward, a step of power iteration
    on the weight matrix W (in training mode), then module.<name> = W / sigma with
    sigma = u . (W v), the estimate of W's largest singular value."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a matrix with `dim` as its rows (a conv weight: (out, in * k * k))."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # u, v <- the top singular vectors, a step closer (in place: they are buffers)
            w = weight_mat.array
            for _ in range(self.n_power_iterations):
                v.array[...] = _normalized(w.T @ u.array, self.eps)
                u.array[...] = _normalized(w @ v.array, self.eps)
        u, v = Tensor._make(u.array.copy()), Tensor._make(v.array.copy())
        sigma = (u * (weight_mat @ v)).sum()  # u . (W v), in the graph through W
        return weight / sigma

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def _normalized(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(||x||, eps), as F.normalize(x, dim=0, eps=eps)."""
    return x / max(np.linalg.norm(x), eps)


def spectral_norm(
    module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
):
    """Spectral normalisation (Miyato et al., 2018): divide the weight by its largest
    singular value sigma, so that the layer stretches no input by more than 1 (used in GAN
    discriminators). sigma is estimated by power iteration, n_power_iterations steps before
    each forward in training mode, on W seen as a matrix with `dim` as rows.

    As PyTorch's (older, hook-based) torch.nn.utils.spectral_norm: the parameter becomes
    `name_orig`, with buffers `name_u` and `name_v` (the singular vectors, drawn from
    N(0, 1) and normalised, in PyTorch's order); state_dict keys 'weight_orig', 'weight_u',
    'weight_v'. remove_spectral_norm undoes it.

    Where we differ from PyTorch: the parametrizations.spectral_norm form is not here, and
    nor is the conversion of state_dicts saved by PyTorch versions before 1.0.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.utils.spectral_norm(sh.nn.Linear(4, 3))
        >>> sorted(layer.state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if isinstance(n_power_iterations, bool) or n_power_iterations <= 0:
        raise ArgumentError(
            f"spectral_norm: n_power_iterations={n_power_iterations!r} must be a positive "
            f"number of power-iteration steps per forward (1 is usual)."
        )
    weight = _weight_to_reparametrize(module, name, SpectralNorm, "spectral_norm")
    fn = SpectralNorm(name, n_power_iterations, 0 if dim is None else dim, eps)
    h, w = fn.reshape_weight_to_matrix(weight).shape
    dtype = weight.array.dtype
    u = _normalized(default_generator.normal((h,), 0.0, 1.0, dtype=dtype), eps)
    v = _normalized(default_generator.normal((w,), 0.0, 1.0, dtype=dtype), eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", Tensor._make(u))
    module.register_buffer(name + "_v", Tensor._make(v))
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo spectral_norm: `name` becomes one Parameter again, holding W / sigma."""
    hook = _take_hook(module, name, SpectralNorm, "spectral_norm")
    weight = hook.compute_weight(module, do_power_iteration=False)
    for attr in (name, name + "_u", name + "_v", name + "_orig"):
        delattr(module, attr)
    module.register_parameter(name, Parameter(weight.detach()))
    return module


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from ... import compat

    return compat.unsupported_attribute("torch.nn.utils", name)
