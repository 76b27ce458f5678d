"""torch.autograd in PyTorch's own style on scratchish: Function with ctx, grad, backward,
Variable. Each custom op is written once and run in both libraries; gradients must agree."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import autograd_api
from scratchish.errors import BackwardError, UnsupportedError

torch = pytest.importorskip("torch")


def legendre_p3(function_base):
    """The PyTorch tutorial's custom op, on either library's Function base."""

    class LegendrePolynomial3(function_base):
        @staticmethod
        def forward(ctx, input):  # noqa: A002 - the tutorial's name
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors  # noqa: A001
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def both(array, requires_grad=True):
    """The same float32 values as a scratchish and a torch tensor."""
    array = np.asarray(array, dtype=np.float32)
    return (
        sh.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def test_legendre_gradients_match_torch():
    rng = np.random.default_rng(0)
    x_sh, x_t = both(rng.uniform(-1, 1, 50))
    params = [both(v) for v in (0.1, -1.0, 0.2, 0.3)]
    losses = []
    for lib, base, x, (a, b, c, d) in (
        (sh, autograd_api.Function, x_sh, [p[0] for p in params]),
        (torch, torch.autograd.Function, x_t, [p[1] for p in params]),
    ):
        p3 = legendre_p3(base).apply
        y = a + b * p3(c + d * x)
        loss = ((y - lib.sin(x)) ** 2).sum()
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for p_sh, p_t in [*params, (x_sh, x_t)]:
        np.testing.assert_allclose(p_sh.grad.numpy(), p_t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_grad_fn_is_named_after_the_function():
    x = sh.tensor([0.5], requires_grad=True)
    y = legendre_p3(autograd_api.Function).apply(x)
    assert repr(y.grad_fn) == "<LegendrePolynomial3Backward>"
    assert y.requires_grad


def scale_function(function_base, seen):
    """forward(ctx, x, y, factor, name): tensors and non-tensors mixed, as in real code."""

    class Scale(function_base):
        @staticmethod
        def forward(ctx, x, y, factor, name):
            seen.append(tuple(ctx.needs_input_grad))
            ctx.save_for_backward(x, y)
            ctx.factor = factor  # any attribute can ride on ctx
            return x * y * factor

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            grad_x = grad_output * y * ctx.factor if ctx.needs_input_grad[0] else None
            grad_y = grad_output * x * ctx.factor if ctx.needs_input_grad[1] else None
            return grad_x, grad_y, None, None

    return Scale


def test_needs_input_grad_and_non_tensor_arguments_match_torch():
    seen_sh, seen_t = [], []
    x_sh, x_t = both([1.0, 2.0, 3.0])
    y_sh, y_t = both([4.0, 5.0, 6.0], requires_grad=False)
    out_sh = scale_function(autograd_api.Function, seen_sh).apply(x_sh, y_sh, 2.0, "scale")
    out_t = scale_function(torch.autograd.Function, seen_t).apply(x_t, y_t, 2.0, "scale")
    out_sh.sum().backward()
    out_t.sum().backward()
    assert seen_sh == seen_t == [(True, False, False, False)]
    np.testing.assert_array_equal(out_sh.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(x_sh.grad.numpy(), x_t.grad.numpy())
    assert y_sh.grad is None


def test_apply_under_no_grad_records_nothing():
    seen = []
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    with sh.no_grad():
        out = scale_function(autograd_api.Function, seen).apply(x, x, 3.0, "")
    assert seen == [(False, False, False, False)]
    assert out.grad_fn is None and not out.requires_grad
    assert out.tolist() == [3.0, 12.0]


def split_function(function_base):
    """Two outputs: out1 = 2x (same shape), out2 = sum(x**2) (a number)."""

    class TwoOutputs(function_base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, (x**2).sum()

        @staticmethod
        def backward(ctx, grad_1, grad_2):
            (x,) = ctx.saved_tensors
            return grad_1 * 2 + grad_2 * 2 * x

    return TwoOutputs


def test_several_outputs_match_torch():
    x_sh, x_t = both([[1.0, -2.0], [0.5, 3.0]])
    w_sh, w_t = both([[1.0, 2.0], [3.0, 4.0]], requires_grad=False)
    for base, x, w in ((autograd_api.Function, x_sh, w_sh), (torch.autograd.Function, x_t, w_t)):
        doubled, squares = split_function(base).apply(x)
        ((doubled * w).sum() + 3 * squares).backward()
    assert doubled.shape == (2, 2) and squares.shape == ()
    np.testing.assert_allclose(x_sh.grad.numpy(), x_t.grad.numpy(), rtol=1e-6)


def test_wrong_number_of_gradients_is_explained():
    class TooMany(autograd_api.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2, grad_output

    x = sh.tensor([1.0], requires_grad=True)
    with pytest.raises(
        BackwardError,
        match=r"TooMany\.backward returned 2 gradient\(s\), but "
        r"forward takes 1 argument",
    ):
        TooMany.apply(x).sum().backward()


def test_old_style_instance_call_is_explained():
    with pytest.raises(UnsupportedError, match=r"LegendrePolynomial3\.apply"):
        legendre_p3(autograd_api.Function)()(sh.tensor([1.0]))


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x_sh, x_t = both([1.0, 2.0, 3.0])
    w_sh, w_t = both([0.5, -1.0, 2.0])
    for x in (x_sh, x_t):
        x.grad = x.detach() * 0 + 7  # a gradient from before must survive
    results = []
    for lib, x, w in ((autograd_api, x_sh, w_sh), (torch.autograd, x_t, w_t)):
        hidden = x * w
        loss = (hidden**2).sum()
        results.append(lib.grad(loss, [x, hidden]))
    for got, want in zip(*results):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert isinstance(results[0], tuple)
    assert x_sh.grad.tolist() == [7.0, 7.0, 7.0] and w_sh.grad is None


def test_grad_with_grad_outputs_and_retain_graph():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (g,) = autograd_api.grad(y, x, grad_outputs=sh.tensor([1.0, 10.0]), retain_graph=True)
    assert g.tolist() == [3.0, 30.0]
    y.sum().backward()  # the graph was kept
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_of_unused_input():
    x = sh.tensor([1.0], requires_grad=True)
    unused = sh.tensor([2.0], requires_grad=True)
    with pytest.raises(BackwardError, match="allow_unused=True"):
        autograd_api.grad((x * 2).sum(), [x, unused], retain_graph=True)
    assert (
        autograd_api.grad((x * 2).sum(), [x, unused], retain_graph=True, allow_unused=True)[1]
        is None
    )
    zeros = autograd_api.grad((x * 2).sum(), [x, unused], materialize_grads=True)[1]
    assert zeros.tolist() == [0.0]


def test_backward_function_and_variable():
    x = autograd_api.Variable(sh.tensor([1.0, 2.0]), requires_grad=True)
    assert isinstance(x, sh.Tensor) and x.requires_grad
    y1, y2 = (x * 2).sum(), (x * x).sum()
    autograd_api.backward([y1, y2])
    assert x.grad.tolist() == [4.0, 6.0]
    z = x * 5
    autograd_api.backward(z, sh.ones(2), inputs=[x])
    assert x.grad.tolist() == [9.0, 11.0]
    with pytest.raises(UnsupportedError, match="first-order"):
        autograd_api.grad((x * x).sum(), x, create_graph=True)


def test_reexports():
    assert autograd_api.no_grad is sh.no_grad
    assert autograd_api.enable_grad is sh.enable_grad
    assert autograd_api.set_grad_enabled is sh.set_grad_enabled
    with autograd_api.detect_anomaly():
        pass
    gradcheck_module = pytest.importorskip("scratchish.tools.gradcheck")
    assert autograd_api.gradcheck is gradcheck_module.gradcheck
    with pytest.raises(UnsupportedError, match=r"torch\.autograd\.functional .*first order"):
        autograd_api.functional  # noqa: B018
