"""Optimizers against torch.optim step by step, the flat buffers, state_dict, and the errors."""

import copy
import math
import pickle

import numpy as np
import pytest

import scratchish as sh
from scratchish import optim

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3,), (2, 2, 2), ()]

# (scratchish class, torch class, settings)
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("SGD", {"lr": 0.02, "weight_decay": 0.5, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.9)}),  # lerp's other branch (weight >= 0.5)
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 2.0, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.3, 0.9), "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "eps": 1e-3, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.99), "momentum_decay": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "betas": (0.3, 0.9), "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),  # rectified from step 6
    (
        "RAdam",
        {"lr": 0.01, "betas": (0.3, 0.5), "decoupled_weight_decay": True, "weight_decay": 0.1},
    ),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.8), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.2)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-4, 1e-2), "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.05, "d": 1.5, "maximize": True}),
]


def make_data(shapes, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(n_steps)]
    return init, grads


def backward_with(params, grads, dtype):
    """Give each parameter the gradient g through a real backward: loss = sum(p * g)."""
    loss = None
    for p, g in zip(params, grads):
        if g is None:
            continue
        term = (p * sh.tensor(g.astype(dtype))).sum()
        loss = term if loss is None else loss + term
    loss.backward()


def set_torch_grads(params, grads, dtype):
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(g, dtype=dtype)


def run_both(name, settings, dtype=np.float64, n_steps=10, groups=None, none_at=(), shapes=SHAPES):
    """Run scratchish and torch side by side; return the two lists of parameter values.

    none_at: (step, param index) pairs whose gradient is None on that step.
    """
    init, grads = make_data(shapes, n_steps)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    ours = [sh.tensor(a.astype(dtype), requires_grad=True) for a in init]
    theirs = [torch.tensor(a, dtype=tdtype, requires_grad=True) for a in init]

    def param_arg(ps):
        return [{"params": [ps[i] for i in idx], **kw} for idx, kw in groups] if groups else ps

    opt = getattr(optim, name)(param_arg(ours), **settings)
    topt = getattr(torch.optim, name)(param_arg(theirs), **settings)
    for step in range(n_steps):
        g = [None if (step, i) in none_at else gi for i, gi in enumerate(grads[step])]
        opt.zero_grad()
        backward_with(ours, g, dtype)
        opt.step()
        topt.zero_grad()
        set_torch_grads(theirs, g, tdtype)
        topt.step()
    return [p.detach().numpy() for p in ours], [p.detach().numpy() for p in theirs], opt, topt


@pytest.mark.parametrize("name,settings", CASES)
def test_matches_torch_float64(name, settings):
    ours, theirs, _, _ = run_both(name, settings)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name,settings", CASES)
def test_matches_torch_float32(name, settings):
    ours, theirs, _, _ = run_both(name, settings, dtype=np.float32)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_with_different_lrs(name):
    groups = [((0, 2), {"lr": 0.1}), ((1, 3), {"lr": 0.003})]
    settings = {"momentum": 0.9} if name != "Adam" else {"lr": 0.01}
    ours, theirs, opt, _ = run_both(name, settings, groups=groups)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.003]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name,settings", CASES)
def test_none_gradients_are_skipped(name, settings):
    none_at = {(0, 1), (3, 1), (4, 1), (2, 0), (7, 3)}
    ours, theirs, opt, topt = run_both(name, settings, none_at=none_at)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    # the state did not advance on skipped steps: same step counts as torch
    for p, tp in zip(opt.param_groups[0]["params"], topt.param_groups[0]["params"]):
        if "step" in topt.state[tp]:
            assert float(opt.state[p]["step"]) == float(topt.state[tp]["step"])


def test_parameter_never_stepped_has_no_state():
    w, b = sh.ones(3, requires_grad=True), sh.ones(2, requires_grad=True)
    opt = optim.Adam([w, b])
    (w * 2).sum().backward()
    opt.step()
    assert set(opt.state[w]) == {"step", "exp_avg", "exp_avg_sq"}
    assert not opt.state.get(b)
    np.testing.assert_array_equal(b.detach().numpy(), np.ones(2, np.float32))
    assert list(opt.state_dict()["state"]) == [0]


