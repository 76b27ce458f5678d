"""nn.functional against PyTorch, the fused ops against their composed twins, erf, and
nn.utils (gradient clipping)."""

import math
import warnings

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F
from scratchish.ops.nn_ops import erf, erfc, erfinv

_SDPA_MASK = np.random.default_rng(5).standard_normal((4, 6))


def _seeded_dropout(lib, x):
    lib.manual_seed(0)  # the same mask in both libraries, and at every gradcheck call
    return lib.nn.functional.dropout(x, 0.3)


_SDPA_KEEP = np.ones((4, 6), dtype=bool)
_SDPA_KEEP[2] = False  # query 2 may attend to no key: out 0 there (PyTorch's rule)
_SDPA_KEEP[1, 3:] = False


def _seeded_attention_dropout(lib, q, k, v):
    lib.manual_seed(0)  # PyTorch's dropout mask on the weights, at every gradcheck call
    mask = lib.tensor(_SDPA_KEEP)
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.4)


def _lstm_step(lib, gx, h, c, w_hh):
    """One LSTM step, (h', c') stacked: scratchish's (its fused gate op, ops/nn_ops.py
    LstmCell) against the gate formulas written out in PyTorch."""
    if lib is sh:
        from scratchish.nn.rnn import lstm_step

        return sh.stack(lstm_step(gx, (h, c), w_hh, None))
    i, f, g, o = (gx + h @ w_hh.T).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return lib.stack((o.sigmoid() * c.tanh(), c))


def _gru_step(lib, gx, h, w_hh):
    """One GRU step: scratchish's (its fused gate op, GruCell) against the formulas in
    PyTorch."""
    if lib is sh:
        from scratchish.nn.rnn import gru_step

        return gru_step(gx, h, w_hh, None)
    gh = h @ w_hh.T
    r, z = (gx[:, :4] + gh[:, :4]).sigmoid().chunk(2, -1)
    n = (gx[:, 4:] + r * gh[:, 4:]).tanh()
    return (1 - z) * n + z * h


def _lstm_layer(lib, gx, h, c, w_hh, b_hh):
    """A whole LSTM layer, backwards in time, outputs and last c stacked: scratchish's one
    op (ops/nn_ops.py LstmLayer) against the steps written out in PyTorch."""
    if lib is sh:
        from scratchish.ops.nn_ops import LstmLayer

        return LstmLayer.apply(gx, h, c, w_hh, b_hh, reverse=True)
    hs = [None] * gx.shape[0]
    for t in reversed(range(gx.shape[0])):
        i, f, g, o = (gx[t] + h @ w_hh.T + b_hh).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = hs[t] = o.sigmoid() * c.tanh()
    return lib.stack([*hs, c])


def _gru_layer(lib, gx, h, w_hh, b_hh):
    """A whole GRU layer in time order: scratchish's one op (ops/nn_ops.py GruLayer)
    against the steps written out in PyTorch."""
    if lib is sh:
        from scratchish.ops.nn_ops import GruLayer

        return GruLayer.apply(gx, h, w_hh, b_hh)
    hs = []
    for t in range(gx.shape[0]):
        gh = h @ w_hh.T + b_hh
        r, z = (gx[t, :, :4] + gh[:, :4]).sigmoid().chunk(2, -1)
        n = (gx[t, :, 4:] + r * gh[:, 4:]).tanh()
        h = (1 - z) * n + z * h
        hs.append(h)
    return lib.stack(hs)


