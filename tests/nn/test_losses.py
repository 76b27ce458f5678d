"""Losses against PyTorch (values and gradients), the fused cross-entropy against its
composed twin (log_softmax + nll_loss), error messages, and the nan debug mode."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-6)}


def pair(a, grad=True):
    a = np.asarray(a)
    is_float = a.dtype.kind == "f"
    return (
        sh.tensor(a, requires_grad=grad and is_float),
        torch.tensor(a, requires_grad=grad and is_float),
    )


def check(out, tout, leaves, dtype, upstream=None):
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL[dtype])
    g = np.ones(tout.shape, dtype) if upstream is None else upstream
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in leaves:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL[dtype])


def composed_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """cross_entropy written with primitives: log_softmax, then nll_loss and the smoothing
    term, as PyTorch defines it."""
    logp = F.log_softmax(x, 1)
    nll = F.nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
    if not eps:
        return nll
    n_classes = x.shape[1]
    valid = (t.numpy() != ignore_index).astype(x.numpy(force=True).dtype)
    w = 1.0 if weight is None else weight.reshape(1, n_classes, *([1] * (x.ndim - 2)))
    smooth = -(logp * w).sum(1) * valid
    if reduction == "mean":
        t_safe = np.where(valid > 0, t.numpy(), 0)
        w_t = valid if weight is None else weight.numpy()[t_safe] * valid
        smooth = smooth.sum() / w_t.sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - eps) + smooth * (eps / n_classes)


CE_CASES = [
    dict(shape=(6, 5)),
    dict(shape=(6, 5), weight=True),
    dict(shape=(6, 5), ignore=True),
    dict(shape=(6, 5), weight=True, ignore=True, eps=0.1),
    dict(shape=(6, 5), eps=0.2, reduction="sum"),
    dict(shape=(6, 5), weight=True, eps=0.3, reduction="none"),
    dict(shape=(3, 4, 2, 5), weight=True, ignore=True),
    dict(shape=(3, 4, 7), eps=0.1, ignore=True, reduction="none"),
    dict(shape=(5,)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CE_CASES)
def test_cross_entropy_indices_match_torch_and_composed(case, dtype):
    rng = np.random.default_rng(0)
    shape = case["shape"]
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    x_np = (rng.standard_normal(shape) * 3).astype(dtype)
    t_np = rng.integers(0, n_classes, () if len(shape) == 1 else (shape[0], *shape[2:]))
    if case.get("ignore"):
        t_np.reshape(-1)[::3] = -1
    w_np = rng.uniform(0.5, 2, n_classes).astype(dtype) if case.get("weight") else None
    kwargs = dict(
        ignore_index=-1,
        reduction=case.get("reduction", "mean"),
        label_smoothing=case.get("eps", 0.0),
    )
    x, tx = pair(x_np)
    w, tw = (None, None) if w_np is None else pair(w_np, grad=False)
    out = F.cross_entropy(x, sh.tensor(t_np), w, **kwargs)
    tout = TF.cross_entropy(tx, torch.tensor(t_np), tw, **kwargs)
    upstream = rng.standard_normal(tout.shape).astype(dtype)
    check(out, tout, [(x, tx)], dtype, upstream)
    if len(shape) > 1:
        xc = sh.tensor(x_np, requires_grad=True)
        composed = composed_cross_entropy(
            xc, sh.tensor(t_np), w, -1, kwargs["reduction"], kwargs["label_smoothing"]
        )
        np.testing.assert_allclose(out.detach().numpy(), composed.detach().numpy(), **TOL[dtype])
        composed.backward(sh.tensor(upstream))
        np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize(
    "case",
    [
        dict(),
        dict(weight=True, eps=0.2),
        dict(reduction="none"),
        dict(shape=(2, 3, 4), reduction="sum"),
    ],
)
def test_cross_entropy_probability_targets(case):
    rng = np.random.default_rng(1)
    shape = case.get("shape", (4, 3))
    x_np = rng.standard_normal(shape)
    p_np = rng.dirichlet(np.ones(shape[1]), size=(shape[0], *shape[2:]))
    p_np = np.moveaxis(p_np, -1, 1)
    x, tx = pair(x_np)
    p, tp = pair(p_np)
    w, tw = pair(rng.uniform(0.5, 2, shape[1]), grad=False) if case.get("weight") else (None, None)
    kwargs = dict(reduction=case.get("reduction", "mean"), label_smoothing=case.get("eps", 0.0))
    out = F.cross_entropy(x, p, w, **kwargs)
    tout = TF.cross_entropy(tx, tp, tw, **kwargs)
    check(out, tout, [(x, tx), (p, tp)], np.float64)


def test_cross_entropy_loss_module_and_float32_default():
    loss_fn, torch_fn = (
        nn.CrossEntropyLoss(label_smoothing=0.1),
        torch.nn.CrossEntropyLoss(label_smoothing=0.1),
    )
    x_np = np.random.default_rng(0).standard_normal((8, 10)).astype(np.float32)
    t_np = np.arange(8)
    x, tx = pair(x_np)
    out, tout = loss_fn(x, sh.tensor(t_np)), torch_fn(tx, torch.tensor(t_np))
    assert out.dtype == sh.float32 and out.shape == ()
    check(out, tout, [(x, tx)], np.float32)
    weighted = nn.CrossEntropyLoss(weight=sh.ones(10))
    assert list(weighted.state_dict()) == ["weight"]


def test_cross_entropy_errors_teach():
    x = sh.zeros(4, 10)
    with pytest.raises(sh.IndexOutOfRangeError, match="class index 10.*10 classes"):
        F.cross_entropy(x, sh.tensor([1, 2, 10, 3]))
    with pytest.raises(sh.IndexOutOfRangeError, match="class index -3"):
        F.cross_entropy(x, sh.tensor([1, 2, -3, 3]))
    with pytest.raises(sh.ShapeError, match=r"must have the input's shape \(4, 10\).*long"):
        F.cross_entropy(x, sh.tensor([1.0, 2.0, 0.0, 3.0]))
    with pytest.raises(sh.ShapeError, match=r"shape \(4,\), got \(4, 1\).*squeeze"):
        F.cross_entropy(x, sh.tensor([[1], [2], [0], [3]]))
    with pytest.raises(sh.ArgumentError, match="reduction"):
        F.cross_entropy(x, sh.tensor([1, 2, 0, 3]), reduction="avg")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nll_loss_matches_torch(dtype):
    rng = np.random.default_rng(2)
    logp_np = np.log(rng.dirichlet(np.ones(5), size=6)).astype(dtype)
    t_np = np.array([0, 4, 2, -100, 1, 1])
    w_np = rng.uniform(0.5, 2, 5).astype(dtype)
    for weight in (False, True):
        for reduction in ("mean", "sum", "none"):
            x, tx = pair(logp_np)
            w, tw = pair(w_np, grad=False) if weight else (None, None)
            check(
                F.nll_loss(x, sh.tensor(t_np), w, reduction=reduction),
                TF.nll_loss(tx, torch.tensor(t_np), tw, reduction=reduction),
                [(x, tx)],
                dtype,
            )
    x, tx = pair(logp_np)
    check(
        nn.NLLLoss()(x, sh.tensor(np.array([0, 1, 2, 3, 4, 0]))),
        torch.nn.NLLLoss()(tx, torch.tensor(np.array([0, 1, 2, 3, 4, 0]))),
        [(x, tx)],
        dtype,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (4, 5, 3), (5,)])
def test_nll_loss_is_one_node_with_the_composed_numbers(reduction, shape):
    """nll_loss is one fused op (NllLoss); its loss and gradient are, bit for bit, those of
    the composed form it replaced: gather, product with the weights, negation, sum, division."""
    rng = np.random.default_rng(4)
    logp = np.log(rng.dirichlet(np.ones(5), size=int(np.prod(shape)) // 5)).astype(np.float32)
    logp = (
        np.moveaxis(logp.reshape(*shape[:1], *shape[2:], 5), -1, 1) if len(shape) > 1 else logp[0]
    )
    t_np = rng.integers(0, 5, shape[:1] + shape[2:]) if len(shape) > 1 else np.array(3)
    if t_np.ndim:
        t_np.flat[1] = -100  # ignored
    w_np = rng.uniform(0.5, 2, 5).astype(np.float32)
    x = sh.tensor(logp, requires_grad=True)
    out = F.nll_loss(x, sh.tensor(t_np), sh.tensor(w_np), reduction=reduction)
    assert type(out.grad_fn).__name__ in ("NllLoss", "Reshape")
    g = np.full(out.shape, 0.7, np.float32)
    out.backward(sh.tensor(g))
    # the composed form, in NumPy, operation for operation
    x2 = logp if logp.ndim > 1 else logp[None]
    t2 = t_np.reshape(x2.shape[:1] + x2.shape[2:])
    valid = t2 != -100
    t_safe = np.where(valid, t2, 0)
    w_t = w_np[t_safe] * valid.astype(np.float32)
    loss = -(np.take_along_axis(x2, t_safe[:, None], 1)[:, 0] * w_t)
    n = w_t.sum()
    expected = {"mean": loss.sum() / n, "sum": loss.sum(), "none": loss}[reduction]
    np.testing.assert_array_equal(out.detach().numpy(), np.asarray(expected).reshape(out.shape))
    upstream = g / n if reduction == "mean" else g if reduction == "sum" else g.reshape(w_t.shape)
    grad = np.zeros_like(x2)
    np.put_along_axis(grad, t_safe[:, None], ((-upstream) * w_t)[:, None], 1)
    np.testing.assert_array_equal(x.grad.numpy(), grad.reshape(logp.shape))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "name",
    [
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
    ],
)
def test_regression_and_binary_losses(name, reduction, dtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 3)).astype(dtype) * 2
    b = rng.standard_normal((5, 3)).astype(dtype)
    if name == "binary_cross_entropy":
        a, b = 1 / (1 + np.exp(-a)), (b > 0).astype(dtype)
    if name == "binary_cross_entropy_with_logits":
        b = 1 / (1 + np.exp(-b))
    x, tx = pair(a)
    y, ty = pair(b)
    check(
        getattr(F, name)(x, y, reduction=reduction),
        getattr(TF, name)(tx, ty, reduction=reduction),
        [(x, tx), (y, ty)],
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_fused_matches_the_composed_form_and_torch(weighted, dtype):
    """binary_cross_entropy_with_logits is one op (BinaryCrossEntropyWithLogits): its loss is
    the composed form's bit for bit ((1 - y) x - log_w logsigmoid(x), times weight), the
    logits' and targets' gradients are PyTorch's, including at +-inf and large |x|, where
    sigmoid(-x) comes from forward's exp(-|x|) instead of a second exp, and those of weight
    and pos_weight (broadcast along the last dim; PyTorch refuses to differentiate them)
    are the composed form's."""
    rng = np.random.default_rng(12)
    logits = (rng.standard_normal((7, 3)) * 4).astype(dtype)
    logits[0] = [np.inf, -np.inf, 30.0]
    logits[1] = [-30.0, 0.0, 1e-30]
    targets = rng.uniform(size=(7, 3)).astype(dtype)
    weight = rng.uniform(0.5, 1.5, (7, 3)).astype(dtype)
    pos_weight = np.array([3.0, 0.5, 1.0], dtype)
    g = rng.standard_normal((7, 3)).astype(dtype)
    (x, tx), (y, ty) = pair(logits), pair(targets)
    extra = [sh.tensor(a, requires_grad=True) for a in (weight, pos_weight)] if weighted else []
    textra = [torch.tensor(a) for a in (weight, pos_weight)] if weighted else []
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none", **_weights(extra))
    tout = TF.binary_cross_entropy_with_logits(tx, ty, reduction="none", **_weights(textra))
    assert type(out.grad_fn).__name__ == "BinaryCrossEntropyWithLogits"  # one node
    finite = np.isfinite(logits).all(axis=1)  # torch's loss at +-inf: inf and nan there too
    np.testing.assert_allclose(
        out.detach().numpy()[finite], tout.detach().numpy()[finite], **TOL[dtype]
    )
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    for leaf, tleaf in ((x, tx), (y, ty)):
        np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), **TOL[dtype])
    # the composed form: the same loss, bit for bit, and the same weights' gradients
    cx, cy = (sh.tensor(a, requires_grad=True) for a in (logits, targets))
    cextra = [sh.tensor(a, requires_grad=True) for a in (weight, pos_weight)] if weighted else []
    with np.errstate(invalid="ignore"):  # inf - inf at x = +-inf
        log_w = (cextra[1] - 1) * cy + 1 if weighted else 1
        composed = (1 - cy) * cx - F.logsigmoid(cx) * log_w
        if weighted:
            composed = composed * cextra[0]
        composed.backward(sh.tensor(g))
    np.testing.assert_array_equal(out.detach().numpy(), composed.detach().numpy())
    for leaf, cleaf in zip(extra, cextra):
        np.testing.assert_allclose(leaf.grad.numpy(), cleaf.grad.numpy(), **TOL[dtype])


