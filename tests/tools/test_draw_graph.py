"""sh.tools.draw_graph: the picture has the graph's nodes and edges, and renders everywhere."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.autograd import topological_order
from scratchish.tools import render


def small_graph():
    x = sh.tensor([1.0, -2.0], requires_grad=True)
    w = sh.tensor([0.5, 3.0], requires_grad=True)
    h = sh.tools.name((x * w).relu(), "h")
    loss = (h * h + x).sum()
    return x, w, loss


def test_node_and_edge_counts_equal_the_graph():
    x, w, loss = small_graph()
    g = sh.tools.draw_graph(loss, names={"x": x, "w": w}, group_by_module=False)
    order = topological_order(loss.grad_fn)
    leaves = {id(p) for fn in order for p in fn.parents if isinstance(p, sh.Tensor)}
    n_inputs = sum(p is not None for fn in order for p in fn.parents)
    ops = [n for n in g.nodes if n.kind == "op"]
    tensors = [n for n in g.nodes if n.kind == "tensor"]
    assert len(ops) == len(order) == 5  # mul, relu, mul, add, sum
    assert len(tensors) == len(leaves) + len(order)  # the leaves and each op's result
    assert len(g.edges) == n_inputs + len(order)  # each input of an op, each op to its result
    assert {n.name for n in tensors} >= {"x", "w", "h", "L"}
    h = next(n for n in tensors if n.name == "h")
    assert h.shape == (2,) and h.lines[:3] == ["h", "(2,)", "data [0.5, 0]"]


def test_gradients_are_shown_after_backward():
    x, w, loss = small_graph()
    g = sh.tools.draw_graph(loss, names={"x": x, "w": w}, backward=True)
    by_name = {n.name: n for n in g.nodes if n.kind == "tensor"}
    np.testing.assert_allclose(by_name["x"].grad, x.grad.numpy())
    assert by_name["x"].lines[-1] == "grad " + sh.tools.graph.fmt_array(x.grad.numpy())
    np.testing.assert_allclose(by_name["h"].grad, [1.0, 0.0])  # dL/dh = 2h = [1, 0]
    assert by_name["L"].lines[-1] == "grad 1"


def test_model_ops_fold_into_module_boxes():
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    g = sh.tools.draw_graph(model, sh.randn(4, 3))
    assert [n.name for n in g.nodes if n.kind == "module"] == ["0", "1", "2", "3", "4"]
    assert len(g.nodes) == 5 and len(g.edges) == 4  # a chain of five boxes
    first = g.nodes[0]
    assert first.lines[0] == "0: Linear" and "weight (8, 3)" in first.lines
    full = sh.tools.draw_graph(model(sh.randn(4, 3)), model=model, group_by_module=False)
    assert sum(n.kind == "op" for n in full.nodes) == 5
    assert {n.name for n in full.nodes if n.role == "param"} == {
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
    }


def test_loss_of_a_model_keeps_the_loss_ops_outside_the_boxes():
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = sh.randn(5, 3)
    with sh.tools.record_modules(model):
        out = model(x)
    loss = ((out - 1) ** 2).mean()
    g = sh.tools.draw_graph(loss, model=model)
    assert [n.name for n in g.nodes if n.kind == "module"] == ["0", "1", "2"]
    assert [n.name for n in g.nodes if n.kind == "op"] == ["sub", "pow", "mean"]


def test_renders_without_graphviz(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    x, w, loss = small_graph()
    g = sh.tools.draw_graph(loss)
    svg = g._repr_svg_()
    root = ET.fromstring(svg)  # well-formed XML
    groups = root.findall("{http://www.w3.org/2000/svg}g")
    assert len(groups) == len(g.nodes)
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == len(g.edges)
    assert "<svg" in g._repr_html_()
    for suffix in (".svg", ".html", ".png"):
        path = g.save(tmp_path / f"graph{suffix}")
        assert path.stat().st_size > 500
    import matplotlib.image

    png = matplotlib.image.imread(tmp_path / "graph.png")
    assert png.std() > 0.01  # not a blank page
    dot = g.to_dot()
    assert dot.startswith("digraph") and all(f"{n.id} [" in dot for n in g.nodes)


def test_layout_is_layered_and_keeps_boxes_apart():
    boxes = [render.Box(i, [i], "op") for i in "abcde"]
    edges = [("a", "c"), ("b", "c"), ("c", "d"), ("a", "e"), ("d", "e")]
    lay = render.layout(boxes, edges)
    y = {i: lay.centre[i][1] for i in "abcde"}
    assert y["a"] < y["c"] < y["d"] < y["e"] and y["b"] < y["c"]
    assert len(lay.routes) == len(edges)
    assert len(lay.routes[3]) == 4  # a -> e skips two layers: two bends
    same_layer = [i for i in "abcde" if y[i] == y["a"]]
    xs = sorted(lay.centre[i][0] for i in same_layer)
    assert all(b - a >= render.GAP_X for a, b in zip(xs, xs[1:]))


def test_a_freed_graph_cannot_be_drawn_and_says_why():
    x = sh.tensor(1.0, requires_grad=True)
    loss = x * 2
    loss.backward()
    with pytest.raises(sh.BackwardError, match="before calling backward"):
        sh.tools.draw_graph(loss)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_the_dot_source(tmp_path):
    g = sh.tools.draw_graph(small_graph()[2])
    assert "<svg" in g.svg()
    assert g.save(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed")
@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_opens_in_headless_chromium(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(
        shutil,
        "which",
        lambda name, *a, _which=shutil.which, **k: None if name == "dot" else _which(name, *a, **k),
    )
    sh.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    page = sh.tools.draw_graph(model, sh.randn(2, 3)).save(tmp_path / f"graph{suffix}")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=800,900",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shot.exists(), "Chromium wrote no screenshot"
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    not_white = (pixels < 0.9).any(axis=-1).mean()
    assert 0.005 < not_white < 0.9  # something was drawn, and not a full-page error colour
