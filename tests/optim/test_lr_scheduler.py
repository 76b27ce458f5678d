"""Learning-rate schedulers: the same lr sequences as torch.optim.lr_scheduler, and state_dict."""

import pickle

import pytest

import scratchish as sh
from scratchish import optim
from scratchish.optim import lr_scheduler

torch = pytest.importorskip("torch")

N_STEPS = 40


def make(opt_name, opt_kwargs, n_groups=2, framework="sh"):
    lrs = [0.1, 0.02][:n_groups]
    if framework == "sh":
        groups = [{"params": [sh.ones(2, requires_grad=True)], "lr": lr} for lr in lrs]
        return getattr(optim, opt_name)(groups, **opt_kwargs)
    groups = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(torch.optim, opt_name)(groups, **opt_kwargs)


# (scheduler name, settings, optimizer name, optimizer settings)
CASES = [
    ("StepLR", {"step_size": 7}, "SGD", {}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD", {}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 30]}, "SGD", {}),
    ("MultiStepLR", {"milestones": [2, 9], "gamma": 0.3}, "Adam", {}),
    ("ExponentialLR", {"gamma": 0.9}, "SGD", {}),
    ("ExponentialLR", {"gamma": 0.995}, "Adam", {}),
    ("CosineAnnealingLR", {"T_max": 10}, "SGD", {}),  # goes past T_max: rises again
    ("CosineAnnealingLR", {"T_max": 25, "eta_min": 1e-3}, "Adam", {}),
    ("LinearLR", {}, "SGD", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 12}, "SGD", {}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 8}, "SGD", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": N_STEPS}, "SGD", {"momentum": 0.9}),
    (
        "OneCycleLR",
        {"max_lr": [0.5, 0.1], "total_steps": N_STEPS, "anneal_strategy": "linear"},
        "SGD",
        {"momentum": 0.9},
    ),
    (
        "OneCycleLR",
        {"max_lr": 0.01, "epochs": 4, "steps_per_epoch": 10, "three_phase": True},
        "Adam",
        {},
    ),
    (
        "OneCycleLR",
        {"max_lr": 0.3, "total_steps": N_STEPS, "pct_start": 0.25, "cycle_momentum": False},
        "RMSprop",
        {},
    ),
]

NEW_CASES = [
    ("PolynomialLR", {}, "SGD", {}),
    ("PolynomialLR", {"total_iters": 30, "power": 2.0}, "Adam", {}),
    ("PolynomialLR", {"total_iters": 12, "power": 0.5}, "SGD", {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}, "SGD", {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 1e-3}, "Adam", {}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, "SGD", {"momentum": 0.9}),
    (
        "CyclicLR",
        {"base_lr": [0.01, 0.001], "max_lr": [0.1, 0.05], "step_size_up": 3, "step_size_down": 5},
        "Adam",
        {},
    ),
    (
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
        "SGD",
        {"momentum": 0.5},
    ),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 5,
            "mode": "exp_range",
            "gamma": 0.97,
            "cycle_momentum": False,
        },
        "RMSprop",
        {},
    ),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.2,
            "step_size_up": 2,
            "scale_fn": lambda x: 0.5 ** (x / 4),
            "scale_mode": "iterations",
            "base_momentum": [0.7, 0.6],
        },
        "SGD",
        {"momentum": 0.9},
    ),
]
CASES += NEW_CASES


def lr_sequences(framework, name, settings, opt_name, opt_kwargs):
    module = lr_scheduler if framework == "sh" else torch.optim.lr_scheduler
    opt = make(opt_name, opt_kwargs, framework=framework)
    sched = getattr(module, name)(opt, **settings)
    seq = [(sched.get_last_lr(), _momenta(opt))]
    for _ in range(N_STEPS - 1 if name == "OneCycleLR" else N_STEPS):
        opt.step()
        sched.step()
        seq.append((sched.get_last_lr(), _momenta(opt)))
    return seq, sched.last_epoch