# rows of the shared op table for the fused ops of ops/nn_ops.py (parity and gradcheck);
# registered before torch is imported so the table is whole without torch
NN_OP_CASES = register_op_cases(
    OpCase("gelu", lambda lib, x: lib.nn.functional.gelu(x), [(3, 4)], ranges=(-4, 4)),
    OpCase(
        "gelu_tanh",
        lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
        [(3, 4)],
        ranges=(-4, 4),
    ),
    OpCase("logsigmoid", lambda lib, x: lib.nn.functional.logsigmoid(x), [(5,)], ranges=(-30, 30)),
    OpCase(  # logits and probabilities as targets, both differentiated
        "bce_with_logits",
        lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(x, t),
        [(3, 4), (3, 4)],
        ranges=[(-20, 20), (0, 1)],
    ),
    OpCase(  # pos_weight along the last dim, and a weight per sample (constants, as in torch)
        "bce_with_logits_weights",
        lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
            x,
            t,
            weight=lib.tensor([[0.5], [2.0], [1.0]], dtype=x.dtype),
            pos_weight=lib.tensor([3.0, 0.5, 1.0, 2.0], dtype=x.dtype),
            reduction="sum",
        ),
        [(3, 4), (3, 4)],
        ranges=[(-6, 6), (0, 1)],
    ),
    OpCase("lstm_step", _lstm_step, [(3, 8), (3, 2), (3, 2), (8, 2)], ranges=(-3, 3)),
    OpCase("gru_step", _gru_step, [(3, 6), (3, 2), (6, 2)], ranges=(-3, 3)),
    OpCase("lstm_layer", _lstm_layer, [(4, 3, 8), (3, 2), (3, 2), (8, 2), (8,)], ranges=(-2, 2)),
    OpCase("gru_layer", _gru_layer, [(4, 3, 6), (3, 2), (6, 2), (6,)], ranges=(-2, 2)),
    OpCase(
        "cross_entropy",
        lambda lib, x: lib.nn.functional.cross_entropy(
            x, lib.tensor([0, 2, 1]), label_smoothing=0.1
        ),
        [(3, 4)],
        ranges=(-3, 3),
    ),
    OpCase(  # log-probabilities in, one ignored sample, class weights, per-position targets
        "nll_loss",
        lambda lib, x: lib.nn.functional.nll_loss(
            x.log_softmax(1),
            lib.tensor([[0, 2], [-100, 1], [3, 3]]),
            lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=x.dtype),
        ),
        [(3, 4, 2)],
        ranges=(-3, 3),
    ),
    OpCase(
        "cross_entropy_probs",
        lambda lib, x, t: lib.nn.functional.cross_entropy(x, t.softmax(1), reduction="sum"),
        [(2, 3, 2), (2, 3, 2)],
    ),
    OpCase(
        "embedding",
        lambda lib, w: lib.nn.functional.embedding(lib.tensor([[1, 0], [3, 1]]), w),
        [(4, 3)],
    ),
    OpCase(
        "layer_norm",
        lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b),
        [(2, 3, 4), (4,), (4,)],
    ),
    OpCase(  # no weight: the bias is added to a copy, never to the kept xhat
        "layer_norm_bias_only",
        lambda lib, x, b: lib.nn.functional.layer_norm(x, (4,), None, b),
        [(2, 3, 4), (4,)],
    ),
    OpCase(
        "layer_norm_two_dims",
        lambda lib, x, w: lib.nn.functional.layer_norm(x, (3, 4), w),
        [(2, 3, 4), (3, 4)],
    ),
    OpCase("dropout", _seeded_dropout, [(4, 5)]),
    OpCase(
        "sdpa_causal",
        lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=True
        ),
        [(2, 3, 4, 8), (2, 3, 4, 8), (2, 3, 4, 5)],
    ),
    OpCase(  # k and v shared by the batch (broadcast), a float mask, another scale
        "sdpa_broadcast_mask",
        lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=lib.tensor(_SDPA_MASK).to(q.dtype), scale=0.3
        ),
        [(2, 3, 4, 8), (1, 3, 6, 8), (3, 6, 5)],
    ),
    OpCase(  # dropout on the weights, a query that sees no key
        "sdpa_dropout_empty_row",
        _seeded_attention_dropout,
        [(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", NN_OP_CASES, ids=str)
def test_fused_op_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", NN_OP_CASES, ids=str)
def test_fused_op_gradcheck(case):
    check_gradcheck(case)


torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}


def pair(a):
    a = np.asarray(a)
    return sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def check(out, tout, leaves, dtype, seed=1):
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(seed).standard_normal(tout.shape).astype(dtype)
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in leaves:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL[dtype])


def test_erf_accuracy():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 0.46875, -0.46875, 4.0, 1e-20]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), ref, rtol=1e-15, atol=1e-16)
    x32 = x.astype(np.float32)
    ref32 = np.array([math.erf(float(v)) for v in x32])
    assert erf(x32).dtype == np.float32
    np.testing.assert_allclose(erf(x32), ref32, atol=5e-7)
    big = np.linspace(0.5, 25, 1000)
    np.testing.assert_allclose(erfc(big), [math.erfc(v) for v in big], rtol=1e-13)
    y = np.linspace(-0.9999, 0.9999, 501)
    np.testing.assert_allclose(erf(erfinv(y)), y, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_fused_matches_torch_and_composed(approximate, dtype):
    a = np.random.default_rng(0).standard_normal((70_001,)).astype(dtype) * 3  # > one block
    x, tx = pair(a)
    check(F.gelu(x, approximate), TF.gelu(tx, approximate=approximate), [(x, tx)], dtype)
    # composed from primitives: x * Phi(x) (erf through the array function) or the tanh form
    xc = sh.tensor(a, requires_grad=True)
    if approximate == "tanh":
        inner = (xc + xc * xc * xc * 0.044715) * math.sqrt(2 / math.pi)
        composed = xc * 0.5 * (inner.tanh() + 1)
        grad_ref = None
    else:
        cdf = (erf(a * np.sqrt(0.5).astype(dtype)) + 1) * 0.5
        composed = xc * sh.tensor(cdf.astype(dtype))
        pdf = np.exp(-(a.astype(np.float64) ** 2) / 2) / math.sqrt(2 * math.pi)
        grad_ref = cdf + a * pdf
    out = F.gelu(sh.tensor(a, requires_grad=True), approximate)
    np.testing.assert_allclose(out.detach().numpy(), composed.detach().numpy(), **TOL[dtype])
    composed.sum().backward()
    if grad_ref is None:
        grad_ref = xc.grad.numpy()
    np.testing.assert_allclose(_gelu_grad(a, approximate), grad_ref, **TOL[dtype])


def test_gelu_float32_is_as_accurate_as_torchs():
    # float32 GELU goes through A&S 7.1.26 (erfc in exponential form), not erf: its error
    # against the float64 truth must stay within twice torch's own float32 error, and the
    # special values (inf, -inf, nan, 0) must be torch's in float64. (Its float32 ones
    # depend on the CPU: on an AVX-512 machine torch's float32 gelu(inf) is nan, 2026-11-26;
    # on AVX2 it is inf, as in float64.)
    grid = np.linspace(-12, 12, 240_001).astype(np.float32)
    a = np.concatenate([grid, np.float32([np.inf, -np.inf, np.nan, 0.0, 1e-30, -1e-30])])
    truth = torch.tensor(a.astype(np.float64), requires_grad=True)
    truth_out = TF.gelu(truth)
    truth_out.sum().backward()
    t32 = torch.tensor(a, requires_grad=True)
    t32_out = TF.gelu(t32)
    t32_out.sum().backward()
    x = sh.tensor(a, requires_grad=True)
    out = F.gelu(x)
    out.sum().backward()
    assert out.dtype == sh.float32 and x.grad.dtype == sh.float32
    finite = np.isfinite(a)

    def worst(ours, theirs):  # largest error of each against the float64 truth, finite inputs
        return [np.nanmax(np.abs(v[finite] - theirs.detach().numpy()[finite])) for v in ours]

    ours_out, torch_out = worst([out.detach().numpy(), t32_out.detach().numpy()], truth_out)
    assert ours_out <= 2 * torch_out, (ours_out, torch_out)
    ours_grad, torch_grad = worst([x.grad.numpy(), t32.grad.numpy()], truth.grad)
    assert ours_grad <= 2 * torch_grad, (ours_grad, torch_grad)
    ours, theirs = out.detach().numpy(), truth_out.detach().numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isnan(x.grad.numpy()), np.isnan(truth.grad.numpy()))
    np.testing.assert_array_equal(ours[~finite][:1], [np.inf])