def test_bce_with_logits_takes_integer_labels_as_the_logits_floats():
    """0/1 labels as ints (what a data set gives) are taken as floats of the logits' dtype,
    as binary_cross_entropy takes them: a float32 loss and gradient, not float64 (NumPy's
    int64 * float32). PyTorch refuses integer targets here."""
    x = sh.tensor(np.array([2.0, -1.0, 0.5, -3.0], np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, sh.tensor([1, 0, 1, 0]))
    expected = F.binary_cross_entropy_with_logits(x, sh.tensor([1.0, 0.0, 1.0, 0.0]))
    assert loss.dtype == sh.float32 and loss.item() == expected.item()
    loss.backward()
    assert x.grad.dtype == sh.float32


def _weights(pair_or_nothing) -> dict:
    return dict(zip(("weight", "pos_weight"), pair_or_nothing))


def test_bce_weights_pos_weight_and_modules():
    rng = np.random.default_rng(4)
    logits, targets = rng.standard_normal((6, 2)) * 3, (rng.uniform(size=(6, 2)) > 0.5) * 1.0
    pos_weight, weight = np.array([3.0, 0.5]), rng.uniform(0.5, 1.5, (6, 2))
    x, tx = pair(logits)
    module = nn.BCEWithLogitsLoss(weight=sh.tensor(weight), pos_weight=sh.tensor(pos_weight))
    torch_module = torch.nn.BCEWithLogitsLoss(
        weight=torch.tensor(weight), pos_weight=torch.tensor(pos_weight)
    )
    assert list(module.state_dict()) == list(torch_module.state_dict())
    check(
        module(x, sh.tensor(targets)),
        torch_module(tx, torch.tensor(targets)),
        [(x, tx)],
        np.float64,
    )
    probs = 1 / (1 + np.exp(-logits))
    x, tx = pair(probs)
    check(
        nn.BCELoss(weight=sh.tensor(weight))(x, sh.tensor(targets)),
        torch.nn.BCELoss(weight=torch.tensor(weight))(tx, torch.tensor(targets)),
        [(x, tx)],
        np.float64,
    )
    for cls, tcls in [
        (nn.MSELoss, torch.nn.MSELoss),
        (nn.L1Loss, torch.nn.L1Loss),
        (nn.SmoothL1Loss, torch.nn.SmoothL1Loss),
    ]:
        x, tx = pair(logits)
        check(
            cls()(x, sh.tensor(targets)), tcls()(tx, torch.tensor(targets)), [(x, tx)], np.float64
        )
    # saturated probabilities stay finite, as PyTorch's log clamp at -100
    edge = F.binary_cross_entropy(sh.tensor([0.0, 1.0]), sh.tensor([1.0, 0.0]))
    assert edge.item() == pytest.approx(100.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_at_0_and_1_gives_pytorchs_numbers_and_gradients(dtype):
    """PyTorch's formulas: the logs clamped at -100, and its backward (x - y) / max(x (1 - x),
    1e-12), not the clamped formula's derivative: x = 0 with y = 1 pushes back with -1e12
    (the clamp alone gives 0). The target's gradient -logit(x) is infinite at 0 and 1."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5, 1e-8], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.3, 0.3], dtype)
    results = []
    for lib in (sh, torch):
        xs, ys = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy(xs, ys, reduction="none")
        loss.backward(lib.ones_like(loss))
        results.append([a.detach().numpy() for a in (loss, xs.grad, ys.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)
    loss, grad_x, grad_y = results[0]
    assert loss[:4].tolist() == [100.0, 100.0, 0.0, 0.0] and loss[4] > 0  # log1p(-1e-30)
    assert grad_x[0] == -1 / dtype(np.float32(1e-12)) and grad_x[1] == -grad_x[0]
    assert grad_x[2] == 0.0 and grad_x[3] == 0.0
    assert grad_y[0] == np.inf and grad_y[1] == -np.inf
    one_op = F.binary_cross_entropy(
        sh.tensor(x, requires_grad=True), sh.tensor(y), reduction="none"
    )
    assert type(one_op.grad_fn).__name__ == "BinaryCrossEntropy"


def test_binary_cross_entropy_rejects_logits_and_shapes():
    with pytest.raises(sh.ArgumentError, match="with_logits"):
        F.binary_cross_entropy(sh.tensor([2.0, -1.0]), sh.tensor([1.0, 0.0]))
    with pytest.raises(sh.ShapeError, match="view"):
        F.binary_cross_entropy_with_logits(sh.zeros(4, 1), sh.zeros(4))
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(sh.zeros(4, 1), sh.zeros(4))


def test_debug_mode_reports_first_nan_with_call_number():
    F.set_debug(True)
    try:
        x = sh.tensor([[0.0, 1.0]])
        start = F._loss_calls["cross_entropy"]
        F.cross_entropy(x, sh.tensor([1]))
        with pytest.raises(sh.ArgumentError) as err:
            F.cross_entropy(sh.tensor([[float("nan"), 1.0]]), sh.tensor([1]))
        msg = str(err.value)
        assert f"call {start + 2} of cross_entropy" in msg and "input already holds nan" in msg
        with pytest.raises(sh.ArgumentError, match="ignore_index"):
            F.cross_entropy(x, sh.tensor([-100]))  # mean over zero samples: 0 / 0
    finally:
        F.set_debug(False)
    assert np.isnan(F.cross_entropy(x, sh.tensor([-100])).item())  # off: nan, as PyTorch


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("t_dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_plain_fast_path_matches_general_path(reduction, t_dtype, dtype):
    """(N, C) logits with class indices, no weight, no smoothing, none ignored takes
    CrossEntropy._plain; a weight of ones gives the same loss through the general path."""
    rng = np.random.default_rng(3)
    x_np = (rng.standard_normal((32, 27)) * 4).astype(dtype)
    t = sh.tensor(rng.integers(0, 27, 32).astype(t_dtype))
    g = rng.standard_normal(() if reduction != "none" else (32,)).astype(dtype)
    x_fast, x_general = sh.tensor(x_np, requires_grad=True), sh.tensor(x_np, requires_grad=True)
    fast = F.cross_entropy(x_fast, t, reduction=reduction)
    assert fast.grad_fn.mode == "plain"
    general = F.cross_entropy(x_general, t, sh.ones(27, dtype=fast.dtype), reduction=reduction)
    assert general.grad_fn.mode == "indices"
    np.testing.assert_allclose(fast.detach().numpy(), general.detach().numpy(), **TOL[dtype])
    assert fast.dtype == general.dtype and fast.shape == general.shape
    fast.backward(sh.tensor(g), retain_graph=True)
    fast.backward(sh.tensor(g))  # the saved softmax is not overwritten by the first backward
    general.backward(sh.tensor(g), retain_graph=True)
    general.backward(sh.tensor(g))
    np.testing.assert_allclose(x_fast.grad.numpy(), x_general.grad.numpy(), **TOL[dtype])


def test_cross_entropy_plain_fast_path_leaves_bad_and_ignored_targets_to_general_path():
    x = sh.randn(4, 3, requires_grad=True)
    for bad in ([0, 1, 3, 2], [0, -1, 2, 1]):
        with pytest.raises(IndexError, match="class index"):
            F.cross_entropy(x, sh.tensor(bad))
    # ignore_index inside [0, C): the general path masks the ignored samples
    loss = F.cross_entropy(x, sh.tensor([0, 1, 1, 2]), ignore_index=1)
    assert loss.grad_fn.mode == "indices"
    expected = F.cross_entropy(x[sh.tensor([0, 3])], sh.tensor([0, 2]))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{}, {"label_smoothing": 0.1}, {"weight": np.array([1, 2, 3, 4], np.float32)}]
)
def test_an_ignored_sample_of_minus_inf_logits_adds_nothing_to_cross_entropy(kwargs, recwarn):
    """A row of -inf logits (every class masked) has a NaN loss; ignored, it counts 0, as in
    PyTorch, where a product with the mask kept NaN. No NumPy warning on the way."""
    a = np.array([[-np.inf] * 4, [1, 2, 3, 4], [0, -np.inf, 1, 2]], np.float32)
    t = np.array([-100, 3, 1])
    for reduction in ("none", "mean", "sum"):
        ours, theirs = (
            lib.nn.functional.cross_entropy(
                lib.tensor(a),
                lib.tensor(t),
                reduction=reduction,
                **{k: lib.tensor(v) if k == "weight" else v for k, v in kwargs.items()},
            )
            for lib in (sh, torch)
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert F.cross_entropy(sh.tensor(a), sh.tensor(t), reduction="none")[0].item() == 0.0
    t2 = np.array([-100, 3, 2])  # the last two rows' losses are finite: so is their mean
    per = F.cross_entropy(sh.tensor(a), sh.tensor(t2), reduction="none").numpy()
    mean = F.cross_entropy(sh.tensor(a), sh.tensor(t2)).item()
    assert np.isfinite(mean) and mean == pytest.approx(per[1:].mean(), rel=1e-6)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "width"), [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
def test_smooth_l1_and_huber_give_torchs_bits_at_the_edges(name, width, dtype):
    """SmoothL1 writes each branch as PyTorch does and picks it by bits: the same numbers,
    inf and nan included, and the slope capped where the linear branch starts."""
    rng = np.random.default_rng(4)
    a = (rng.standard_normal((40, 30)) * 3).astype(dtype)
    b = rng.standard_normal((40, 30)).astype(dtype)
    a[0, :3] = [np.inf, -np.inf, np.nan]
    a[1, :2] = b[1, :2] + np.array([0.7, -0.7], dtype)  # exactly at |d| = 0.7
    kwargs = {width: 0.7}
    ours, theirs = (
        getattr(lib.nn.functional, name)(x, lib.tensor(b), reduction="none", **kwargs)
        for lib, x in ((sh, sh.tensor(a, requires_grad=True)), (torch, torch.tensor(a)))
    )
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())
    x = sh.tensor(a[2:], requires_grad=True)
    getattr(F, name)(x, sh.tensor(b[2:]), reduction="sum", **kwargs).backward()
    d = (a[2:] - b[2:]).astype(dtype)
    cap = np.clip(d / dtype(0.7), -1, 1) if name == "smooth_l1_loss" else np.clip(d, -0.7, 0.7)
    np.testing.assert_allclose(x.grad.numpy(), cap, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # kl_div's own warning
@pytest.mark.parametrize(
    "size_average, reduce",
    [(False, None), (True, None), (None, False), (False, False), (None, True)],
)
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy", "mse_loss", "l1_loss", "kl_div"])
def test_old_size_average_and_reduce_arguments_mean_what_they_meant(name, size_average, reduce):
    # before `reduction`, losses took size_average (False: sum) and reduce (False: one loss
    # per element); old tutorials still pass them (the spatial transformer tutorial sums its
    # test loss with size_average=False). Both libraries warn and reduce the same way.
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((5, 4))
    if name in ("nll_loss", "cross_entropy"):
        first, second = logits - np.log(np.exp(logits).sum(1, keepdims=True)), np.arange(5) % 4
    else:
        first, second = logits, rng.random((5, 4))
    x, tx = pair(first)
    y, ty = pair(second, grad=False)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as got:
        ours = getattr(F, name)(x, y, size_average=size_average, reduce=reduce)
    legacy = [w for w in got if "size_average" in str(w.message)]
    assert legacy[0].filename == __file__  # the warning names the caller's line
    with pytest.warns(UserWarning):
        theirs = getattr(TF, name)(tx, ty, size_average=size_average, reduce=reduce)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9)
    expected = "none" if reduce is False else ("sum" if size_average is False else "mean")
    np.testing.assert_allclose(
        ours.detach().numpy(), getattr(F, name)(x, y, reduction=expected).detach().numpy()
    )
    with pytest.warns(UserWarning, match=f"reduction='{expected}'") as got:
        module = nn.MSELoss(size_average=size_average, reduce=reduce)
    assert got[0].filename == __file__
    assert module.reduction == expected
