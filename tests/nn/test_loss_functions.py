"""The embedding, margin, divergence and likelihood losses (kl_div, huber, margin ranking,
hinge/cosine embedding, triplet, soft margin, multi-label and multi-class margin, Poisson and
Gaussian NLL) against PyTorch in every reduction, their gradients, modules and errors."""

import math
import warnings

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

_RNG = np.random.default_rng(11)
SIGNS = np.where(_RNG.uniform(size=6) > 0.5, 1.0, -1.0)  # targets 1 / -1 for six samples
HINGE_TARGET = np.array([[1.0, -1.0, 1.0], [-1.0, 0.0, 1.0]])  # 0: both terms, as PyTorch
CLASSES = np.array([2, 0, 3, 3, 1])
LABELS = (_RNG.uniform(size=(5, 4)) > 0.5).astype(float)
LABEL_LISTS = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 0, 0], [1, 1, -1, 2], [2, -1, -1, -1]])
COUNTS = np.array([[0.0, 1.0, 2.0], [5.0, 0.0, 3.0]])


def _const(lib, array, like):
    return lib.tensor(array).to(like.dtype)


def _with_reduction(fn, reduction):
    return lambda lib, *xs: fn(lib, *xs, reduction)


def _loss_rows(name, fn, shapes, **kwargs):
    """One row per reduction."""
    return [
        OpCase(f"{name}_{r}", _with_reduction(fn, r), shapes, **kwargs)
        for r in ("mean", "sum", "none")
    ]