def test_gelu_keeps_one_array_for_backward_and_ignores_later_edits_of_x():
    x = sh.randn(1000, requires_grad=True)
    h = x * 1.0
    y = F.gelu(h)
    with sh.no_grad():
        expected = F.gelu(h)  # no grad: no slope kept, same values
    np.testing.assert_array_equal(y.detach().numpy(), expected.numpy())
    slope = y.grad_fn.saved
    assert not hasattr(y.grad_fn, "x") and slope.shape == (1000,)
    grad_before = torch.tensor(h.detach().numpy(), requires_grad=True)
    TF.gelu(grad_before).sum().backward()
    with sh.no_grad():
        h.mul_(3.0)  # changes GELU's input after forward: the kept slope still is the right one
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), grad_before.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_silu_fused_matches_torch_and_the_composed_x_times_sigmoid(dtype):
    a = np.random.default_rng(0).standard_normal((70_001,)).astype(dtype) * 6  # > one block
    edges = np.array([-np.inf, -1000, -100, -20, 0, 20, 100, np.inf, np.nan], dtype=dtype)
    a = np.concatenate([a, edges])
    x, tx = pair(a)
    with np.errstate(all="raise"):  # no warning for the edges: exp(1000) overflows inside
        out = F.silu(x)
        out.sum().backward()
    assert type(out.grad_fn).__name__ == "Silu"
    t_out = TF.silu(tx)
    t_out.sum().backward()
    ours, theirs = out.detach().numpy(), t_out.detach().numpy()
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])  # nan where torch has nan
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL[dtype])
    assert out.dtype == x.grad.dtype == x.dtype
    # the plain composition, x * sigmoid(x), away from the edges (it caps exp: -inf -> -inf)
    xc = sh.tensor(a[:-9], requires_grad=True)
    composed = xc * xc.sigmoid()
    composed.sum().backward()
    np.testing.assert_allclose(ours[:-9], composed.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(x.grad.numpy()[:-9], xc.grad.numpy(), **TOL[dtype])


def _gelu_grad(a, approximate):
    x = sh.tensor(a, requires_grad=True)
    F.gelu(x, approximate).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_and_softmax(dtype):
    a = np.random.default_rng(1).standard_normal((4, 6)).astype(dtype) * 3
    cases = [
        (lambda f, x: f.relu(x), None),
        (lambda f, x: f.leaky_relu(x, 0.3), None),
        (lambda f, x: f.sigmoid(x), None),
        (lambda f, x: f.tanh(x), None),
        (lambda f, x: f.silu(x), None),
        (lambda f, x: f.logsigmoid(x), None),
        (lambda f, x: f.softplus(x, beta=2.0, threshold=3.0), None),
        (lambda f, x: f.softmax(x, dim=1), None),
        (lambda f, x: f.log_softmax(x, dim=0), None),
        (lambda f, x: f.pad(x, (1, 2, 0, 1), value=0.5), None),
    ]
    for fn, _ in cases:
        x, tx = pair(a)
        check(fn(F, x), fn(TF, tx), [(x, tx)], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_by_tanh_is_the_sigmoid_to_its_stated_error_without_overflow(dtype):
    # ops/elementwise.py sigmoid_by_tanh, the recurrent cells' gates: (1 + tanh(x / 2)) / 2
    from scratchish.ops.elementwise import sigmoid_by_tanh

    x = np.concatenate([np.linspace(-30, 30, 6001), [-1e4, 1e4, -np.inf, np.inf]]).astype(dtype)
    with np.errstate(over="ignore"):  # exp(1e4) is inf: the sigmoid is 0 there
        exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    out = np.full_like(x, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, no capping needed
        result = sigmoid_by_tanh(x, out=out)
    assert result is out and out.dtype == dtype
    atol = {np.float64: 1e-15, np.float32: 6e-8}[dtype]  # absolute, as the docstring says
    np.testing.assert_allclose(out, exact, rtol=0, atol=atol)
    assert out[-4] == 0 and out[-3] == 1 and out[-2] == 0 and out[-1] == 1
    inplace = x.copy()
    sigmoid_by_tanh(inplace, out=inplace)  # x itself as out
    np.testing.assert_array_equal(inplace, out)


def test_relu_inplace_and_logsigmoid_at_zero():
    x = sh.tensor([-1.0, 0.0, 2.0])
    assert F.relu_(x) is x and x.tolist() == [0.0, 0.0, 2.0]
    x, tx = pair(np.array([0.0, -50.0, 50.0]))
    check(F.logsigmoid(x), TF.logsigmoid(tx), [(x, tx)], np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_and_layer_norm_fused_vs_composed(dtype):
    rng = np.random.default_rng(2)
    x_np, w_np, b_np = (rng.standard_normal(s).astype(dtype) for s in ((3, 4, 5), (5,), (5,)))
    x, tx = pair(x_np)
    w, tw = pair(w_np)
    b, tb = pair(b_np)
    check(
        F.layer_norm(x, (5,), w, b),
        TF.layer_norm(tx, (5,), tw, tb),
        [(x, tx), (w, tw), (b, tb)],
        dtype,
    )
    # the same from primitives
    xc, wc, bc = (sh.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    mean = xc.mean(-1, keepdim=True)
    var = ((xc - mean) * (xc - mean)).mean(-1, keepdim=True)
    composed = (xc - mean) / (var + 1e-5).sqrt() * wc + bc
    fused = F.layer_norm(sh.tensor(x_np), (5,), sh.tensor(w_np), sh.tensor(b_np))
    np.testing.assert_allclose(fused.numpy(), composed.detach().numpy(), **TOL[dtype])
    with pytest.raises(sh.ShapeError, match="normalized_shape"):
        F.layer_norm(x, (4,))
    w2_np = rng.standard_normal((3, 5)).astype(dtype)
    x, tx = pair(x_np)
    w2, tw2 = pair(w2_np)
    check(F.linear(x, w2), TF.linear(tx, tw2), [(x, tx), (w2, tw2)], dtype)


@pytest.mark.parametrize(
    "shape, normalized",
    [((0, 5), (5,)), ((2, 3, 0), (0,)), ((4, 3, 5), (3, 5)), ((5,), (5,)), ((2, 0, 3), (0, 3))],
)
def test_layer_norm_on_rows_of_any_count_and_size_matches_torch(shape, normalized):
    """LayerNorm works on rows (R, D) of the normalized size: no rows, rows of nothing and
    several normalized dims give torch's values and gradients (x far from 0, so that the
    centering matters)."""
    rng = np.random.default_rng(5)
    x, tx = pair((rng.standard_normal(shape) * 3 + 20).astype(np.float32))
    w, tw = pair(rng.standard_normal(normalized).astype(np.float32))
    b, tb = pair(rng.standard_normal(normalized).astype(np.float32))
    out = F.layer_norm(x, normalized, w, b)
    check(out, TF.layer_norm(tx, normalized, tw, tb), [(x, tx), (w, tw), (b, tb)], np.float32)
    assert out.shape == shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_dot_product_attention(dtype):
    rng = np.random.default_rng(3)
    q_np, k_np, v_np = (
        rng.standard_normal(s).astype(dtype) for s in ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5))
    )
    keep = rng.uniform(size=(4, 6)) > 0.3
    keep[:, 0] = True  # every query sees at least one key
    float_mask = rng.standard_normal((2, 1, 4, 6)).astype(dtype)
    for kwargs in [
        dict(),
        dict(is_causal=True),
        dict(attn_mask=keep),
        dict(attn_mask=float_mask, scale=0.3),
    ]:
        q, tq = pair(q_np)
        k, tk = pair(k_np)
        v, tv = pair(v_np)
        mask = kwargs.get("attn_mask")
        ours = {**kwargs, "attn_mask": None if mask is None else sh.tensor(mask)}
        theirs = {**kwargs, "attn_mask": None if mask is None else torch.tensor(mask)}
        check(
            F.scaled_dot_product_attention(q, k, v, **ours),
            TF.scaled_dot_product_attention(tq, tk, tv, **theirs),
            [(q, tq), (k, tk), (v, tv)],
            dtype,
        )


def test_attention_shift_per_matrix_and_per_row_give_torchs_weights():
    """Attention's softmax subtracts each (sequence, head) matrix's largest score when the
    matrix spans at most 80 (ops/nn_ops.py _matrix_shift), else each row's. Both paths in one
    batch: matrix 0 spans ~60 (per matrix; its rows' maxima differ by ~30, so a shared shift
    is far from most rows' own), matrix 1 spans over 100 (per row, else its row 1 would
    underflow to 0 and get weights 0), matrix 2 has a row whose every key is masked."""
    rng = np.random.default_rng(11)
    q = rng.standard_normal((3, 6, 4)).astype(np.float32)
    k = rng.standard_normal((3, 7, 4)).astype(np.float32)
    v = rng.standard_normal((3, 7, 5)).astype(np.float32)
    q[0] *= np.linspace(0.1, 30.0, 6, dtype=np.float32)[:, None]  # rows of different ranges
    k[1, :, 0] = np.abs(k[1, :, 0]) + 1.0  # row 0's scores 50 or more, row 1's -50 or less:
    q[1, :2] = [[100.0, 0, 0, 0], [-100.0, 0, 0, 0]]  # shifted alike, row 1's would underflow
    mask = np.ones((3, 6, 7), dtype=bool)
    mask[2, 3] = False
    from scratchish.ops.nn_ops import _matrix_shift

    scores = q @ np.swapaxes(k, -1, -2)
    top = _matrix_shift(scores, 0.5, (0.0, 0.0))[:, 0, 0]
    spans = (scores.max(axis=(1, 2)) - scores.min(axis=(1, 2))) * 0.5
    assert 30 < spans[0] <= 80 < spans[1]  # the case is what it claims to be
    assert top[0] == scores[0].max() * np.float32(0.5) and np.isnan(top[1])
    leaves = [pair(a) for a in (q, k, v)]
    (sq, tq), (sk, tk), (sv, tv) = leaves
    out = F.scaled_dot_product_attention(sq, sk, sv, attn_mask=sh.tensor(mask), scale=0.5)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask), scale=0.5)
    assert np.isfinite(out.detach().numpy()).all()
    assert (out.detach().numpy()[2, 3] == 0).all()  # no key: out 0, as in torch
    check(out, tout, leaves, np.float32)


def test_attention_shift_refuses_masks_it_cannot_bound():
    """The per-matrix shift needs the mask's finite range: +inf or NaN in it, or a dtype other
    than float32/64, sends every matrix to the per-row shift (None)."""
    from scratchish.ops.nn_ops import _finite_range

    assert _finite_range(None, np.float32) == (0.0, 0.0)
    assert _finite_range(np.array([0.0, -np.inf, -3.0]), np.float64) == (-3.0, 0.0)
    assert _finite_range(np.array([-np.inf, -np.inf]), np.float32) == (0.0, 0.0)
    assert _finite_range(np.array([0.0, np.inf]), np.float32) is None
    assert _finite_range(np.array([0.0, np.nan]), np.float32) is None
    assert _finite_range(None, np.float16) is None
    causal = np.where(np.tri(4, 5, dtype=bool), 0.0, -np.inf).astype(np.float32)
    assert _finite_range(causal, np.float32) == (0.0, 0.0)
    assert _finite_range(np.array([[-np.inf, 2.5], [-7.0, -np.inf]]), np.float32) == (-7.0, 2.5)


def test_causal_attention_makes_its_mask_once_and_matches_the_explicit_mask():
    """is_causal=True takes the op's own mask, made once per size and read-only (text
    generation asks for it in every layer for every character), large ones each time; the
    weights are those of the same mask passed as attn_mask, bit for bit."""
    from scratchish.ops import nn_ops

    rng = np.random.default_rng(3)
    q, k, v = (sh.tensor(rng.standard_normal((2, 4, 9, 8)).astype(np.float32)) for _ in "qkv")
    cache = nn_ops._cached_causal_mask
    cache.cache_clear()
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    again = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert cache.cache_info().misses == 1 and cache.cache_info().hits == 1
    mask = nn_ops.causal_mask(9, 9, np.float32)
    assert not mask.flags.writeable
    assert (mask == np.where(np.tril(np.ones((9, 9))) > 0, 0.0, -np.inf)).all()
    big = nn_ops.causal_mask(1024, 1024, np.float32)  # 4 MB: made, not kept
    assert cache.cache_info().currsize == 1 and not big.flags.writeable and big[0, 1] == -np.inf
    explicit = F.scaled_dot_product_attention(q, k, v, attn_mask=sh.ones(9, 9).tril().bool())
    np.testing.assert_array_equal(out.numpy(), explicit.numpy())
    np.testing.assert_array_equal(out.numpy(), again.numpy())


@pytest.mark.parametrize("far", [False, True])
def test_softmax_family_with_one_shift_or_the_row_max_matches_torch(far):
    """Softmax, log-softmax and cross-entropy subtract one number for all rows where the
    logits span at most 16 (reduce.softmax_shift), else each row's max. Rows at levels 0-8
    take the one shift; a row 150 below the rest (far) takes the row max, without which its
    exp would underflow to 0 and its softmax be NaN."""
    from scratchish.ops.reduce import softmax_shift

    rng = np.random.default_rng(12)
    x_np = (rng.standard_normal((64, 10)) + rng.uniform(0, 8, (64, 1))).astype(np.float32)
    if far:
        x_np[5] -= 150.0
    top = softmax_shift(x_np, 1)
    assert top.shape == ((64, 1) if far else ())
    t_np = rng.integers(0, 10, 64)
    for ours, theirs in [
        (lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
        (lambda x: F.log_softmax(x, dim=1), lambda x: TF.log_softmax(x, dim=1)),
        (
            lambda x: F.cross_entropy(x, sh.tensor(t_np), reduction="none"),
            lambda x: TF.cross_entropy(x, torch.tensor(t_np), reduction="none"),
        ),
    ]:
        x, tx = pair(x_np)
        out, tout = ours(x), theirs(tx)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), 1e-5, 2e-6)
        check(out, tout, [(x, tx)], np.float32)


