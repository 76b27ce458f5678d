"""Optimizer: the base class of every optimizer in this package (sgd.py, adam.py, ...).

It keeps PyTorch's bookkeeping: `param_groups` (parameters plus hyper-parameters),
`state` (per parameter: 'step', 'exp_avg', ...), `zero_grad`, `step` and `state_dict`. It adds
one speed trick, explained in `_FlatGroup`: a group's parameters live back to back in ONE
flat array, so an update is a dozen NumPy calls over the whole model rather than a dozen per
tensor. Each algorithm only writes `_update`, on arrays. Read next: sgd.py, then adam.py.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from ..nn.module import is_lazy
from ..tensor import Tensor


class _FlatGroup:
    """The parameters of one param group that share a dtype, stored back to back.

    Why: an optimizer step is a few elementwise operations on every parameter. Done tensor by
    tensor, a small model pays NumPy's per-call overhead a dozen times per tensor; done on one
    flat array it pays it a dozen times in all (about 5x faster for Adam on an MLP).

    How, without the model noticing:
      - `flat` holds every parameter's values; parameter i's `p.array` IS `values[i]`, a view
        of `flat` with p's shape. The Tensor objects stay the same, so modules, hooks and the
        user's own references keep working; writing into `flat` changes the parameters.
      - `flat_grad` holds the gradients: `grads[i]` is given to backward as `p._grad_buffer`,
        which copies the first gradient of a backward pass into it (autograd._accumulate).
      - `buffers[name]` is one flat array per kind of state ('exp_avg', ...); the tensors in
        `optimizer.state[p]` are views of them. `steps[i]` is parameter i's 'step'.
      - `scratch` holds preallocated temporaries, so a step allocates nothing. They are
        one chunk long (Optimizer._CHUNK elements at most): the update runs chunk by chunk.
    """

    def __init__(self, params: list[Tensor], dtype: np.dtype) -> None:
        self.params = params
        self.bounds: list[tuple[int, int]] = []
        start = 0
        for p in params:
            self.bounds.append((start, start + p.array.size))
            start += p.array.size
        self.flat = np.empty(start, dtype)
        self.flat_grad = np.zeros(start, dtype)
        shapes = [p.array.shape for p in params]
        self.values = [self.flat[a:b].reshape(s) for (a, b), s in zip(self.bounds, shapes)]
        self.grads = [self.flat_grad[a:b].reshape(s) for (a, b), s in zip(self.bounds, shapes)]
        # 'step' is a float32 number per parameter, as in PyTorch
        self.steps = np.zeros(len(params), np.float32)
        # one float32 number per parameter for each scalar state ('mu_product', ...)
        self.scalars: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.scratch: list[np.ndarray] = []
        for p, values, grad in zip(params, self.values, self.grads):
            np.copyto(values, p.array)
            p.array = values
            p._grad_buffer = grad

    def buffer(self, name: str) -> np.ndarray:
        """The flat state array called `name`, created (zeros) on first use."""
        if name not in self.buffers:
            self.buffers[name] = np.zeros_like(self.flat)
        return self.buffers[name]

    def temporaries(self, n: int, size: int) -> list[np.ndarray]:
        """`n` preallocated flat scratch arrays of at least `size` elements."""
        if self.scratch and self.scratch[0].size < size:
            self.scratch.clear()
        while len(self.scratch) < n:
            self.scratch.append(np.empty(size, self.flat.dtype))
        return self.scratch[:n]

    def piece(self, i: int, array: np.ndarray) -> np.ndarray:
        """Parameter i's part of a flat array, with the parameter's shape."""
        a, b = self.bounds[i]
        return array[a:b].reshape(self.values[i].shape)

    def step_view(self, i: int) -> Tensor:
        """Parameter i's 'step' as a 0-d tensor that shares memory with `steps`."""
        return Tensor._make(self.steps[i : i + 1].reshape(()))

    def scalar_view(self, name: str, i: int) -> Tensor:
        """Parameter i's scalar state `name` as a 0-d tensor sharing memory with `scalars`."""
        if name not in self.scalars:
            self.scalars[name] = np.zeros(len(self.params), np.float32)
        return Tensor._make(self.scalars[name][i : i + 1].reshape(()))