def _momenta(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


@pytest.mark.parametrize("name,settings,opt_name,opt_kwargs", CASES)
def test_same_lr_sequence_as_torch(name, settings, opt_name, opt_kwargs):
    ours, last = lr_sequences("sh", name, settings, opt_name, opt_kwargs)
    theirs, tlast = lr_sequences("torch", name, settings, opt_name, opt_kwargs)
    assert last == tlast
    assert len(ours) == len(theirs)
    for (lrs, moms), (tlrs, tmoms) in zip(ours, theirs):
        assert lrs == pytest.approx(tlrs, rel=1e-12, abs=1e-15)
        assert moms == pytest.approx(tmoms, rel=1e-12)


def test_lambda_and_multiplicative_lr_match_torch():
    for name, fn in (("LambdaLR", lambda e: 0.95**e), ("MultiplicativeLR", lambda e: 0.9)):
        seqs = []
        for framework, module in (("sh", lr_scheduler), ("torch", torch.optim.lr_scheduler)):
            opt = make("SGD", {}, framework=framework)
            sched = getattr(module, name)(opt, fn)
            seq = [sched.get_last_lr()]
            for _ in range(N_STEPS):
                opt.step()
                sched.step()
                seq.append(sched.get_last_lr())
            seqs.append(seq)
        assert seqs[0] == seqs[1]


def test_sequential_lr_matches_torch():
    seqs = []
    for framework, module in (("sh", lr_scheduler), ("torch", torch.optim.lr_scheduler)):
        opt = make("SGD", {"momentum": 0.9}, framework=framework)
        warmup = module.LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = module.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4)
        steps = module.StepLR(opt, step_size=4, gamma=0.5)
        sched = module.SequentialLR(opt, [warmup, decay, steps], milestones=[5, 25])
        seq = [sched.get_last_lr()]
        for _ in range(N_STEPS):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        seqs.append(seq)
    for ours, theirs in zip(*seqs):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def both_sequences(build, step_args, record=lambda sched: sched.get_last_lr()):
    """Build a scheduler with scratchish and with torch (build(module, optimizer)), step both
    with each entry of step_args (a tuple of step() arguments), and return the two lists of
    what `record` reads after each step."""
    seqs = []
    for framework, module in (("sh", lr_scheduler), ("torch", torch.optim.lr_scheduler)):
        opt = make("SGD", {}, framework=framework)
        sched = build(module, opt)
        seq = []
        for args in step_args:
            opt.step()
            sched.step(*args)
            seq.append(record(sched))
        seqs.append(seq)
    return seqs


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85] * 3
    settings = [
        {"patience": 2},
        {"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 2, "threshold_mode": "abs"},
        {"patience": 0, "min_lr": [0.05, 0.001], "threshold": 0.05},
    ]
    for kwargs in settings:
        seqs = both_sequences(
            lambda module, opt, kw=kwargs: module.ReduceLROnPlateau(opt, **kw),
            [(m,) for m in metrics],
        )
        assert seqs[0] == seqs[1], kwargs


@pytest.mark.parametrize("name,settings,opt_name,opt_kwargs", CASES[::2])
def test_state_dict_round_trip(name, settings, opt_name, opt_kwargs):
    straight, _ = lr_sequences("sh", name, settings, opt_name, opt_kwargs)
    opt = make(opt_name, opt_kwargs)
    sched = getattr(lr_scheduler, name)(opt, **settings)
    for _ in range(13):
        opt.step()
        sched.step()
    saved_sched = pickle.loads(pickle.dumps(sched.state_dict()))
    saved_opt = opt.state_dict()
    opt2 = make(opt_name, opt_kwargs)
    sched2 = getattr(lr_scheduler, name)(opt2, **settings)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)  # after building the scheduler, as in PyTorch
    assert sched2.get_last_lr() == straight[13][0]
    for k in range(14, len(straight)):
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == straight[k][0]


def test_sequential_state_dict_round_trip():
    def build():
        opt = make("SGD", {})
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = lr_scheduler.ExponentialLR(opt, gamma=0.9)
        return opt, lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[5])

    opt, sched = build()
    for _ in range(8):
        opt.step()
        sched.step()
    saved = pickle.loads(pickle.dumps(sched.state_dict()))
    saved_opt = opt.state_dict()
    opt.step()
    sched.step()
    expected = sched.get_last_lr()
    opt2, sched2 = build()
    sched2.load_state_dict(saved)
    opt2.load_state_dict(saved_opt)
    opt2.step()
    sched2.step()
    assert sched2.get_last_lr() == expected


def test_initial_step_and_base_lrs():
    opt = make("SGD", {})
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]


def test_warns_when_scheduler_steps_before_optimizer():
    opt = make("SGD", {})
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()


