"""The PyTorch API that beginner course code leans on (issue 11, point 3), item by item: each
test runs the same code with `t = scratchish` and with `t = torch` and compares what comes out
(values, dtypes, shapes, flags), or, where only scratchish can answer (CUDA), the message.
"""

import io
import warnings

import numpy as np
import pytest

import scratchish as sh
from scratchish.errors import UnsupportedError

torch = pytest.importorskip("torch")


def both(fn):
    """fn(scratchish) and fn(torch)."""
    return fn(sh), fn(torch)


def plain(value):
    """A result made comparable: tensors -> (dtype name, nested lists), recursively."""
    if isinstance(value, (sh.Tensor, torch.Tensor)):
        return (str(value.dtype).split(".")[-1], value.detach().numpy().tolist())
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (sh.dtype, torch.dtype)):
        return str(value).split(".")[-1]
    return value


def assert_same(fn):
    ours, theirs = both(fn)
    assert plain(ours) == plain(theirs)


def assert_close(fn, rtol=1e-5, atol=1e-6):
    ours, theirs = both(fn)
    ours, theirs = plain(ours), plain(theirs)
    assert [o[0] for o in ours] == [t[0] for t in theirs]  # dtypes
    for (_, o), (_, t) in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=rtol, atol=atol)


X = np.arange(12, dtype=np.float32).reshape(3, 4)


# ---------------------------------------------------------------------------------- dtypes
def test_dtype_aliases_and_comparisons():
    assert_same(
        lambda t: [t.float, t.long, t.int, t.double, t.bool, t.half, t.short, t.uint8, t.float16]
    )
    assert_same(
        lambda t: [
            t.ones(2).dtype == t.float32,
            t.ones(2).dtype == t.float,
            t.ones(2).dtype is t.float32,
            t.tensor([1]).dtype == t.long,
            t.tensor([1]).dtype == t.int64,
            t.ones(2).dtype != t.float64,
            t.tensor([True]).dtype == t.bool,
            t.ones(2, dtype=t.double).dtype,
            t.ones(2).long().dtype,
            t.ones(2).int().dtype,
            t.ones(2).to(t.float16).dtype,
            t.float32.is_floating_point,
            t.long.is_floating_point,
            t.get_default_dtype(),
        ]
    )


# ---------------------------------------------------------------------------------- devices
def test_device_arguments_to_and_cpu():
    assert_same(
        lambda t: [
            str(t.device("cpu")),
            t.device("cpu").type,
            t.ones(2).device == t.device("cpu"),
            str(t.ones(2).device),
            t.ones(2, device="cpu"),
            t.zeros(2, device=t.device("cpu")).to("cpu"),
            t.ones(2).to(t.device("cpu")).cpu(),
            t.ones(2).to("cpu", t.float64),
            t.ones(2).to(device="cpu", dtype=t.float64),
            t.ones(2).to(t.ones(1, dtype=t.float64)),
            t.nn.Linear(2, 2).to("cpu").weight.device.type,
            t.ones(2).is_cuda,
        ]
    )


def test_cuda_and_mps_answer_false_and_cuda_calls_explain():
    assert_same(lambda t: [t.cuda.is_available(), t.backends.mps.is_available()])
    assert_same(lambda t: "cuda" if t.cuda.is_available() else "cpu")
    for call in [
        lambda: sh.ones(2).cuda(),
        lambda: sh.ones(2).to("cuda"),
        lambda: sh.ones(2, device="cuda:0"),
        lambda: sh.nn.Linear(2, 2).cuda(),
        lambda: sh.nn.Linear(2, 2).to("cuda"),
    ]:
        with pytest.raises(UnsupportedError) as caught:
            call()
        message = str(caught.value)
        assert "scratchish runs on the CPU only" in message
        assert "torch.cuda.is_available() answers False" in message


def test_set_default_device_cpu_is_accepted():
    sh.set_default_device("cpu")
    sh.set_default_device(None)
    assert sh.ones(2).device == sh.device("cpu") == sh.get_default_device()
    with pytest.raises(UnsupportedError, match="CPU only"):
        sh.set_default_device("cuda")


# ---------------------------------------------------------------------------------- Generator
def test_generator_seeding_and_state():
    def use(t):
        g = t.Generator()
        same = g.manual_seed(7) is g  # manual_seed returns the generator: one-liners work
        first = t.rand(3, generator=g)
        state = g.get_state()
        second = t.rand(3, generator=g)
        g.set_state(state)
        return [same, g.initial_seed(), first, second, t.rand(3, generator=g)]

    assert_same(use)


