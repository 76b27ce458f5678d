"""sh.tools.trace: every op's forward and backward logged, with shapes and time per op type."""

import pytest

import scratchish as sh
from scratchish import autograd


def test_trace_logs_forward_and_backward_of_each_op():
    x = sh.ones(2, 3, requires_grad=True)
    w = sh.ones(3, 4, requires_grad=True)
    with sh.tools.trace() as tr:
        loss = (x @ w).relu().sum()
        loss.backward()
    assert [(e.phase, e.op) for e in tr.events] == [
        ("forward", "matmul"),
        ("forward", "relu"),
        ("forward", "sum"),
        ("backward", "sum"),
        ("backward", "relu"),
        ("backward", "matmul"),
    ]
    matmul_fwd, matmul_bwd = tr.events[0], tr.events[-1]
    assert matmul_fwd.in_shapes == ((2, 3), (3, 4)) and matmul_fwd.out_shapes == ((2, 4),)
    assert matmul_bwd.in_shapes == ((2, 4),) and matmul_bwd.out_shapes == ((2, 3), (3, 4))
    assert all(e.seconds >= 0 for e in tr.events)
    assert "matmul" in str(tr) and "(2, 3), (3, 4) -> (2, 4)" in str(tr)


def test_summary_sums_calls_and_time_per_op_type():
    x = sh.ones(4, requires_grad=True)
    with sh.tools.trace() as tr:
        y = x * 2
        z = y * y
        z.sum().backward()
    rows = {row[0]: row for row in tr.summary().rows}
    assert set(rows) == {"mul", "sum"}
    assert rows["mul"][1] == 2 and rows["mul"][3] == 2  # 2 forward and 2 backward calls
    assert rows["sum"][1] == 1 and rows["sum"][3] == 1
    total = sum(e.seconds for e in tr.events)
    assert tr.summary().total_seconds == pytest.approx(total)
    text = str(tr.summary())
    assert text.splitlines()[0].split()[:3] == ["op", "fwd", "calls"]
    assert "total" in text and "<table>" in tr.summary()._repr_html_()


def test_tracer_is_removed_afterwards_even_after_an_error():
    with pytest.raises(sh.ShapeError):
        with sh.tools.trace():
            sh.ones(2, 3) @ sh.ones(4, 5)
    assert autograd._tracer is None


def test_traces_nest_and_both_see_every_op():
    x = sh.ones(3, requires_grad=True)
    with sh.tools.trace() as outer:
        with sh.tools.trace() as inner:
            (x * 3).sum().backward()
        x.exp()
    assert [e.op for e in inner.events] == ["mul", "sum", "sum", "mul"]
    assert [e.op for e in outer.events] == ["mul", "sum", "sum", "mul", "exp"]
    assert autograd._tracer is None


def test_gradients_are_unchanged_by_tracing():
    x = sh.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with sh.tools.trace():
        (x.relu() * x).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 6.0]
