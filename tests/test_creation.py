"""Creation functions: dtypes, shapes and values equal to PyTorch's for the same call."""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh

torch = pytest.importorskip("torch")

CALLS = {
    "tensor ints -> int64": lambda L: L.tensor([1, 2]),
    "tensor floats -> float32": lambda L: L.tensor([1.0]),
    "tensor mixed -> float32": lambda L: L.tensor([1, 2.5]),
    "tensor bool": lambda L: L.tensor([True, False]),
    "tensor scalar": lambda L: L.tensor(3.5),
    "tensor nested": lambda L: L.tensor([[1, 2], [3, 4]]),
    "tensor with dtype": lambda L: L.tensor([1, 2], dtype=L.float64),
    "tensor float64 array keeps dtype": lambda L: L.tensor(np.array([1.5, 2.5])),
    "tensor int32 array keeps dtype": lambda L: L.tensor(np.array([1, 2], dtype=np.int32)),
    "arange int": lambda L: L.arange(5),
    "arange start end step": lambda L: L.arange(1, 10, 3),
    "arange float": lambda L: L.arange(0.0, 1.0, 0.25),
    "arange float step": lambda L: L.arange(0, 2, 0.5),
    "arange negative step": lambda L: L.arange(5, 0, -2),
    "arange dtype": lambda L: L.arange(4, dtype=L.float32),
    "full float": lambda L: L.full((2, 3), 1.5),
    "full int": lambda L: L.full((2,), 3),
    "full bool": lambda L: L.full((2,), True),
    "full dtype": lambda L: L.full((2,), 3, dtype=L.float64),
    "zeros varargs": lambda L: L.zeros(2, 3),
    "zeros tuple": lambda L: L.zeros((2, 3)),
    "zeros list": lambda L: L.zeros([2, 3]),
    "zeros int dtype": lambda L: L.zeros(2, dtype=L.int64),
    "ones": lambda L: L.ones(3, 1),
    "empty shape": lambda L: L.zeros(0, 3),
    "eye": lambda L: L.eye(3),
    "eye rectangular": lambda L: L.eye(2, 3),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace one step": lambda L: L.linspace(2, 3, 1),
    "zeros_like keeps dtype": lambda L: L.zeros_like(L.tensor([1, 2])),
    "ones_like with dtype": lambda L: L.ones_like(L.tensor([1, 2]), dtype=L.float32),
    "full_like": lambda L: L.full_like(L.tensor([1.0, 2.0]), 7),
    "stack": lambda L: L.stack([L.tensor([1, 2]), L.tensor([3, 4])]),
    "cat int and float": lambda L: L.cat([L.tensor([1, 2]), L.tensor([3.5])]),
    "tril function": lambda L: L.tril(L.ones(3, 3)),
    "triu function": lambda L: L.triu(L.ones(2, 3), 1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_creation_matches_torch(name):
    ours, theirs = CALLS[name](sh), CALLS[name](torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)


def test_tensor_copies_but_as_tensor_and_from_numpy_share():
    a = np.array([1.0, 2.0], dtype=np.float32)
    copied, shared, from_np = sh.tensor(a), sh.as_tensor(a), sh.from_numpy(a)
    a[0] = 9.0
    assert copied[0].item() == 1.0
    assert shared[0].item() == 9.0 and from_np[0].item() == 9.0


def test_tensor_of_tensors_and_requires_grad():
    t = sh.tensor([sh.tensor(1.0), sh.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0] and t.dtype == sh.float32
    w = sh.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    r = sh.randn(3, requires_grad=True)
    assert r.requires_grad and r.dtype == sh.float32


def test_default_dtype_can_be_changed_and_restored():
    try:
        sh.set_default_dtype(sh.float64)
        assert sh.tensor([1.0]).dtype == sh.float64
        assert sh.zeros(2).dtype == sh.float64
        assert sh.arange(0.0, 1.0, 0.5).dtype == sh.float64
    finally:
        sh.set_default_dtype(sh.float32)
    assert sh.tensor([1.0]).dtype == sh.float32


def test_random_creation_matches_torch_for_the_same_seed():
    sh.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_array_equal(sh.randn(3, 4).numpy(), torch.randn(3, 4).numpy())
    np.testing.assert_array_equal(sh.rand(5).numpy(), torch.rand(5).numpy())
