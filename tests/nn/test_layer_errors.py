"""Errors that teach, for layers: every nn module built with bad arguments, and every layer
called on a bad input (a list, an ndarray, a tensor of the wrong shape or dtype), raises a
scratchish error that names the layer and the argument, never a bare NumPy or Python error.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import scratchish as sh
from helpers import bad_values, leaked_error
from scratchish import nn

# a value that builds each layer, by argument name (what a course would pass)
GOOD = {"in_features": 4, "out_features": 3, "num_features": 4, "in_channels": 4}
GOOD |= {"out_channels": 2, "kernel_size": 2, "output_size": 2, "num_embeddings": 10}
GOOD |= {"embedding_dim": 3, "num_groups": 2, "num_channels": 4, "normalized_shape": 4}
GOOD |= {"embed_dim": 4, "num_heads": 2, "upscale_factor": 2, "downscale_factor": 2}
GOOD |= {"padding": 1, "value": 0.0, "threshold": 0.5, "size": 2, "dim": 1, "groups": 2}
GOOD |= {"unflattened_size": (2, 2), "in1_features": 4, "in2_features": 4, "d_model": 4}
GOOD |= {"nhead": 2, "input_size": 4, "hidden_size": 3, "num_layers": 1}
GOOD |= {"encoder_layer": nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)}
GOOD |= {"decoder_layer": nn.TransformerDecoderLayer(4, 2, dim_feedforward=8)}
GOOD |= {"module": nn.Linear(4, 4)}  # what DataParallel wraps
# containers hold other modules; Module is the base class
NOT_LAYERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList"}
NOT_LAYERS |= {"ParameterDict", "Identity", "RNNBase", "RNNCellBase"}  # bases: RNN, LSTM...


def _layers() -> list:
    return sorted(
        name
        for name in dir(nn)
        if inspect.isclass(getattr(nn, name))
        and issubclass(getattr(nn, name), nn.Module)
        and name not in NOT_LAYERS
    )


def _positional(cls) -> list:
    """The arguments of cls.__init__ that can be given by position."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]


def _built(cls):
    """cls built from GOOD values for its required arguments."""
    return cls(*(GOOD[p.name] for p in _positional(cls) if p.default is p.empty))


def constructor_leaks() -> dict:
    """{layer: one leaked error} for each layer built with a bad value in each of its first
    three positional arguments (the others good or left out)."""
    leaks = {}
    for name in _layers():
        cls = getattr(nn, name)
        params = _positional(cls)
        n_required = sum(p.default is p.empty for p in params)
        for i in range(min(3, len(params))):
            for bad in bad_values():
                args = [GOOD.get(p.name, p.default) for p in params[: max(i + 1, n_required)]]
                args[i] = bad
                leak = leaked_error(cls, *args)
                if leak is not None:
                    leaks.setdefault(name, f"{name}{tuple(args)!r:.60}: {leak}")
    return leaks


def _bad_inputs() -> list:
    """Inputs a learner might hand a layer by mistake."""
    return [
        None,
        [1.0, 2.0],
        np.ones((2, 4), dtype=np.float32),
        sh.randn(3),
        sh.randn(2, 5, 7, 7),
        sh.randn(2, 4, 6, 6, 6, 6),
        sh.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]),
        sh.tensor(True),
        "abc",
    ]


def forward_leaks() -> dict:
    """{layer: one leaked error} for each layer (built from GOOD values) called on each bad
    input; losses also get a good first input and a bad target."""
    leaks = {}
    for name in _layers():
        layer = _built(getattr(nn, name))
        n_inputs = len(inspect.signature(layer.forward).parameters)
        for bad in _bad_inputs():
            calls = [(bad,)] if n_inputs < 2 else [(bad, sh.randn(2, 4)), (sh.randn(2, 4), bad)]
            for args in calls:
                leak = leaked_error(layer, *args)
                if leak is not None:
                    leaks.setdefault(name, f"{name} on {type(bad).__name__}: {leak}")
    return leaks


# layers that still let a bare error through: fix one, then take it off its list
STILL_LEAKING_CONSTRUCTORS: set[str] = set()
STILL_LEAKING_FORWARDS: set[str] = set()


def test_there_are_many_layers_to_check():
    assert len(_layers()) > 80
    assert {"Linear", "Conv2d", "BatchNorm2d", "Embedding", "Dropout"} <= set(_layers())