# ---------------------------------------------------------------------------------- NumPy
def test_from_numpy_and_numpy_share_memory_both_ways():
    def share(t):
        a = np.zeros(3, dtype=np.float32)
        x = t.from_numpy(a)
        a[0] = 5.0  # NumPy -> tensor
        x[1] = 7.0  # tensor -> NumPy
        x.add_(1)  # in-place ops write to the same memory
        y = t.zeros(2)
        y.numpy()[0] = 3.0
        b = t.ones(2)
        view = b.numpy()
        b.mul_(4)
        return [a.tolist(), x, y, view.tolist(), t.from_numpy(np.arange(3)).dtype]

    assert_same(share)


# ---------------------------------------------------------------------------------- autograd
def test_data_reads_and_writes():
    def data(t):
        w = t.ones(3, requires_grad=True)
        d = w.data
        d[0] = 5.0  # shares memory with w
        first = w.detach().clone()
        w.data = t.tensor([1.0, 2.0, 3.0])  # replaces the values, keeps the leaf
        (w * w).sum().backward()
        return [d.requires_grad, first, w.requires_grad, w.is_leaf, w, w.grad]

    assert_same(data)


def test_in_place_updates_of_leaves_under_no_grad_and_grad_none():
    def update(t):
        w = t.tensor([1.0, 2.0], requires_grad=True)
        b = t.tensor(0.5, requires_grad=True)
        lr = 0.1
        trace = []
        for _ in range(3):
            loss = ((w * 3 + b) ** 2).sum()
            loss.backward()
            with t.no_grad():
                w -= lr * w.grad  # the lecture's update
            b.data += -lr * b.grad  # the makemore update
            w.grad = None
            b.grad = None
            trace.append(loss)
        return [w, b, w.is_leaf, w.requires_grad, w.grad, *trace]

    assert_same(update)


def test_in_place_change_of_a_leaf_outside_no_grad_raises_a_runtime_error():
    for t in (sh, torch):
        w = t.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError):
            w += 1


def test_retain_grad_on_a_non_leaf():
    def retain(t):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.retain_grad()  # twice is the same as once
        before = y.retains_grad
        (y * y).sum().backward()
        return [before, y.retains_grad, y.grad, x.grad, y.is_leaf, (x * 2).retains_grad]

    assert_same(retain)


def test_requires_grad_is_a_settable_attribute():
    def settable(t):
        x = t.ones(2)
        x.requires_grad = True
        (x * 2).sum().backward()
        x.requires_grad = False
        y = x * 2
        z = t.zeros(2).requires_grad_()
        return [x.grad, y.requires_grad, y.grad_fn is None, z.requires_grad]

    assert_same(settable)


def test_backward_with_a_gradient_on_a_non_scalar():
    def backward(t):
        x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.backward(t.tensor([1.0, 0.1, 0.01]))
        return x.grad

    assert_same(backward)
    for t in (sh, torch):  # without a gradient a non-scalar output is refused
        with pytest.raises(RuntimeError):
            (t.ones(2, requires_grad=True) * 2).backward()


def test_no_grad_as_a_decorator_and_a_context():
    def decorated(t):
        @t.no_grad()
        def evaluate(x):
            return x * 2

        x = t.ones(2, requires_grad=True)
        with t.no_grad():
            inside = (x * 2).requires_grad
        return [evaluate(x).requires_grad, inside, (x * 2).requires_grad, t.is_grad_enabled()]

    assert_same(decorated)


def test_no_grad_as_a_bare_decorator():
    @sh.no_grad
    def evaluate(x):
        return x * 2

    assert not evaluate(sh.ones(2, requires_grad=True)).requires_grad


def test_grad_fn_next_functions_walk_the_graph():
    def walk(t):
        a = t.tensor([1.0], requires_grad=True)
        b = t.tensor([2.0], requires_grad=True)
        d = a * b + a
        (mul, _), (leaf, index) = d.grad_fn.next_functions
        leaves = [f.variable for f, _ in mul.next_functions]
        return [
            len(d.grad_fn.next_functions),
            type(leaf).__name__,
            index,
            leaf.variable is a,
            leaves[0] is a and leaves[1] is b,
        ]

    assert_same(walk)


