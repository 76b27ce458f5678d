"""Shared test helpers: one table of ops, checked against PyTorch and against finite differences.

Each row of the table is an `OpCase`: a name, a function written once with PyTorch's names and
called as `fn(lib, *inputs)` with lib = scratchish and with lib = torch, the input shapes (they
may broadcast), the input ranges (positive for log/sqrt) and the dtypes to test. Two helpers
run a row: `check_parity` (the same random inputs in both libraries: values, dtypes and
gradients must agree) and `check_gradcheck` (float64 central differences via sh.gradcheck).

HOW TO ADD AN OP (e.g. a new Function in ops/conv.py or ops/nn_ops.py)
  1. In your own test file (say tests/test_conv.py) describe the cases and register them:

         from helpers import OpCase, check_gradcheck, check_parity, register_op_cases

         CONV_CASES = register_op_cases(
             OpCase("conv2d", lambda lib, x, w: lib.nn.functional.conv2d(x, w),
                    [(1, 2, 5, 5), (3, 2, 3, 3)]),
         )

         @pytest.mark.parametrize("dtype", ["float64", "float32"])
         @pytest.mark.parametrize("case", CONV_CASES, ids=str)
         def test_conv_parity(case, dtype):
             check_parity(case, dtype)

         @pytest.mark.parametrize("case", CONV_CASES, ids=str)
         def test_conv_gradcheck(case):
             check_gradcheck(case)

  2. Give `torch_fn` only where the libraries spell the call differently; `data` for fixed
     inputs (ties, kinks); `gradcheck=False` where finite differences are not defined (ties).
  3. test_ops.py::test_every_op_has_a_row finds every Function subclass in scratchish.ops.*
     and fails for one that no registered case runs (it traces the graph each case builds).
     It imports every tests/test_*.py that calls `register_op_cases(`, so the table is whole
     even when one file runs alone. So do not importorskip torch at the top of such a file:
     write `torch = optional_torch()`; check_parity skips cleanly without torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import pkgutil
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import scratchish as sh
from scratchish.autograd import Function
from scratchish.tools import gradcheck

# tolerances of the parity check: float64 must agree to rounding, float32 loosely
TOLERANCES = {"float64": {"rtol": 1e-9, "atol": 1e-10}, "float32": {"rtol": 2e-4, "atol": 2e-5}}


def numpy_calls_libm() -> bool:
    """Whether NumPy's float64 log, log1p, sin and cos give the C library's results, which
    PyTorch's random draws use. Where the CPU has AVX-512, NumPy uses its own SIMD versions,
    within 1 ulp of the C library's (measured on 1e6 values, 2026-11-26), so draws built on
    them (normal, exponential) can differ from PyTorch's in the last bit or two."""
    x = np.random.default_rng(0).random(2000) * 6 + 1e-3
    funcs = [(np.log, math.log), (np.sin, math.sin), (np.cos, math.cos)]
    funcs.append((lambda v: np.log1p(-v / 7), lambda v: math.log1p(-v / 7)))
    return all(list(f(x)) == [g(v) for v in x] for f, g in funcs)