@pytest.mark.parametrize("name,settings", [c for c in CASES if c[0] in ("SGD", "Adam")])
def test_replaced_data_and_assigned_grad(name, settings):
    """p.data replaced mid-training and p.grad assigned by hand: the fallback still matches."""
    init, grads = make_data(SHAPES, 8, seed=1)
    ours = [sh.tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt = getattr(optim, name)(ours, **settings)
    topt = getattr(torch.optim, name)(theirs, **settings)
    for step in range(8):
        if step == 4:
            new = np.full(SHAPES[0], 0.5)
            ours[0].data = sh.tensor(new)
            theirs[0].data = torch.tensor(new)
        opt.zero_grad()
        if step % 2:
            for p, g in zip(ours, grads[step]):
                p.grad = sh.tensor(g)  # assigned, not in the gradient buffer
        else:
            backward_with(ours, grads[step], np.float64)
        opt.step()
        topt.zero_grad()
        set_torch_grads(theirs, grads[step], torch.float64)
        topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-12)
    flat = opt._flats[0][1][0].flat
    assert all(np.shares_memory(p.array, flat) for p in ours)  # re-adopted


def test_changed_shape_after_data_replaced_reflattens_before_first_step():
    w = sh.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.data = sh.ones(5)
    (w * 1.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), np.full(5, 0.9, np.float32))


@pytest.mark.parametrize("name,settings", [c for c in CASES if c[1]])
def test_state_dict_round_trip_resumes_exactly(name, settings):
    init, grads = make_data(SHAPES, 10, seed=2)
    straight = [sh.tensor(a, requires_grad=True) for a in init]
    opt = getattr(optim, name)(straight, **settings)
    resumed = [sh.tensor(a, requires_grad=True) for a in init]
    first = getattr(optim, name)(resumed, **settings)
    for step in range(10):
        opt.zero_grad()
        backward_with(straight, grads[step], np.float64)
        opt.step()
    for step in range(5):
        first.zero_grad()
        backward_with(resumed, grads[step], np.float64)
        first.step()
    saved = pickle.loads(pickle.dumps(first.state_dict()))  # as if written to disk
    values = [p.detach().numpy().copy() for p in resumed]
    fresh = [sh.tensor(v, requires_grad=True) for v in values]
    second = getattr(optim, name)(fresh, **{**settings, "lr": 123.0})
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == settings.get("lr", first.defaults["lr"])
    for step in range(5, 10):
        second.zero_grad()
        backward_with(fresh, grads[step], np.float64)
        second.step()
    for a, b in zip(straight, fresh):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_state_dict_layout_is_torchs():
    ours = [sh.ones(2, 3, requires_grad=True), sh.ones(3, requires_grad=True)]
    theirs = [torch.ones(2, 3, requires_grad=True), torch.ones(3, requires_grad=True)]
    opt = optim.Adam([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.1}], amsgrad=True)
    topt = torch.optim.Adam(
        [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.1}], amsgrad=True
    )
    for ps, o in ((ours, opt), (theirs, topt)):
        for p in ps:
            p.grad = p.detach() * 0 + 1
        o.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [sorted(g) for g in sd["param_groups"]] == [sorted(g) for g in tsd["param_groups"]]
    assert sd["state"].keys() == tsd["state"].keys()
    for i in sd["state"]:
        assert list(sd["state"][i]) == list(tsd["state"][i])
        assert float(sd["state"][i]["step"]) == 1.0
        assert sd["state"][i]["exp_avg"].shape == tuple(tsd["state"][i]["exp_avg"].shape)