# ---------------------------------------------------------------------------------- tensors
def test_keepdims_and_keepdim():
    assert_same(
        lambda t: [
            t.from_numpy(X).sum(1, keepdims=True),
            t.from_numpy(X).sum(1, keepdim=True),
            t.from_numpy(X).mean(dim=0, keepdims=True),
            t.sum(t.from_numpy(X), 1, keepdim=True),
            t.from_numpy(X).max(1, keepdim=True).values,
            t.from_numpy(X).var(1, keepdims=True),
        ]
    )


def test_size_nelement_contiguous():
    assert_same(
        lambda t: [
            t.from_numpy(X).size(1),
            t.from_numpy(X).size(-1),
            list(t.from_numpy(X).size()),
            t.from_numpy(X).nelement(),
            t.from_numpy(X).numel(),
            t.from_numpy(X).t().is_contiguous(),
            t.from_numpy(X).t().contiguous().is_contiguous(),
            t.from_numpy(X).t().contiguous().view(-1),
        ]
    )


def test_split_chunk_tril_triu():
    assert_same(
        lambda t: [
            t.from_numpy(X).split(3, dim=1),
            t.split(t.from_numpy(X), [1, 2], dim=0),
            t.from_numpy(X).chunk(2),
            t.chunk(t.from_numpy(X), 3, dim=1),
            t.arange(10).chunk(3),
            t.tril(t.ones(3, 3)),
            t.triu(t.ones(3, 4), diagonal=1),
            t.from_numpy(X).tril(-1),
            t.ones(2, 3, 3).triu(),
            t.tril(t.ones(3, 3)) == 0,
        ]
    )


def test_max_min_topk_sort_return_named_values_and_indices():
    def named(t):
        x = t.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
        values, indices = x.max(dim=1)
        results = [
            x.max(1),
            x.min(dim=0),
            x.topk(2),
            t.topk(x, 1, dim=0),
            x.sort(),
            x.sort(1, True),
        ]
        return [values, indices, x.max(), t.max(x, 1).indices, x.argmax(1)] + [
            [r.values, r.indices] for r in results
        ]

    assert_same(named)


def test_topk_largest_false_and_multinomial_by_probability():
    assert_same(lambda t: list(t.from_numpy(X).topk(2, largest=False)))
    # a certain category is always drawn; several draws without replacement are distinct
    for t in (sh, torch):
        assert t.multinomial(t.tensor([0.0, 1.0, 0.0]), 1).item() == 1
        assert sorted(t.tensor([0.2, 0.3, 0.5]).multinomial(3).tolist()) == [0, 1, 2]


def test_one_hot():
    assert_same(
        lambda t: [
            t.nn.functional.one_hot(t.tensor([0, 2, 1])),
            t.nn.functional.one_hot(t.tensor([0, 2]), num_classes=4),
            t.nn.functional.one_hot(t.tensor([[0], [1]])).shape,
            t.nn.functional.one_hot(t.tensor([0, 2]), 3).float(),
        ]
    )


def test_boolean_mask_assignment():
    def assign(t):
        x = t.from_numpy(X.copy())
        x[x < 5] = -float("inf")
        logits = t.from_numpy(X.copy())
        v, _ = t.topk(logits, 2)
        logits[logits < v[:, [-1]]] = -float("Inf")  # nanoGPT's top-k crop
        rows = t.from_numpy(X.copy())
        rows[t.tensor([True, False, True])] = 1.0
        cols = t.from_numpy(X.copy())
        cols[:, [0, 2]] = t.zeros(3, 2)
        return [x, logits, rows, cols, t.softmax(logits, dim=-1) > 0]  # -inf: probability 0

    assert_same(assign)


def test_scaled_dot_product_attention_values_and_gradients():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3, 5, 4)).astype(np.float32) for _ in range(3)]
    mask = (rng.random((5, 5)) > 0.3) | np.eye(5, dtype=bool)

    def attend(t):
        q, k, v = (t.tensor(a, requires_grad=True) for a in arrays)
        sdpa = t.nn.functional.scaled_dot_product_attention
        outs = [
            sdpa(q, k, v),
            sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False),
            sdpa(q, k, v, is_causal=True),
            sdpa(q, k, v, attn_mask=t.from_numpy(mask)),
            sdpa(q, k, v, attn_mask=t.from_numpy(np.where(mask, 0.0, -1.0).astype(np.float32))),
        ]
        sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
        return [*outs, q.grad, k.grad, v.grad]

    assert_close(attend, rtol=1e-4, atol=1e-5)