def optional_torch():
    """torch, or None when it is not installed (parity tests then skip)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class OpCase:
    """One row of the op table. `fn(lib, *inputs)` runs with lib = scratchish or torch."""

    name: str
    fn: object
    shapes: list = field(default_factory=list)  # one shape per input
    ranges: object = (-2.0, 2.0)  # (low, high) for all inputs, or one pair per input
    dtypes: tuple = ("float64", "float32")
    torch_fn: object = None  # when torch spells the call differently
    data: object = None  # a function returning fixed float64 input arrays (ties, kinks)
    requires_grad: tuple | None = None  # per input; default: every input
    gradcheck: bool = True  # False where finite differences are undefined (ties)

    def __str__(self) -> str:
        return self.name

    def arrays(self) -> list:
        """The float64 inputs: fixed by `data`, else uniform in `ranges`, seeded by the name."""
        if self.data is not None:
            return [np.array(a, dtype=np.float64) for a in self.data()]
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        ranges = (
            self.ranges
            if isinstance(self.ranges[0], (tuple, list))
            else [self.ranges] * len(self.shapes)
        )
        return [rng.uniform(lo, hi, shape) for shape, (lo, hi) in zip(self.shapes, ranges)]

    def grad_flags(self, n: int) -> tuple:
        return self.requires_grad if self.requires_grad is not None else (True,) * n


REGISTRY: dict = {}


def register_op_cases(*cases: OpCase) -> list:
    """Add cases to the shared op table (checked for coverage); returns them for parametrize."""
    for case in cases:
        REGISTRY[case.name] = case
    return list(cases)


def all_cases() -> list:
    """Every registered case, importing each test_*.py under tests/ that registers some first.

    Files are imported by path (under a name of their own), so test files in sub-folders with
    the same base name cannot clash; registering a case twice is harmless (keyed by name)."""
    root = Path(__file__).parent
    for path in sorted(root.rglob("test_*.py")):
        if "register_op_cases(" in path.read_text():
            name = "op_table_" + "_".join(path.relative_to(root).with_suffix("").parts)
            if name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except pytest.skip.Exception:
                pass
    return list(REGISTRY.values())


def op_classes() -> set:
    """Every Function subclass defined in scratchish.ops.* (importing each ops module first)."""
    import scratchish.ops as ops_package

    for module in pkgutil.iter_modules(ops_package.__path__):
        importlib.import_module(f"scratchish.ops.{module.name}")
    found, todo = set(), list(Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("scratchish.ops"):
            found.add(cls)
    return found


def ops_used(case: OpCase) -> set:
    """The Function classes in the graph that running `case` in scratchish builds."""
    arrays = case.arrays()
    flags = case.grad_flags(len(arrays))
    inputs = [sh.tensor(a, requires_grad=g) for a, g in zip(arrays, flags)]
    stack = [o.grad_fn for o in _as_list(case.fn(sh, *inputs)) if isinstance(o, sh.Tensor)]
    seen: set = set()
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, sh.Tensor) or node in seen:
            continue
        seen.add(node)
        stack.extend(node.parents or ())
    return {type(node) for node in seen}


def _as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


def check_parity(case: OpCase, dtype: str) -> None:
    """Same inputs in scratchish and torch: outputs (values, shapes, dtypes) and gradients agree.

    The gradient is pulled back from random upstream gradients (the same in both), through
    backward(gradient) for one output or a weighted sum for several.
    """
    torch = pytest.importorskip("torch")
    if dtype not in case.dtypes:
        pytest.skip(f"{case.name} is not tested in {dtype}")
    tol = TOLERANCES[dtype]
    arrays = [a.astype(dtype) for a in case.arrays()]
    flags = case.grad_flags(len(arrays))
    xs = [sh.tensor(a, requires_grad=g) for a, g in zip(arrays, flags)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, flags)]
    outs = _as_list(case.fn(sh, *xs))
    t_outs = _as_list((case.torch_fn or case.fn)(torch, *ts))
    assert len(outs) == len(t_outs), f"{case.name}: {len(outs)} outputs vs torch's {len(t_outs)}"

    rng = np.random.default_rng(1)
    upstream = []
    for k, (out, t_out) in enumerate(zip(outs, t_outs)):
        where = f"{case.name} output {k}"
        assert tuple(out.shape) == tuple(t_out.shape), f"{where}: shape"
        assert _dtype_name(out.dtype) == _dtype_name(t_out.dtype), f"{where}: dtype"
        np.testing.assert_allclose(
            out.detach().numpy(), t_out.detach().numpy(), **tol, err_msg=f"{where}: values"
        )
        if t_out.requires_grad:
            assert out.requires_grad, f"{where}: should require grad"
            upstream.append((out, t_out, rng.uniform(0.5, 1.5, tuple(t_out.shape)).astype(dtype)))
    if not upstream:
        return
    if len(upstream) == 1:
        out, t_out, g = upstream[0]
        out.backward(sh.tensor(g))
        t_out.backward(torch.tensor(g))
    else:
        sum((o * sh.tensor(g)).sum() for o, _, g in upstream).backward()
        sum((t * torch.tensor(g)).sum() for _, t, g in upstream).backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        where = f"{case.name} input {i}"
        if t.grad is None:
            assert x.grad is None, f"{where}: torch has no gradient, scratchish has one"
            continue
        assert x.grad is not None, f"{where}: no gradient"
        assert _dtype_name(x.grad.dtype) == _dtype_name(t.grad.dtype), f"{where}: grad dtype"
        np.testing.assert_allclose(
            x.grad.numpy(), t.grad.numpy(), **tol, err_msg=f"{where}: gradient"
        )


def check_gradcheck(case: OpCase) -> None:
    """sh.gradcheck in float64: every input's analytic gradient equals central differences."""
    if not case.gradcheck:
        pytest.skip(f"{case.name}: finite differences are not defined here (ties or kinks)")
    arrays = case.arrays()
    flags = case.grad_flags(len(arrays))
    xs = [sh.tensor(a, requires_grad=g) for a, g in zip(arrays, flags)]
    report = gradcheck(lambda *inputs: case.fn(sh, *inputs), *xs)
    assert report, str(report)