def test_attention_gradients_keep_the_layout_of_gpt_style_head_views():
    """q, k, v as a GPT makes them, views of one (B, T, 3C) projection: (B, T, heads, E) in
    memory seen as (B, heads, T, E). Their gradients come out in that memory order, so the
    transpose and view back to (B, T, C) copy nothing; the values are torch's."""
    rng = np.random.default_rng(13)
    qkv_np = rng.standard_normal((2, 5, 3 * 8)).astype(np.float32)
    views = {}

    def heads(lib, qkv):
        q, k, v = qkv.split(8, dim=2)
        q, k, v = (a.view(2, 5, 2, 4).transpose(1, 2) for a in (q, k, v))
        for a in (q, k, v):
            a.retain_grad()
        views[lib] = (q, k, v)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return out.transpose(1, 2).contiguous().view(2, 5, 8)

    qkv, tqkv = pair(qkv_np)
    check(heads(sh, qkv), heads(torch, tqkv), [(qkv, tqkv)], np.float32)
    for a in views[sh]:
        order = np.argsort(a.array.strides)  # the view's memory order, packed: (B, T, heads, E)
        assert (np.argsort(a.grad.array.strides) == order).all()
        assert a.grad.array.transpose(0, 2, 1, 3).flags.c_contiguous
    for a, ta in zip(views[sh], views[torch]):
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_fused_attention_matches_the_composed_ops():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3))]
    bias = np.where(np.tri(5, 6, k=1, dtype=bool), 0.0, -np.inf)

    def composed(q, k, v):
        scores = (q @ k.transpose(-2, -1)) * 0.5 + sh.tensor(bias)
        return scores.softmax(-1) @ v

    outs, grads = [], []
    for fn in (
        composed,
        lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, attn_mask=sh.tensor(np.isfinite(bias)), scale=0.5
        ),
    ):
        ts = [sh.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        (out * sh.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))).sum().backward()
        outs.append(out.detach().numpy())
        grads.append([t.grad.numpy() for t in ts])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12, atol=1e-12)
    for g_fused, g_composed in zip(grads[1], grads[0]):
        np.testing.assert_allclose(g_fused, g_composed, rtol=1e-10, atol=1e-12)


