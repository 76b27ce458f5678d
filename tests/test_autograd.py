"""The engine's behaviour: deep graphs, accumulation, freeing, memory, no_grad, hooks, in-place
rules and gradcheck itself. PyTorch is the oracle wherever it defines the answer.
"""

from __future__ import annotations

import doctest
import gc
import re
import sys
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pytest

import scratchish as sh
import scratchish.tools  # noqa: F401  (loads the gradcheck module for its doctest)
from helpers import optional_torch
from scratchish.tools import gradcheck

torch = optional_torch()
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


# ------------------------------------------------------------------ the backward pass
def test_chain_of_50000_ops_needs_no_recursion():
    x = sh.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**50_000, rel=1e-3)


@needs_torch
def test_gradients_accumulate_across_backward_calls_as_torch():
    data = [[0.5, -1.0], [2.0, 0.25]]
    x, t = sh.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for v in (x, t):
        (v * v).sum().backward()
        (v.exp() * v).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_accumulated_gradient_is_the_sum_of_gradchecked_ones():
    x = sh.tensor([[0.3, -1.2, 2.0]], dtype=sh.float64, requires_grad=True)

    def f(v):
        return (v.sin() * v).sum()

    assert gradcheck(f, x)
    f(x).backward()
    once = x.grad.numpy().copy()
    f(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once)


