"""The optimizers beyond SGD/Adam/RMSprop (Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD,
Rprop) against torch.optim: 20 steps of a small model, state_dict layout, tensor lr, errors.
Their step-by-step parity on synthetic gradients, skipped gradients and the state_dict round
trip run with the other optimizers in test_optimizers.py (its CASES table)."""

import pickle

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn, optim

torch = pytest.importorskip("torch")

CASES = [
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1, "maximize": True}),
    ("Adadelta", {"lr": 1.0}),
    ("Adadelta", {"lr": 0.5, "rho": 0.7, "weight_decay": 0.01, "maximize": True}),
    ("Adamax", {"lr": 0.02}),
    ("Adamax", {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.05}),
    ("NAdam", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.05, "weight_decay": 0.05, "maximize": True}),
    ("RAdam", {"lr": 0.02, "betas": (0.9, 0.9)}),
    ("RAdam", {"lr": 0.02, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.02, "betas": (0.5, 0.8), "weight_decay": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 5}),
    ("ASGD", {"lr": 0.05, "lambd": 0.05, "alpha": 1.0, "t0": 0, "weight_decay": 0.01}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.02, "etas": (0.4, 1.1), "step_sizes": (1e-3, 0.05), "maximize": True}),
    ("Adafactor", {"lr": 0.02}),
    ("Adafactor", {"lr": 0.02, "weight_decay": 0.05, "d": 2.0, "eps": (1e-6, 1e-3)}),
]


def make_models(dtype):
    torch.manual_seed(0)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    theirs = theirs.to(tdtype)
    ours = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).to(
        sh.float64 if dtype == np.float64 else sh.float32
    )
    ours.load_state_dict({k: sh.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 5)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)
    return ours, theirs, (sh.tensor(x), sh.tensor(y)), (torch.tensor(x), torch.tensor(y))


def train_step(model, opt, x, y):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-11), (np.float32, 2e-5)])
@pytest.mark.parametrize("name,settings", CASES)
def test_twenty_steps_of_a_model_match_torch(name, settings, dtype, tol):
    ours, theirs, (x, y), (tx, ty) = make_models(dtype)
    opt = getattr(optim, name)(ours.parameters(), **settings)
    topt = getattr(torch.optim, name)(theirs.parameters(), **settings)
    for step in range(20):
        train_step(ours, opt, x, y)
        train_step(theirs, topt, tx, ty)
        for (key, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            assert p.dtype == sh.float64 if dtype == np.float64 else sh.float32
            np.testing.assert_allclose(
                p.detach().numpy(), tp.detach().numpy(), rtol=tol, atol=tol, err_msg=f"{key}@{step}"
            )


@pytest.mark.parametrize("name,settings", CASES)
def test_state_dict_layout_and_values_are_torchs(name, settings):
    ours, theirs, (x, y), (tx, ty) = make_models(np.float64)
    opt = getattr(optim, name)(ours.parameters(), **settings)
    topt = getattr(torch.optim, name)(theirs.parameters(), **settings)
    for _ in range(7):
        train_step(ours, opt, x, y)
        train_step(theirs, topt, tx, ty)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["param_groups"][0]) == sorted(tsd["param_groups"][0])
    assert sd["state"].keys() == tsd["state"].keys()
    for i, tstate in tsd["state"].items():
        assert list(sd["state"][i]) == list(tstate), i
        for key, tvalue in tstate.items():
            value = sd["state"][i][key]
            assert value.shape == tuple(tvalue.shape), key
            assert str(value.numpy().dtype) == str(tvalue.dtype).replace("torch.", ""), key
            np.testing.assert_allclose(value.numpy(), tvalue.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,settings", CASES)
def test_state_dict_loaded_from_torch_continues_torchs_trajectory(name, settings):
    """torch's saved optimizer state (as NumPy) loads into scratchish and goes on exactly."""
    ours, theirs, (x, y), (tx, ty) = make_models(np.float64)
    topt = getattr(torch.optim, name)(theirs.parameters(), **settings)
    for _ in range(5):
        train_step(theirs, topt, tx, ty)
    tsd = topt.state_dict()
    saved = {
        "state": {
            i: {k: sh.tensor(v.numpy().copy()) for k, v in s.items()}
            for i, s in tsd["state"].items()
        },
        "param_groups": pickle.loads(pickle.dumps(tsd["param_groups"])),
    }
    ours.load_state_dict({k: sh.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    opt = getattr(optim, name)(ours.parameters(), **settings)
    opt.load_state_dict(saved)
    for _ in range(5):
        train_step(ours, opt, x, y)
        train_step(theirs, topt, tx, ty)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor"]
)
def test_lr_as_a_one_element_tensor(name):
    # torch computes the step-size numbers from a tensor lr in its dtype (float32), scratchish
    # in Python floats: the weights agree to float32 rounding of those numbers, not to the bit
    ours, theirs, (x, y), (tx, ty) = make_models(np.float64)
    opt = getattr(optim, name)(ours.parameters(), lr=sh.tensor(0.01))
    topt = getattr(torch.optim, name)(theirs.parameters(), lr=torch.tensor(0.01))
    for _ in range(5):
        train_step(ours, opt, x, y)
        train_step(theirs, topt, tx, ty)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-9)
    with pytest.raises(sh.ArgumentError, match=r"a tensor lr must hold one number.*shape \(2,\)"):
        getattr(optim, name)(ours.parameters(), lr=sh.tensor([0.1, 0.2]))


def test_adagrad_state_exists_before_the_first_step_as_in_torch():
    w = sh.ones(3, requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.25)
    assert float(opt.state[w]["step"]) == 0.0
    assert opt.state[w]["sum"].tolist() == [0.25] * 3
    assert list(opt.state_dict()["state"]) == [0]


def test_asgd_averages_the_weights_after_t0():
    w = sh.tensor([4.0], requires_grad=True)
    opt = optim.ASGD([w], lr=0.1, lambd=0.0, t0=2)
    seen = []
    for _ in range(6):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        seen.append(w.item())
    # mu = 1 / max(1, t - t0) is set after step t for the next one: 1 up to step t0 + 2 = 4
    # (ax copies theta), then 1/2, 1/3: ax is the mean of theta after steps 4, 5 and 6
    np.testing.assert_allclose(opt.state[w]["ax"].item(), np.mean(seen[3:]), rtol=1e-6)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda w: optim.Adagrad([w], lr=-1), r"Adagrad: lr=-1 is negative.*Did you mean lr=1"),
        (lambda w: optim.Adagrad([w], lr_decay=-0.1), r"lr_decay=-0\.1 is negative"),
        (
            lambda w: optim.Adagrad([w], initial_accumulator_value=-1),
            r"initial_accumulator_value=-1 is negative",
        ),
        (lambda w: optim.Adagrad([w], eps=-1e-10), r"eps=-1e-10 is negative"),
        (lambda w: optim.Adadelta([w], rho=1.5), r"Adadelta: rho=1\.5 is outside \[0, 1\]"),
        (lambda w: optim.Adadelta([w], weight_decay=-1), r"weight_decay=-1 is negative"),
        (lambda w: optim.Adamax([w], betas=(1.0, 0.9)), r"Adamax: betas\[0\]=1\.0 is outside"),
        (lambda w: optim.NAdam([w], momentum_decay=-1), r"NAdam: momentum_decay=-1 is negative"),
        (lambda w: optim.NAdam([w], betas=(0.9, 1.0)), r"betas\[1\]=1\.0 is outside"),
        (lambda w: optim.RAdam([w], lr=-0.5), r"RAdam: lr=-0\.5 is negative"),
        (lambda w: optim.ASGD([w], weight_decay=-0.1), r"ASGD: weight_decay=-0\.1 is negative"),
        (lambda w: optim.Rprop([w], etas=(1.2, 0.5)), r"Rprop: etas=\(1\.2, 0\.5\) must satisfy"),
        (lambda w: optim.Rprop([w], etas=(0, 1.2)), r"0 < etaminus < 1 < etaplus"),
        (lambda w: optim.Rprop([w], step_sizes=1e-6), r"step_sizes must be a pair of numbers"),
        (lambda w: optim.Adafactor([w], beta2_decay=0.5), r"beta2_decay=0\.5 must be <= 0"),
        (lambda w: optim.Adafactor([w], eps=(None, -1)), r"eps=\(None, -1\) must hold numbers"),
        (lambda w: optim.Adafactor([w], d=0.5), r"Adafactor: d=0\.5 must be >= 1"),
        (lambda w: optim.Adafactor([w], lr=-0.1), r"Adafactor: lr=-0\.1 is negative"),
    ],
)
def test_bad_hyperparameters_raise_what_torch_refuses(make, message):
    w = sh.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=message):
        make(w)