def test_fused_attention_with_dropout_and_an_empty_row_matches_the_composed_ops():
    """The fused op's dropout (the `keep` mask) is dropout on the softmax weights; a row whose
    every key is masked gives weights 0 (the composed softmax would give NaN there, so the
    composed form masks those rows by hand)."""
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal(s) for s in ((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 5))]
    bias = np.where(_SDPA_KEEP, 0.0, -np.inf)

    def composed(q, k, v):
        scores = (q @ k.transpose(-2, -1)) * 0.5 + sh.tensor(np.where(_SDPA_KEEP, 0.0, -1e300))
        weights = scores.softmax(-1) * sh.tensor(_SDPA_KEEP.any(-1, keepdims=True) * 1.0)
        return F.dropout(weights, 0.25) @ v

    def fused(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, sh.tensor(bias), dropout_p=0.25, scale=0.5)

    outs, grads = [], []
    for fn in (composed, fused):
        ts = [sh.tensor(a, requires_grad=True) for a in arrays]
        sh.manual_seed(4)
        out = fn(*ts)
        (out * sh.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))).sum().backward()
        outs.append(out.detach().numpy())
        grads.append([t.grad.numpy() for t in ts])
    assert (outs[1][:, :, 2] == 0).all()
    plain = F.scaled_dot_product_attention(*map(sh.tensor, arrays), sh.tensor(bias), scale=0.5)
    assert not np.allclose(outs[1], plain.numpy())  # the dropout did something
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12, atol=1e-12)
    for g_fused, g_composed in zip(grads[1], grads[0]):
        np.testing.assert_allclose(g_fused, g_composed, rtol=1e-10, atol=1e-12)