@pytest.mark.parametrize(
    "leaks, still_leaking",
    [(constructor_leaks, "STILL_LEAKING_CONSTRUCTORS"), (forward_leaks, "STILL_LEAKING_FORWARDS")],
    ids=["constructors", "forwards"],
)
def test_no_layer_lets_a_bare_python_or_numpy_error_through(
    leaks, still_leaking, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # nothing here should write a file, but if one did: not here
    found = leaks()
    known = globals()[still_leaking]
    new = {name: leak for name, leak in found.items() if name not in known}
    assert not new, f"bad arguments reach the user as bare errors: {new}"
    fixed = known - set(found)
    assert not fixed, f"these no longer leak: take them off {still_leaking}: {sorted(fixed)}"


BAD_LAYERS = [
    (lambda: nn.Linear(None, 3), "nn.Linear(in_features=None, ...): in_features must be a whole"),
    (lambda: nn.Linear(None, 3), "the size of each input sample, e.g. 784"),
    (lambda: nn.Linear(784, -10), "out_features must be a whole number >= 0"),
    (lambda: nn.Linear(2.5, 3), "got 2.5 (float)"),
    (lambda: nn.Embedding(10, 0.5), "nn.Embedding(embedding_dim=0.5, ...): embedding_dim must"),
    (lambda: nn.Embedding("10", 3), "the vocabulary size"),
    (lambda: nn.Embedding(10, 3, padding_idx="0"), "nn.Embedding: padding_idx must be a whole"),
    (lambda: nn.BatchNorm2d(-1), "nn.BatchNorm2d(num_features=-1, ...): num_features must be"),
    (lambda: nn.InstanceNorm1d(None), "nn.InstanceNorm1d(num_features=None"),
    (lambda: nn.GroupNorm(0, 4), "nn.GroupNorm(num_groups=0, ...): num_groups must be a whole"),
    (lambda: nn.LayerNorm(None), "normalized_shape must be a whole number >= 0, or a tuple"),
    (lambda: nn.RMSNorm((4, "a")), "nn.RMSNorm(normalized_shape='a', ...)"),
    (lambda: nn.Conv2d(None, 8, 3), "nn.Conv2d(in_channels=None, ...): in_channels must be"),
    (lambda: nn.Conv1d(3, 0, 3), "out_channels must be a whole number >= 1"),
    (lambda: nn.ConvTranspose2d(None, 8, 3), "nn.ConvTranspose2d(in_channels=None, ...)"),
    (lambda: nn.Bilinear(4, 5.5, 3), "nn.Bilinear(in2_features=5.5, ...): in2_features must"),
    (lambda: nn.TransformerEncoderLayer("4", 2), "d_model must be a whole number >= 1"),
    (lambda: nn.RNNBase("LSMT", 4, 3), "mode must be one of ['GRU', 'LSTM'"),
    (lambda: nn.ConvTranspose1d(2, 2, 2)(sh.randn(1, 2, 3), output_size=[None]), "output_size"),
    (lambda: nn.Conv2d(3, 8, kernel_size="3"), "kernel_size must be an int or a pair of ints"),
    (lambda: nn.MultiheadAttention(None, 2), "nn.MultiheadAttention(embed_dim=None"),
    (lambda: nn.PReLU(0), "nn.PReLU(num_parameters=0, ...)"),
    (lambda: nn.PReLU(1, "a"), "nn.PReLU: init must be a number"),
    (lambda: nn.Dropout(p=2), "nn.Dropout: dropout probability has to be between 0 and 1"),
    (lambda: nn.Dropout2d(None), "nn.Dropout2d: p must be a number, got None"),
    (lambda: nn.Hardtanh(None), "nn.Hardtanh: min_val must be a number"),
    (lambda: nn.TripletMarginLoss(None), "nn.TripletMarginLoss: margin must be a number"),
    (lambda: nn.Unflatten(1, None), "nn.Unflatten: unflattened_size must be"),
    (lambda: nn.Upsample(scale_factor="2"), "nn.Upsample: scale_factor must be a number"),
    (lambda: nn.ZeroPad2d(None), "nn.ZeroPad2d: padding must be a whole number or a list"),
    (lambda: nn.Flatten()(None), "nn.Flatten: input must be a Tensor, got NoneType"),
    (lambda: nn.GroupNorm(2, 4)([1.0]), "nn.GroupNorm: input must be a Tensor, got list"),
    (lambda: nn.InstanceNorm2d(3)(np.ones(3)), "InstanceNorm2d(3): input must be a Tensor"),
    (lambda: nn.Softmax2d()("abc"), "nn.Softmax2d: input must be a Tensor, got str"),
    (lambda: nn.RMSNorm(2)(sh.tensor([[1, 2]])), "rms_norm: needs a floating-point tensor"),
    (lambda: nn.Linear(4, 3)(sh.randn(2, 5)), "input has 5 features per sample"),
    (lambda: nn.Linear(4, 3)(sh.tensor([[1, 2, 3, 4]])), "the input is scratchish.int64"),
]


@pytest.mark.parametrize("call, words", BAD_LAYERS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_bad_layer_argument_or_input_gets_an_error_that_names_it(call, words):
    with pytest.raises(sh.ScratchishError) as info:
        call()
    assert words in str(info.value)


def test_layers_take_what_torch_takes():
    torch = pytest.importorskip("torch")
    assert nn.Linear(np.int64(4), sh.tensor(3).item()).weight.shape == (3, 4)
    assert (
        nn.LayerNorm(sh.Size([2, 3])).normalized_shape
        == torch.nn.LayerNorm([2, 3]).normalized_shape
    )
    assert nn.ZeroPad2d(1).padding == torch.nn.ZeroPad2d(1).padding
    assert nn.ZeroPad2d([1, 2, 3, 4]).padding == torch.nn.ZeroPad2d([1, 2, 3, 4]).padding
    assert (
        nn.Embedding(10, 3, padding_idx=-1).padding_idx == torch.nn.Embedding(10, 3, -1).padding_idx
    )
    assert (
        nn.Upsample(scale_factor=2).scale_factor == torch.nn.Upsample(scale_factor=2).scale_factor
    )
    assert nn.Linear(0, 3).weight.shape == tuple(torch.nn.Linear(0, 3).weight.shape)
