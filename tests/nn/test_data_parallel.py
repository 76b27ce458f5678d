"""nn.DataParallel on a machine without a GPU: PyTorch's passes the call to the model."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import compat, nn


def test_data_parallel_calls_the_model_and_prefixes_the_state_dict():
    sh.manual_seed(0)
    model = nn.Linear(4, 3)
    wrapped = nn.DataParallel(model, device_ids=[0, 1])
    x = sh.randn(5, 4)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), model(x).detach().numpy())
    assert wrapped.module is model and wrapped.device_ids == []
    assert list(wrapped.state_dict()) == ["module.weight", "module.bias"]
    # gradients reach the wrapped model's parameters
    wrapped(x).sum().backward()
    np.testing.assert_allclose(model.bias.grad.numpy(), [5.0, 5.0, 5.0])
    # a state_dict saved from the bare model loads through .module
    fresh = nn.DataParallel(nn.Linear(4, 3))
    fresh.module.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_data_parallel_resolves_from_torch_names():
    assert compat.resolve("torch.nn.DataParallel") is nn.DataParallel
    assert compat.resolve("torch.nn.parallel.DataParallel") is nn.DataParallel


def test_data_parallel_matches_torch():
    torch = pytest.importorskip("torch")
    sh.manual_seed(0)
    model = nn.Linear(4, 3)
    ref = torch.nn.Linear(4, 3)
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    ours, theirs = nn.DataParallel(model), torch.nn.DataParallel(ref)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.device_ids == theirs.device_ids
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(sh.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-6
    )


def test_data_parallel_of_something_not_a_model_says_what_it_got():
    with pytest.raises(sh.errors.ArgumentError, match=r"wraps a model, got str 'linear'"):
        nn.DataParallel("linear")