def test_embedding_one_hot_dropout_functional():
    w_np = np.random.default_rng(4).standard_normal((6, 3))
    idx = np.array([[5, 0], [5, 2]])
    w, tw = pair(w_np)
    check(
        F.embedding(sh.tensor(idx), w), TF.embedding(torch.tensor(idx), tw), [(w, tw)], np.float64
    )
    hot = F.one_hot(sh.tensor([0, 2, 1]))
    assert hot.dtype == sh.int64
    np.testing.assert_array_equal(hot.numpy(), TF.one_hot(torch.tensor([0, 2, 1])).numpy())
    assert F.one_hot(sh.tensor([1]), num_classes=4).shape == (1, 4)
    with pytest.raises(sh.IndexOutOfRangeError, match="class index 4"):
        F.one_hot(sh.tensor([4]), num_classes=4)
    x = sh.ones(10)
    assert F.dropout(x, 0.5, training=False) is x


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(5)
    shapes = [(4, 3), (3,), (2, 2)]
    ours, theirs = [], []
    for s in shapes:
        g = (rng.standard_normal(s) * 3).astype(np.float32)
        p = nn.Parameter(sh.zeros(*s))
        p.grad = sh.tensor(g)
        tp = torch.nn.Parameter(torch.zeros(*s))
        tp.grad = torch.tensor(g)
        ours.append(p)
        theirs.append(tp)
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    assert total.dtype == sh.float32 and total.shape == ()
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_value_(ours, 0.1)
    assert max(np.abs(p.grad.numpy()).max() for p in ours) <= 0.1
    vec = nn.utils.parameters_to_vector(ours)
    assert vec.shape == (12 + 3 + 4,)
    ours[0].grad = sh.tensor(np.full((4, 3), np.nan, dtype=np.float32))
    with pytest.raises(sh.ArgumentError, match="nan"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_spreads_a_nonfinite_norm_like_torch(bad):
    g = np.array([bad, 1.0, 2.0], dtype=np.float32)
    p, tp = nn.Parameter(sh.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    p.grad, tp.grad = sh.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_([p], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_([tp], 1.0)
    np.testing.assert_array_equal(total.numpy(), ttotal.numpy())
    np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())  # all nan, as torch


@pytest.mark.parametrize("value", [1e20, 1e-23])
def test_clip_grad_norm_sums_in_float32_like_torch(value):
    # a norm past float32's range is inf and one below it 0, in both (float64 sums gave
    # finite norms, 1.4e20 and 1.4e-23, where torch gives inf and 0)
    g = np.full(2, value, dtype=np.float32)
    p, tp = nn.Parameter(sh.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    p.grad, tp.grad = sh.tensor(g), torch.tensor(g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # quiet, as torch
        total = nn.utils.clip_grad_norm_([p], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_([tp], 1.0)
    assert total.item() == ttotal.item() == (math.inf if value > 1 else 0.0)
    np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


def test_total_norm_of_many_values_is_within_a_millionth():
    # one BLAS dot product in float32 per gradient: its partial sums keep the error small
    rng = np.random.default_rng(3)
    g = (rng.standard_normal(400_000) * 0.01 + 0.003).astype(np.float32)
    exact = math.sqrt(math.fsum((g.astype(np.float64) ** 2).tolist()))
    total = nn.utils.get_total_norm([sh.tensor(g)])
    assert total.dtype == sh.float32
    assert abs(total.item() - exact) <= 1e-6 * exact


def test_clip_grad_norm_below_max_leaves_gradients_as_they_were():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(300, 20), (20,)]]
    params = [nn.Parameter(sh.zeros(*g.shape)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = sh.tensor(g.copy())
    norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    total = nn.utils.clip_grad_norm_(params, norm * 2)
    np.testing.assert_allclose(total.item(), norm, rtol=1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), g)