def test_errors():
    opt = make("SGD", {})
    with pytest.raises(sh.ArgumentError, match="give either total_steps, or epochs and"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(TypeError, match="the first argument must be an optimizer"):
        lr_scheduler.StepLR([1, 2], step_size=2)
    with pytest.raises(sh.ArgumentError, match="max_lr must have one value per param group"):
        lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(sh.ArgumentError, match="has no momentum or betas"):
        plain = optim.Optimizer([sh.ones(2, requires_grad=True)], {"lr": 0.1})
        lr_scheduler.OneCycleLR(plain, max_lr=0.1, total_steps=5)
    opt = make("SGD", {})
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    for _ in range(2):
        opt.step()
        sched.step()
    with pytest.raises(sh.ArgumentError, match="tried to step 3 times.*total_steps=2"):
        sched.step()
    with pytest.raises(sh.ArgumentError, match="start_factor=0 must be in"):
        lr_scheduler.LinearLR(make("SGD", {}), start_factor=0)
    with pytest.raises(sh.ArgumentError, match="mode='minimum' is unknown"):
        lr_scheduler.ReduceLROnPlateau(make("SGD", {}), mode="minimum")
    with pytest.raises(sh.ArgumentError, match="no 'initial_lr'"):
        lr_scheduler.StepLR(make("SGD", {}), step_size=2, last_epoch=3)


@pytest.mark.parametrize("name,settings,opt_name,opt_kwargs", NEW_CASES[:-1])
def test_new_schedulers_state_dict_round_trip(name, settings, opt_name, opt_kwargs):
    test_state_dict_round_trip(name, settings, opt_name, opt_kwargs)


def test_cyclic_lr_keeps_a_callable_object_scale_fn_in_its_state_dict():
    class Halving:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate**x

    opt = make("SGD", {"momentum": 0.9})
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=Halving())
    sched._scale_fn_custom.rate = 0.25
    saved = pickle.loads(pickle.dumps(sched.state_dict()))
    assert saved["_scale_fn_custom"] == {"rate": 0.25}
    sched2 = lr_scheduler.CyclicLR(make("SGD", {"momentum": 0.9}), 0.01, 0.1, 2, scale_fn=Halving())
    sched2.load_state_dict(saved)
    assert sched2._scale_fn_custom.rate == 0.25
    lam = lr_scheduler.CyclicLR(make("SGD", {"momentum": 0.9}), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert pickle.loads(pickle.dumps(lam.state_dict()))["_scale_fn_custom"] is None


def test_warm_restarts_with_fractional_and_jumping_epochs_match_torch():
    # each jump to an epoch is followed by a plain step() that goes on from there
    steps = [args for e in [0.5, 1.25, 2.0, 2.75, 9.5, 3, 30.2, 31.0, 6.9] for args in ((e,), ())]
    for settings in ({"T_0": 2}, {"T_0": 2, "T_mult": 3, "eta_min": 0.01}):
        seqs = both_sequences(
            lambda module, opt, kw=settings: module.CosineAnnealingWarmRestarts(opt, **kw),
            steps,
            lambda sched: (sched.get_last_lr(), sched.last_epoch, sched.T_cur, sched.T_i),
        )
        for ours, theirs in zip(*seqs):
            assert ours[0] == pytest.approx(theirs[0], rel=1e-12, abs=1e-15)
            assert ours[1:] == theirs[1:]


def _chained(module, opt):
    warm = module.ConstantLR(opt, factor=0.1, total_iters=3)
    decay = module.ExponentialLR(opt, gamma=0.9)
    poly = module.PolynomialLR(opt, total_iters=25, power=1.5)
    return module.ChainedScheduler([warm, decay, poly])


def test_chained_scheduler_matches_torch_and_round_trips():
    seqs = both_sequences(_chained, [()] * N_STEPS)
    for ours, theirs in zip(*seqs):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)

    opt = make("SGD", {})
    sched = _chained(lr_scheduler, opt)
    for _ in range(10):
        opt.step()
        sched.step()
    saved, saved_opt = pickle.loads(pickle.dumps(sched.state_dict())), opt.state_dict()
    opt2 = make("SGD", {})
    sched2 = _chained(lr_scheduler, opt2)
    sched2.load_state_dict(saved)
    opt2.load_state_dict(saved_opt)
    for k in range(10, N_STEPS):
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == seqs[0][k]


def test_new_scheduler_errors():
    opt = make("SGD", {})
    with pytest.raises(sh.ArgumentError, match=r"T_0=0 must be a whole number >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(sh.ArgumentError, match=r"T_mult=1\.5 must be a whole number >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
    with pytest.raises(sh.ArgumentError, match=r"epoch=-1 is negative"):
        sched.step(-1)
    with pytest.raises(sh.ArgumentError, match=r"total_iters=0 must be a whole number >= 1"):
        lr_scheduler.PolynomialLR(make("SGD", {}), total_iters=0)
    with pytest.raises(sh.ArgumentError, match=r"mode='triangle' is unknown"):
        lr_scheduler.CyclicLR(make("SGD", {"momentum": 0.9}), 0.01, 0.1, mode="triangle")
    with pytest.raises(sh.ArgumentError, match=r"step_size_up=0 must be a positive"):
        lr_scheduler.CyclicLR(make("SGD", {"momentum": 0.9}), 0.01, 0.1, step_size_up=0)
    with pytest.raises(sh.ArgumentError, match=r"CyclicLR\(cycle_momentum=True\): Adagrad has"):
        lr_scheduler.CyclicLR(make("Adagrad", {}), 0.01, 0.1)
    with pytest.raises(sh.ArgumentError, match="base_lr must have one value per param group"):
        lr_scheduler.CyclicLR(make("SGD", {"momentum": 0.9}), [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(sh.ArgumentError, match="at least one scheduler"):
        lr_scheduler.ChainedScheduler([])
    opt, other = make("SGD", {}), make("SGD", {})
    a, b = lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(other, 2)
    with pytest.raises(sh.ArgumentError, match="scheduler 1 .StepLR. has another one"):
        lr_scheduler.ChainedScheduler([a, b])
    with pytest.raises(sh.ArgumentError, match="does not support ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([a, lr_scheduler.ReduceLROnPlateau(opt)])


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(lr_scheduler)
    assert result.attempted >= 20 and result.failed == 0
