"""normalize, cosine_similarity, pairwise_distance, pdist, group_norm, instance_norm and
local_response_norm against PyTorch (values, gradients, the eps rules at zero vectors, running
statistics), their modules (reprs, state_dict keys), and errors."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

# rows with a zero vector (and a tiny one): the eps clamps decide the values and gradients
_ZEROS = [[[0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [1e-10, 0.0, -1e-10]]]


def _pdist(p):
    return lambda lib, x: lib.nn.functional.pdist(x, p=p)


def _instance_norm(lib, x, w, b):
    return lib.nn.functional.instance_norm(x, weight=w, bias=b)


NORM_CASES = register_op_cases(
    OpCase("normalize", lambda lib, x: lib.nn.functional.normalize(x), [(3, 4)]),
    OpCase(
        "normalize_p1_dim0",
        lambda lib, x: lib.nn.functional.normalize(x, p=1, dim=0),
        [(3, 4, 2)],
    ),
    OpCase(
        "normalize_zero_rows",
        lambda lib, x: lib.nn.functional.normalize(x, dim=1),
        data=lambda: _ZEROS,
        gradcheck=False,  # the clamp's kink sits at the tiny row
    ),
    OpCase(
        "cosine_similarity",
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
        [(4, 5), (4, 5)],
    ),
    OpCase(  # broadcast, another dim
        "cosine_similarity_broadcast",
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=-1),
        [(2, 3, 4), (3, 4)],
    ),
    OpCase(
        "cosine_similarity_zero_vectors",
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
        data=lambda: [_ZEROS[0], [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [2.0, 0.0, 1.0]]],
        gradcheck=False,
    ),
    OpCase(
        "pairwise_distance",
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b),
        [(4, 5), (4, 5)],
    ),
    OpCase(
        "pairwise_distance_p1_keepdim",
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=1.0, keepdim=True),
        [(4, 5), (5,)],
    ),
    OpCase(
        "pairwise_distance_p3",
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=3.0, eps=0.0),
        [(4, 5), (1, 5)],
    ),
    OpCase("pdist", lambda lib, x: lib.nn.functional.pdist(x), [(5, 3)]),
    OpCase("pdist_p1", lambda lib, x: lib.nn.functional.pdist(x, p=1), [(4, 3)]),
    OpCase("pdist_p3", lambda lib, x: lib.nn.functional.pdist(x, p=3), [(4, 3)]),
    OpCase("pdist_inf", lambda lib, x: lib.nn.functional.pdist(x, p=float("inf")), [(4, 3)]),
    *[
        OpCase(  # equal rows (distance 0) and tied largest differences, where PyTorch's
            # gradients are 0 and full (not shared) respectively
            f"pdist_equal_rows_p{p}",
            _pdist(p),
            data=lambda: [[[1.0, 2.0], [1.0, 2.0], [0.0, 1.0], [3.0, -1.0]]],
            gradcheck=False,
        )
        for p in (1.0, 2.0, 3.0, 1.5, float("inf"))
    ],
    OpCase(
        "pairwise_distance_inf",
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=float("inf")),
        [(4, 5), (4, 5)],
    ),
    OpCase(
        "group_norm",
        lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b),
        [(2, 4, 3, 3), (4,), (4,)],
    ),
    OpCase(
        "group_norm_1d_no_affine",
        lambda lib, x: lib.nn.functional.group_norm(x, 3, eps=0.1),
        [(2, 6, 5)],
    ),
    OpCase("instance_norm", _instance_norm, [(2, 3, 4, 3), (3,), (3,)]),
    OpCase(
        "instance_norm_1d",
        lambda lib, x: lib.nn.functional.instance_norm(x),
        [(3, 2, 5)],
    ),
    OpCase(
        "local_response_norm",
        lambda lib, x: lib.nn.functional.local_response_norm(x, 3, alpha=0.1, beta=0.6, k=2.0),
        [(2, 5, 3, 2)],
    ),
    OpCase(
        "local_response_norm_1d_even",
        lambda lib, x: lib.nn.functional.local_response_norm(x, 2, alpha=0.5),
        [(2, 4, 3)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", NORM_CASES, ids=str)
def test_norm_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", NORM_CASES, ids=str)
def test_norm_gradcheck(case):
    check_gradcheck(case)


def test_zero_vectors_follow_torchs_eps_rules():
    assert F.normalize(sh.zeros(2, 3)).tolist() == [[0.0] * 3] * 2
    out = F.cosine_similarity(sh.zeros(2, 3), sh.ones(2, 3))
    assert out.tolist() == [0.0, 0.0]
    # identical rows are 1 apart from rounding; pairwise_distance of equal rows is eps * sqrt(D)
    x = sh.tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(F.cosine_similarity(x, x).item(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(F.pairwise_distance(x, x).item(), 1e-6 * 3**0.5, rtol=1e-5)


def test_normalize_out_argument():
    out = sh.empty(1, 2)
    assert F.normalize(sh.tensor([[3.0, 4.0]]), out=out) is out
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8]], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"])
def test_instance_norm_module_running_stats_and_eval(cls, dtype):
    if torch is None:
        pytest.skip("needs torch")
    shape = {"InstanceNorm1d": (3, 4, 5), "InstanceNorm2d": (3, 4, 5, 2)}.get(cls, (2, 4, 3, 2, 2))
    module = getattr(nn, cls)(4, affine=True, track_running_stats=True, momentum=0.3)
    tmodule = getattr(torch.nn, cls)(4, affine=True, track_running_stats=True, momentum=0.3)
    assert repr(module) == repr(tmodule)
    assert list(module.state_dict()) == list(tmodule.state_dict())
    if dtype == np.float64:
        module.double()
        tmodule.double()
    with sh.no_grad():
        module.weight.uniform_(0.5, 1.5)
        module.bias.normal_()
    tmodule.load_state_dict({k: torch.tensor(v.numpy()) for k, v in module.state_dict().items()})
    rng = np.random.default_rng(0)
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    for _ in range(2):  # two steps: the running statistics move twice
        a = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        out, tout = module(x), tmodule(tx)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
        g = rng.standard_normal(shape).astype(dtype)
        out.backward(sh.tensor(g))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)
        for name in ("weight", "bias"):
            np.testing.assert_allclose(
                getattr(module, name).grad.numpy(), getattr(tmodule, name).grad.numpy(), **tol
            )
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(
            getattr(module, name).numpy(), getattr(tmodule, name).numpy(), **tol, err_msg=name
        )
    module.eval()
    tmodule.eval()
    a = rng.standard_normal(shape[1:]).astype(dtype)  # one sample, running statistics
    np.testing.assert_allclose(
        module(sh.tensor(a)).detach().numpy(), tmodule(torch.tensor(a)).detach().numpy(), **tol
    )


def test_norm_and_distance_modules_match_torch():
    if torch is None:
        pytest.skip("needs torch")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 6, 4, 3))
    for make in [
        lambda m: m.GroupNorm(3, 6),
        lambda m: m.GroupNorm(2, 6, eps=1e-3, affine=False),
        lambda m: m.GroupNorm(1, 6, bias=False),
        lambda m: m.InstanceNorm2d(6),
        lambda m: m.LocalResponseNorm(2),
        lambda m: m.LocalResponseNorm(3, alpha=0.01, beta=0.5, k=2.0),
    ]:
        module, tmodule = make(nn).double(), make(torch.nn).double()
        assert repr(module) == repr(tmodule)
        assert list(module.state_dict()) == list(tmodule.state_dict())
        out = module(sh.tensor(a)).detach().numpy()
        np.testing.assert_allclose(out, tmodule(torch.tensor(a)).detach().numpy(), rtol=1e-9)
    b, c = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    for make in [
        lambda m: m.CosineSimilarity(),
        lambda m: m.CosineSimilarity(dim=0, eps=1e-3),
        lambda m: m.PairwiseDistance(),
        lambda m: m.PairwiseDistance(p=1.0, eps=0.1, keepdim=True),
    ]:
        module, tmodule = make(nn), make(torch.nn)
        assert repr(module) == repr(tmodule)
        out = module(sh.tensor(b), sh.tensor(c)).numpy()
        np.testing.assert_allclose(out, tmodule(torch.tensor(b), torch.tensor(c)).numpy())


@pytest.mark.parametrize("layout", ["(N, C, H, W)", "channels-last", "(N, C)"])
@pytest.mark.parametrize("parts", ["weight and bias", "weight", "bias", "neither"])
def test_fused_group_norm_equals_layer_norm_and_the_affine_op_composed(layout, parts):
    # ops/conv.py GroupNorm against what group_norm was before it: layer_norm over each
    # sample's group, (N, G, -1), then x * weight[c] + bias[c]
    from scratchish.ops.conv import ChannelAffine, GroupNorm

    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 6) if layout == "(N, C)" else (3, 6, 4, 5)) * 2 + 7
    if layout == "channels-last":
        a = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    groups = 6 if layout == "(N, C)" else 3
    w_np, b_np, g = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal(a.shape)
    results = []
    for fused in (True, False):
        x = sh.tensor(a, requires_grad=True)
        w = sh.tensor(w_np, requires_grad=True) if "weight" in parts else None
        b = sh.tensor(b_np, requires_grad=True) if "bias" in parts else None
        if fused:
            out = GroupNorm.apply(x, w, b, num_groups=groups, eps=1e-3)
            assert type(out.grad_fn).__name__ == "GroupNorm"
            if len(a.shape) == 4:  # read and written in the input's layout, channels-last or not
                rows = np.moveaxis(out.detach().numpy(), 1, -1)
                assert rows.flags.c_contiguous == (layout == "channels-last")
        else:
            flat = F.layer_norm(x.reshape(3, groups, -1), (x.numel() // 3 // groups,), eps=1e-3)
            out = flat.reshape(a.shape)
            out = ChannelAffine.apply(out, w, b) if parts != "neither" else out
        out.backward(sh.tensor(g))
        results.append([out.detach().numpy(), x.grad.numpy()])
        results[-1] += [t.grad.numpy() for t in (w, b) if t is not None]
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-10, atol=1e-12)


def test_group_norm_keeps_float32_precision_far_from_zero():
    # mean 1000, spread 1: the variance is taken of x - mean (two passes), not as
    # E[x^2] - E[x]^2, whose float32 rounding would swamp it
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((4, 8, 6, 6)) + 1000).astype(np.float32)
    x = sh.tensor(a, requires_grad=True)
    out = F.group_norm(x, 2)
    out.backward(sh.tensor(a * 0 + 1))
    exact = F.group_norm(sh.tensor(a.astype(np.float64)), 2).numpy()
    np.testing.assert_allclose(out.detach().numpy(), exact, atol=2e-3)
    assert out.dtype == sh.float32 and x.grad.dtype == sh.float32


def test_group_norm_is_layer_norm_with_one_group_and_instance_norm_with_c():
    x = sh.randn(2, 4, 3, dtype=sh.float64)
    np.testing.assert_allclose(
        F.group_norm(x, 1).numpy(), F.layer_norm(x, (4, 3)).numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(), rtol=1e-9, atol=1e-12
    )


def test_norm_errors_teach():
    with pytest.raises(sh.IndexOutOfRangeError, match="single vector .* use dim=0"):
        F.normalize(sh.randn(3))
    with pytest.raises(sh.IndexOutOfRangeError, match="single vector .* use dim=0"):
        F.cosine_similarity(sh.randn(3), sh.randn(3))
    with pytest.raises(sh.ShapeError, match=r"6 channels .* num_groups=4"):
        F.group_norm(sh.zeros(2, 6, 3), 4)
    with pytest.raises(sh.ArgumentError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(sh.ShapeError, match=r"expects 6 channels .* \(2, 4, 3\)"):
        nn.GroupNorm(2, 6)(sh.zeros(2, 4, 3))
    with pytest.raises(sh.ShapeError, match="more than 1 spatial element"):
        F.instance_norm(sh.zeros(2, 3, 1))
    with pytest.raises(sh.ShapeError, match="num_features"):
        nn.InstanceNorm1d(3, affine=True)(sh.zeros(2, 4, 5))
    with pytest.warns(UserWarning, match="num_features"):
        nn.InstanceNorm1d(3)(sh.randn(2, 4, 5))
    with pytest.raises(sh.ShapeError, match="3-D"):
        nn.InstanceNorm2d(3)(sh.zeros(3, 4))
    with pytest.raises(sh.ShapeError, match=r"do not broadcast"):
        F.cosine_similarity(sh.zeros(2, 3), sh.zeros(4, 3))
    with pytest.raises(sh.ShapeError, match="2-D"):
        F.pdist(sh.zeros(2, 3, 4))
    with pytest.raises(sh.ShapeError, match="3-D or higher"):
        F.local_response_norm(sh.zeros(2, 3), 2)
