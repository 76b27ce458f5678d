"""Module and Parameter: the containers every layer and model is built from (torch.nn.Module).

A Module holds Parameters (tensors to train), buffers (tensors to save but not train) and
sub-modules, each in its own dict, so that `parameters()`, `state_dict()`, `train()`, `to()`
can walk the tree. Assigning `self.fc = nn.Linear(...)` registers it. Calling a module runs
its hooks around `forward`. Read next: linear.py (the simplest layer).
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator

import numpy as np

from .. import dtypes
from ..errors import ArgumentError, UnsupportedError
from ..tensor import Tensor, _check_device, _init, _int_list, _no_gpu, _short_repr, to_arguments


class Parameter(Tensor):
    """A tensor that is a module's weight: assigning it to a Module attribute registers it.

    It shares the array of `data` (no copy) and requires grad by default.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.Parameter(sh.ones(2))
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=dtypes.get_default_dtype().np)
        elif isinstance(data, Tensor):
            array = data.array
        else:
            array = np.asarray(data)
        _init(self, array, False)
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.array, self._requires_grad))


# ------------------------------------------------------------------ placeholders of lazy layers
# A lazy layer (lazy.py) holds these until its first call. Tensor's own storage of `array` (a
# slot) sits under the placeholders' property of that name, which refuses every use.
_ARRAY_SLOT = Tensor.__dict__["array"]


def is_lazy(t) -> bool:
    """True for a parameter or buffer that has no shape yet (torch.nn.parameter.is_lazy)."""
    return isinstance(t, UninitializedTensorMixin)


