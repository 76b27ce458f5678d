"""ActivationStats and GradientFlow inside the real sh.Learner, training on the digits images:
a healthy network gets no findings, and each broken one (a sigmoid stack with a bad init, a
huge learning rate, all-negative ReLU inputs) gets the right diagnosis. The plots save to PNG.

tests/tools/test_diagnostics.py drives the same callbacks by hand, without a Learner.
"""

import functools
import warnings

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.learner import accuracy, dls_for
from scratchish.learner.callbacks import TrainingDivergedError


@pytest.fixture(scope="module")
def dls():
    """The 1,797 digits (8x8 grey images, 10 classes): 1,438 to train in batches of 64."""
    return dls_for(sh.datasets.digits(), bs=64)


def fit(dls, model, lr, opt_func=sh.optim.SGD, n_epochs=1):
    """Train `model` with a real Learner, both diagnostics as callbacks. Returns the learner
    and the two callbacks."""
    stats, flow = sh.tools.ActivationStats(), sh.tools.GradientFlow()
    learn = sh.Learner(
        dls,
        model,
        opt_func=opt_func,
        metrics=[accuracy],
        cbs=[stats, flow],
        progress=False,
        journal=False,
    )
    sh.manual_seed(0)  # the shuffling of the batches
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy overflow warnings when training blows up
        learn.fit(n_epochs, lr)
    return learn, stats, flow


def relu_mlp():
    sh.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
    )


def relu_cnn():
    sh.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),  # (N, 1, 8, 8) -> (N, 8, 8, 8)
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1),  # -> (N, 16, 4, 4)
        nn.ReLU(),
        nn.Flatten(),  # -> (N, 256)
        nn.Linear(16 * 4 * 4, 10),
    )


def sigmoid_stack():
    """Eight sigmoid layers whose weights are far too small (std 0.1 for 32 inputs): each layer
    shrinks the signal, and the gradient going back, about seven-fold."""
    sh.manual_seed(0)
    layers = [nn.Flatten()]
    for i in range(8):
        linear = nn.Linear(64 if i == 0 else 32, 32)
        nn.init.normal_(linear.weight, 0.0, 0.1)
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(32, 10))


@pytest.mark.parametrize(
    "make_model, lr, opt_func",
    [
        (relu_mlp, 0.1, functools.partial(sh.optim.SGD, momentum=0.9)),
        (relu_cnn, 3e-3, sh.optim.Adam),  # the Learner's default optimizer
    ],
    ids=["mlp-sgd", "cnn-adam"],
)
def test_a_healthy_network_gets_no_findings(dls, make_model, lr, opt_func):
    learn, stats, flow = fit(dls, make_model(), lr, opt_func, n_epochs=3)
    assert learn.recorder.last("accuracy") > 0.85  # it does learn
    assert stats.diagnose() == [] and flow.diagnose() == []
    # one record per training batch; validation batches are not recorded
    n_batches = 3 * len(dls.train)
    assert flow.n_steps == len(flow.losses) == len(flow.grad_norms) == n_batches
    first_layer = next(iter(stats.records))
    assert len(stats.records[first_layer]) == n_batches
    assert stats.handles == [] and flow.handles == []  # the hooks came off after fit


def test_sigmoid_stack_with_bad_init_has_vanishing_gradients(dls):
    _, stats, flow = fit(dls, sigmoid_stack(), 0.1)
    found = flow.diagnose()
    assert found.kinds() == {"vanishing"}
    assert found[0].layer == "1" and "Vanishing gradients" in found[0].message  # the first Linear
    flow_per_layer = np.nanmedian(np.array(flow.output_grads), axis=0)
    assert flow_per_layer[0] < 1e-5 * flow_per_layer[-1]  # the measurement behind it
    assert stats.diagnose().kinds() == {"vanishing"}  # the signal fades forward too


@pytest.mark.parametrize("lr, opt_func", [(50.0, sh.optim.SGD), (10.0, sh.optim.Adam)])
def test_a_huge_learning_rate_is_too_high(dls, lr, opt_func):
    # The loss shoots up in the first steps, then the dead ReLUs make it look calm: the
    # diagnosis has to see the worst moment, not only how training ended.
    _, stats, flow = fit(dls, relu_mlp(), lr, opt_func)
    found = flow.diagnose()
    assert {"lr-too-high", "exploding"} <= found.kinds()
    too_high = next(f for f in found if f.kind == "lr-too-high")
    assert "the loss jumped from 2.3" in too_high.message
    assert "Divide the learning rate by 10" in too_high.message
    assert "dead-relu" in stats.diagnose().kinds()  # what the blow-up left behind


def test_a_learning_rate_that_makes_the_loss_nan(dls):
    # NaNGuard stops fit with an error, so after_fit never runs: the hooks must come off anyway
    model = relu_mlp()
    stats, flow = sh.tools.ActivationStats(), sh.tools.GradientFlow()
    learn = sh.Learner(dls, model, opt_func=sh.optim.SGD, cbs=[stats, flow], progress=False,
                       journal=False)  # fmt: skip
    with warnings.catch_warnings(), pytest.raises(TrainingDivergedError):
        warnings.simplefilter("ignore")
        learn.fit(1, 1e6)
    assert stats.handles == [] and flow.handles == []
    found = flow.diagnose()
    assert found.kinds() == {"exploding", "lr-too-high"}
    assert "became nan or inf at step 3" in found[0].message
    assert "exploding" in stats.diagnose().kinds()
    n_calls = dict(stats.calls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the weights are huge now: NumPy warns of overflow
        model(sh.randn(4, 1, 8, 8))  # no hook is left to record this
    assert stats.calls == n_calls


def test_all_negative_relu_inputs_are_dead_relus(dls):
    model = relu_mlp()
    with sh.no_grad():
        model[1].bias.fill_(-20.0)  # every input of the first ReLU is negative
    _, stats, flow = fit(dls, model, 0.1)
    found = stats.diagnose()
    assert found.kinds() == {"dead-relu"}
    assert found[0].layer.split(", ")[0] == "2" and "100%" in found[0].message
    assert stats.series("2", "dead")[-1] == 1.0
    no_flow = flow.diagnose()
    assert no_flow.kinds() == {"vanishing"}
    assert no_flow[0].layer == "1" and "exactly zero gradient" in no_flow[0].message


def test_plots_save_to_png(dls, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    _, stats, flow = fit(dls, relu_mlp(), 0.1)
    for name, fig in [("activations", stats.plot()), ("gradients", flow.plot())]:
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 600
        assert pixels[..., :3].std() > 0.05  # lines and bars drawn, not a blank page
    assert len(stats.plot().axes[0].lines) == len(stats.records)  # one line per layer
    assert len(flow.plot().axes[1].lines) == len(flow.layers) == 3
