"""The Learner's loop: callback order, cancelling, resuming, the NaN guard, lr_find, Ctrl-C."""

import signal

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn, optim
from scratchish.learner import (
    Callback,
    CancelBatchException,
    CancelFitException,
    DataLoaders,
    EarlyStoppingCallback,
    GradientClip,
    Learner,
    SaveModelCallback,
    TrainingDivergedError,
    accuracy,
    error_rate,
    f1_score,
    mae,
    r2_score,
    rmse,
)


def blobs(n=240, seed=0):
    """Two Gaussian blobs in 4-D, labels 0/1: a classifier reaches ~100%."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 2.0 * y[:, None].astype(np.float32)
    cut = int(n * 0.75)
    t = lambda a: sh.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return DataLoaders.from_tensors(t(x[:cut]), t(y[:cut]), t(x[cut:]), t(y[cut:]), bs=32)


def mlp():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))


def make_learner(tmp_path, seed=0, **kwargs):
    sh.manual_seed(seed)
    return Learner(blobs(), mlp(), metrics=[accuracy], path=tmp_path, progress=False, **kwargs)


class EventLog(Callback):
    def __init__(self):
        self.events = []

    def __getattr__(self, name):
        if name.startswith(("before_", "after_", "cleanup_")):
            return lambda learn: self.events.append(name)
        raise AttributeError(name)


def test_callback_events_come_in_order(tmp_path):
    sh.manual_seed(0)
    x, y = sh.randn(4, 4), sh.tensor([0, 1, 0, 1])
    dls = DataLoaders.from_tensors(x, y, x[:2], y[:2], bs=2)  # 2 train batches, 1 valid
    log = EventLog()
    learn = Learner(dls, mlp(), cbs=[log], progress=False, path=tmp_path)
    learn.fit(1, 0.01)
    batch_train = ["before_batch", "after_pred", "after_loss", "after_backward", "after_step",
                   "after_batch"]  # fmt: skip
    batch_valid = ["before_batch", "after_pred", "after_loss", "after_batch"]
    assert log.events == [
        "before_fit", "before_epoch",
        "before_train", *batch_train, *batch_train, "after_train",
        "before_validate", *batch_valid, "after_validate",
        "after_epoch", "after_fit", "cleanup_fit",
    ]  # fmt: skip


def test_callbacks_run_by_order_and_show_training_loop(tmp_path, capsys):
    calls = []

    class Late(Callback):
        order = 50

        def after_batch(self, learn):
            calls.append("late")

    class Early(Callback):
        order = -5

        def after_batch(self, learn):
            calls.append("early")

    learn = make_learner(tmp_path, cbs=[Late(), Early()])
    learn.fit(1, 0.01)
    assert calls[:2] == ["early", "late"]
    learn.show_training_loop()
    text = capsys.readouterr().out
    assert text.index("before_fit") < text.index("after_backward") < text.index("after_fit")
    assert "['Early', 'JournalCallback', 'Late']" in text and "NaNGuard" in text


def test_cancel_batch_skips_the_step(tmp_path):
    class SkipAll(Callback):
        def after_loss(self, learn):
            if learn.training:
                raise CancelBatchException()

    learn = make_learner(tmp_path, cbs=[SkipAll()])
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1, 0.1)
    after = list(learn.model.parameters())
    assert all(
        np.array_equal(a.detach().numpy(), b.detach().numpy()) for a, b in zip(before, after)
    )


def test_fit_learns_and_metrics_are_recorded(tmp_path):
    learn = make_learner(tmp_path)
    learn.fit(3, 0.01)
    assert learn.recorder.names == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    assert len(learn.recorder.values) == 3
    assert learn.recorder.last("accuracy") > 0.9
    result = learn.validate()
    assert result["accuracy"] == pytest.approx(learn.recorder.last("accuracy"))
    assert result["valid_loss"] == pytest.approx(learn.recorder.last("valid_loss"), rel=1e-5)
    preds, targs = learn.get_preds()
    assert preds.shape == (60, 2) and targs.shape == (60,)


def test_resume_from_checkpoint_matches_an_uninterrupted_run(tmp_path):
    full = make_learner(tmp_path / "a")
    full.fit_one_cycle(3, 0.02)

    class StopAfterEpoch2(Callback):
        order = 60

        def after_epoch(self, learn):
            if learn.epoch == 1:
                learn.save("ckpt")
                raise CancelFitException()

    first = make_learner(tmp_path / "b")
    first.fit_one_cycle(3, 0.02, cbs=[StopAfterEpoch2()])
    assert len(first.recorder.values) == 2

    resumed = make_learner(tmp_path / "b", seed=123)  # a different init: load must replace it
    resumed.load("ckpt")
    assert resumed.epochs_done == 2
    resumed.fit_one_cycle(3, 0.02, start_epoch=2)
    expect, got = full.recorder.values[2], resumed.recorder.values[2]
    assert got[0] == 2
    assert got[1:4] == expect[1:4]  # train_loss, valid_loss, accuracy: identical
    for p, q in zip(full.model.parameters(), resumed.model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow warnings, expected
def test_nan_guard_stops_a_huge_learning_rate(tmp_path):
    sh.manual_seed(0)
    x = sh.randn(64, 4) * 10
    y = x.sum(1)
    dls = DataLoaders.from_tensors(x, y, x, y, bs=16)
    learn = Learner(dls, nn.Linear(4, 1), opt_func=optim.SGD, progress=False, path=tmp_path)
    with pytest.raises(TrainingDivergedError) as info:
        learn.fit(5, lr=1e6)
    message = str(info.value)
    assert "learning rate" in message and "lr_find" in message and "too high" in message
    assert isinstance(info.value, ArithmeticError)


def test_lr_find_suggests_where_the_loss_falls_fastest(tmp_path, capsys):
    # least squares with standard normal features: loss = mean((x w - y)^2) has Hessian
    # 2 * I, so SGD converges fastest at lr = 0.5 and diverges above lr = 1.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 8)).astype(np.float32)
    y = (x @ rng.normal(size=8)).astype(np.float32)
    t = sh.from_numpy
    dls = DataLoaders.from_tensors(t(x), t(y), t(x[:64]), t(y[:64]), bs=64)
    sh.manual_seed(0)
    model = nn.Linear(8, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    learn = Learner(dls, model, opt_func=optim.SGD, progress=False, path=tmp_path)
    result = learn.lr_find(num_it=100)
    assert "falls fastest" in capsys.readouterr().out
    assert 0.01 < result.suggestion < 1.0  # well before the blow-up at lr = 1
    assert result.suggestion < result.lowest_lr
    # the loss really falls fastest there: the raw drop over 2 * span steps around the
    # suggestion is close to the largest such drop anywhere before the lowest loss
    losses, i, span = np.array(result.losses), result.index, 3
    drops = [losses[k - span] - losses[k + span] for k in range(span, len(losses) - span)]
    lowest = int(np.argmin(losses))
    assert losses[i - span] - losses[i + span] >= 0.7 * max(drops[: lowest - span])
    for k, v in model.state_dict().items():  # the weights are restored
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())
    assert learn.recorder.values == []


def test_ctrl_c_stops_after_the_batch_keeps_best_and_says_how_to_resume(tmp_path, capsys):
    class PressCtrlC(Callback):
        def after_pred(self, learn):
            if learn.training and learn.epoch == 1 and learn.iter == 1:
                signal.raise_signal(signal.SIGINT)

    learn = make_learner(tmp_path)
    saver = SaveModelCallback("valid_loss")
    learn.fit(3, 0.01, cbs=[PressCtrlC(), saver])
    out = capsys.readouterr().out
    assert learn.interrupted
    n_batches = len(learn.dls.train)
    assert len(learn.recorder.losses) == n_batches + 2  # epoch 1, then 2 batches of epoch 2
    assert len(learn.recorder.values) == 1
    assert "start_epoch=1" in out and "learn.load('interrupted')" in out
    assert (tmp_path / "models" / "interrupted.safetensors").is_file()
    best = sh.load(str(tmp_path / "models" / "best.safetensors"))["model"]
    for k, v in learn.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), best[k].numpy())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_early_stopping_and_save_best(tmp_path, capsys):
    class WorseEachEpoch(Callback):  # fake a validation loss that only gets worse
        order = 15

        def after_epoch(self, learn):
            learn.recorder.values[-1][2] = float(learn.epoch)

    learn = make_learner(tmp_path)
    saver = SaveModelCallback("valid_loss")
    learn.fit(10, 0.01, cbs=[WorseEachEpoch(), EarlyStoppingCallback(patience=2), saver])
    assert len(learn.recorder.values) == 3  # epoch 1 best, 2 and 3 worse: stop
    assert saver.best_epoch == 0
    assert "stopping after epoch 3" in capsys.readouterr().out


def test_gradient_clip_bounds_the_gradient_norm(tmp_path):
    norms = []

    class Norm(Callback):
        order = 1  # after GradientClip (order 0)

        def after_backward(self, learn):
            total = sum(float((p.grad.numpy() ** 2).sum()) for p in learn.model.parameters())
            norms.append(total**0.5)

    learn = make_learner(tmp_path, cbs=[GradientClip(0.01), Norm()])
    learn.fit(1, 0.01)
    assert max(norms) <= 0.0101


def test_predict_on_plain_tensors(tmp_path):
    learn = make_learner(tmp_path)
    learn.fit(2, 0.01)
    out = learn.predict(sh.tensor([3.0, 3.0, 3.0, 3.0]))
    assert out.shape == (2,) and out.argmax().item() == 1


def test_metrics_match_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    logits, targs = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    pred = logits.argmax(1)
    assert accuracy(logits, targs) == pytest.approx(metrics.accuracy_score(targs, pred))
    assert error_rate(logits, targs) == pytest.approx(1 - metrics.accuracy_score(targs, pred))
    assert f1_score(logits, targs) == pytest.approx(metrics.f1_score(targs, pred, average="macro"))
    p, t = rng.normal(size=(40, 1)), rng.normal(size=40)
    assert mae(p, t) == pytest.approx(metrics.mean_absolute_error(t, p[:, 0]))
    assert rmse(p, t) == pytest.approx(metrics.mean_squared_error(t, p[:, 0]) ** 0.5)
    assert r2_score(p, t) == pytest.approx(metrics.r2_score(t, p[:, 0]))
