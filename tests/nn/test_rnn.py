"""RNN, LSTM, GRU and their cells against PyTorch: outputs, final states and the gradients of
the input, the initial states and every parameter, over layers, directions and layouts; then
gradcheck, dropout, init, state_dict both ways, a small training run, and the errors."""

import warnings

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.errors import ArgumentError, DTypeError, ShapeError
from scratchish.nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")

TOL64 = dict(rtol=1e-9, atol=1e-11)


def to_torch_state(module):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()}


def twins(name, *args, **kwargs):
    """The same layer in scratchish and torch, in float64, with our weights in both."""
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    ours.double()
    theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # torch's names and order
    theirs.load_state_dict(to_torch_state(ours))
    return ours, theirs


def pair(shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape)
    return sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list of tensors."""
    if isinstance(result, (tuple, list)):
        return [t for part in result for t in flat(part)]
    return [result]


def compare(ours, theirs, our_inputs, their_inputs, leaves=None, modules=None):
    """Run both, compare every result, back-propagate the same random weights of them, and
    compare the gradients of the inputs (or of the `leaves` pair of lists) and of every
    parameter (of ours and theirs, or of the `modules` pair)."""
    outs, touts = flat(ours(*our_inputs)), flat(theirs(*their_inputs))
    assert len(outs) == len(touts)
    loss, tloss = 0, 0
    for k, (out, tout) in enumerate(zip(outs, touts)):
        assert tuple(out.shape) == tuple(tout.shape), k
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL64)
        g = np.random.default_rng(10 + k).standard_normal(tuple(tout.shape))
        loss = loss + (out * sh.tensor(g)).sum()
        tloss = tloss + (tout * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    our_leaves, their_leaves = leaves or (flat(our_inputs), flat(their_inputs))
    for x, tx in zip(our_leaves, their_leaves, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL64)
    ours, theirs = modules or (ours, theirs)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[name].grad.numpy(), **TOL64, err_msg=name
        )


def add_state(ins, tins, name, lead, h_size):
    """Append a random initial state to both argument lists: h of shape (*lead, h_size), and
    for an LSTM the pair (h, c), c of shape (*lead, H)."""
    h, th = pair((*lead, h_size), 1)
    if name.startswith("LSTM"):
        c, tc = pair((*lead, H), 2)
        h, th = (h, c), (th, tc)
    ins.append(h)
    tins.append(th)


LAYERS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"proj_size": 2}),
    ("GRU", {}),
]
CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True),
    dict(batch_first=True),
    dict(bias=False, num_layers=2),
    dict(num_layers=2, bidirectional=True, batch_first=True),
]
L, N, H_IN, H = 4, 3, 5, 4


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("layer", LAYERS, ids=str)
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no-h0", "h0"])
def test_layer_matches_torch(layer, config, unbatched, with_state):
    name, kind = layer
    ours, theirs = twins(name, H_IN, H, **kind, **config)
    d_layers = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    batch = () if unbatched else (N,)
    shape = (*batch, L, H_IN) if config.get("batch_first") and not unbatched else (L, *batch, H_IN)
    x, tx = pair(shape, 0)
    ins, tins = [x], [tx]
    if with_state:
        add_state(ins, tins, name, (d_layers, *batch), kind.get("proj_size", H))
    compare(ours, theirs, ins, tins)


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {})]


@pytest.mark.parametrize("cell", CELLS, ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no-hx", "hx"])
def test_cell_matches_torch(cell, bias, unbatched, with_state):
    name, kind = cell
    ours, theirs = twins(name, H_IN, H, bias=bias, **kind)
    batch = () if unbatched else (N,)
    x, tx = pair((*batch, H_IN), 0)
    ins, tins = [x], [tx]
    if with_state:
        add_state(ins, tins, name, batch, H)
    compare(ours, theirs, ins, tins)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_lstm_cell_equals_the_composed_gate_formulas(dtype):
    # ops/nn_ops.py LstmCell against the plain formulas written with the engine's own ops;
    # gradients of both h' and c' flow back (as when c' feeds the next step), large z too
    from scratchish.nn import functional as F
    from scratchish.ops.nn_ops import LstmCell

    rng = np.random.default_rng(0)
    z_np = (rng.standard_normal((5, 4 * 3)) * 4).astype(dtype)
    z_np[0, :4] = [100.0, -100.0, 30.0, -30.0]  # saturated gates
    c_np = rng.standard_normal((5, 3)).astype(dtype)
    gh, gc = (sh.tensor(rng.standard_normal((5, 3)).astype(dtype)) for _ in range(2))
    results = []
    for fused in (True, False):
        z, c = sh.tensor(z_np, requires_grad=True), sh.tensor(c_np, requires_grad=True)
        if fused:
            out = LstmCell.apply(z, c)
            h_new, c_new = out[0], out[1]
        else:
            i, f, g, o = z.chunk(4, -1)
            c_new = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
            h_new = F.sigmoid(o) * F.tanh(c_new)
        ((h_new * gh).sum() + (c_new * gc).sum()).backward()
        results.append(
            [h_new.detach().numpy(), c_new.detach().numpy(), z.grad.numpy(), c.grad.numpy()]
        )
    tol = {np.float64: 1e-12, np.float32: 1e-6}[dtype]
    for fused, composed in zip(*results):
        assert fused.dtype == dtype
        np.testing.assert_allclose(fused, composed, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_gru_cell_equals_the_composed_gate_formulas(dtype):
    # ops/nn_ops.py GruCell against the formulas written with the engine's own ops
    from scratchish.nn import functional as F
    from scratchish.ops.nn_ops import GruCell

    rng = np.random.default_rng(0)
    gx_np, gh_np = ((rng.standard_normal((5, 9)) * 4).astype(dtype) for _ in range(2))
    gx_np[0, :3] = [100.0, -100.0, 30.0]  # saturated gates
    h_np = rng.standard_normal((5, 3)).astype(dtype)
    g = sh.tensor(rng.standard_normal((5, 3)).astype(dtype))
    results = []
    for fused in (True, False):
        gx, gh, h = (sh.tensor(a, requires_grad=True) for a in (gx_np, gh_np, h_np))
        if fused:
            out = GruCell.apply(gx, gh, h)
        else:
            r = F.sigmoid(gx[:, :3] + gh[:, :3])
            z = F.sigmoid(gx[:, 3:6] + gh[:, 3:6])
            n = F.tanh(gx[:, 6:] + r * gh[:, 6:])
            out = (1 - z) * n + z * h
        out.backward(g)
        results.append([out.detach().numpy(), gx.grad.numpy(), gh.grad.numpy(), h.grad.numpy()])
    tol = {np.float64: 1e-12, np.float32: 1e-6}[dtype]
    for fused, composed in zip(*results):
        assert fused.dtype == dtype
        np.testing.assert_allclose(fused, composed, rtol=tol, atol=tol)


def test_fused_gru_cell_gradcheck():
    from scratchish.ops.nn_ops import GruCell
    from scratchish.tools import gradcheck

    rng = np.random.default_rng(1)
    gx, gh = (sh.tensor(rng.standard_normal((3, 6)), requires_grad=True) for _ in range(2))
    h = sh.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    report = gradcheck(lambda gx, gh, h: GruCell.apply(gx, gh, h), gx, gh, h)
    assert report, str(report)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fused_cells_refuse_a_state_changed_in_place_after_forward(cell):
    # backward reads c (LSTM) or h (GRU): changed in place under no_grad after the forward,
    # the gradient would be wrong, so backward raises, as for the engine's other ops
    from scratchish.ops.nn_ops import GruCell, LstmCell

    rng = np.random.default_rng(2)
    state = sh.tensor(rng.standard_normal((2, 3)), requires_grad=True) * 1.0
    if cell == "lstm":
        out = LstmCell.apply(sh.tensor(rng.standard_normal((2, 12)), requires_grad=True), state)
    else:
        gx, gh = (sh.tensor(rng.standard_normal((2, 9)), requires_grad=True) for _ in range(2))
        out = GruCell.apply(gx, gh, state)
    with sh.no_grad():
        state.mul_(2.0)
    with pytest.raises(sh.InPlaceError, match="changed in place since"):
        out.sum().backward()


@pytest.mark.parametrize("steps", [20, 3])
def test_rnn_multiplies_the_state_by_one_transposed_copy_over_many_steps(steps, monkeypatch):
    # over many steps, every step's h @ W_hh^T reads one row-major copy of W_hh^T made per
    # layer call (faster in OpenBLAS for an h of few rows: ops/matmul.py Linear); over a
    # few, the copy would cost more than it saves: the transposed view. Torch's results.
    from scratchish.ops.matmul import Linear
    from scratchish.ops.nn_ops import TRANSPOSE_FROM_STEPS

    seen = []  # per product: None (no w_t), or (id of w_t, a copy?)
    forward = Linear.forward

    def spy(self, x, w, b=None, *, w_t=None):
        if w_t is not None:
            np.testing.assert_array_equal(w_t, w.T)
        copy = w_t is not None and not np.shares_memory(w_t, w)
        seen.append(None if w_t is None else (id(w_t), copy, w_t.flags.c_contiguous))
        return forward(self, x, w, b, w_t=w_t)

    monkeypatch.setattr(Linear, "forward", spy)
    ours, theirs = twins("RNN", 3, 4, num_layers=2)
    x, tx = pair((steps, 2, 3), 11)
    out = ours(x)[0]
    # per layer: one product for every step's input (no w_t), then each step's h @ W_hh^T
    assert len(seen) == 2 * (1 + steps)
    many = steps >= TRANSPOSE_FROM_STEPS
    for calls in (seen[: 1 + steps], seen[1 + steps :]):
        assert calls[0] is None and len(set(calls[1:])) == 1  # the same w_t every step
        assert calls[1][1:] == (many, many)  # a row-major copy, or a view of W_hh
    np.testing.assert_allclose(out.numpy(force=True), theirs(tx)[0].detach().numpy(), **TOL64)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_ops_equal_the_steps_composed(name, bidirectional, bias, monkeypatch):
    # ops/nn_ops.py LstmLayer and GruLayer (all the steps in one op) against the step-by-step
    # path, each step its own ops: outputs, final states and every gradient, float64
    from scratchish.nn import rnn
    from scratchish.ops import nn_ops

    op = getattr(nn_ops, name.capitalize() + "Layer")
    calls = []
    real = op.forward
    monkeypatch.setattr(op, "forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    sh.manual_seed(3)
    layer = getattr(nn, name)(3, 5, num_layers=2, bias=bias, bidirectional=bidirectional)
    layer.double()
    rng = np.random.default_rng(4)
    d = 2 if bidirectional else 1
    steps = 17  # the layers then multiply by a row-major copy of W_hh^T (state_weight)
    x_np, g_np = rng.standard_normal((steps, 4, 3)), rng.standard_normal((steps, 4, 5 * d))
    states_np = rng.standard_normal((2 if name == "LSTM" else 1, 2 * d, 4, 5))
    results = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(getattr(rnn, name), "_layer_op", None)  # step by step
        layer.zero_grad()
        x = sh.tensor(x_np, requires_grad=True)
        states = [sh.tensor(a, requires_grad=True) for a in states_np]
        out, final = layer(x, tuple(states) if name == "LSTM" else states[0])
        finals = list(final) if name == "LSTM" else [final]
        (out * sh.tensor(g_np)).sum().add((finals[0] * finals[-1]).sum()).backward()
        grads = [t.grad for t in (x, *states, *layer.parameters())]
        results.append([out, *finals, *grads])
        assert len(calls) == 2 * d  # 2 layers x directions, in the fused run only
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(force=True), b.numpy(force=True), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_ops_under_no_grad_give_the_same_outputs(name, bidirectional):
    # without a backward to come, the ops keep one step's intermediate values, not all
    sh.manual_seed(5)
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    x = sh.tensor(np.random.default_rng(6).standard_normal((18, 2, 3)))
    out, final = layer(x)
    with sh.no_grad():
        out_ng, final_ng = layer(x)
    assert out_ng.grad_fn is None
    finals = (final, final_ng) if name == "GRU" else (final[1], final_ng[1])
    np.testing.assert_array_equal(out_ng.numpy(), out.detach().numpy())
    np.testing.assert_array_equal(finals[1].numpy(), finals[0].detach().numpy())


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_layer_ops_gradcheck(name):
    from scratchish.ops import nn_ops
    from scratchish.tools import gradcheck

    op = getattr(nn_ops, name.capitalize() + "Layer")
    gates = 8 if name == "LSTM" else 6
    rng = np.random.default_rng(5)
    shapes = [(4, 2, gates), (2, 2)] + [(2, 2)] * (name == "LSTM") + [(gates, 2), (gates,)]
    args = [sh.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    for reverse in (False, True):
        report = gradcheck(lambda *a, r=reverse: op.apply(*a, reverse=r), *args)
        assert report, str(report)


def test_packed_and_projected_layers_go_step_by_step(monkeypatch):
    # the layer ops need every sequence to have every step (and for the LSTM no projection);
    # the others keep the step-by-step path (and match PyTorch in the tests above)
    from scratchish.ops.nn_ops import GruLayer, LstmLayer

    for op in (LstmLayer, GruLayer):
        monkeypatch.setattr(op, "forward", lambda *a, **k: pytest.fail("a layer op ran"))
    packed = rnn_utils.pack_padded_sequence(sh.randn(5, 3, 2), [5, 3, 2])
    assert nn.LSTM(2, 4)(packed)[0].data.shape == (10, 4)
    assert nn.GRU(2, 4)(packed)[0].data.shape == (10, 4)
    assert nn.LSTM(2, 4, proj_size=3)(sh.randn(5, 3, 2))[0].shape == (5, 3, 3)


def test_fused_lstm_cell_gradcheck():
    from scratchish.ops.nn_ops import LstmCell
    from scratchish.tools import gradcheck

    rng = np.random.default_rng(1)
    z = sh.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    c = sh.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    report = gradcheck(lambda z, c: LstmCell.apply(z, c), z, c)
    assert report, str(report)


def test_cells_unrolled_equal_the_layer():
    # an LSTMCell stepped by hand over a sequence gives the LSTM's output with the same weights
    sh.manual_seed(0)
    lstm, cell = nn.LSTM(3, 4), nn.LSTMCell(3, 4)
    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, kind).array[...] = getattr(lstm, kind + "_l0").array
    x = sh.randn(6, 2, 3)
    out, (h_n, c_n) = lstm(x)
    h, c = sh.zeros(2, 4), sh.zeros(2, 4)
    steps = []
    for x_t in x.unbind(0):
        h, c = cell(x_t, (h, c))
        steps.append(h)
    # float32, to its rounding: the layer adds b_hh to every step's input share at once, the
    # cell to each step's product, so a sum can differ in its last bit
    tol = dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sh.stack(steps).detach().numpy(), out.detach().numpy(), **tol)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), **tol)


PACKED_LAYERS = [
    ("RNN", {}),
    ("LSTM", {}),
    ("LSTM", {"proj_size": 2}),
    ("GRU", {}),
]
PACKED_CONFIGS = [dict(), dict(num_layers=2, bidirectional=True), dict(bidirectional=True)]


@pytest.mark.parametrize("config", PACKED_CONFIGS, ids=str)
@pytest.mark.parametrize("layer", PACKED_LAYERS, ids=str)
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_state", [False, True], ids=["no-h0", "h0"])
def test_layer_on_packed_batch_matches_torch(layer, config, enforce_sorted, with_state):
    name, kind = layer
    ours, theirs = twins(name, 3, 4, **kind, **config)
    lengths = [4, 3, 3, 1] if enforce_sorted else [3, 1, 4, 3]
    xs, txs = zip(*(pair((n, 3), k) for k, n in enumerate(lengths)))
    packed = rnn_utils.pack_padded_sequence(
        rnn_utils.pad_sequence(xs), lengths, enforce_sorted=enforce_sorted
    )
    tpacked = torch.nn.utils.rnn.pack_padded_sequence(
        torch.nn.utils.rnn.pad_sequence(txs), torch.tensor(lengths), enforce_sorted=enforce_sorted
    )
    ins, tins = [packed], [tpacked]
    if with_state:
        n_states = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
        add_state(ins, tins, name, (n_states, len(lengths)), kind.get("proj_size", 4))

    # compare() works on tensors: unpack both outputs' data and the inputs' leaves
    def run(module, packed_in, state):
        out, final = module(packed_in, *state)
        return out.data, final

    compare(
        lambda *a: run(ours, a[0], a[1:]),
        lambda *a: run(theirs, a[0], a[1:]),
        ins,
        tins,
        leaves=(xs, txs),
        modules=(ours, theirs),
    )
    out, _ = ours(packed, *ins[1:])
    assert isinstance(out, rnn_utils.PackedSequence)
    np.testing.assert_array_equal(out.batch_sizes.numpy(), packed.batch_sizes.numpy())


def test_packed_final_state_is_each_sequences_last_step():
    # h_n of a sequence of length 2 is its output at step 1, not at the padded end
    sh.manual_seed(0)
    gru = nn.GRU(3, 4, batch_first=True)
    x = sh.randn(2, 5, 3)
    packed = rnn_utils.pack_padded_sequence(x, [5, 2], batch_first=True)
    out, h_n = gru(packed)
    padded, lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_array_equal(lengths.numpy(), [5, 2])
    np.testing.assert_allclose(h_n[0, 1].detach().numpy(), padded[1, 1].detach().numpy())
    np.testing.assert_allclose(padded[1, 2:].detach().numpy(), 0)
    _, h_short = gru(x[1:, :2])  # the short sequence alone, without padding
    np.testing.assert_allclose(h_n[0, 1].detach().numpy(), h_short[0, 0].detach().numpy(), 1e-6)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RNN", dict(num_layers=2, bidirectional=True)),
        ("LSTM", dict(num_layers=2, bidirectional=True)),
        ("LSTM", dict(proj_size=2)),
        ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
        ("LSTMCell", {}),
        ("GRUCell", {}),
    ],
)
def test_gradcheck(name, kwargs):
    # every parameter is checked too: gradcheck hands fn float64 copies of the inputs, which
    # fn puts in the module's parameter table for that call
    sh.manual_seed(0)
    module = getattr(nn, name)(2, 3, **kwargs).double()
    names = [n for n, _ in module.named_parameters()]
    cell = name.endswith("Cell")
    x = sh.randn(2, 2) if cell else sh.randn(*((2, 3) if kwargs.get("batch_first") else (3, 2)), 2)
    x.requires_grad_()
    n_states = (
        1 if cell else (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
    )
    h0 = sh.randn(*(() if cell else (n_states,)), 2, kwargs.get("proj_size") or 3)
    h0.requires_grad_()

    def fn(x, h0, *params):
        module._parameters.update(zip(names, params))
        if name.startswith("LSTM"):
            return flat(module(x, (h0, sh.ones(*h0.shape[:-1], 3, dtype=sh.float64))))
        return flat(module(x, h0))

    params = [p.detach().requires_grad_() for _, p in module.named_parameters()]
    assert sh.gradcheck(fn, x, h0, *params)


def test_dropout_between_layers_is_identity_in_eval():
    ours, theirs = twins("LSTM", H_IN, H, num_layers=3, dropout=0.5)
    ours.eval()
    theirs.eval()
    x, tx = pair((L, N, H_IN), 0)
    out, _ = ours(x)
    np.testing.assert_allclose(out.detach().numpy(), theirs(tx)[0].detach().numpy(), **TOL64)
    plain = nn.LSTM(H_IN, H, num_layers=3).double()
    plain.load_state_dict(ours.state_dict())
    np.testing.assert_array_equal(plain(x)[0].detach().numpy(), out.detach().numpy())


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_in_training_drops_as_torch_under_the_same_seed(name):
    # the masks are drawn from the generator as torch draws them: same seed, same masks,
    # so the outputs and every gradient agree
    ours, theirs = twins(name, H_IN, H, num_layers=3, dropout=0.4, bidirectional=True)
    x, tx = pair((L, N, H_IN), 0)

    def seeded(module, lib):
        def run(*args):
            lib.manual_seed(7)
            return module(*args)

        return run

    compare(seeded(ours, sh), seeded(theirs, torch), [x], [tx], modules=(ours, theirs))
    # and the masks dropped something: in eval (no dropout) the output differs
    dropped = seeded(ours, sh)(x)[0].detach().numpy()
    assert not np.allclose(ours.eval()(x)[0].detach().numpy(), dropped)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="between layers"):
        nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RNN(5, 7, num_layers=2, bidirectional=True),
        lambda m: m.LSTM(5, 7, proj_size=3, bias=False),
        lambda m: m.GRU(5, 7),
        lambda m: m.RNNCell(5, 7),
        lambda m: m.LSTMCell(5, 7),
        lambda m: m.GRUCell(5, 7, bias=False),
    ],
)
def test_default_init_equals_torch_under_same_seed(make):
    sh.manual_seed(0)
    ours = make(nn)
    torch.manual_seed(0)
    theirs = make(torch.nn)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key in ours_sd:
        np.testing.assert_array_equal(ours_sd[key].numpy(), theirs_sd[key].numpy(), err_msg=key)
    assert repr(ours) == repr(theirs)


def test_state_dict_round_trip_with_torch():
    x = np.random.default_rng(0).standard_normal((L, N, H_IN)).astype(np.float32)
    # torch -> scratchish
    theirs = torch.nn.LSTM(H_IN, H, num_layers=2, bidirectional=True)
    ours = nn.LSTM(H_IN, H, num_layers=2, bidirectional=True)
    ours.load_state_dict({k: sh.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    expected = theirs(torch.tensor(x))[0].detach().numpy()
    np.testing.assert_allclose(ours(sh.tensor(x))[0].detach().numpy(), expected, atol=1e-6)
    # scratchish -> torch, into a fresh module
    again = torch.nn.LSTM(H_IN, H, num_layers=2, bidirectional=True)
    again.load_state_dict(to_torch_state(ours))
    np.testing.assert_allclose(again(torch.tensor(x))[0].detach().numpy(), expected, atol=1e-6)
    assert list(ours.state_dict()) == [
        f"{kind}_l{layer}{suffix}"
        for layer in range(2)
        for suffix in ("", "_reverse")
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]


def test_char_lstm_trains_as_torch():
    """Embedding -> LSTM (2 layers) -> Linear on characters, 20 Adam steps: the same loss as
    torch at every step, from torch's initial weights."""
    text = "the quick brown fox jumps over the lazy dog. " * 3
    chars = sorted(set(text))
    ids = np.array([chars.index(ch) for ch in text])
    seq = 16
    starts = np.arange(0, len(ids) - seq - 1, 7)
    xb = np.stack([ids[s : s + seq] for s in starts])  # (N, L)
    yb = np.stack([ids[s + 1 : s + seq + 1] for s in starts])

    def build(lib):
        class CharLSTM(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = lib.nn.Embedding(len(chars), 8)
                self.lstm = lib.nn.LSTM(8, 16, num_layers=2, batch_first=True)
                self.head = lib.nn.Linear(16, len(chars))

            def forward(self, x):
                out, _ = self.lstm(self.emb(x))
                return self.head(out)

        return CharLSTM()

    torch.manual_seed(0)
    theirs = build(torch)
    ours = build(sh)
    ours.load_state_dict({k: sh.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    opt = sh.optim.Adam(ours.parameters(), lr=3e-2)
    topt = torch.optim.Adam(theirs.parameters(), lr=3e-2)
    x, y = sh.tensor(xb), sh.tensor(yb)
    tx, ty = torch.tensor(xb), torch.tensor(yb)
    losses, tlosses = [], []
    for _ in range(20):
        loss = nn.functional.cross_entropy(ours(x).reshape(-1, len(chars)), y.reshape(-1))
        tloss = torch.nn.functional.cross_entropy(
            theirs(tx).reshape(-1, len(chars)), ty.reshape(-1)
        )
        for o, l in ((opt, loss), (topt, tloss)):
            o.zero_grad()
            l.backward()
            o.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=1e-4)
    assert losses[-1] < 0.8 * losses[0]  # and it learns


# ----------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------
def raises(exc, fn, *words):
    with pytest.raises(exc) as info:
        fn()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_wrong_input_size_or_rank():
    lstm = nn.LSTM(5, 4, batch_first=True)
    raises(ShapeError, lambda: lstm(sh.randn(2, 3, 6)), "6 features", "(2, 3, 6)", "nn.LSTM(6, 4)")
    raises(ShapeError, lambda: lstm(sh.randn(5)), "1-D", "(batch, seq_len, input_size)")
    raises(ShapeError, lambda: lstm(sh.randn(2, 3, 4, 5)), "4-D", "unsqueeze")
    raises(ShapeError, lambda: nn.GRUCell(5, 4)(sh.randn(2, 3)), "3 features", "GRUCell(3, 4)")
    raises(ShapeError, lambda: nn.RNNCell(5, 4)(sh.randn(1, 2, 5)), "3-D", "nn.RNN")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_edge_lengths_as_torch(name):
    # one time step, and an empty batch, give torch's values and shapes; an empty sequence
    # is refused, as torch refuses it
    ours, theirs = twins(name, H_IN, H, num_layers=2, bidirectional=True)
    x, tx = pair((1, N, H_IN), 0)
    compare(ours, theirs, [x], [tx])
    empty = flat(ours(sh.zeros(L, 0, H_IN, dtype=sh.float64)))
    tempty = flat(theirs(torch.zeros(L, 0, H_IN, dtype=torch.float64)))
    assert [tuple(t.shape) for t in empty] == [tuple(t.shape) for t in tempty]
    raises(ShapeError, lambda: ours(sh.zeros(0, N, H_IN)), "empty", "at least one time step")


def test_token_ids_instead_of_vectors():
    raises(DTypeError, lambda: nn.GRU(5, 4)(sh.tensor([[1, 2, 3]])), "int64", "nn.Embedding")


def test_wrong_initial_state_shape():
    gru = nn.GRU(5, 4, num_layers=2, batch_first=True)
    x = sh.randn(3, 7, 5)  # batch 3
    # the classic mistake: h0 laid out batch first like the input
    raises(ShapeError, lambda: gru(x, sh.zeros(3, 2, 4)), "(3, 2, 4)", "(2, 3, 4)", "batch_first")
    lstm = nn.LSTM(5, 4)
    raises(ShapeError, lambda: lstm(sh.randn(7, 5), (sh.zeros(1, 4), sh.zeros(1, 3))), "c_0")
    raises(ShapeError, lambda: lstm(sh.randn(7, 5), (sh.zeros(1, 1, 4), sh.zeros(1, 4))), "h_0")
    raises(ArgumentError, lambda: lstm(sh.randn(7, 2, 5), sh.zeros(1, 2, 4)), "pair of tensors")
    raises(ArgumentError, lambda: lstm(sh.randn(7, 5), (sh.zeros(1, 4), None)), "Tensor, NoneType")
    raises(ArgumentError, lambda: nn.LSTMCell(5, 4)(sh.randn(5), (sh.zeros(4),)), "got (Tensor)")
    raises(ShapeError, lambda: nn.LSTMCell(5, 4)(sh.randn(2, 5), (sh.zeros(3, 4),) * 2), "h_0")
    raises(ShapeError, lambda: nn.RNNCell(5, 4)(sh.randn(5), sh.zeros(1, 4)), "(4,)")
    raises(ShapeError, lambda: nn.GRUCell(5, 4)(sh.randn(2, 5), [0.0] * 4), "hx has shape list")


def test_bad_arguments():
    raises(ArgumentError, lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "'tanh' or 'relu'")
    raises(ArgumentError, lambda: nn.LSTM(3, 4, dropout=1.5), "[0, 1]")
    raises(ArgumentError, lambda: nn.LSTM(3, 4, proj_size=4), "smaller than hidden_size")
    raises(ArgumentError, lambda: nn.GRU(3, 0), "hidden_size")
    raises(ArgumentError, lambda: nn.GRU(3, 4, num_layers=0), "num_layers")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.3)  # no warning with layers to drop between


def test_docstring_examples_run():
    import doctest

    import scratchish.nn.rnn

    result = doctest.testmod(scratchish.nn.rnn)
    assert result.attempted >= 6 and result.failed == 0