class Optimizer:
    """Base class of all optimizers: holds parameters in groups and per-parameter state.

    Args:
        params: an iterable of Tensors (e.g. `model.parameters()`), of (name, Tensor) pairs
            (`model.named_parameters()`), or of dicts, each a param group: `{"params": [...],
            "lr": 0.1}`; hyper-parameters a group does not give come from `defaults`.
        defaults: the default hyper-parameters (lr, momentum, ...) of every group.

    Subclasses write the update rule in `_update(group, param, grad, state, tmp, step, fresh)`
    on NumPy arrays, elementwise; this class runs it on the flat buffers, chunk by chunk
    (`_CHUNK` elements), over all of them when every parameter has a gradient and all are at
    the same step (the usual case), otherwise over each run of neighbouring parameters that
    are. An update that needs a whole parameter at once (a norm: Adafactor, LBFGS) writes its
    own `step` instead.
    Parameters whose gradient is None are skipped and their state does not advance, as in
    PyTorch.

    Where we differ from PyTorch: each parameter's `.array` becomes a view of the optimizer's
    flat buffer (values unchanged, same Tensor objects); replacing `p.data` or assigning
    `p.grad` still works (the new values are copied in at the next step); a duplicate
    parameter is an error rather than a warning; parameters that do not require grad give a
    warning (all of them: an error); the hook API
    (register_step_pre_hook, ...) is not implemented; an lr given as a one-element tensor is
    read as a Python float, where PyTorch computes the numbers derived from it (lr / (1 -
    beta1**t), ...) in the tensor's dtype, so the two agree to float32 rounding of those.
    """

    # whether the algorithm keeps a 'step' count per parameter (SGD does not)
    _uses_step = True
    # per-parameter state that is one number, not an array (NAdam's 'mu_product', ASGD's
    # 'eta' and 'mu'): float32 0-d tensors, as in PyTorch, kept like 'step' (see _FlatGroup)
    _scalar_states: tuple[str, ...] = ()
    # hyper-parameters that must be >= 0, with the reason shown when one is not
    _nonnegative = {
        "lr": "a learning rate is the size of each step downhill; a negative one climbs the loss",
        "eps": "eps keeps a division away from zero",
        "weight_decay": "weight decay pulls weights toward zero; negative decay would push "
        "them away",
        "momentum": "momentum is the fraction of the last step kept",
        "alpha": "alpha is a smoothing constant in [0, 1]",
    }

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise DTypeError(
                f"{name}: params should be an iterable of tensors or dicts, but got a single "
                f"Tensor of shape {tuple(params.shape)}. Wrap it in a list: "
                f"{name}([w], ...), or pass model.parameters()."
            )
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        # one entry per param group: (the group's parameters when flattened, their flats)
        self._flats: list[tuple[list[Tensor], list[_FlatGroup]]] = []
        self._opt_called = False
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ArgumentError(
                f"{name}: optimizer got an empty parameter list, so there is nothing to "
                f"train. Did you pass model.parameters() of a model with no layers (check "
                f"that layers are assigned as attributes, self.fc = nn.Linear(...), in "
                f"__init__), or a generator that was already used up (model.parameters() "
                f"can be iterated only once: call it again, or keep list(model.parameters()))?"
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        all_params = [p for g in self.param_groups for p in g["params"]]
        if all_params and not any(p.requires_grad for p in all_params):
            raise ArgumentError(
                f"{name}: none of the {len(all_params)} parameters requires grad, so none "
                f"would ever get a gradient and nothing would train. Create them with "
                f"requires_grad=True (w = sh.randn(3, 2, requires_grad=True)) or call "
                f"w.requires_grad_(); nn layers' parameters require grad already."
            )

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. to train a layer
        that was frozen, or with another lr): `opt.add_param_group({"params": w, "lr": 0.1})`.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise DTypeError(
                f"{name}.add_param_group: param_group must be a dict such as "
                f"{{'params': [w, b], 'lr': 0.1}}, but got {type(param_group).__name__}."
            )
        param_group = dict(param_group)
        params = param_group.get("params")
        if params is None:
            raise ArgumentError(
                f"{name}: a param group needs a 'params' entry: {{'params': [w, b], ...}}."
            )
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise DTypeError(
                f"{name}: parameters must come in an ordered collection (a list), not a set: "
                f"the order of a set changes between runs, which would scramble state_dict."
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ArgumentError(
                    f"{name}: either every parameter comes with a name (from "
                    f"model.named_parameters()) or none does; some names are missing."
                )
            param_group["param_names"] = names
        param_group["params"] = params
        self._check_params(params)
        for key, default in self.defaults.items():
            param_group.setdefault(key, default)
        self._check_hyperparameters(param_group)

        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ArgumentError(
                f"{name}: some parameters appear in more than one parameter group. Each "
                f"tensor may be in one group only (it has one lr); remove it from the others."
            )
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in param_group):
                raise ArgumentError(
                    f"{name}: all param groups should be with names or all without names; "
                    f"use named_parameters() for every group or for none."
                )
        self.param_groups.append(param_group)
        self._flats.append(self._flatten(param_group))

    def _check_params(self, params: list) -> None:
        name = type(self).__name__
        seen: dict[int, int] = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                if hasattr(p, "parameters"):
                    hint = " It looks like a model: pass model.parameters()."
                elif isinstance(p, str):
                    hint = " Did you pass a dict (model.state_dict())? Pass model.parameters()."
                else:
                    hint = " Wrap arrays in tensors: sh.tensor(a, requires_grad=True)."
                raise DTypeError(
                    f"{name}: can only optimize Tensors, but parameter {i} is a "
                    f"{type(p).__name__}.{hint}"
                )
            if p.grad_fn is not None:
                raise ArgumentError(
                    f"{name}: can't optimize a non-leaf Tensor: parameter {i} (shape "
                    f"{tuple(p.shape)}) was computed by an operation ({p.grad_fn!r}), so its "
                    f"value is recomputed each forward pass, not stored. Optimize the tensors "
                    f"you created (leaves): w = sh.randn(3, 2, requires_grad=True), not w * 2; "
                    f"or make a new leaf with t.detach().requires_grad_()."
                )
            if id(p) in seen:
                raise ArgumentError(
                    f"{name}: parameter {i} is the same tensor as parameter {seen[id(p)]} "
                    f"(shape {tuple(p.shape)}): each parameter must be given once, or it would "
                    f"be updated twice per step. A shared (tied) weight counts once; "
                    f"model.parameters() already lists it once."
                )
            seen[id(p)] = i
        frozen = [i for i, p in enumerate(params) if not p.requires_grad]
        if frozen and len(frozen) < len(params):
            warnings.warn(
                f"{name}: parameters {frozen} do not require grad; they never get a gradient "
                f"and the optimizer skips them. If they are frozen on purpose this is fine "
                f"(or pass only trainable ones: [p for p in params if p.requires_grad]); "
                f"otherwise create them with requires_grad=True.",
                UserWarning,
                stacklevel=3,
            )
        if frozen and len(frozen) == len(params) and self.param_groups:
            raise ArgumentError(
                f"{name}.add_param_group: none of the {len(params)} parameters of the new "
                f"group requires grad, so none would train. Set p.requires_grad_() first."
            )

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Reject values that cannot be right, with the reason (PyTorch checks the same)."""
        name = type(self).__name__
        for key, why in self._nonnegative.items():
            if key not in group:
                continue
            value = group[key]
            if isinstance(value, Tensor):
                if value.numel() != 1:
                    raise ArgumentError(
                        f"{name}: a tensor {key} must hold one number, but it has shape "
                        f"{tuple(value.shape)}. Pass a float or a one-element tensor."
                    )
                value = value.item()
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise DTypeError(f"{name}: {key} must be a number, got {value!r}.")
            if value < 0.0:
                raise ArgumentError(
                    f"{name}: {key}={value} is negative; {key} must be >= 0 ({why}). Did you "
                    f"mean {key}={-value}?"
                )
        if "betas" in group:
            betas = group["betas"]
            if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
                raise ArgumentError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}.")
            for i, beta in enumerate(betas):
                if not 0.0 <= float(beta) < 1.0:
                    raise ArgumentError(
                        f"{name}: betas[{i}]={beta} is outside [0, 1). Each beta is the "
                        f"fraction of a running average kept per step (typical: "
                        f"betas=(0.9, 0.999)); 1 or more would never forget, or blow up."
                    )
        if group.get("differentiable"):
            raise UnsupportedError(
                f"{name}(differentiable=True): scratchish optimizers update NumPy arrays in "
                f"place and record no graph, so the step cannot be differentiated. Leave "
                f"differentiable=False."
            )

    # ------------------------------------------------------------------ flat buffers
    def _flatten(self, group: dict[str, Any]) -> tuple[list[Tensor], list[_FlatGroup]]:
        """Move the group's parameters (and any state they have) into flat buffers."""
        # a lazy layer's placeholders wait: once they have a shape the list differs from
        # the group's, and _flats_of flattens again
        params = [p for p in group["params"] if not is_lazy(p)]
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for p in params:
            by_dtype.setdefault(p.array.dtype, []).append(p)
        flats = [_FlatGroup(ps, dtype) for dtype, ps in by_dtype.items()]
        for flat in flats:
            self._adopt_state(flat)
        return params, flats

    def _adopt_state(self, flat: _FlatGroup) -> None:
        """Copy existing state tensors of the flat's parameters into its flat buffers and
        make the state entries views of them (used after load_state_dict and re-flattening)."""
        for i, p in enumerate(flat.params):
            state = self.state.get(p)
            if not state:
                continue
            for key, value in list(state.items()):
                if key == "step":
                    flat.steps[i] = float(_as_array(value))
                    state[key] = flat.step_view(i)
                    continue
                if key in self._scalar_states:
                    state[key] = flat.scalar_view(key, i)
                    state[key].array[...] = float(_as_array(value))
                    continue
                array = _as_array(value) if isinstance(value, (Tensor, np.ndarray)) else None
                if array is None:
                    continue
                if array.shape != flat.values[i].shape:
                    raise ShapeError(
                        f"{type(self).__name__}: state '{key}' of a parameter has shape "
                        f"{array.shape} but the parameter now has shape {flat.values[i].shape}. "
                        f"Was the state_dict saved from a different model, or the parameter "
                        f"replaced by one of another shape (p.data = ...)?"
                    )
                piece = flat.piece(i, flat.buffer(key))
                np.copyto(piece, array, casting="unsafe")
                state[key] = Tensor._make(piece)

    def _runs(self, flat: _FlatGroup) -> list[tuple[int, int, bool]] | None:
        """The parameters to update, as runs (first, last, fresh) of neighbours in the flat
        buffer that all have a gradient and are at the same point (same step, or all without
        state yet: fresh). Usually one run: everything, updated in one go.

        Also repairs what users may have changed since the last step: a replaced `p.data`
        (copied back into the flat buffer), an assigned `p.grad` (copied into the gradient
        buffer). Returns None when a parameter changed shape or dtype: re-flatten then.
        """
        runs: list[tuple[int, int, bool]] = []
        last_key = None
        state, steps = self.state, flat.steps
        for i, p in enumerate(flat.params):
            values, grad_buffer = flat.values[i], flat.grads[i]
            if p.array is not values:  # someone replaced p.data / p.array
                if p.array.shape != values.shape or p.array.dtype != values.dtype:
                    return None
                np.copyto(values, p.array)
                p.array = values
            if p._grad_buffer is not grad_buffer:
                p._grad_buffer = grad_buffer
            grad = p.grad
            if grad is None:  # skipped, as in PyTorch: no update, the state does not advance
                last_key = None
                continue
            if grad.array is not grad_buffer:  # someone assigned p.grad
                if grad.array.shape != values.shape:
                    raise ShapeError(
                        f"{type(self).__name__}.step: a parameter of shape {values.shape} "
                        f"has a .grad of shape {grad.array.shape}; they must match."
                    )
                np.copyto(grad_buffer, grad.array, casting="same_kind")
            fresh = not state.get(p)
            key = (fresh, 0.0 if fresh else steps[i])
            if key == last_key:
                runs[-1] = (runs[-1][0], i, fresh)
            else:
                runs.append((i, i, fresh))
            last_key = key
        return runs

    def _flats_of(self, index: int, group: dict[str, Any]) -> list[_FlatGroup]:
        """The flats of param group `index`, rebuilt if its parameter list was changed."""
        if index >= len(self._flats):
            self._flats.append(self._flatten(group))
        params, flats = self._flats[index]
        current = group["params"]
        if len(current) != len(params) or any(a is not b for a, b in zip(current, params)):
            self._flats[index] = self._flatten(group)
            params, flats = self._flats[index]
        return flats

    # ------------------------------------------------------------------ the step
    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The per-parameter state arrays the algorithm keeps for this group."""
        return ()

    def _state_init_value(self, group: dict[str, Any], name: str) -> float:
        """The value state `name` starts from (0 for the running averages; Adagrad's 'sum'
        and Rprop's 'step_size' start elsewhere, as do the scalar states)."""
        return 0.0

    def _n_temporaries(self, group: dict[str, Any]) -> int:
        """How many scratch arrays `_update` needs (each as long as the arrays it gets)."""
        return 2

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        """Apply one step to `param` in place (all arguments are NumPy arrays of one shape).

        Called once per chunk of the flat buffers (see `_update_range`), each time with the
        scalar states as they were before the step: compute new ones from those and `step`
        only, never from the arrays.

        Args:
            group: the param group (hyper-parameters).
            param, grad: the values and their gradient.
            state: dict of state arrays by name (from `_state_names`), updated in place,
                and of the scalar states (`_scalar_states`) as Python floats: assign the new
                value to the dict entry (state['mu'] = ...), it is stored after the call.
            tmp: list of scratch arrays, free to overwrite.
            step: the step number after this step (1 on the first), if `_uses_step`.
            fresh: True if the state was just created (all zeros) on this step.
        """
        raise NotImplementedError(f"{type(self).__name__} must define _update()")

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step on every parameter that has a gradient.

        Args:
            closure: optional function that re-evaluates the model and returns the loss
                (needed by optimizers such as LBFGS; run with gradients enabled).

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True
        for index, group in enumerate(self.param_groups):
            for flat in self._flats_of(index, group):
                self._step_flat(group, flat, index)
            for p in group["params"]:
                if p.grad is not None:
                    p._note_write()  # a graph made before this step can no longer use p
        return loss

    def _step_flat(self, group: dict[str, Any], flat: _FlatGroup, index: int) -> None:
        runs = self._runs(flat)
        if runs is None:  # a parameter changed shape or dtype: flatten again
            self._flats[index] = self._flatten(group)
            for flat in self._flats[index][1]:
                self._step_flat(group, flat, index)
            return
        names = self._state_names(group)
        tmp = flat.temporaries(self._n_temporaries(group), min(flat.flat.size, self._CHUNK))
        for first, last, fresh in runs:
            if fresh:
                for i in range(first, last + 1):
                    self._init_state(flat, i, names, group)
            step = None
            if self._uses_step:
                flat.steps[first : last + 1] += 1
                step = float(flat.steps[first])
            # the scalar states of a run are equal (same step), so one number stands for all
            scalars = {k: float(flat.scalars[k][first]) for k in self._scalar_states}
            # the run's part of every flat array (all of it, usually)
            a, b = flat.bounds[first][0], flat.bounds[last][1]
            self._update_range(group, flat, names, tmp, a, b, step, fresh, scalars)
            for key, value in scalars.items():
                flat.scalars[key][first : last + 1] = value  # rounded to float32, as torch

    # Elements per call of `_update`: 512 KB of float32 per array.
    _CHUNK = 1 << 16

    def _update_range(self, group, flat, names, tmp, a, b, step, fresh, scalars) -> None:
        """Run `_update` on elements a:b of the flat arrays, `_CHUNK` elements at a time.

        Why chunks: an update is about a dozen NumPy passes (Adam: 13). Over the whole flat
        array, every pass streams several MB in and out of memory; chunk by chunk, the
        passes find their operands still in cache, and the scratch arrays, reused from chunk
        to chunk, are only `_CHUNK` long. Measured (same process, alternating): the MLP
        training step (Adam, 535k parameters) 8% faster, the GPT and CNN steps 1%. Chunks of
        2**16 gave the same, 2**15 nothing, 2**14 3.5% slower (NumPy's cost per call). On an
        Intel Xeon with 2 MB of L2 a core, Adam's seven arrays of 2**17 values (3.5 MB) left
        it: 2**16 made Adam alone 7-8% faster than 2**17 (the MLP's 1.44 -> 1.32 ms, the
        GPT's AdamW 2.24 -> 2.08 ms; 2**18 1.72 and 2.72; 2026-11-27), so 2**16.
        The updates are elementwise, so chunks change no number; the scalar states (NAdam's
        mu_product, ...) depend on the step only, so every chunk starts from the same ones.

        One thread. A helper thread taking half the range (see _threads.py) made Adam alone
        on the MLP's 535k parameters 1.24 -> 0.92 ms, and the MLP's training step 8% faster
        run back to back; but in bench_train.py's windows, which start after a pause, the
        MLP's figure swung from 0.85 to 1.40x PyTorch, against 1.29-1.39 with one thread
        (2026-11-26): after an idle spell, the helper's first wake-ups can stall the step
        (_threads.py). Not worth 0.3 ms of a 3.5 ms step."""
        arrays = (flat.flat, flat.flat_grad, *(flat.buffer(k) for k in names))
        state: dict = {}
        for start in range(a, max(b, a + 1), self._CHUNK):  # once when a == b
            stop = min(start + self._CHUNK, b)
            param, grad, *rest = (x[start:stop] for x in arrays)
            state = dict(zip(names, rest), **scalars)
            scratch = [t[: stop - start] for t in tmp]
            self._update(group, param, grad, state, scratch, step, fresh)
        scalars.update((key, state[key]) for key in scalars)

    def _init_state(self, flat: _FlatGroup, i: int, names: tuple[str, ...], group) -> None:
        """Create parameter i's state (zeros, or `_state_init_value`), as views of the flat
        buffers, in PyTorch's order of keys: 'step', the scalar states, the arrays."""
        state = self.state[flat.params[i]]
        state.clear()
        if self._uses_step:
            flat.steps[i] = 0.0
            state["step"] = flat.step_view(i)
        for key in self._scalar_states:
            state[key] = flat.scalar_view(key, i)
            state[key].array[...] = self._state_init_value(group, key)
        for key in names:
            piece = flat.piece(i, flat.buffer(key))
            piece.fill(self._state_init_value(group, key))
            state[key] = Tensor._make(piece)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Args:
            set_to_none: True (default, as in PyTorch): set `p.grad = None`; the next backward
                copies the new gradient into the optimizer's gradient buffer. False: fill
                the gradients with zeros. A None gradient makes `step` skip the parameter,
                a zero gradient does not (Adam still moves it, by its momentum).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_().zero_()

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's layout: {'state': {index: {...}},
        'param_groups': [{'lr': ..., 'params': [indices]}, ...]}. Parameters are numbered in
        order across groups. The tensors are the live state (copy.deepcopy to freeze it)."""
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items() if v
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by `state_dict()` (values are copied in): the next step
        continues exactly where the saved optimizer would have."""
        name = type(self).__name__
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ArgumentError(
                f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter "
                f"groups, this optimizer has {len(groups)}. Build the optimizer the same way "
                f"as the one that was saved."
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ArgumentError(
                    f"{name}.load_state_dict: parameter group {i} has {len(g['params'])} "
                    f"parameters but the saved group has {len(s['params'])}. Was it saved "
                    f"from a different model?"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                state[id_map[key]] = {k: _copy_value(v) for k, v in value.items()}
            else:
                state[key] = value
        for g, s in zip(groups, saved_groups):
            for key, default in self.defaults.items():  # saved by an older version
                s.setdefault(key, default)
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.state = state
        self.param_groups = saved_groups
        self._flats = [self._flatten(g) for g in self.param_groups]

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._opt_called = False
        self._flats = [self._flatten(g) for g in self.param_groups]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _as_array(value) -> np.ndarray:
    return value.array if isinstance(value, Tensor) else np.asarray(value)


def _copy_value(value):
    """A loaded state value, copied so that the saved dict and the optimizer share nothing."""
    if isinstance(value, Tensor):
        return Tensor._make(value.array.copy())
    if isinstance(value, np.ndarray):
        return Tensor._make(value.copy())
    return copy.deepcopy(value)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """start += weight * (end - start), in place, in PyTorch's order of operations (it
    switches to end - (end - start) * (1 - weight) for weight >= 0.5, for accuracy)."""
    np.subtract(end, start, out=tmp)
    w = float(start.dtype.type(weight))  # PyTorch rounds the weight to the tensor's dtype
    if abs(w) < 0.5:
        tmp *= w
        start += tmp
    else:
        tmp *= 1.0 - w
        np.subtract(end, tmp, out=start)


def decayed_gradient(group, param, grad, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """The gradient the algorithms step along, with `maximize` and `weight_decay` applied,
    as PyTorch's optimizers begin (in their order of operations)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:   # AdamW-style: shrink theta itself (here, in place)
                theta = theta * (1 - lr * weight_decay)
            else:                        # L2 penalty: through the gradient
                g = g + weight_decay * theta

    Returns `grad` itself, or `out` holding g. `scratch` is overwritten."""
    wd = float(group["weight_decay"])
    if group["maximize"]:
        grad = np.negative(grad, out=out)
    if wd != 0:
        if group.get("decoupled_weight_decay"):
            param *= 1.0 - float(group["lr"]) * wd
        else:
            np.multiply(param, wd, out=scratch)
            grad = np.add(grad, scratch, out=out)
    return grad


def square_avg_(avg: np.ndarray, grad: np.ndarray, keep: float, scratch: np.ndarray) -> None:
    """avg = keep * avg + (1 - keep) * grad * grad, in place, in PyTorch's order of operations
    (avg.mul_(keep).addcmul_(grad, grad, value=1 - keep)). `scratch` is overwritten."""
    avg *= keep
    np.multiply(grad, 1.0 - keep, out=scratch)
    scratch *= grad
    avg += scratch