def test_new_ones_new_zeros_t_mm_zero_clone_copy():
    def ops(t):
        x = t.from_numpy(X.copy())
        y = x.clone()
        y[0, 0] = 100.0  # a clone has its own memory
        z = t.zeros(3, 4)
        z.copy_(x)
        broadcast = t.zeros(3, 4).copy_(t.ones(4))
        w = t.ones(2, requires_grad=True)
        c = w.clone()  # a clone stays in the graph
        (c * 2).sum().backward()
        x.zero_()
        double = t.ones(2, dtype=t.float64)
        return [
            x,
            y,
            z,
            broadcast,
            w.grad,
            c.requires_grad,
            c.is_leaf,
            double.new_ones(2, 3),
            double.new_zeros((2,)),
            double.new_zeros(3, dtype=t.long),
            t.ones(2).new_full((2,), 7.0),
            t.ones(2).new_tensor([1, 2]),
            y.t(),
            t.mm(y, y.t()),
            y.mm(y.T),
            t.tensor([1.0, 2.0]).t(),
        ]

    assert_same(ops)


def test_log10_histogram_allclose():
    assert_same(
        lambda t: [
            t.log10(t.tensor([1.0, 10.0, 1000.0])),
            t.tensor([100.0]).log10(),
            t.tensor([10, 100]).log10(),  # integers give floats, as in torch
            t.tensor([8, 2]).log2(),
            list(t.histogram(t.tensor([1.0, 2.0, 1.0, 4.0]), bins=4)),
            list(t.histogram(t.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, density=True)),
            list(t.histogram(t.tensor([1.0, 2.0, 1.0]), bins=2, range=(0.0, 3.0))),
            t.allclose(t.tensor([1.0]), t.tensor([1.0 + 1e-7])),
            t.allclose(t.tensor([1.0]), t.tensor([1.1])),
            t.tensor([1.0]).allclose(t.tensor([1.05]), atol=0.1),
        ]
    )


def test_size_keyword_randint_forms_and_histc():
    def course(t):
        t.manual_seed(1337)
        xs = t.randn(size=(16, 3))
        w = t.zeros(size=(3, 2), requires_grad=True)
        b = t.full(size=(2,), fill_value=0.1, requires_grad=True)
        ix = t.randint(0, xs.shape[0], size=(4,))  # a minibatch, as in makemore
        flips = t.rand(size=(4,), generator=t.Generator().manual_seed(0)) < 0.5
        labels = [
            t.randint(3, (4,)),
            t.randint(high=3, size=(4,)),
            t.randint(low=1, high=3, size=(4,)),
        ]
        logits = xs[ix] @ w + b
        return [
            xs,
            ix,
            flips,
            *labels,
            logits,
            w.requires_grad,
            t.ones(size=(2,)).dtype,
            t.histc(xs, bins=6),
            t.histc(xs, bins=4, min=-1, max=1),
            t.histc(t.tensor([2.0, 2.0]), 3),
        ]

    assert_same(course)


def test_out_argument():
    def into(t):
        o = t.empty(3)
        same = t.add(t.ones(3), t.ones(3), out=o) is o
        results = [t.empty(2, 2), t.empty(3), t.empty(2), t.empty(3), t.empty(3), t.empty(3)]
        t.matmul(t.ones(2, 2), t.ones(2, 2), out=results[0])
        t.exp(t.zeros(3), out=results[1])
        t.cat([t.ones(1), t.zeros(1)], out=results[2])
        t.sum(t.ones(3, 3), 0, out=results[3])
        t.mul(t.ones(3), 2, out=results[4])
        t.sqrt(t.ones(3) * 4, out=results[5])
        view = results[5].numpy()
        t.sub(t.ones(3), 1, out=results[5])  # written in place: a NumPy view sees it
        return [same, o, *results, view.tolist(), t.zeros(3, out=t.empty(3))]

    assert_same(into)
    with pytest.raises(RuntimeError):
        torch.add(torch.ones(3, requires_grad=True), 1, out=torch.empty(3))
    with pytest.raises(ValueError, match="out=: functions with out= do not support autograd"):
        sh.add(sh.ones(3, requires_grad=True), 1, out=sh.empty(3))


# ---------------------------------------------------------------------------------- printing
def test_zero_d_tensors_format_like_numbers():
    assert_same(
        lambda t: [
            f"{t.tensor(2.5):.3f}",
            f"{t.tensor(3):d}",
            f"{t.tensor(1.23456):.2e}",
            f"{t.tensor(7):>3}",
            "%.2f" % t.tensor(2.5),  # noqa: UP031 - old-style formatting, as in course code
            f"{t.tensor([1.0, 2.0])}",
            str(t.tensor(2.5)),
            float(t.tensor(1.5)),
        ]
    )