@pytest.mark.parametrize(
    "name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"]
)
def test_differentiable_true_is_refused_and_speed_options_are_ignored(name):
    w = sh.ones(2, requires_grad=True)
    with pytest.raises(sh.UnsupportedError, match=r"differentiable=True"):
        getattr(optim, name)([w], differentiable=True)
    getattr(optim, name)([w], foreach=True)  # accepted: the flat buffer is already "foreach"


def test_asgd_alpha_is_not_a_smoothing_constant():
    # torch accepts any alpha for ASGD (a power); only RMSprop's alpha must be >= 0
    optim.ASGD([sh.ones(2, requires_grad=True)], alpha=-0.5)


@pytest.mark.parametrize(
    "module", ["adagrad", "adadelta", "adamax", "nadam", "radam", "asgd", "rprop", "adafactor"]
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"scratchish.optim.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_the_new_names_are_known_to_scratchish_run_check():
    from scratchish.runner import check_name

    names = [
        f"torch.optim.{n}"
        for n in "Adagrad Adadelta Adamax NAdam RAdam ASGD Rprop LBFGS Adafactor".split()
    ]
    names += [
        f"torch.optim.lr_scheduler.{n}"
        for n in "PolynomialLR CosineAnnealingWarmRestarts CyclicLR ChainedScheduler".split()
    ]
    names += [f"torch.nn.{n}" for n in "ParameterList ParameterDict Bilinear".split()]
    names += [f"torch.nn.init.{n}" for n in "orthogonal_ dirac_ sparse_ orthogonal".split()]
    names += [
        f"torch.nn.utils.{n}"
        for n in (
            "get_total_norm clip_grads_with_norm_ weight_norm remove_weight_norm spectral_norm "
            "remove_spectral_norm"
        ).split()
    ]
    names += ["torch.nn.functional.bilinear"]
    assert {name: check_name(name) for name in names} == dict.fromkeys(names)