class UninitializedTensorMixin:
    """What UninitializedParameter and UninitializedBuffer share: a dtype, requires_grad, and
    no shape until `materialize`. Behind the `array` property is an empty array of the dtype
    (read by `placeholder()`); every other read of `array`, i.e. every op, raises."""

    __slots__ = ()
    cls_to_become: type = Tensor

    @property
    def array(self) -> np.ndarray:
        raise ArgumentError(
            f"this {type(self).__name__} has no shape yet: it belongs to a lazy layer "
            f"(nn.LazyLinear, nn.LazyConv2d, ...), which reads its input size off the first "
            f"batch. Run the model once on a batch, model(x), before using its parameters "
            f"(counting, initialising or saving them); or give the layer its input size "
            f"(nn.Linear(in_features, out_features))."
        )

    @array.setter
    def array(self, value: np.ndarray) -> None:
        _ARRAY_SLOT.__set__(self, value)

    def placeholder(self) -> np.ndarray:
        """The empty array that holds the dtype (a scratchish extra, for the library's use)."""
        return _ARRAY_SLOT.__get__(self)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.FROM_NUMPY[self.placeholder().dtype]

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._requires_grad = bool(value)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the placeholder `shape` (and `dtype`, by default its own), in place: it
        becomes a Parameter (an UninitializedBuffer: a Tensor) holding uninitialised values,
        which the layer then fills. Anything holding this object (an optimizer) sees it."""
        _check_device(device)
        shape = tuple(_int_list("materialize", "shape", shape))
        np_type = self.placeholder().dtype if dtype is None else dtypes.np_dtype(dtype)
        self.__class__ = self.cls_to_become
        self.array = np.empty(shape, np_type)  # Tensor's slot again, now the class changed
        self._grad_buffer = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (type(self), (self._requires_grad, None, self.dtype))

    def __deepcopy__(self, memo):
        return type(self)(self._requires_grad, None, self.dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter of a lazy layer before its first call: a dtype, no shape (lazy.py tells
    how they work). `materialize(shape)` makes it a Parameter of that shape."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        _check_device(device)
        np_type = dtypes.get_default_dtype().np if dtype is None else dtypes.np_dtype(dtype)
        super().__init__(Tensor._make(np.empty((0,), np_type)), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy layer (batch norm's running_mean) before its first call: a dtype,
    no shape. `materialize(shape)` makes it a Tensor of that shape."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        _check_device(device)
        np_type = dtypes.get_default_dtype().np if dtype is None else dtypes.np_dtype(dtype)
        super().__init__()
        self.array = np.empty((0,), np_type)
        self.requires_grad = requires_grad


def size_argument(layer: str, name: str, value, meaning: str, minimum: int = 0) -> int:
    """A layer's size argument (in_features, num_features, ...) as an int >= minimum, or an
    ArgumentError naming the layer, the argument, what it got and what the size is for:
    `nn.Linear(in_features=None, ...): in_features must be a whole number >= 0, the size of
    each input sample, e.g. 784 for a flattened 28x28 image; got None (NoneType).`"""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    raise ArgumentError(
        f"nn.{layer}({name}={_short_repr(value)}, ...): {name} must be a whole number >= "
        f"{minimum}, {meaning}; got {_short_repr(value)} ({type(value).__name__})."
    )


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)


class StateDictError(ArgumentError, RuntimeError):
    """load_state_dict found keys or shapes that do not match the model (also a RuntimeError,
    which PyTorch raises, so `except RuntimeError` keeps working)."""


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict(strict=False) returns, as PyTorch."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by register_*_hook: `handle.remove()` takes the hook off again."""

    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _addindent(text: str, n_spaces: int) -> str:
    """Indent every line but the first (blank lines stay empty), as PyTorch's repr."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    rest = [(" " * n_spaces + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join([lines[0], *rest])


def _as_array(value) -> np.ndarray:
    """The values of a state_dict entry: a scratchish tensor, a NumPy array, or anything with
    .detach() (a torch tensor), so that a PyTorch state_dict loads directly."""
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, "detach") and not isinstance(value, np.ndarray):
        value = value.detach().cpu()
    return np.asarray(value)


_ABSENT = object()  # a default that no value is


class _Members(dict):
    """One of a module's tables by name (PyTorch's _parameters, _buffers, _modules) that also
    keeps each entry in its module's own __dict__, where `self.weight` then finds it.

    Why: a name missing from __dict__ reaches Module.__getattr__ only after Python's own
    lookup has failed and built an AttributeError, and then runs Python code: a Linear
    layer's weight and bias took 4.9 us against 0.5 for two plain attributes, and 29-46 us
    against 5-6 right after a large matrix product, whose data had pushed that code out of
    the CPU's caches (AMD EPYC VM, 2026-11-29), which is where a layer reads them. Against
    plain-dict tables, in one process: the char GPT writing text 0.950x the time, MLP
    inference 0.987x, the GPT's training step 0.989x (benchmarks/README.md).

    The table stays what the library reads (named_parameters, state_dict); every change to it
    goes through the methods below, which copy it into __dict__, so the two cannot disagree.
    A plain attribute of the same name set in __dict__ by other means is left alone: it
    shadows the table's entry, as it does in PyTorch. The owners are held weakly, so modules
    form no reference cycles and are freed as soon as nothing uses them. copy.copy of a
    module shares its tables, as in PyTorch: both modules are then owners.
    """

    __slots__ = ("_owners",)

    def __init__(self, owner: Module | None = None, items=()) -> None:
        super().__init__()
        self._owners: list = []
        if owner is not None:
            self.adopt(owner)
        for name, value in items:
            self[name] = value

    def adopt(self, owner: Module) -> None:
        """Keep the entries in `owner`'s __dict__ too, from now on (copy, pickle)."""
        # the owners gone (shallow copies dropped) are let go, so the list does not grow
        self._owners = [ref for ref in self._owners if ref() is not None]
        self._owners.append(weakref.ref(owner))
        d = owner.__dict__
        for name, value in self.items():
            d.setdefault(name, value)

    def _dicts(self):
        for ref in self._owners:
            owner = ref()
            if owner is not None:
                yield owner.__dict__

    def __setitem__(self, name, value) -> None:
        old = self.get(name, _ABSENT)
        dict.__setitem__(self, name, value)
        for d in self._dicts():
            if d.get(name, _ABSENT) is old:  # our copy, or none yet: not a plain attribute
                d[name] = value

    def _forget(self, name, old) -> None:
        for d in self._dicts():
            if d.get(name, _ABSENT) is old:
                del d[name]

    def __delitem__(self, name) -> None:
        old = self[name]
        dict.__delitem__(self, name)
        self._forget(name, old)

    def pop(self, name, *default):
        if name not in self:
            return dict.pop(self, name, *default)  # the default, or KeyError
        old = dict.pop(self, name)
        self._forget(name, old)
        return old

    def popitem(self):
        name, old = dict.popitem(self)
        self._forget(name, old)
        return name, old

    def clear(self) -> None:
        for name in list(self):
            del self[name]

    def update(self, *args, **kwargs) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name, default=None):
        if name not in self:
            self[name] = default
        return self[name]

    def __ior__(self, other):
        self.update(other)
        return self

    def __reduce__(self):  # copied or pickled without its owners: Module.__setstate__ adopts
        return (_Members, (None, list(self.items())))


_TABLES = ("_parameters", "_buffers", "_modules")