def _f(lib):
    return lib.nn.functional


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _kl_div(lib, x, t, reduction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'mean' warns in both libraries; tested below
        return _f(lib).kl_div(x.log_softmax(1), t.softmax(1), reduction=reduction)


LOSS_CASES = register_op_cases(
    *_loss_rows("kl_div", _kl_div, [(4, 5), (4, 5)]),
    *_loss_rows(  # the fused BinaryCrossEntropy op; gradients of both the input and the target
        "binary_cross_entropy",
        lambda lib, x, t, r: _f(lib).binary_cross_entropy(x, t, reduction=r),
        [(4, 3), (4, 3)],
        ranges=[(0.05, 0.95), (0.0, 1.0)],
    ),
    OpCase(
        "kl_div_batchmean_log_target",
        lambda lib, x, t: _f(lib).kl_div(
            x.log_softmax(1), t.log_softmax(1), reduction="batchmean", log_target=True
        ),
        [(4, 5), (4, 5)],
    ),
    OpCase(  # zeros in the target: 0 log 0 = 0 (the input's gradient only; see below)
        "kl_div_zero_target",
        lambda lib, x: _f(lib).kl_div(
            x, _const(lib, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], x), reduction="batchmean"
        ),
        [(2, 3)],
    ),
    *_loss_rows(
        "huber",
        lambda lib, x, t, r: _f(lib).huber_loss(x, t, reduction=r, delta=0.7),
        [(4, 3), (4, 3)],
    ),
    OpCase(  # a target that broadcasts (it warns in both libraries; tested below)
        "huber_broadcast_target",
        lambda lib, x, t: _quiet(_f(lib).huber_loss, x, t, reduction="sum"),
        [(4, 3), (3,)],
    ),
    OpCase(
        "kl_div_broadcast_target",
        lambda lib, x, t: _f(lib).kl_div(x.log_softmax(-1), t.softmax(-1), reduction="sum"),
        [(4, 3), (3,)],
    ),
    OpCase(
        "huber_weight",
        lambda lib, x, t, w: _f(lib).huber_loss(x, t, weight=w),
        [(4, 3), (4, 3), (4, 3)],
    ),
    *_loss_rows(
        "margin_ranking",
        lambda lib, a, b, r: _f(lib).margin_ranking_loss(
            a, b, _const(lib, SIGNS, a), margin=0.3, reduction=r
        ),
        [(6,), (6,)],
    ),
    *_loss_rows(
        "hinge_embedding",
        lambda lib, x, r: _f(lib).hinge_embedding_loss(
            x, _const(lib, HINGE_TARGET, x), margin=1.5, reduction=r
        ),
        [(2, 3)],
    ),
    *_loss_rows(
        "soft_margin",
        lambda lib, x, r: _f(lib).soft_margin_loss(x, _const(lib, SIGNS, x), reduction=r),
        [(6,)],
        ranges=(-5, 5),
    ),
    *_loss_rows(
        "multilabel_soft_margin",
        lambda lib, x, w, r: _f(lib).multilabel_soft_margin_loss(
            x, _const(lib, LABELS, x), w, reduction=r
        ),
        [(5, 4), (4,)],
    ),
    *_loss_rows(
        "multi_margin",
        lambda lib, x, r: _f(lib).multi_margin_loss(x, lib.tensor(CLASSES), reduction=r),
        [(5, 4)],
    ),
    OpCase(
        "multi_margin_p2_weight",
        lambda lib, x, w: _f(lib).multi_margin_loss(
            x, lib.tensor(CLASSES), p=2, margin=0.5, weight=w, reduction="none"
        ),
        [(5, 4), (4,)],
        requires_grad=(True, False),
    ),
    OpCase(
        "multi_margin_one_sample",
        lambda lib, x: _f(lib).multi_margin_loss(x, lib.tensor(2)),
        [(4,)],
    ),
    *_loss_rows(
        "cosine_embedding",
        lambda lib, a, b, r: _f(lib).cosine_embedding_loss(
            a, b, _const(lib, SIGNS, a), margin=0.2, reduction=r
        ),
        [(6, 4), (6, 4)],
    ),
    *_loss_rows(
        "triplet_margin",
        lambda lib, a, p, n, r: _f(lib).triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
        [(5, 3), (5, 3), (5, 3)],
    ),
    OpCase(
        "triplet_margin_swap_p1",
        lambda lib, a, p, n: _f(lib).triplet_margin_loss(a, p, n, p=1, swap=True, margin=3.0),
        [(5, 3), (5, 3), (5, 3)],
    ),
    *_loss_rows(
        "multilabel_margin",
        lambda lib, x, r: _f(lib).multilabel_margin_loss(x, lib.tensor(LABEL_LISTS), reduction=r),
        [(5, 4)],
    ),
    OpCase(
        "multilabel_margin_one_sample",
        lambda lib, x: _f(lib).multilabel_margin_loss(x, lib.tensor(LABEL_LISTS[0])),
        [(4,)],
    ),
    OpCase(
        "triplet_with_distance_default",
        lambda lib, a, p, n: _f(lib).triplet_margin_with_distance_loss(a, p, n, margin=2.0),
        [(5, 3), (5, 3), (5, 3)],
    ),
    OpCase(
        "triplet_with_cosine_distance_swap",
        lambda lib, a, p, n: _f(lib).triplet_margin_with_distance_loss(
            a,
            p,
            n,
            distance_function=lambda x, y: 1 - _f(lib).cosine_similarity(x, y),
            margin=0.5,
            swap=True,
            reduction="sum",
        ),
        [(5, 3), (5, 3), (5, 3)],
    ),
    *_loss_rows(
        "poisson_nll",
        lambda lib, x, r: _f(lib).poisson_nll_loss(x, _const(lib, COUNTS, x), reduction=r),
        [(2, 3)],
    ),
    OpCase(
        "poisson_nll_rate_full",
        lambda lib, x: _f(lib).poisson_nll_loss(
            x, _const(lib, COUNTS, x), log_input=False, full=True
        ),
        [(2, 3)],
        ranges=(0.1, 4),
    ),
    *_loss_rows(
        "gaussian_nll",
        lambda lib, x, t, v, r: _f(lib).gaussian_nll_loss(x, t, v, reduction=r),
        [(4, 3), (4, 3), (4, 3)],
        ranges=[(-2, 2), (-2, 2), (0.1, 2)],
    ),
    OpCase(  # one variance per sample, one dim short; full
        "gaussian_nll_homoscedastic",
        lambda lib, x, t, v: _f(lib).gaussian_nll_loss(x, t, v, full=True),
        [(4, 3), (4, 3), (4,)],
        ranges=[(-2, 2), (-2, 2), (0.1, 2)],
    ),
    OpCase(  # variances below eps: clamped in value, not in gradient, as PyTorch
        "gaussian_nll_tiny_var",
        lambda lib, x, t, v: _f(lib).gaussian_nll_loss(x, t, v, eps=0.5, reduction="sum"),
        [(4, 1), (4, 1), (4, 1)],
        ranges=[(-2, 2), (-2, 2), (0.0, 1)],
        gradcheck=False,  # the value-only clamp has no consistent finite difference
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", LOSS_CASES, ids=str)
def test_loss_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", LOSS_CASES, ids=str)
def test_loss_gradcheck(case):
    check_gradcheck(case)


def test_kl_div_mean_warns_and_zero_target_gradient():
    x = sh.tensor([[-1.0, -0.5]], requires_grad=True)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, sh.tensor([[0.0, 1.0]]))
    t = sh.tensor([[0.0, 1.0]], requires_grad=True)
    F.kl_div(x, t, reduction="sum").backward()
    # d/dt (t log t - t x) = log t + 1 - x; at t = 0 we give -x (PyTorch gives nan)
    np.testing.assert_allclose(t.grad.numpy(), [[0.0 + 1.0, 1.0 + 0.5]])
    with pytest.raises(sh.ArgumentError, match="batchmean"):
        F.kl_div(x, t, reduction="avg")


def test_broadcast_targets_warn_as_in_mse_loss():
    for name in ("huber_loss", "soft_margin_loss", "poisson_nll_loss"):
        with pytest.warns(UserWarning, match="broadcast"):
            getattr(F, name)(sh.zeros(4, 1), sh.zeros(4))


def test_soft_margin_stays_finite_where_torch_overflows():
    out = F.soft_margin_loss(sh.tensor([-100.0]), sh.tensor([1.0]))
    assert out.item() == pytest.approx(100.0)


LOSS_MODULES = [
    (lambda m: m.KLDivLoss(reduction="batchmean"), "logprob", "prob"),
    (lambda m: m.KLDivLoss(reduction="sum", log_target=True), "logprob", "logprob"),
    (lambda m: m.HuberLoss(delta=0.5), "x", "y"),
    (lambda m: m.SoftMarginLoss(reduction="sum"), "x", "sign"),
    (lambda m: m.MultiLabelSoftMarginLoss(), "x", "labels"),
    (lambda m: m.MultiMarginLoss(p=2, margin=0.5), "x", "classes"),
    (lambda m: m.HingeEmbeddingLoss(margin=2.0), "x", "sign"),
    (lambda m: m.PoissonNLLLoss(full=True), "x", "counts"),
    (lambda m: m.MultiLabelMarginLoss(reduction="sum"), "x", "label_lists"),
]


@pytest.mark.parametrize("make, x_kind, t_kind", LOSS_MODULES)
def test_loss_modules_match_torch(make, x_kind, t_kind):
    if torch is None:
        pytest.skip("needs torch")
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((5, 4))
    if x_kind == "logprob":
        x_np = np.log(rng.dirichlet(np.ones(4), size=5))
    targets = {
        "y": rng.standard_normal((5, 4)),
        "prob": rng.dirichlet(np.ones(4), size=5),
        "logprob": np.log(rng.dirichlet(np.ones(4), size=5)),
        "sign": np.where(rng.uniform(size=(5, 4)) > 0.5, 1.0, -1.0),
        "labels": (rng.uniform(size=(5, 4)) > 0.5) * 1.0,
        "classes": rng.integers(0, 4, 5),
        "counts": rng.poisson(2.0, (5, 4)).astype(float),
        "label_lists": LABEL_LISTS[:, ::-1].copy(),
    }
    t_np = targets[t_kind]
    module, tmodule = make(nn), make(torch.nn)
    assert repr(module) == repr(tmodule)
    assert list(module.state_dict()) == list(tmodule.state_dict())
    x, tx = sh.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, tout = module(x, sh.tensor(t_np)), tmodule(tx, torch.tensor(t_np))
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-10)
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_three_input_loss_modules_match_torch():
    if torch is None:
        pytest.skip("needs torch")
    rng = np.random.default_rng(3)
    a, b, c = (rng.standard_normal((6, 4)) for _ in range(3))
    signs = np.where(rng.uniform(size=6) > 0.5, 1.0, -1.0)
    var = rng.uniform(0.2, 2.0, (6, 1))
    for make, third in [
        (lambda m: m.MarginRankingLoss(margin=0.5), "signs"),
        (lambda m: m.CosineEmbeddingLoss(margin=0.1, reduction="sum"), "signs"),
        (lambda m: m.TripletMarginLoss(margin=2.0, p=1.0, swap=True), "c"),
        (lambda m: m.GaussianNLLLoss(full=True, eps=1e-3), "var"),
        (lambda m: m.TripletMarginWithDistanceLoss(margin=2.0, swap=True), "c"),
    ]:
        module, tmodule = make(nn), make(torch.nn)
        assert repr(module) == repr(tmodule)
        rank = isinstance(module, nn.MarginRankingLoss)  # takes scores (N,), not vectors
        first, second = (a[:, 0], b[:, 0]) if rank else (a, b)
        third_np = {"signs": signs, "c": c, "var": var}[third]
        out = module(sh.tensor(first), sh.tensor(second), sh.tensor(third_np))
        tout = tmodule(torch.tensor(first), torch.tensor(second), torch.tensor(third_np))
        np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-10)
    assert nn.GaussianNLLLoss()(sh.zeros(3), sh.ones(3), 1.0).item() == pytest.approx(0.5)