def test_zero_d_tensors_format_like_numbers_without_a_spec():
    assert_same(lambda t: [f"{t.tensor(2.5)}", f"{t.tensor(3)}", f"{t.tensor(True)}"])


# torch 2.13's own __array__ warns inside matplotlib; scratchish's is checked without it below
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_tensors_go_to_numpy_and_matplotlib():
    figure = pytest.importorskip("matplotlib.figure")

    def plot(t):
        x = t.linspace(0, 1, 5)
        y = x**2
        fig = figure.Figure()  # no pyplot: no global state, no backend switch
        ax = fig.subplots()
        (line,) = ax.plot(x, y)
        counts, _, _ = ax.hist(t.tensor([0.1, 0.2, 0.2, 0.9]), bins=3)
        ax.imshow(t.ones(3, 3))
        fig.savefig(io.BytesIO(), format="png")
        with warnings.catch_warnings():
            # scratchish follows NumPy 2's __array__(dtype, copy) protocol: no warning (torch
            # 2.13's __array__ still draws a DeprecationWarning about copy=)
            warnings.simplefilter("error" if t is sh else "ignore", DeprecationWarning)
            arrays = [np.asarray(x), np.array(x, copy=True), np.asarray(x, dtype=np.float64)]
        return [
            np.asarray(line.get_ydata()).tolist(),
            counts.tolist(),
            [(a.dtype.name, a.tolist()) for a in arrays],
            np.stack([x, x]).shape,
            float(np.mean([y.sum(), y[1]])),  # a list of 0-d losses, averaged
        ]

    assert_same(plot)


# ---------------------------------------------------------------------------------- nn
def test_weight_tying_buffers_and_module_walks():
    def model(t):
        nn = t.nn

        class Tied(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(5, 3)
                self.blocks = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
                self.head = nn.Linear(3, 5, bias=False)
                self.emb.weight = self.head.weight  # weight tying
                self.register_buffer("tril", t.tril(t.ones(4, 4)))
                self.register_buffer("scratch", t.zeros(2), persistent=False)

        m = Tied()
        return [
            sum(p.numel() for p in m.parameters()),
            [name for name, _ in m.named_parameters()],
            sorted(m.state_dict()),
            [name for name, _ in m.named_buffers()],
            m.emb.weight is m.head.weight,
            m.tril,
            [name for name, _ in m.named_modules()],
            [name for name, _ in m.named_modules(prefix="gpt")],
            [type(x).__name__ for x in m.modules()],
        ]

    assert_same(model)


def test_module_apply_initialises_in_torchs_order():
    def init(t):
        nn = t.nn
        t.manual_seed(0)
        m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
        seen = []

        def init_weights(module):
            seen.append(type(module).__name__)
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                nn.init.zeros_(module.bias)

        return [seen, m.apply(init_weights) is m, *m.parameters()]

    assert_same(init)


def test_zero_grad_set_to_none():
    def zero(t):
        m = t.nn.Linear(2, 1)
        opt = t.optim.SGD(m.parameters(), lr=0.1)
        m(t.ones(1, 2)).sum().backward()
        m.zero_grad(set_to_none=True)
        after_module = m.weight.grad
        m(t.ones(1, 2)).sum().backward()
        m.zero_grad(set_to_none=False)
        zeros = m.weight.grad
        m(t.ones(1, 2)).sum().backward()
        opt.zero_grad(set_to_none=True)
        after_opt = m.weight.grad
        m(t.ones(1, 2)).sum().backward()
        opt.zero_grad()  # None by default, as in torch 2
        return [after_module, zeros, after_opt, m.weight.grad]

    assert_same(zero)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", dict(lr=0.1, momentum=0.9, foreach=None, maximize=True, differentiable=False)),
        (
            "Adam",
            dict(lr=0.01, foreach=False, fused=None, capturable=False, differentiable=False),
        ),
        ("AdamW", dict(lr=0.01, weight_decay=0.1, foreach=None, fused=None, maximize=True)),
        ("RMSprop", dict(lr=0.01, foreach=None, maximize=True, capturable=False)),
    ],
)
def test_optimizers_take_torchs_keyword_arguments(name, kwargs):
    def train(t):
        w = t.nn.Parameter(t.tensor([1.0, -2.0, 3.0]))
        opt = getattr(t.optim, name)([w], **kwargs)
        for _ in range(3):
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
        return w.detach()

    ours, theirs = both(train)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
