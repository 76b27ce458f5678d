"""ActivationStats and GradientFlow: broken networks get the right diagnosis, a healthy one
gets none. Driven by hand (a small loop) and through the Learner's callback protocol."""

import types
import warnings

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn


def regression_data(n=64):
    g = sh.Generator().manual_seed(0)
    x = sh.randn(n, 8, generator=g)
    y = (x[:, :1] * 2 - x[:, 1:2]).tanh()
    return x, y


def train(model, lr, steps=30):
    """A plain training loop with both diagnostics watching."""
    x, y = regression_data()
    stats = sh.tools.ActivationStats(model)
    flow = sh.tools.GradientFlow(model)
    opt = sh.optim.SGD(model.parameters(), lr=lr)
    with stats, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy overflow warnings when training blows up
        for _ in range(steps):
            loss = ((model(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            flow.step(loss)
            opt.step()
    flow.remove()
    return stats, flow


def healthy_mlp():
    sh.manual_seed(0)
    return nn.Sequential(
        nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)
    )


def test_a_healthy_network_gets_no_findings():
    stats, flow = train(healthy_mlp(), lr=0.05)
    assert flow.losses[-1] < flow.losses[0]  # it does learn
    assert stats.diagnose() == [] and flow.diagnose() == []
    assert str(flow.diagnose()) == "No problems found."


def test_sigmoid_stack_with_bad_init_has_vanishing_gradients():
    sh.manual_seed(0)
    layers = []
    for i in range(8):
        linear = nn.Linear(8 if i == 0 else 32, 32)
        nn.init.normal_(linear.weight, 0.0, 0.1)  # far too small for 32 inputs
        layers += [linear, nn.Sigmoid()]
    stats, flow = train(nn.Sequential(*layers, nn.Linear(32, 1)), lr=0.05)
    found = flow.diagnose()
    assert found.kinds() == {"vanishing"}
    assert found[0].layer == "0" and "Vanishing gradients" in found[0].message
    flow_per_layer = np.nanmedian(np.array(flow.output_grads), axis=0)
    assert flow_per_layer[0] < 1e-6 * flow_per_layer[-1]  # the measurement behind it
    assert "vanishing" in stats.diagnose().kinds()  # the activations' spread fades too


def test_a_huge_learning_rate_is_too_high():
    stats, flow = train(healthy_mlp(), lr=50.0)
    assert {"lr-too-high", "exploding"} <= flow.diagnose().kinds()
    assert "exploding" in stats.diagnose().kinds()
    assert "Divide the learning rate by 10" in str(flow.diagnose())


def test_all_negative_relu_inputs_are_dead_relus():
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    with sh.no_grad():
        model[0].bias.fill_(-20.0)  # every input of the ReLU is negative
    stats, flow = train(model, lr=0.05)
    found = stats.diagnose()
    assert "dead-relu" in found.kinds()
    dead = next(f for f in found if f.kind == "dead-relu")
    assert dead.layer == "1" and "100%" in dead.message
    assert stats.series("1", "dead")[-1] == 1.0
    no_flow = flow.diagnose()
    assert no_flow.kinds() == {"vanishing"} and "exactly zero gradient" in no_flow[0].message


def test_works_through_the_learner_callback_protocol():
    """The Learner calls each event method with itself: model, loss, training."""
    model = healthy_mlp()
    x, y = regression_data()
    learn = types.SimpleNamespace(model=model, training=True, loss=None)
    stats, flow = sh.tools.ActivationStats(), sh.tools.GradientFlow()
    opt = sh.optim.SGD(model.parameters(), lr=0.05)
    for cb in (stats, flow):
        cb.before_fit(learn)
    for _ in range(5):
        learn.loss = ((model(x) - y) ** 2).mean()
        flow.after_loss(learn)
        opt.zero_grad()
        learn.loss.backward()
        flow.after_backward(learn)
        opt.step()
    model.eval()
    model(x)  # validation batches are not recorded
    for cb in (stats, flow):
        cb.after_fit(learn)
    assert len(flow.losses) == 5 and len(flow.grad_norms) == 5
    assert len(stats.records["0"]) == 5 and stats.handles == [] and flow.handles == []
    assert flow.layers == ["0", "2", "4"]


def test_plots_are_figures():
    pytest.importorskip("matplotlib")
    stats, flow = train(healthy_mlp(), lr=0.05, steps=5)
    fig = stats.plot()
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == len(stats.records)
    fig = flow.plot()
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == len(flow.layers)


def test_no_model_is_a_clear_error():
    with pytest.raises(sh.ArgumentError, match="no model to watch"):
        sh.tools.ActivationStats().before_fit()