@needs_torch
def test_diamond_graph_sums_both_paths():
    data = [0.5, -1.5, 2.0]
    x, t = sh.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for v in (x, t):
        y = v * 2
        ((y.exp() + y.sin()) * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_graph_is_freed_after_backward():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(sh.BackwardError, match="retain_graph=True"):
        loss.backward()


def test_backward_through_a_freed_intermediate_raises_backward_error():
    """Regression: reaching a freed node used to raise a bare TypeError (or a ShapeError)."""
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    z = x * 2
    z.sum().backward()
    with pytest.raises(sh.BackwardError, match="already used"):
        z.mean().backward()


def test_retain_graph_allows_a_second_backward():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_a_backward_stopped_by_an_error_leaves_no_gradient_behind():
    # a hook fails in the middle of a pass; the next pass through the same graph is exact
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    calls = []

    def fail_once(grad):
        calls.append(grad)
        if len(calls) == 1:
            raise RuntimeError("hook failed")

    h.register_hook(fail_once)
    loss = (h * 3).sum()
    with pytest.raises(RuntimeError, match="hook failed"):
        loss.backward(retain_graph=True)
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_backward_on_non_scalar_asks_for_gradient():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(sh.BackwardError, match=r"backward\(gradient\)"):
        (x * 2).backward()


@needs_torch
def test_backward_with_gradient_on_non_scalar_matches_torch():
    data, g = [[1.0, -2.0], [0.5, 3.0]], [[1.0, 0.5], [-1.0, 2.0]]
    x, t = sh.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (x * x).tanh().backward(sh.tensor(g))
    (t * t).tanh().backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_backward_on_a_leaf_sets_its_gradient():
    x = sh.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


@needs_torch
def test_backward_without_gradient_starts_from_a_one_of_the_result_shape():
    # a one-element result of shape (1, 1): the starting gradient has that shape, as in torch
    data = [[1.0, -2.0, 0.5]]
    x, t = sh.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, u = (x * 3).sum(dim=1, keepdim=True), (t * 3).sum(dim=1, keepdim=True)
    y.retain_grad()
    u.retain_grad()
    y.backward()
    u.backward()
    assert y.grad.shape == u.grad.shape == (1, 1) and y.grad.dtype == sh.float32
    np.testing.assert_array_equal(y.grad.numpy(), u.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    z = sh.tensor(2.0, dtype=sh.float64, requires_grad=True)
    (z * z).backward()
    assert z.grad.dtype == sh.float64 and z.grad.item() == 4.0


# ------------------------------------------------------------------ memory
def _tiny_model_step(params, xb, yb, lr=0.05):
    w1, b1, w2 = params
    pred = (xb @ w1 + b1).relu() @ w2
    loss = ((pred - yb) ** 2).mean()
    loss.backward()
    with sh.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss.item()


def _tiny_model():
    rng = np.random.default_rng(0)
    params = [
        sh.tensor(rng.standard_normal((4, 8)) * 0.5, dtype=sh.float32, requires_grad=True),
        sh.zeros(8, requires_grad=True),
        sh.tensor(rng.standard_normal((8, 1)) * 0.5, dtype=sh.float32, requires_grad=True),
    ]
    xb = sh.tensor(rng.standard_normal((16, 4)), dtype=sh.float32)
    yb = xb.sum(dim=1, keepdim=True)
    return params, xb, yb


def test_memory_stays_flat_over_1000_training_steps():
    params, xb, yb = _tiny_model()
    tracemalloc.start()
    try:
        for step in range(1000):
            if step in (100, 900):
                tracemalloc.reset_peak()
                start_current = tracemalloc.get_traced_memory()[0]
            loss = _tiny_model_step(params, xb, yb)
            if step == 199:
                early_current, early_peak = tracemalloc.get_traced_memory()
                early_growth = early_current - start_current
        late_current, late_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert late_peak <= early_peak + 16_384
    assert late_current - start_current <= early_growth + 16_384  # no steady leak
    assert loss < 1.0  # and it did learn


def test_a_training_step_makes_no_reference_cycles():
    params, xb, yb = _tiny_model()
    _tiny_model_step(params, xb, yb)
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            _tiny_model_step(params, xb, yb)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_intermediate_tensors_are_freed_without_the_garbage_collector():
    x = sh.randn(64, 32)
    w = sh.randn(32, 16, requires_grad=True)
    h = x @ w
    act = h.relu()
    refs = [weakref.ref(h), weakref.ref(act), weakref.ref(act.grad_fn)]
    loss = act.sum()
    loss.backward()
    del h, act, loss
    assert all(r() is None for r in refs)


# ------------------------------------------------------------------ no_grad and friends
def test_no_grad_as_context_manager():
    x = sh.tensor([1.0], requires_grad=True)
    with sh.no_grad():
        y = x * 2
        assert not sh.is_grad_enabled()
        with sh.enable_grad():
            z = x * 2
    assert sh.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_as_decorator():
    @sh.no_grad()
    def double(t):
        return t * 2

    x = sh.tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    assert sh.is_grad_enabled()


def test_set_grad_enabled_as_decorator_changes_the_mode_only_inside():
    """Regression: used as a decorator it switched gradients off for the whole program."""

    @sh.set_grad_enabled(False)
    def inside():
        return sh.is_grad_enabled()

    assert sh.is_grad_enabled()
    assert inside() is False
    assert sh.is_grad_enabled()
    with sh.set_grad_enabled(False):
        assert not sh.is_grad_enabled()
    assert sh.is_grad_enabled()


# ------------------------------------------------------------------ retain_grad and hooks
@needs_torch
def test_retain_grad_on_a_non_leaf():
    data = [1.0, -2.0, 0.5]
    results = []
    for lib in (sh, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x * 3
        y.retain_grad()
        assert y.retains_grad
        (y * y).sum().backward()
        results.append(y.grad.numpy())
    np.testing.assert_allclose(*results)


@needs_torch
def test_hooks_on_leaf_and_non_leaf_match_torch():
    data = [1.0, -2.0, 0.5]
    results = []
    for lib in (sh, torch):
        calls = []
        x = lib.tensor(data, requires_grad=True)
        x.register_hook(lambda g, calls=calls: calls.append(g.tolist()) or g * 10)
        y = x * x  # x used twice: the leaf hook sees the summed gradient, once
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
        results.append((calls, x.grad.tolist()))
    assert results[0] == results[1]


def test_a_non_leaf_hook_that_returns_none_leaves_the_gradient():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert x.grad.tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ in-place rules
def test_sgd_update_under_no_grad_keeps_the_leaf_and_its_memory():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    array_before = w.numpy(force=True)
    view = w.data  # shares memory, as p.data in PyTorch
    with sh.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad
    assert w.numpy(force=True) is array_before
    np.testing.assert_allclose(view.numpy(), [0.8, 1.6])


def test_in_place_on_a_leaf_requiring_grad_raises():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(sh.InPlaceError, match="no_grad"):
        w += 1
    with pytest.raises(RuntimeError):
        w.mul_(2)
    with pytest.raises(sh.InPlaceError):
        w[0] = 5.0


@needs_torch
def test_in_place_add_on_a_non_leaf_gives_torch_gradients():
    data = [1.0, -2.0, 0.5]
    grads = []
    for lib in (sh, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x * 2
        y += x
        y.add_(1.0)
        (y * x).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == pytest.approx(grads[1])


# --- values changed in place after the forward pass (torch's version counter)
# Each case runs in both libraries: where torch raises, scratchish must raise; where torch
# computes a gradient, scratchish must compute the same one.
def _changed_after_forward_cases():
    def optimizer_step_between_forward_and_backward(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
        opt = lib.optim.Adam(model.parameters())
        x = lib.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4))
        model(x).sum().backward()  # gradients exist, so step() changes every weight
        loss = model(x).sum()
        opt.step()
        loss.backward()
        return model[0].weight.grad

    def gan_discriminator_stepped_before_generator_backward(lib):
        lib.manual_seed(0)
        gen, disc = lib.nn.Linear(3, 3), lib.nn.Linear(3, 1)
        opt_d = lib.optim.SGD(disc.parameters(), lr=0.1)
        fake = gen(lib.tensor(np.eye(3, dtype=np.float32)))
        d_loss, g_loss = disc(fake.detach()).mean(), -disc(fake).mean()
        d_loss.backward()
        opt_d.step()
        g_loss.backward()
        return gen.weight.grad

    def leaf_changed_in_no_grad_after_a_product(lib):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        loss = (w * w).sum()
        with lib.no_grad():
            w.mul_(2)
        loss.backward()
        return w.grad

    def leaf_changed_that_only_a_sum_used(lib):  # add saves nothing: no error, same gradient
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        loss = (w + 1).sum()
        with lib.no_grad():
            w.add_(1)
        loss.backward()
        return w.grad

    def weight_changed_when_only_it_needs_grad(lib):  # w*x reads x for dw, not w: fine
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        x = lib.tensor([0.5, 0.25, 2.0])
        (w * x).sum().backward()
        loss = (w * x).sum()
        with lib.no_grad():
            w -= 0.1 * w.grad
        loss.backward()
        return w.grad

    def exp_result_changed(lib):  # exp's backward reads its own result
        w = lib.tensor([0.5, -1.0], requires_grad=True)
        y = w.exp()
        with lib.no_grad():
            y.mul_(2)
        y.sum().backward()
        return w.grad

    def view_of_a_saved_value_changed(lib):  # the change reaches h through its view
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = w * 2
        loss = (h * h).sum()
        part = h[0:2]
        with lib.no_grad():
            part.add_(1)
        loss.backward()
        return w.grad

    def changed_before_it_was_used(lib):  # the consumer was made after the change: fine
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = w * 2
        with lib.no_grad():
            h.add_(1)
        (h * h).sum().backward()
        return w.grad

    def weight_overwritten_by_load_state_dict(lib):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        x = lib.tensor(np.eye(3, dtype=np.float32))
        loss = model(model(x).sum(dim=1, keepdim=True).expand(3, 3)).sum()
        model.load_state_dict({k: v * 2 for k, v in model.state_dict().items()})
        loss.backward()
        return model.weight.grad

    def detached_copy_changed(lib):  # detach() shares the value, and so the check
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        loss = (w * w).sum()
        w.detach().add_(1)
        loss.backward()
        return w.grad

    def data_changed(lib):  # .data is the way around the check, in both libraries
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        loss = (w * w).sum()
        w.data.add_(1)
        loss.backward()
        return w.grad

    return [
        detached_copy_changed,
        data_changed,
        optimizer_step_between_forward_and_backward,
        gan_discriminator_stepped_before_generator_backward,
        leaf_changed_in_no_grad_after_a_product,
        leaf_changed_that_only_a_sum_used,
        weight_changed_when_only_it_needs_grad,
        exp_result_changed,
        view_of_a_saved_value_changed,
        changed_before_it_was_used,
        weight_overwritten_by_load_state_dict,
    ]


@needs_torch
@pytest.mark.parametrize("case", _changed_after_forward_cases(), ids=lambda f: f.__name__)
def test_a_value_changed_after_the_forward_pass_raises_where_torch_does(case):
    try:
        expected = case(torch).detach().numpy()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        with pytest.raises(sh.InPlaceError, match="changed in place since") as raised:
            case(sh)
        assert "optimizer.step()" in str(raised.value)
        return
    np.testing.assert_allclose(case(sh).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_changed_in_place_names_the_op_and_the_input():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    x = sh.tensor([3.0, 4.0], requires_grad=True)
    loss = (w @ x) * 1.0
    with sh.no_grad():
        x.add_(1)
    with pytest.raises(sh.InPlaceError) as raised:
        loss.backward()
    message = str(raised.value)
    assert "matmul needs the value its input 1 (a leaf tensor of shape (2,))" in message
    assert w.grad is None  # nothing was half-computed into the leaves


def test_a_kept_detached_loss_does_not_keep_its_graph():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    kept = loss.detach()  # as in losses.append(loss.detach())
    node = weakref.ref(loss.grad_fn)
    del loss
    gc.collect()
    assert node() is None and kept.item() == 5.0


def test_a_training_loop_in_the_usual_order_never_raises():
    sh.manual_seed(0)
    model = sh.nn.Sequential(sh.nn.Linear(4, 8), sh.nn.GELU(), sh.nn.LayerNorm(8))
    opt = sh.optim.AdamW(model.parameters(), lr=1e-2)
    x = sh.randn(16, 4)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_setitem_with_a_mask_under_no_grad_and_with_grad():
    w = sh.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with sh.no_grad():
        w[w < 0] = 0.0
    assert w.is_leaf and w.tolist() == [1.0, 0.0, 3.0]

    x = sh.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 2
    y[x < 0] = 10.0
    y.sum().backward()
    assert y.tolist() == [2.0, 10.0, 6.0]
    assert x.grad.tolist() == [2.0, 0.0, 2.0]


def test_data_reads_and_writes():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.numpy() is w.numpy(force=True)
    w.data.zero_()
    assert w.tolist() == [0.0, 0.0]
    w.data = sh.tensor([5.0, 6.0])
    assert w.tolist() == [5.0, 6.0] and w.requires_grad and w.is_leaf


def test_requires_grad_setter_rules():
    x = sh.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    with pytest.raises(sh.DTypeError, match="float"):
        sh.tensor([1, 2]).requires_grad = True
    y = sh.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(sh.ArgumentError, match="detach"):
        y.requires_grad = False


# ------------------------------------------------------------------ write your own Function
def test_a_user_function_gets_the_engine_bookkeeping():
    class Cube(sh.Function):
        def forward(self, x):
            self.x = x
            return x**3

        def backward(self, grad_out):
            return grad_out * 3 * self.x**2

    x = sh.tensor([1.0, 2.0], dtype=sh.float64, requires_grad=True)
    assert gradcheck(Cube.apply, x)
    y = Cube.apply(x)
    assert repr(y.grad_fn) == "<CubeBackward>"


def test_the_readmes_own_op_example_runs_and_prints_what_it_says(capsys):
    """README, 'What happens under the hood': the documented way to write an op."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "sh.Function" in b]
    assert len(blocks) == 1, "README should show one example of subclassing sh.Function"
    exec(compile(blocks[0], "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "tensor([ 6., 24.])"  # d(2 x^3)/dx = 6 x^2 at x = 1, 2
    assert "max abs err" in lines[1] and lines[2].split()[-1] == "ok"


def test_a_gradient_of_the_wrong_shape_is_reported_with_the_op_name():
    class Bad(sh.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return grad_out.sum()

    with pytest.raises(sh.ShapeError, match="bad.backward"):
        Bad.apply(sh.tensor([1.0, 2.0], requires_grad=True)).sum().backward()


def test_a_wrong_gradient_shape_inside_the_graph_is_reported_too():
    class Bad(sh.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return grad_out[:1]

    x = sh.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(sh.ShapeError, match=r"bad.backward returned a gradient of shape \(1,\)"):
        (Bad.apply(x * 3) * 2).sum().backward()


def test_the_suite_checks_gradient_shapes_of_scratchish_ops():
    from scratchish.ops.elementwise import Add

    assert Add.check_grad_shapes  # conftest sets SCRATCHISH_CHECK_GRAD_SHAPES=1


# ------------------------------------------------------------------ gradcheck itself
class _WrongSquare(sh.Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad_out):
        return grad_out * self.x  # the factor 2 is missing


def test_gradcheck_passes_and_reports_per_input():
    a = sh.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # float32: checked in float64
    b = sh.tensor([0.5, -1.0], requires_grad=True)
    report = gradcheck(lambda x, y, k: (x * y).sum(dim=k), a, b, 1)
    assert report
    assert [c.position for c in report.inputs] == [0, 1]
    assert all(c.max_abs_error < 1e-7 for c in report.inputs)
    assert "max abs err" in str(report) and "(2, 2)" in str(report)
    assert a.grad is None and a.dtype == sh.float32  # the inputs are left alone


def test_gradcheck_raises_naming_input_index_and_values():
    x = sh.tensor([1.0, 2.0], dtype=sh.float64)
    w = sh.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=sh.float64, requires_grad=True)
    with pytest.raises(sh.GradcheckError) as info:
        gradcheck(lambda a, b: _WrongSquare.apply(b) * a[:, None], x, w)
    message = str(info.value)
    assert "input 1 (shape (2, 3))" in message
    assert "at index (1, 2)" in message  # the largest value gets the largest error
    found = re.search(r"analytic ([-\d.e+]+), numerical ([-\d.e+]+)", message)
    analytic, numerical = float(found.group(1)), float(found.group(2))
    assert numerical == pytest.approx(2 * analytic, rel=1e-4)  # the missing factor 2
    assert isinstance(info.value, AssertionError)


def test_gradcheck_can_return_a_failing_report():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    report = gradcheck(_WrongSquare.apply, x, raise_exception=False)
    assert not report
    assert "FAILED at (1,)" in str(report)


def test_gradcheck_handles_several_outputs_and_index_outputs():
    x = sh.tensor([[1.0, 5.0, 2.0], [7.0, 3.0, 4.0]], requires_grad=True)
    assert gradcheck(lambda t: t.max(dim=1), x)
    assert gradcheck(lambda t: t.split(1, dim=1), x)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(sh.ArgumentError, match="requires_grad=True"):
        gradcheck(lambda t: t * 2, sh.tensor([1.0]))


def test_gradcheck_docstring_example_runs():
    module = sys.modules["scratchish.tools.gradcheck"]
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ gradients written in place
def _sgd_linear(bias=False):
    sh.manual_seed(0)
    layer = sh.nn.Linear(4, 3, bias=bias)
    return layer, sh.optim.SGD(layer.parameters(), lr=0.1)


def test_a_linear_weight_gradient_is_written_into_the_optimizer_buffer_not_copied(monkeypatch):
    """Linear's backward writes grad_w straight into the buffer the optimizer keeps for it
    (autograd.grad_home), so backward copies nothing into that buffer."""
    layer, opt = _sgd_linear()
    x = sh.randn(5, 4)
    copies = []
    real_copyto = np.copyto
    monkeypatch.setattr(
        np, "copyto", lambda dst, *a, **k: (copies.append(dst.shape), real_copyto(dst, *a, **k))
    )
    opt.zero_grad()
    layer(x).square().sum().backward()
    assert copies == []
    # the same numbers as the plain formula: grad_w = grad_out.T @ x, grad_out = 2 * out
    out = x.numpy() @ layer.weight.detach().numpy().T
    np.testing.assert_allclose(layer.weight.grad.numpy(), (2 * out).T @ x.numpy(), rtol=1e-6)
    assert layer.weight.grad.numpy().base is not None  # a view of the optimizer's flat buffer


def test_a_weight_that_is_also_the_input_gets_both_gradients():
    """F.linear(w, w): the weight's buffer must not receive grad_w before grad_x is copied
    into it, or one of the two gradients is lost."""
    torch = pytest.importorskip("torch")
    w = sh.randn(3, 3, requires_grad=True)
    opt = sh.optim.SGD([w], lr=0.1)
    opt.zero_grad()
    c = np.arange(9.0).reshape(3, 3)  # not symmetric: grad_x and grad_w differ
    (sh.nn.functional.linear(w, w) * sh.tensor(c, dtype=sh.float32)).sum().backward()
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    (torch.nn.functional.linear(tw, tw) * torch.tensor(c, dtype=torch.float32)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5)


def test_a_tied_weight_adds_the_gradients_of_both_uses():
    """A Linear weight shared with an Embedding (a GPT's tied weights): the Linear's gradient
    goes into the buffer first, the embedding's is added to it."""
    torch = pytest.importorskip("torch")
    ids = [[0, 2, 1], [3, 3, 0]]
    init = np.arange(20.0).reshape(4, 5) / 10
    grads = []
    for lib in (sh, torch):
        emb, head = lib.nn.Embedding(4, 5), lib.nn.Linear(5, 4, bias=False)
        head.weight = emb.weight
        emb.weight.data = lib.tensor(init, dtype=lib.float32)
        opt = lib.optim.SGD(emb.parameters(), lr=0.1)
        opt.zero_grad()
        head(emb(lib.tensor(ids))).square().sum().backward()
        grads.append(emb.weight.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)


def test_a_hooked_weight_still_sees_its_gradient_and_may_change_it():
    layer, opt = _sgd_linear()
    seen = []
    layer.weight.register_hook(lambda g: (seen.append(g.numpy().copy()), g * 0)[1])
    opt.zero_grad()
    layer(sh.ones(2, 4)).sum().backward()
    assert len(seen) == 1 and np.abs(seen[0]).sum() > 0
    assert np.all(layer.weight.grad.numpy() == 0)


# ------------------------------------------------------------------ gradients added in place
def _both(build, shape=(2, 3, 12), seed=0):
    """Run build(lib, x) -> loss in scratchish and torch from the same x; return both x.grad."""
    data = np.random.default_rng(seed).standard_normal(shape)
    ours, theirs = sh.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    build(sh, ours).backward()
    build(torch, theirs).backward()
    return ours.grad.numpy(), theirs.grad.numpy()


@needs_torch
@pytest.mark.parametrize(
    "build",
    [
        # q, k, v = qkv.split(...): three slices of one node, each used once
        lambda lib, x: sum((i + 1) * (p * p).sum() for i, p in enumerate((x * 2).split(4, dim=2))),
        # a slice used twice, and the whole tensor used beside its slices
        lambda lib, x: (
            lambda y: (y[..., :4] * y[..., :4]).sum() + (y[..., 2:6] * 3).sum() + y.tanh().sum()
        )(x * 1.5),
        # grad_out passed through (Add gives the same array to both inputs) next to slices
        lambda lib, x: (lambda y: ((y + y) * y[..., :1]).sum() + y[0, 1:, ::3].exp().sum())(x - 1),
        # basic and integer-array indexing of the same node, and a slice with None
        lambda lib, x: (
            lambda y: y[:, [0, 0, 2]].sum() + (y[:, 1:2, None] ** 2).sum() + y[1].sin().sum()
        )(x * x),
    ],
)
def test_gradients_gathered_in_place_match_torch(build):
    ours, theirs = _both(build)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_slices_of_one_node_add_into_one_gradient_array(monkeypatch):
    """Backward adds the gradients of x[a], x[b], x[c] into one array of x's size: GetItem's
    backward (a new array each) runs for the first slice only."""
    from scratchish.ops.movement import GetItem

    calls = []
    plain = GetItem.backward
    monkeypatch.setattr(GetItem, "backward", lambda self, g: calls.append(1) or plain(self, g))
    x = sh.randn(4, 9, requires_grad=True)
    q, k, v = (x * 2.0).split(3, dim=1)
    (q.sum() + (k * k).sum() + (v * 3.0).sum()).backward()
    assert len(calls) == 1
    expected = np.concatenate(
        [np.full((4, 3), 2.0), 8 * x.detach().numpy()[:, 3:6], np.full((4, 3), 6.0)], 1
    )
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@needs_torch
def test_a_scalar_used_three_times_sums_its_gradients_as_torch():
    # 0-d arrays: NumPy's sum of two is a NumPy scalar, which cannot be added into in place
    grads = []
    for lib in (sh, torch):
        x = lib.tensor(3.0, requires_grad=True)
        y = x * 2
        (y * y + y + y.exp()).backward()
        grads.append(x.grad.item())
    assert grads[0] == pytest.approx(grads[1], rel=1e-6)
    assert grads[0] == pytest.approx(2 * (2 * 6 + 1 + np.exp(6)), rel=1e-6)


def test_a_gradient_array_an_op_passed_to_two_inputs_is_never_added_into():
    """z = y + w gives the same array to y and w (Add passes grad_out through). It reaches
    both first; when y and w then get their other gradients, neither may be added into it in
    place, or each would also get the other's."""
    x = sh.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y, w = x * 1.0, x * 2.0
    a, b = y * 5.0, w * 7.0  # made before z: their gradients arrive after z's
    z = y + w
    ((z * 2.0).sum() + a.sum() + (b * b).sum()).backward()
    # loss = 2(y + w) + 5y + (7w)^2 with y = x, w = 2x: d/dx = 2 * 3 + 5 + 2 * 49 * 2x * 2
    np.testing.assert_allclose(x.grad.numpy(), 11.0 + 392.0 * np.array([1.0, 2.0, 3.0]))