def test_load_state_dict_checks_sizes():
    opt = optim.SGD([sh.ones(2, requires_grad=True)], lr=0.1, momentum=0.9)
    other = optim.SGD([sh.ones(2, requires_grad=True), sh.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="parameter group 0 has 1 parameters but the saved"):
        opt.load_state_dict(other.state_dict())


def test_flat_buffer_is_shared_and_float32_stays_float32():
    w1 = sh.randn(784, 16, requires_grad=True)
    b1 = sh.zeros(16, requires_grad=True)
    before = w1.detach().numpy().copy()
    opt = optim.Adam([w1, b1], lr=1e-2)
    flat_group = opt._flats[0][1][0]
    assert flat_group.flat.dtype == np.float32 and flat_group.flat.size == 784 * 16 + 16
    for p in (w1, b1):
        assert np.shares_memory(p.array, flat_group.flat)
    np.testing.assert_array_equal(w1.detach().numpy(), before)  # values kept
    x = sh.randn(8, 784)
    (x @ w1 + b1).relu().sum().backward()
    assert np.shares_memory(w1.grad.array, flat_group.flat_grad)  # backward wrote in place
    opt.step()
    for t in (w1, b1, w1.grad, opt.state[w1]["exp_avg"], opt.state[w1]["exp_avg_sq"]):
        assert t.array.dtype == np.float32
    assert np.shares_memory(opt.state[w1]["exp_avg"].array, flat_group.buffers["exp_avg"])
    assert not np.array_equal(w1.detach().numpy(), before)
    opt.zero_grad()
    assert w1.grad is None


def test_zero_grad_set_to_none_false_zeroes_in_place():
    w = sh.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3.0).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0, 0.0]
    (w * 2.0).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_mixed_dtypes_in_one_group():
    a = sh.tensor(np.ones(3), requires_grad=True)
    b = sh.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5)
    (a * 1.0).sum().backward()
    (b * 1.0).sum().backward()
    opt.step()
    assert a.array.dtype == np.float64 and b.array.dtype == np.float32
    assert a.tolist() == [0.5] * 3 and b.tolist() == [0.5] * 2


def test_closure_and_param_names_and_add_param_group():
    w = sh.tensor([1.0, 2.0], requires_grad=True)
    b = sh.tensor([0.5], requires_grad=True)
    opt = optim.SGD([("w", w)], lr=0.1)
    opt.add_param_group({"params": [("b", b)], "lr": 1.0})
    assert opt.param_groups[0]["param_names"] == ["w"]

    def closure():
        opt.zero_grad()
        loss = (w * w).sum() + (b * 2.0).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 6.0
    np.testing.assert_allclose(w.tolist(), [0.8, 1.6], rtol=1e-6)
    np.testing.assert_allclose(b.tolist(), [-1.5], rtol=1e-6)


def test_deepcopy_gives_an_independent_optimizer():
    w = sh.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * 1.0).sum().backward()
    opt.step()
    clone = copy.deepcopy(opt)
    w2 = clone.param_groups[0]["params"][0]
    assert w2 is not w and not np.shares_memory(w2.array, w.array)
    assert float(clone.state[w2]["step"]) == 1.0


# ---------------------------------------------------------------------- errors that teach
def test_error_negative_lr():
    with pytest.raises(ValueError, match=r"SGD: lr=-0\.1 is negative.*Did you mean lr=0\.1"):
        optim.SGD([sh.ones(2, requires_grad=True)], lr=-0.1)


def test_error_negative_lr_in_a_param_group():
    with pytest.raises(sh.ArgumentError, match=r"Adam: lr=-1 is negative"):
        optim.Adam([{"params": [sh.ones(2, requires_grad=True)], "lr": -1}])


def test_error_empty_parameter_list():
    with pytest.raises(sh.ArgumentError, match="empty parameter list") as info:
        optim.Adam([])
    assert "model with no layers" in str(info.value) and "used up" in str(info.value)
    params = (p for p in [sh.ones(2, requires_grad=True)])
    optim.SGD(params, lr=0.1)
    with pytest.raises(sh.ArgumentError, match="already used up"):
        optim.SGD(params, lr=0.1)  # the generator is exhausted