def torch_pair(shape, dtype=np.float64, seed=0):
    """The same standard-normal values (seeded) as a scratchish tensor and a torch tensor,
    both requiring grad: for layer tests that compare values and gradients by hand."""
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return sh.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_close_to_torch(ours, theirs, tol) -> None:
    """A scratchish tensor (or array) equals a torch tensor: same shape, dtype, and values
    within tol (absolute and relative)."""
    a = ours.detach().numpy() if isinstance(ours, sh.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def check_function_against_torch(name, shapes, dtype=np.float64, **kwargs) -> None:
    """sh's and torch's nn.functional.`name` on the same random inputs, one per shape (x, then
    weight and bias when given): the output, then every input's gradient pulled back from the
    same random grad_out, within 1e-10 in float64 and 2e-5 in float32."""
    torch = pytest.importorskip("torch")
    tol = {np.float64: 1e-10, np.float32: 2e-5}[dtype]
    tensors = [torch_pair(shape, dtype, seed) for seed, shape in enumerate(shapes)]
    out = getattr(sh.nn.functional, name)(*(t[0] for t in tensors), **kwargs)
    t_out = getattr(torch.nn.functional, name)(*(t[1] for t in tensors), **kwargs)
    assert_close_to_torch(out, t_out, tol)
    g = np.random.default_rng(9).standard_normal(tuple(t_out.shape)).astype(dtype)
    out.backward(sh.tensor(g))
    t_out.backward(torch.tensor(g))
    for ours, theirs in tensors:
        assert_close_to_torch(ours.grad, theirs.grad, tol)


def sgd_losses_side_by_side(ours, theirs, loss, t_loss, steps=5, lr=0.1, momentum=0.9):
    """Train a scratchish model and its torch twin with SGD for `steps` steps; return both
    lists of losses. `loss()` and `t_loss()` compute each model's loss on its batch."""
    torch = pytest.importorskip("torch")
    runs = [
        (loss, sh.optim.SGD(ours.parameters(), lr=lr, momentum=momentum), []),
        (t_loss, torch.optim.SGD(theirs.parameters(), lr=lr, momentum=momentum), []),
    ]
    for _ in range(steps):
        for compute, optimizer, losses in runs:
            optimizer.zero_grad()
            value = compute()
            value.backward()
            optimizer.step()
            losses.append(value.item())
    return runs[0][2], runs[1][2]


# ----------------------------------------------------------------------------------------------
# bad arguments: the fuzz tests of tests/test_errors.py and tests/nn/test_layer_errors.py call
# every public function with these and ask leaked_error whether a bare error came out
# ----------------------------------------------------------------------------------------------
def bad_values() -> list:
    """A dozen values a learner might pass by mistake."""
    bads = [None, "abc", 1.5, -7, 99, (1, 2, 3, 4, 5), [1, "a"], sh.randn(5), sh.randn(2, 3, 4)]
    return bads + [sh.tensor([[1, 2], [3, 4]]), sh.tensor(True), object()]


def leaked_error(call, *args) -> str | None:
    """The bare Python or NumPy error call(*args) lets through, or None. scratchish's own
    errors, messages in its "op: ..." style and Python's signature check are fine."""
    import re
    import warnings

    from scratchish.errors import ScratchishError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(*args)
    except ScratchishError:
        return None
    except Exception as error:  # noqa: BLE001 - what the tests look for
        message = str(error)
        if re.match(r"^[a-z_0-9.]+: ", message) or "positional argument" in message:
            return None
        if "unexpected keyword" in message:
            return None
        return f"{type(error).__name__}: {message[:80]}"
    return None


def cifar_archive(path, n_train=2, n_test=3, learnable=False):
    """Write a small cifar-10-binary.tar.gz at `path` (n_train records per training batch,
    n_test in the test batch); returns its bytes and each batch's records (N, 1 + 3072).
    learnable: class k lights up rows 3k to 3k + 2 of channel k % 3, so a CNN can learn it."""
    import io
    import tarfile

    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    batches = {}
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
        for name in names:
            count = n_test if name == "test_batch.bin" else n_train
            records = rng.integers(0, 256, (count, 1 + 3072), dtype=np.uint8)
            records[:, 0] %= 10
            if learnable:
                images = records[:, 1:].reshape(count, 3, 32, 32)
                images //= 3
                for image, label in zip(images, records[:, 0]):
                    image[label % 3, 3 * label : 3 * label + 3] = 250
            batches[name] = records
            data = records.tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue(), batches
