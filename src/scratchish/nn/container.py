"""Containers: Sequential (run modules in order), ModuleList and ModuleDict (hold modules so
that their parameters are registered), ParameterList and ParameterDict (hold parameters
themselves). Read next: normalization.py.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from ..errors import ArgumentError, DTypeError, IndexOutOfRangeError
from ..tensor import Tensor
from .module import Module, Parameter, _addindent


def _index(idx: int, n: int, name: str) -> int:
    if not -n <= idx < n:
        raise IndexOutOfRangeError(f"{name}: index {idx} is out of range for {n} modules.")
    return idx % n


class Sequential(Module):
    """Modules run one after the other: the output of each is the input of the next.

    Build it from modules (named '0', '1', ...) or from an OrderedDict of names to modules.
    Supports indexing (a slice gives a Sequential), len, iteration and append.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(sh.randn(5, 4)).shape
        scratchish.Size([5, 2])
        >>> model[1]
        ReLU()
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        setattr(self, key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(idx, len(self), "Sequential")]]
        for key in doomed:
            del self._modules[key]
        # renumber the rest '0', '1', ... as PyTorch does
        modules = list(self._modules.values())
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)
        return self

    def forward(self, input):  # noqa: A002 - PyTorch's names
        for module in self._modules.values():
            input = module(input)  # noqa: A001
        return input


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them).

    Example:
        >>> from scratchish import nn
        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx) -> None:
        modules = list(self._modules.values())
        del modules[idx]
        self._modules.clear()
        self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward: it only holds modules. Loop over it in your own "
            "forward (for layer in self.layers: x = layer(x)), or use nn.Sequential."
        )

    def __repr__(self) -> str:
        # PyTorch's compressed form: identical consecutive modules print once, '(0-2): 3 x ...'
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        blocks = []  # [start, end, text]
        for i, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        lines = []
        for start, end, text in blocks:
            line = (
                f"({start}): {text}"
                if start == end
                else f"({start}-{end}): {end - start + 1} x {text}"
            )
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for pair in items:
            if len(pair) != 2:
                raise ArgumentError("ModuleDict.update: expected (name, module) pairs.")
            self[pair[0]] = pair[1]

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: pick a module by name.")


def _as_parameter(value):
    """A tensor put into a ParameterList/Dict becomes a Parameter (sharing its values), as in
    PyTorch; anything else is kept as it is (a plain attribute, not trained)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(key, value) -> str:
    """One line of a ParameterList/Dict's repr, in PyTorch's form."""
    if isinstance(value, Tensor):
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        size = "x".join(str(n) for n in value.shape)
        return f"  ({key}): {kind} containing: [{value.dtype} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


def _not_callable(container: str):
    raise ArgumentError(
        f"{container} should not be called: it only holds parameters. Use them in your "
        f"module's forward, e.g. x @ self.weights[0] or x * self.scales['a']."
    )


class ParameterList(Module):
    """A list of parameters that are registered (a plain list of Parameters would hide them
    from parameters(), state_dict() and the optimizer).

    Entries are named '0', '1', ... (state_dict keys `name.0`, ... as PyTorch). A Tensor put in
    becomes a Parameter that shares its values; other objects are kept but not trained.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import nn
        >>> scales = nn.ParameterList([sh.ones(3), sh.zeros(2)])
        >>> scales.append(nn.Parameter(sh.ones(4)))
        ParameterList(
            (0): Parameter containing: [scratchish.float32 of size 3]
            (1): Parameter containing: [scratchish.float32 of size 2]
            (2): Parameter containing: [scratchish.float32 of size 4]
        )
        >>> [name for name, _ in scales.named_parameters()]
        ['0', '1', '2']
    """

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _key(self, idx) -> str:
        if isinstance(idx, bool) or not hasattr(idx, "__index__"):
            raise DTypeError(
                f"ParameterList indices must be integers or slices, not {type(idx).__name__}."
            )
        return str(_index(idx.__index__(), len(self), "ParameterList"))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(*idx.indices(len(self)))])
        return getattr(self, self._key(idx))

    def __setitem__(self, idx: int, param) -> None:
        setattr(self, self._key(idx), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator:
        return iter([self[i] for i in range(len(self))])

    def __iadd__(self, parameters: Iterable) -> ParameterList:
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value) -> ParameterList:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise DTypeError(
                f"ParameterList.extend should be called with an iterable (a list of tensors), "
                f"but got {type(values).__name__}. To add one tensor, use append."
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_describe(i, p) for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        _not_callable("ParameterList")


class ParameterDict(Module):
    """A dict of parameters that are registered, in insertion order; keys are strings (the
    state_dict keys `name.key`, as PyTorch). A Tensor put in becomes a Parameter that shares
    its values. As in PyTorch, update() from a plain dict adds its entries in sorted key
    order (an OrderedDict or ParameterDict keeps its own order).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import nn
        >>> biases = nn.ParameterDict({"dog": sh.zeros(2), "cat": sh.ones(2)})
        >>> list(biases.keys()), biases["cat"].requires_grad
        (['cat', 'dog'], True)
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key) -> str:
        if not isinstance(key, str):
            raise DTypeError(
                f"ParameterDict keys must be strings (they become state_dict names), got "
                f"{type(key).__name__} {key!r}. Use str(key)."
            )
        return key

    def __getitem__(self, key: str):
        self._check_key(key)
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        self._check_key(key)
        setattr(self, key, _as_parameter(value))
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple:
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())  # as PyTorch: a plain dict in sorted order
        elif isinstance(parameters, Iterable) and not isinstance(parameters, (Tensor, str)):
            pairs = list(parameters)
        else:
            raise DTypeError(
                f"ParameterDict.update should be called with a dict or an iterable of "
                f"(key, value) pairs, but got {type(parameters).__name__}."
            )
        for j, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ArgumentError(
                    f"ParameterDict.update: element #{j} should be a (key, value) pair, got "
                    f"{pair!r}."
                )
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        return "\n".join(_describe(k, p) for k, p in self.items())

    def __call__(self, *args, **kwargs):
        _not_callable("ParameterDict")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self