class Module:
    """Base class of every layer and model. Subclass it, build layers in `__init__` (after
    calling `super().__init__()`), and compute the output in `forward`.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import nn
        >>> class MLP(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.Linear(4, 8)
        ...         self.fc2 = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
        >>> model = MLP()
        >>> [name for name, _ in model.named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
        >>> model(sh.randn(3, 4)).shape
        scratchish.Size([3, 2])
    """

    training: bool

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise ArgumentError(
                f"Module.__init__() takes no arguments, got {len(args)} positional and "
                f"{sorted(kwargs)} keyword ones; pass your settings to your own class."
            )
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", _Members(self))  # each also kept in __dict__: see _Members
        set_(self, "_buffers", _Members(self))
        set_(self, "_non_persistent_buffers_set", set())
        set_(self, "_modules", _Members(self))
        set_(self, "_forward_hooks", {})
        set_(self, "_forward_pre_hooks", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function: '
            f"define `def forward(self, x): ...` in your class."
        )

    def __call__(self, *args, **kwargs):
        # the common case, no hooks: straight to forward (this is on every step's hot path)
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a slot such as a missing bias) under `name`."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise ArgumentError(
                f"cannot assign a {type(param).__name__} as parameter '{name}': wrap it, "
                f"nn.Parameter(tensor), or register it as a buffer (register_buffer)."
            )
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is saved in state_dict (unless persistent=False) but not trained:
        running statistics, masks, position tables."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ArgumentError(
                f"cannot assign a {type(tensor).__name__} as buffer '{name}' "
                f"(a scratchish Tensor or None expected)."
            )
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under `name` (what `self.name = module` does)."""
        if module is not None and not isinstance(module, Module):
            raise ArgumentError(f"{type(module).__name__} is not a Module subclass.")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot add a {kind} before Module.__init__() has run: call "
                f"super().__init__() first thing in your __init__."
            )
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    "cannot assign parameters before Module.__init__() call: add "
                    "super().__init__() at the start of your __init__."
                )
            self._remove_everywhere(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise ArgumentError(
                    f"cannot assign a {type(value).__name__} as parameter '{name}' "
                    f"(nn.Parameter or None expected). To change the values, copy into it: "
                    f"with sh.no_grad(): self.{name}.copy_(value)."
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError(
                    "cannot assign module before Module.__init__() call: add "
                    "super().__init__() at the start of your __init__."
                )
            self._remove_everywhere(name)
            self._modules[name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise ArgumentError(
                    f"cannot assign a {type(value).__name__} as child module "
                    f"'{name}' (a Module or None expected)."
                )
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise ArgumentError(
                    f"cannot assign a {type(value).__name__} as buffer "
                    f"'{name}' (a Tensor or None expected)."
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _remove_everywhere(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getstate__(self) -> dict:
        # the tables' entries kept in __dict__ (see _Members) are left out: __setstate__
        # puts them back, bound to the new module's tables
        state = dict(self.__dict__)
        for key in _TABLES:
            for name, value in state.get(key, {}).items():
                if state.get(name, _ABSENT) is value:
                    del state[name]
        return state

    def __setstate__(self, state: dict) -> None:  # copy.copy, copy.deepcopy, pickle
        self.__dict__.update(state)
        for key in _TABLES:
            table = self.__dict__.get(key)
            if table is None:
                continue
            if not isinstance(table, _Members):  # pickled before the tables were _Members
                table = _Members(None, table.items())
                object.__setattr__(self, key, table)
            table.adopt(self)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: a table's entries are in __dict__ too (see
        # _Members), so this finds them only for a module whose tables were replaced
        # (written out, not looped)
        d = self.__dict__
        if "_parameters" in d:
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    # ------------------------------------------------------------------ walking the tree
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield (module_prefix + ("." if module_prefix else "") + name), value

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once (a weight shared by two layers appears once)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs with dotted names: 'encoder.0.weight'."""
        yield from self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members(
            lambda m: m._buffers.items(), prefix, recurse, remove_duplicate
        )

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ):
        """(name, module) for this module ('' ) and every module below it, depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                sub = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, sub, remove_duplicate)

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path, e.g. model.get_submodule('encoder.0')."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(
                    f"{module._get_name()} has no submodule '{part}' (looking for '{target}')."
                )
            module = module._modules[part]
        return module

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call fn on every submodule (children first) and on self: model.apply(init_fn)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm updating its statistics) or not."""
        if not isinstance(mode, bool):
            raise ArgumentError(f"train(mode): mode must be True or False, got {mode!r}.")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: train(False). Does not turn off gradients; use sh.no_grad()."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default) or fill them with zeros."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    # ------------------------------------------------------------------ hooks
    def register_forward_hook(self, hook, *, prepend: bool = False) -> RemovableHandle:
        """Call hook(module, args, output) after every forward; a non-None result replaces
        the output. Returns a handle: handle.remove() takes the hook off."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False) -> RemovableHandle:
        """Call hook(module, args) before every forward; a non-None result replaces args."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks: dict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            for key in [k for k in hooks if k != handle.id]:
                hooks[key] = hooks.pop(key)
        return handle

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by dotted name ('0.weight'), as detached
        tensors sharing memory with the model (keep_vars=True gives the Parameters)."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:  # a lazy layer's placeholder as itself, as PyTorch's
                keep = keep_vars or is_lazy(param)
                destination[prefix + name] = param if keep else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars or is_lazy(buf) else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values into the model's parameters and buffers, in place (so optimizers that
        hold them keep working). Values may be scratchish tensors, NumPy arrays or torch
        tensors.

        Raises a StateDictError naming missing and unexpected keys (when strict) and keys
        whose shapes differ (always). Unlike PyTorch, nothing is copied when it raises.
        Returns (missing_keys, unexpected_keys).
        """
        if assign:
            raise UnsupportedError(
                "load_state_dict(assign=True) is not supported; values are "
                "always copied into the existing tensors."
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, mismatched = {}, []
        for key, target in own.items():
            if key in state_dict:
                if is_lazy(state_dict[key]):
                    raise StateDictError(
                        f"load_state_dict: '{key}' in the state_dict has no shape yet (a lazy "
                        f"layer's placeholder): run the model it was saved from once on a "
                        f"batch, model(x), before saving its state_dict."
                    )
                value = _as_array(state_dict[key])
                # a lazy layer's placeholder takes the saved shape
                shape = value.shape if is_lazy(target) else target.array.shape
                if value.shape != shape:
                    mismatched.append((key, value.shape, shape))
                values[key] = value
        if mismatched or (strict and (missing or unexpected)):
            raise StateDictError(self._state_dict_message(missing, unexpected, mismatched, strict))
        for key, value in values.items():
            if is_lazy(own[key]):
                own[key].materialize(value.shape)
            own[key]._note_write()
            np.copyto(own[key].array, value, casting="unsafe")
        return _IncompatibleKeys(missing, unexpected)

    def _state_dict_message(self, missing, unexpected, mismatched, strict) -> str:
        lines = [f"Error(s) in loading state_dict for {self._get_name()}:"]
        if strict and missing:
            lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            lines.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
            )
        for key, got, want in mismatched:
            lines.append(
                f"size mismatch for {key}: copying a param with shape {got} from "
                f"checkpoint, the shape in current model is {want}."
            )
        hint = (
            "Was the checkpoint saved from a different architecture or size? Compare "
            "model.state_dict().keys() with the checkpoint's keys"
        )
        if missing and unexpected:
            hint += (
                "; a consistent prefix such as 'module.' or 'model.' on one side means "
                "the model was wrapped when saved: strip it from the keys"
            )
        if strict and not mismatched:
            hint += "; strict=False loads the keys that match and skips the rest"
        return "\n\t".join(lines) + "\n" + hint + "."

    # ------------------------------------------------------------------ dtype and device
    def _apply_arrays(self, fn) -> Module:
        """Replace the array of every floating parameter, buffer and gradient by fn(array),
        keeping the Parameter objects (optimizers hold them)."""
        for module in self.modules():
            for t in [*module._parameters.values(), *module._buffers.values()]:
                if is_lazy(t):  # a placeholder keeps the dtype it will be given
                    t.array = fn(t.placeholder())
                    continue
                if t is None or t.array.dtype.kind != "f":
                    continue
                new = fn(t.array)
                if new is not t.array:
                    t.array = new
                    t._grad_buffer = None
                    if t.grad is not None:
                        t.grad = Tensor._make(fn(t.grad.array))
        return self

    def to(self, *args, **kwargs) -> Module:
        """Convert floating parameters and buffers to a dtype, in place: model.to(sh.float64).
        The only device is the CPU; 'cuda' raises with an explanation."""
        target = to_arguments(args, kwargs)
        if target is None:
            return self
        np_type = dtypes.as_dtype(target).np
        if np_type.kind != "f":
            raise ArgumentError(
                f"Module.to: only floating dtypes are supported for a module's "
                f"parameters, got {target}."
            )
        return self._apply_arrays(lambda a: a if a.dtype == np_type else a.astype(np_type))

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        raise UnsupportedError(_no_gpu("Module.cuda()"))

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The settings printed inside the parentheses, e.g. 'in_features=3, ...'."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def summary(self) -> str:
        """A table of the modules and their parameter counts, with totals (a scratchish
        extra; print it: print(model.summary()))."""
        rows = []
        for name, module in self.named_modules():
            n = sum(p.numel() for p in module.parameters(recurse=False))
            if name and (n or not module._modules):
                rows.append((f"{name} ({module._get_name()})", n))
        width = max([len(r[0]) for r in rows] + [20])
        params = list(self.parameters())
        total = sum(p.numel() for p in params)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        n_buffers = sum(b.numel() for b in self.buffers())
        lines = [f"{'Layer (type)':<{width}}  {'Param #':>12}", "-" * (width + 14)]
        lines += [f"{label:<{width}}  {n:>12,}" for label, n in rows]
        lines += [
            "-" * (width + 14),
            f"Total params: {total:,} (trainable {trainable:,}, frozen {total - trainable:,})",
            f"Buffer elements: {n_buffers:,}",
        ]
        return "\n".join(lines)
