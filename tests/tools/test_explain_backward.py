"""sh.tools.explain_backward: the narration's numbers are the gradients autograd computed."""

import re

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn

NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def leaf_lines(text: str) -> dict:
    """{name: value text} from the 'Leaves' section of an explanation."""
    section = text.split("Leaves (their .grad):")[1]
    # a leaf used several times shows its sum, "2 + 2 = 4": the value is after the last " = "
    return {
        name: value.split(" = ")[-1] for name, value in re.findall(r"dL/d(\S+) = (.+)", section)
    }


def parse(value: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(NUMBER, value)])


def micrograd_expression():
    """The expression of micrograd's README, with its leaves."""
    a = sh.tensor(-4.0, requires_grad=True)
    b = sh.tensor(2.0, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return a, b, g


def test_micrograd_expression_golden():
    a, b, g = micrograd_expression()
    explanation = sh.tools.explain_backward(g, names={"a": a, "b": b})
    text = str(explanation)
    # the gradients autograd computes by itself, on a fresh copy of the graph
    a2, b2, g2 = micrograd_expression()
    g2.backward()
    assert a2.grad.item() == pytest.approx(138.8338, rel=1e-4)  # micrograd's README numbers
    assert b2.grad.item() == pytest.approx(645.5773, rel=1e-4)
    leaves = leaf_lines(text)
    assert float(leaves["a"]) == pytest.approx(a2.grad.item(), rel=1e-3)
    assert float(leaves["b"]) == pytest.approx(b2.grad.item(), rel=1e-3)
    # explain ran backward, so the leaves now hold exactly autograd's gradients
    assert a.grad.item() == a2.grad.item() and b.grad.item() == b2.grad.item()
    # every rule line ends with the gradient its op's backward returned
    for step in explanation.steps:
        for rule in step.rules:
            assert float(rule.result) == pytest.approx(rule.grad.item(), rel=1e-3)


def test_single_neuron_reads_like_the_chain_rule():
    x = sh.tensor(2.0, requires_grad=True)
    w = sh.tensor(-0.5, requires_grad=True)
    b = sh.tensor(3.0, requires_grad=True)
    z = sh.tools.name(x * w + b, "z")
    h = sh.tools.name(z.relu(), "h")
    loss = h * 0.31
    text = str(loss.explain(names={"x": x, "w": w, "b": b}))
    assert "h = relu(z)" in text
    assert "dL/dz = dL/dh * (z > 0) = 0.31 * 1 = 0.31" in text  # the rule is Relu.derivatives
    assert "dL/dw = dL/dmul1 * x = 0.31 * 2 = 0.62" in text
    assert leaf_lines(text) == {"x": "-0.155", "w": "0.62", "b": "0.31"}
    assert w.grad.item() == pytest.approx(0.62)


def test_a_value_used_twice_adds_its_gradients():
    x = sh.tensor(3.0, requires_grad=True)
    y = sh.tools.name(x * 2, "y")
    loss = y * y + y
    text = str(sh.tools.explain_backward(loss, names={"x": x}))
    assert "y is used 3 times, so the gradients add up: dL/dy = 6 + 6 + 1 = 13" in text
    assert leaf_lines(text)["x"] == "26"


def mlp_and_sample():
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with sh.no_grad():
        model[0].bias.copy_(sh.tensor([0.5, 0.5, 0.5, 0.5]))  # keep every unit alive
    x, y = sh.randn(1, 3), sh.tensor([1])
    return model, x, y


def test_two_layer_mlp_on_one_sample_golden():
    model, x, y = mlp_and_sample()
    loss = nn.functional.cross_entropy(model(x), y)
    explanation = sh.tools.explain_backward(loss, model=model, names={"x": x})
    text = str(explanation)
    oracle, _, _ = mlp_and_sample()
    nn.functional.cross_entropy(oracle(x), y).backward()
    leaves = leaf_lines(text)
    assert set(leaves) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name, p in oracle.named_parameters():
        grad = p.grad.numpy().astype(np.float64)
        if grad.size <= 8:  # small: the values themselves
            np.testing.assert_allclose(parse(leaves[name]), grad.ravel(), rtol=1e-3, atol=1e-4)
        else:  # large: shape, mean and norm
            shape, mean, norm = re.match(
                rf"shape \(([\d, ]+)\), mean ({NUMBER}), norm ({NUMBER})", leaves[name]
            ).groups()
            assert tuple(int(n) for n in shape.split(",")) == grad.shape
            assert float(mean) == pytest.approx(grad.mean(), rel=1e-3)
            assert float(norm) == pytest.approx(np.linalg.norm(grad), rel=1e-3)
    assert "= x @ 0.weight.T + 0.bias" in text  # Linear's formula with our names
    assert "dL/d0.weight = dL/dlinear1.T @ x" in text  # Linear.derivatives[1]
    np.testing.assert_allclose(explanation.grads["0.weight"], oracle[0].weight.grad.numpy())


def test_user_defined_ops_with_and_without_derivatives():
    class Cube(sh.Function):  # no formula, no derivatives
        def forward(self, x):
            self.x = x
            return x**3

        def backward(self, grad_out):
            return grad_out * 3 * self.x**2

    class Square(sh.Function):
        formula = "out = x ** 2"
        derivatives = ("grad_out * 2 * x",)

        def forward(self, x):
            self.x = x
            return x**2

        def backward(self, grad_out):
            return grad_out * 2 * self.x

    a = sh.tensor(2.0, requires_grad=True)
    text = str(sh.tools.explain_backward(Square.apply(Cube.apply(a)), names={"a": a}))
    assert "L = cube1 ** 2" in text
    assert "dL/dcube1 = dL/dL * 2 * cube1 = 1 * 2 * 8 = 16" in text
    assert "cube1 = Cube(a)" in text
    assert "dL/da = defined by its backward() = 192" in text
    assert a.grad.item() == 192.0


def test_existing_gradients_are_not_counted_twice():
    x = sh.tensor(2.0, requires_grad=True)
    loss = x * x
    loss.backward(retain_graph=True)
    explanation = sh.tools.explain_backward(loss, names={"x": x})
    assert x.grad.item() == 4.0  # unchanged, not 8
    assert "dL/dx = 2 + 2 = 4" in str(explanation)


def test_a_freed_graph_says_what_to_do():
    x = sh.tensor(2.0, requires_grad=True)
    loss = x * x
    loss.backward()
    with pytest.raises(sh.BackwardError, match="retain_graph=True"):
        sh.tools.explain_backward(loss)


def test_jupyter_table_and_large_tensors():
    x = sh.randn(10, 10, requires_grad=True)
    explanation = sh.tools.explain_backward((x * x).mean())
    assert "shape (10, 10), mean" in str(explanation)
    html = explanation._repr_html_()
    assert html.count("<tr>") >= 3 and "Mul: out = a * b" in html