def test_loss_errors_teach():
    with pytest.raises(sh.ShapeError, match="same number of dims"):
        F.margin_ranking_loss(sh.zeros(3), sh.zeros(3), sh.zeros(3, 1))
    with pytest.raises(sh.IndexOutOfRangeError, match="class index 4, but the input has 4 classes"):
        F.multi_margin_loss(sh.zeros(2, 4), sh.tensor([0, 4]))
    with pytest.raises(sh.ShapeError, match="int64"):
        F.multi_margin_loss(sh.zeros(2, 4), sh.tensor([0.0, 1.0]))
    with pytest.raises(sh.ArgumentError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(sh.ShapeError, match="incorrect size"):
        F.gaussian_nll_loss(sh.zeros(4, 3), sh.zeros(4, 3), sh.ones(4, 2))
    with pytest.raises(sh.ArgumentError, match="negative"):
        F.gaussian_nll_loss(sh.zeros(3), sh.zeros(3), sh.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(sh.ArgumentError, match="margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(sh.ShapeError, match=r"\(N,\)"):
        F.cosine_embedding_loss(sh.zeros(3, 2), sh.zeros(3, 2), sh.ones(3, 1))
    with pytest.raises(sh.ShapeError, match="one 0/1 label per class"):
        F.multilabel_soft_margin_loss(sh.zeros(3, 2), sh.zeros(3))
    with pytest.raises(sh.ArgumentError, match="reduction"):
        F.huber_loss(sh.zeros(2), sh.zeros(2), reduction="avg")
    with pytest.raises(sh.IndexOutOfRangeError, match="class index 7.*-1 ends"):
        F.multilabel_margin_loss(sh.zeros(1, 4), sh.tensor([[3, 0, 7, -1]]))
    with pytest.raises(sh.ShapeError, match="same shape"):
        F.multilabel_margin_loss(sh.zeros(2, 4), sh.tensor([3, 0]))
    with pytest.raises(sh.ArgumentError, match="margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    assert repr(nn.TripletMarginWithDistanceLoss()) == (
        "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    )
    assert math.isfinite(F.poisson_nll_loss(sh.zeros(2), sh.zeros(2), full=True).item())
