"""dropout1d, dropout2d, alpha_dropout and feature_alpha_dropout: the same mask as PyTorch
for the same seed (values and gradients), eval identity, p = 0 and 1, in place, modules."""

import warnings

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()


def _seeded(name, **kwargs):
    def run(lib, x):
        lib.manual_seed(0)  # the same mask in both libraries and at every gradcheck call
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropout2d's warning for 3-D input, tested below
            return getattr(lib.nn.functional, name)(x, 0.4, training=True, **kwargs)

    return run


DROPOUT_CASES = register_op_cases(
    OpCase("dropout2d", _seeded("dropout2d"), [(4, 5, 3, 2)]),
    OpCase("dropout2d_3d_input", _seeded("dropout2d"), [(4, 5, 3)]),
    OpCase("dropout1d", _seeded("dropout1d"), [(4, 5, 3)]),
    OpCase("dropout1d_unbatched", _seeded("dropout1d"), [(6, 3)]),
    OpCase("dropout3d", _seeded("dropout3d"), [(3, 4, 2, 2, 3)]),
    OpCase("dropout3d_unbatched", _seeded("dropout3d"), [(4, 2, 2, 3)]),
    OpCase("alpha_dropout", _seeded("alpha_dropout"), [(6, 7)]),
    OpCase("feature_alpha_dropout", _seeded("feature_alpha_dropout"), [(4, 6, 2, 2)]),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", DROPOUT_CASES, ids=str)
def test_dropout_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", DROPOUT_CASES, ids=str)
def test_dropout_gradcheck(case):
    check_gradcheck(case)


def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    sh.manual_seed(1)
    out = F.dropout2d(sh.ones(8, 200, 3, 3), 0.25).numpy()
    per_channel = out.reshape(8, 200, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # each map dropped whole
    kept = per_channel[:, :, 0] != 0
    assert abs(kept.mean() - 0.75) < 0.05
    np.testing.assert_allclose(per_channel[kept][:, 0], 1 / 0.75, rtol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance():
    sh.manual_seed(2)
    x = sh.randn(400_000)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01


def test_identity_when_not_training_and_edge_probabilities():
    x = sh.randn(2, 3, 4, 4)
    assert F.dropout2d(x, 0.5, training=False) is x
    assert F.alpha_dropout(x, 0.5) is x  # training=False by default, as PyTorch
    sequence = x[0, :, 0]  # (C, L)
    assert F.dropout1d(sequence, 0.0) is sequence
    for name in ("dropout2d", "alpha_dropout", "feature_alpha_dropout"):
        out = getattr(F, name)(x, 1.0, training=True)
        assert (out.numpy() == 0).all(), name  # PyTorch zeroes everything at p = 1
    with pytest.raises(sh.ArgumentError, match="between 0 and 1"):
        F.dropout2d(x, 1.5)
    with pytest.raises(sh.ShapeError, match="dropout1d"):
        F.dropout1d(x, 0.5)


def test_dropout2d_warns_as_torch_for_3d_and_other_dims():
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        F.dropout2d(sh.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        F.dropout2d(sh.ones(2, 3), 0.5)


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout"])
def test_inplace_dropout_matches_torch(name):
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(3).standard_normal((4, 5, 6))
    x, tx = sh.tensor(a.copy()), torch.tensor(a.copy())
    sh.manual_seed(5)
    torch.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(F, name)(x, 0.3, True, inplace=True) is x
        getattr(torch.nn.functional, name)(tx, 0.3, True, inplace=True)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


@pytest.mark.parametrize("cls", ["Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_modules_match_torch(cls):
    if torch is None:
        pytest.skip("needs torch")
    module, tmodule = getattr(nn, cls)(0.3), getattr(torch.nn, cls)(0.3)
    assert repr(module) == repr(tmodule)
    assert repr(getattr(nn, cls)(0.1, inplace=True)) == repr(getattr(torch.nn, cls)(0.1, True))
    a = np.random.default_rng(4).standard_normal((4, 6, 5, 2)).astype(np.float32)
    sh.manual_seed(9)
    torch.manual_seed(9)
    np.testing.assert_array_equal(module(sh.tensor(a)).numpy(), tmodule(torch.tensor(a)).numpy())
    module.eval()
    x = sh.tensor(a)
    assert module(x) is x
    with pytest.raises(sh.ArgumentError):
        getattr(nn, cls)(-0.1)


def test_dropout1d_module_matches_torch():
    if torch is None:
        pytest.skip("needs torch")
    assert repr(nn.Dropout1d(0.2, True)) == repr(torch.nn.Dropout1d(0.2, True))
    a = np.random.default_rng(6).standard_normal((4, 6, 5)).astype(np.float32)
    sh.manual_seed(9)
    torch.manual_seed(9)
    out, tout = nn.Dropout1d(0.3)(sh.tensor(a)), torch.nn.Dropout1d(0.3)(torch.tensor(a))
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