@pytest.mark.parametrize("betas,index", [((1.0, 0.999), 0), ((0.9, -0.1), 1), ((0.9, 1.5), 1)])
def test_error_betas_outside_unit_interval(betas, index):
    with pytest.raises(sh.ArgumentError, match=rf"betas\[{index}\]=.* is outside \[0, 1\)"):
        optim.Adam([sh.ones(2, requires_grad=True)], betas=betas)


def test_error_non_leaf_parameter():
    w = sh.ones(2, requires_grad=True)
    with pytest.raises(sh.ArgumentError, match="can't optimize a non-leaf Tensor: parameter 0"):
        optim.SGD([w * 2], lr=0.1)


def test_error_no_parameter_requires_grad():
    with pytest.raises(sh.ArgumentError, match="none of the 2 parameters requires grad"):
        optim.SGD([sh.ones(2), sh.ones(3)], lr=0.1)


def test_warning_some_parameters_frozen():
    with pytest.warns(UserWarning, match=r"parameters \[1\] do not require grad"):
        optim.SGD([sh.ones(2, requires_grad=True), sh.ones(3)], lr=0.1)


def test_error_duplicate_parameters():
    w = sh.ones(2, requires_grad=True)
    with pytest.raises(sh.ArgumentError, match="parameter 1 is the same tensor as parameter 0"):
        optim.SGD([w, w], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(sh.ArgumentError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_error_not_tensors():
    with pytest.raises(TypeError, match="can only optimize Tensors, but parameter 0 is a ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"got a single Tensor.*Wrap it in a list"):
        optim.SGD(sh.ones(2, requires_grad=True), lr=0.1)


def test_error_nesterov_needs_momentum_and_differentiable_unsupported():
    w = sh.ones(2, requires_grad=True)
    with pytest.raises(sh.ArgumentError, match="nesterov=True needs momentum > 0"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(sh.UnsupportedError, match=r"differentiable=True"):
        optim.Adam([w], differentiable=True)
    optim.Adam([w], foreach=True, fused=True, capturable=True)  # accepted, ignored


@pytest.mark.parametrize("name,settings", [c for c in CASES if c[0] != "Adafactor"])
def test_parameters_longer_than_a_chunk_match_torch(name, settings):
    """The flat update runs `Optimizer._CHUNK` elements at a time: a chunk ends inside the
    first parameter, the second lies in the next chunk, and the scalar states (NAdam's
    mu_product, ASGD's eta and mu) must still advance once per step."""
    side = math.isqrt(optim.Optimizer._CHUNK * 3 // 2)  # 1.5 chunks: 313 for 2**16
    shapes = [(side, side), (7,)]
    assert optim.Optimizer._CHUNK < side * side < 2 * optim.Optimizer._CHUNK
    ours, theirs, opt, topt = run_both(name, settings, n_steps=4, shapes=shapes)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    for key, value in topt.state[topt.param_groups[0]["params"][1]].items():
        ours_value = opt.state[opt.param_groups[0]["params"][1]][key]
        np.testing.assert_allclose(ours_value.numpy(), value.numpy(), rtol=1e-12, err_msg=key)


def test_trains_an_nn_model_and_survives_a_dtype_change():
    nn = pytest.importorskip("scratchish.nn")
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = sh.randn(64, 4)
    y = (x.sum(1, keepdim=True) > 0).float()
    losses = []
    for i in range(150):
        if i == 75:  # the model changes its parameters' arrays: the optimizer re-flattens
            model.to(sh.float64)
            x, y = x.double(), y.double()
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    flat_group = opt._flats[0][1][0]
    assert flat_group.flat.dtype == np.float64
    assert all(np.shares_memory(p.array, flat_group.flat) for p in model.parameters())
    assert float(opt.state[model[0].weight]["step"]) == 150
