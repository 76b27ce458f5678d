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


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85] * 3
    settings = [
        {"patience": 2},
        {"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 2, "threshold_mode": "abs"},
        {"patience": 0, "min_lr": [0.05, 0.001], "threshold": 0.05},
    ]
    for kwargs in settings:
        seqs = []
        for framework, module in (("sh", lr_scheduler), ("torch", torch.optim.lr_scheduler)):
            opt = make("SGD", {}, framework=framework)
            sched = module.ReduceLROnPlateau(opt, **kwargs)
            seq = []
            for m in metrics:
                opt.step()
                sched.step(m)
                seq.append(sched.get_last_lr())
            seqs.append(seq)
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
