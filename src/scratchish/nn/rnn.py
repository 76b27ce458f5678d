"""Recurrent layers: RNN, LSTM and GRU, over a whole sequence, and their one-step cells
(RNNCell, LSTMCell, GRUCell), with PyTorch's names, shapes, gate order and parameter names,
so a state_dict moves between scratchish and PyTorch both ways.

Nothing here has a hand-written backward: each step is linear, sigmoid, tanh, * and +, and
autograd runs back through the steps (back-propagation through time). Read next: the step
functions below, then RNNBase._run; nn/utils/rnn.py for batches of different lengths.
"""

from __future__ import annotations

import math
import warnings

from ..creation import cat, stack, zeros
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops.matmul import Linear as LinearOp
from ..ops.nn_ops import GruCell, GruLayer, LstmCell, LstmLayer, state_weight
from ..tensor import Tensor, _check_device
from . import functional as F
from . import init
from .linear import _empty
from .module import Module, Parameter, size_argument
from .utils.rnn import PackedSequence


# ----------------------------------------------------------------------------------------------
# one time step: the formulas, shared by the cells and the layers
# ----------------------------------------------------------------------------------------------
# gx is the input's share of the gates, x @ W_ih^T + b_ih, computed for all steps at once by
# the layers (one big matrix product) and for one step by the cells. Shapes: gx (N, G*H),
# h and c (N, H), w_hh (G*H, H), with G gates (1 for RNN, 4 for LSTM, 3 for GRU).
# w_hh_t, from the layers only: W_hh^T as ops/nn_ops.py state_weight gives it for the whole
# sequence (over many steps a row-major copy, with which h W_hh^T is faster: ops/matmul.py
# Linear says why).
def state_share(h: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hh_t=None) -> Tensor:
    """h W_hh^T + b_hh, the state's share of the gates."""
    if w_hh_t is None or h.array.dtype != w_hh_t.dtype:  # (F.linear explains a dtype mix)
        return F.linear(h, w_hh, b_hh)
    inputs = (h, w_hh) if b_hh is None else (h, w_hh, b_hh)
    return LinearOp.apply(*inputs, w_t=w_hh_t)


def rnn_tanh_step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hh_t=None) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return F.tanh(gx + state_share(h, w_hh, b_hh, w_hh_t))


def rnn_relu_step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hh_t=None) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return F.relu(gx + state_share(h, w_hh, b_hh, w_hh_t))


def lstm_step(
    gx: Tensor,
    state: tuple,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
    w_hh_t=None,
) -> tuple:
    """One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate), PyTorch's gate order
    i, f, g, o along the 4H rows of the weights:

        i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')            (then h' W_hr^T with proj_size > 0)
    """
    h, c = state
    # the gate arithmetic in one op (ops/nn_ops.py LstmCell; the same formulas as above)
    new = LstmCell.apply(gx + state_share(h, w_hh, b_hh, w_hh_t), c)  # (N, 4H), (N, H) -> (2, N, H)
    h, c = new[0], new[1]
    if w_hr is not None:
        h = F.linear(h, w_hr)  # (N, H) -> (N, proj_size)
    return h, c


def gru_step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hh_t=None) -> Tensor:
    """One GRU step (Cho et al. 2014), PyTorch's gate order r, z, n along the 3H rows:

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h

    The reset gate r multiplies h W_hn^T + b_hn, so the two halves of the gates cannot be
    added before the nonlinearities as in the LSTM.
    """
    gh = state_share(h, w_hh, b_hh, w_hh_t)  # (N, 3H)
    return GruCell.apply(gx, gh, h)  # the formulas above in one op (ops/nn_ops.py)


def _split_by_halves(x: Tensor, sizes: list) -> list:
    """x split into consecutive row blocks of the given sizes (the rows of each time step),
    by halving: the first half of the blocks and the second, each split in halves again...

    Why not one slice per block: the backward of a slice is a gradient of x's full shape
    (zeros but in the slice), and the engine adds up the T of them, which costs T * x.size,
    growing as T^2: a third of the time of a 2-layer LSTM's forward and backward at T = 50
    (measured). Split in halves, each level of the tree costs one x.size: log2(T) * x.size
    in all.
    """
    if len(sizes) == 1:
        return [x]
    mid = len(sizes) // 2
    n = sum(sizes[:mid])
    return _split_by_halves(x[:n], sizes[:mid]) + _split_by_halves(x[n:], sizes[mid:])


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# what each size of a recurrent layer means, for size_argument's message
_INPUT = "the number of features of each step's input, e.g. an embedding's width"
_HIDDEN = "the number of features of the hidden state h, e.g. 128"


def _nonlinearity_mode(name: str, nonlinearity: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ArgumentError(
            f"{name}: unknown nonlinearity {nonlinearity!r}; it must be 'tanh' or 'relu'."
        )
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _check_pair(name: str, hx) -> None:
    """An LSTM's state is given as both tensors (h_0, c_0) or not at all, as in PyTorch."""
    if hx is None:
        return
    pair = isinstance(hx, (tuple, list))
    if not pair or len(hx) != 2 or not all(isinstance(t, Tensor) for t in hx):
        shown = f"({', '.join(type(t).__name__ for t in hx)})" if pair else type(hx).__name__
        raise ArgumentError(
            f"{name}: hx must be a pair of tensors (h_0, c_0), the hidden and the cell state, "
            f"got {shown}. Give both, or leave hx out to start both from zeros."
        )


def _init_uniform(module: Module) -> None:
    # PyTorch's init for every recurrent weight and bias: U(-k, k), k = 1 / sqrt(hidden_size),
    # drawn parameter by parameter in registration order (so the same seed gives its numbers)
    k = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -k, k)


# ----------------------------------------------------------------------------------------------
# cells: one step
# ----------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters and input checks shared by RNNCell, LSTMCell and GRUCell."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device, dtype
    ) -> None:
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        self.input_size = size_argument(name, "input_size", input_size, _INPUT)
        self.hidden_size = size_argument(name, "hidden_size", hidden_size, _HIDDEN, 1)
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(_empty((gates, input_size), dtype))
        self.weight_hh = Parameter(_empty((gates, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(_empty((gates,), dtype))
            self.bias_hh = Parameter(_empty((gates,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx, n_states: int):  # noqa: A002
        """Check the input, add a batch dim to unbatched input, and give the initial state
        (zeros when hx is None). Returns (x (N, H_in), states, batched)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise ArgumentError(f"{name}: input must be a tensor, got {type(input).__name__}.")
        if input.ndim not in (1, 2):
            raise ShapeError(
                f"{name}: expected input to be 1-D (input_size,) or 2-D (batch, input_size), "
                f"got {input.ndim}-D of shape {tuple(input.shape)}. A cell takes one time step; "
                f"for a whole sequence use nn.{name[:-4]}, or loop over x.unbind(0)."
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {input.shape[-1]} features (shape {tuple(input.shape)}), "
                f"the cell expects {self.input_size} (input_size). Is input_size wrong: "
                f"nn.{name}({input.shape[-1]}, {self.hidden_size})?"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        want = (x.shape[0], self.hidden_size)
        if hx is None:
            states = [zeros(want, dtype=x.dtype) for _ in range(n_states)]
        else:
            states = [hx] if n_states == 1 else list(hx)
            for k, state in enumerate(states):
                given = tuple(state.shape) if isinstance(state, Tensor) else type(state).__name__
                if given != (want if batched else want[1:]):
                    which = "hx" if n_states == 1 else ("h_0", "c_0")[k]
                    raise ShapeError(
                        f"{name}: {which} has shape {given}, expected "
                        f"{want if batched else want[1:]} for an input of shape "
                        f"{tuple(input.shape)}: (batch, hidden_size), or (hidden_size,) for "
                        f"an unbatched input. Leave it out to start from zeros."
                    )
            if not batched:
                states = [state.unsqueeze(0) for state in states]
        return x, states, batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Args:
        input_size: features of x; hidden_size: features of h.
        bias: learn b_ih and b_hh (default True). nonlinearity: 'tanh' or 'relu'.

    Shape: input (N, input_size) or (input_size,), hx (N, hidden_size) or (hidden_size,)
    (zeros when left out) -> h' of hx's shape.

    Weights: weight_ih (hidden_size, input_size), weight_hh (hidden_size, hidden_size),
    bias_ih and bias_hh (hidden_size,), all drawn from U(-k, k), k = 1 / sqrt(hidden_size).

    Example:
        >>> import scratchish as sh
        >>> cell = sh.nn.RNNCell(10, 20)
        >>> h = cell(sh.randn(3, 10))
        >>> cell(sh.randn(3, 10), h).shape
        scratchish.Size([3, 20])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        self._mode = _nonlinearity_mode("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        step = rnn_tanh_step if self._mode == "RNN_TANH" else rnn_relu_step
        h = step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: gates i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4),
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c').

    Args:
        input_size: features of x; hidden_size: features of h and c.
        bias: learn b_ih and b_hh (default True).

    Shape: input (N, input_size) or (input_size,), hx a pair (h_0, c_0) each
    (N, hidden_size) or (hidden_size,) (zeros when left out) -> (h', c') of the same shapes.

    Weights: weight_ih (4*hidden_size, input_size), weight_hh (4*hidden_size, hidden_size),
    bias_ih and bias_hh (4*hidden_size,), rows in the order i, f, g, o, all from U(-k, k),
    k = 1 / sqrt(hidden_size).

    Example:
        >>> import scratchish as sh
        >>> cell = sh.nn.LSTMCell(10, 20)
        >>> h, c = cell(sh.randn(3, 10))
        >>> h, c = cell(sh.randn(3, 10), (h, c))
        >>> c.shape
        scratchish.Size([3, 20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:  # noqa: A002
        _check_pair("LSTMCell", hx)
        x, state, batched = self._prepare(input, hx, 2)
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = lstm_step(gx, tuple(state), self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.

    Args:
        input_size: features of x; hidden_size: features of h.
        bias: learn b_ih and b_hh (default True).

    Shape: input (N, input_size) or (input_size,), hx (N, hidden_size) or (hidden_size,)
    (zeros when left out) -> h' of hx's shape.

    Weights: weight_ih (3*hidden_size, input_size), weight_hh (3*hidden_size, hidden_size),
    bias_ih and bias_hh (3*hidden_size,), rows in the order r, z, n, all from U(-k, k),
    k = 1 / sqrt(hidden_size).

    Example:
        >>> import scratchish as sh
        >>> cell = sh.nn.GRUCell(10, 20)
        >>> cell(sh.randn(10)).shape
        scratchish.Size([20])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        h = gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


# ----------------------------------------------------------------------------------------------
# layers: a whole sequence, several layers, one or two directions
# ----------------------------------------------------------------------------------------------
class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, the checks,
    and the loop over layers, directions and time steps (forward).

    Args:
        input_size: features of x per time step; hidden_size: features of h.
        num_layers: recurrent layers stacked, each reading the outputs of the one below.
        bias: learn b_ih and b_hh (default True).
        batch_first: input and output are (N, L, *) instead of (L, N, *); the states h_0 and
            h_n stay (D*num_layers, N, H) either way, as in PyTorch.
        dropout: probability of zeroing each output of every layer but the last, in training.
        bidirectional: D = 2 directions, the second reading the sequence from the end; the
            output holds both (forward first), the states have one entry per direction.
        proj_size: LSTM only, see nn.LSTM.
        mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (as PyTorch's RNNBase).
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        if not isinstance(mode, str) or mode not in _GATES:
            raise ArgumentError(
                f"{name}: mode must be one of {sorted(_GATES)}, got {mode!r}. Build "
                f"nn.RNN, nn.LSTM or nn.GRU rather than RNNBase: they set it."
            )
        self.mode = mode
        self.input_size = size_argument(name, "input_size", input_size, _INPUT)
        self.hidden_size = size_argument(name, "hidden_size", hidden_size, _HIDDEN, 1)
        self.num_layers = size_argument(name, "num_layers", num_layers, "layers stacked", 1)
        self.proj_size = size_argument(name, "proj_size", proj_size, "the size h is projected to")
        self.bias, self.batch_first = bias, batch_first
        self.bidirectional = bidirectional
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ArgumentError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}.")
        if not 0 <= dropout <= 1:
            raise ArgumentError(
                f"{name}: dropout must be a probability in [0, 1], got {dropout}: the chance "
                f"that each output of a layer is zeroed before the next layer."
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} acts between layers only, so with num_layers=1 it "
                f"does nothing. Use num_layers >= 2, or put nn.Dropout after the layer.",
                stacklevel=3,
            )
        self.dropout = float(dropout)
        if proj_size and mode != "LSTM":
            raise ArgumentError(f"{name}: proj_size is an LSTM option only.")
        if proj_size >= hidden_size:
            raise ArgumentError(
                f"{name}: proj_size ({proj_size}) must be smaller than hidden_size "
                f"({hidden_size}): the projection makes h smaller than c."
            )
        gates = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size  # the size of h (and of each direction's output)
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {
                    "weight_ih": (gates, layer_input),
                    "weight_hh": (gates, out_size),
                }
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, Parameter(_empty(shape, dtype)))
                    self._flat_weights_names.append(kind + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs the weights into one block for cuDNN on a GPU."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction, as PyTorch's all_weights."""
        per = len(self._flat_weights_names) // (self.num_layers * (1 + self.bidirectional))
        weights = self._flat_weights
        return [weights[k : k + per] for k in range(0, len(weights), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------------- checks
    def _check_input(self, input) -> None:  # noqa: A002
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            if input.data.ndim != 2 or input.data.shape[-1] != self.input_size:
                raise ShapeError(
                    f"{name}: the packed sequence's data has shape {tuple(input.data.shape)}, "
                    f"the layer expects (sum of lengths, {self.input_size}) (input_size). Pack "
                    f"a padded batch (T, B, {self.input_size}) with pack_padded_sequence."
                )
            return
        if not isinstance(input, Tensor):
            raise ArgumentError(f"{name}: input must be a tensor, got {type(input).__name__}.")
        if input.ndim not in (2, 3):
            layout = "(batch, seq_len, " if self.batch_first else "(seq_len, batch, "
            layout += "input_size)"
            raise ShapeError(
                f"{name}: expected input to be 3-D {layout} or 2-D (seq_len, input_size), got "
                f"{input.ndim}-D of shape {tuple(input.shape)}. For one time step of a batch, "
                f"add the time dim: x.unsqueeze({1 if self.batch_first else 0})."
            )
        if input.array.dtype.kind in "iub":
            raise DTypeError(
                f"{name}: the input holds {input.dtype} values (shape {tuple(input.shape)}): "
                f"token ids? A recurrent layer reads vectors; pass the ids through "
                f"nn.Embedding(num_ids, {self.input_size}) first, or convert numbers with "
                f".float()."
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {input.shape[-1]} features per time step (shape "
                f"{tuple(input.shape)}), the layer expects {self.input_size} (input_size). Is "
                f"input_size wrong: nn.{name}({input.shape[-1]}, {self.hidden_size})? Or are "
                f"the dims in another order (batch_first={self.batch_first})?"
            )
        if input.shape[1 if self.batch_first and input.ndim == 3 else 0] == 0:
            raise ShapeError(
                f"{name}: the sequence is empty (input shape {tuple(input.shape)}); it needs "
                f"at least one time step."
            )

    def _initial_state(self, hx, what: str, n_batch: int, input) -> Tensor:  # noqa: A002
        """hx checked against its expected shape (D*num_layers, N, size), or zeros.

        `what` is "h_0" or "c_0", `input` the input as given (for the messages).
        """
        name = type(self).__name__
        n_states = self.num_layers * (2 if self.bidirectional else 1)
        size_name = "proj_size" if what == "h_0" and self.proj_size else "hidden_size"
        want = (n_states, n_batch, getattr(self, size_name))
        data = input.data if isinstance(input, PackedSequence) else input
        if hx is None:
            return zeros(want, dtype=data.dtype)
        batched = isinstance(input, PackedSequence) or input.ndim == 3
        shown = want if batched else (n_states, want[2])
        if not isinstance(hx, Tensor) or tuple(hx.shape) != shown:
            got = tuple(hx.shape) if isinstance(hx, Tensor) else type(hx).__name__
            given = (
                f"a PackedSequence of {n_batch} sequences"
                if isinstance(input, PackedSequence)
                else f"an input of shape {tuple(input.shape)}"
            )
            first = " The batch is dim 1 of it even with batch_first=True." if batched else ""
            raise ShapeError(
                f"{name}: {what} has shape {got}, expected {shown}: (num_layers * "
                f"num_directions, {'batch, ' if batched else ''}{size_name}) for {given}."
                f"{first} Leave it out to start from zeros."
            )
        return hx if batched else hx.unsqueeze(1)

    # ---------------------------------------------------------------- the loop
    # an op running all steps of one layer and direction (LSTM, GRU), or None: step by step
    _layer_op = None

    def _step(self, gx: Tensor, state: tuple, w_hh: Tensor, b_hh, w_hr, w_hh_t) -> tuple:
        """One time step of one layer and direction: (output (N, H_out), new state), the
        state a tuple: (h,), or (h, c) for an LSTM."""
        raise NotImplementedError

    def _run(self, x: Tensor, batch_sizes: list, states: list) -> tuple:
        """Every layer and direction over the sequence.

        x (sum(batch_sizes), H_in) holds the rows of step 0, then of step 1, ...: step t has
        batch_sizes[t] rows, the sequences still running (all N of them for a padded batch;
        fewer as sequences end for a packed one). `states` holds the initial state of each
        of the D*num_layers (layer, direction) pairs, a tuple of (N, size) tensors.
        Returns (output (sum(batch_sizes), D*H_out) in the same row order, final states).
        """
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, training=True)  # between layers only
            outputs = []
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                # None for the biases when bias=False and for weight_hr without proj_size
                w_ih, w_hh, b_ih, b_hh, w_hr = (
                    getattr(self, kind + suffix, None)
                    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                )
                state = states[len(finals)]
                weights = (w_ih, b_ih, w_hh, b_hh, w_hr)
                output, final = self._layer(x, batch_sizes, state, weights, direction == 1)
                outputs.append(output)
                finals.append(final)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
        return x, finals

    def _layer(self, x, batch_sizes: list, state: tuple, weights: tuple, reverse: bool):
        """One layer in one direction over the sequence: (output rows (sum(batch_sizes),
        H_out), final state). weights: w_ih, b_ih, w_hh, b_hh, w_hr.

        Every step in one op (_layer_op, ops/nn_ops.py: forward + backward of an LSTM 1.5x as
        fast as step by step, benchmarks/README.md) when the layer has one and every
        sequence has every step; step by step for a packed batch of different lengths, with
        proj_size, or when a state's dtype differs from the weights' (the steps' F.linear
        explains that)."""
        w_ih, b_ih, w_hh, b_hh, w_hr = weights
        uniform = len(set(batch_sizes)) == 1
        same_dtype = all(s.array.dtype == w_hh.array.dtype for s in state)
        if self._layer_op is not None and w_hr is None and uniform and same_dtype:
            steps, gates = len(batch_sizes), w_hh.shape[0]
            gx = F.linear(x, w_ih, b_ih).reshape(steps, batch_sizes[0], gates)  # (T, N, G*H)
            # every h, then (LSTM) the last c
            out = self._layer_op.apply(gx, *state, w_hh, b_hh, reverse=reverse)
            h_n = out[0] if reverse else out[steps - 1]  # the h after the last step taken
            rest = tuple(out[k] for k in range(steps, out.shape[0]))
            return out[:steps].reshape(-1, out.shape[2]), (h_n, *rest)
        # the input's share of the gates for every step in one product:
        # (sum(batch_sizes), H_in) @ (H_in, G*H) -> (sum(batch_sizes), G*H);
        # then only h @ W_hh^T is left for each step
        gx = _split_by_halves(F.linear(x, w_ih, b_ih), batch_sizes)
        w_hh_t = state_weight(w_hh.array, len(gx))  # for every step's h W_hh^T
        run = self._run_backward if reverse else self._run_forward
        ys, final = run(gx, state, (w_hh, b_hh, w_hr, w_hh_t))
        return cat(ys), final

    def _run_forward(self, gx: list, state: tuple, weights: tuple) -> tuple:
        """Steps 0, 1, ..., T-1. When a sequence ends (fewer rows at the next step: the
        longest come first) its rows of the state are its final state."""
        ys, done = [], []
        for gx_t in gx:
            n = gx_t.shape[0]
            if n < state[0].shape[0]:
                done.append(tuple(s[n:] for s in state))
                state = tuple(s[:n] for s in state)
            y, state = self._step(gx_t, state, *weights)
            ys.append(y)
        if done:  # the pieces ended from the last rows up: put them back in row order
            done.append(state)
            state = tuple(cat(parts[::-1]) for parts in zip(*done))
        return ys, state

    def _run_backward(self, gx: list, state: tuple, weights: tuple) -> tuple:
        """Steps T-1, ..., 1, 0 (the reverse direction). A sequence starts at its own last
        step, from its rows of the initial state, as it joins (more rows at earlier steps)."""
        initial, ys = state, []
        state = tuple(s[: gx[-1].shape[0]] for s in initial)
        for gx_t in reversed(gx):
            n, have = gx_t.shape[0], state[0].shape[0]
            if n > have:
                state = tuple(cat([s, s0[have:n]]) for s, s0 in zip(state, initial))
            y, state = self._step(gx_t, state, *weights)
            ys.append(y)
        ys.reverse()  # the output at t is the state after reading x[t], in time order
        return ys, state

    def _forward(self, input, hx: list) -> tuple:  # noqa: A002
        """Layouts around _run: a packed sequence, or a padded batch (L, N, H_in) (or
        (N, L, H_in) with batch_first, or (L, H_in) unbatched) turned into rows for _run.
        Returns (output in the input's layout, [h_n] or [h_n, c_n])."""
        self._check_input(input)
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes = input.data, input.batch_sizes.tolist()
            n_steps, n_batch = len(batch_sizes), batch_sizes[0]
        else:
            x = input if input.ndim == 3 else input.unsqueeze(1)
            if self.batch_first and input.ndim == 3:
                x = x.transpose(0, 1)  # (N, L, H_in) -> (L, N, H_in)
            n_steps, n_batch = x.shape[0], x.shape[1]
            x, batch_sizes = x.reshape(n_steps * n_batch, x.shape[2]), [n_batch] * n_steps
        initial = [
            self._initial_state(h, what, n_batch, input) for h, what in zip(hx, ("h_0", "c_0"))
        ]
        if packed and input.sorted_indices is not None:
            # the states are given in the caller's batch order; the rows run longest first
            initial = [s.index_select(1, input.sorted_indices) for s in initial]
        per_layer = [tuple(s[k] for s in initial) for k in range(initial[0].shape[0])]
        out, finals = self._run(x, batch_sizes, per_layer)
        final = [stack([f[j] for f in finals]) for j in range(len(initial))]
        if packed:
            if input.unsorted_indices is not None:
                final = [s.index_select(1, input.unsorted_indices) for s in final]
            return input._replace(data=out), final
        out = out.reshape(n_steps, n_batch, out.shape[-1])
        if input.ndim == 2:
            return out.squeeze(1), [s.squeeze(1) for s in final]
        return (out.transpose(0, 1) if self.batch_first else out), final


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu) at every
    step t of the sequence, layer after layer.

    Args: those of RNNBase (input_size, hidden_size, num_layers, bias, batch_first, dropout,
    bidirectional), and
        nonlinearity: 'tanh' (default) or 'relu'.

    Shape: input (L, N, H_in), or (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a
    PackedSequence (nn.utils.rnn: sequences of different lengths; the output is one too);
    h_0 (D*num_layers, N, H) or (D*num_layers, H) unbatched, zeros when left out.
    Returns (output (L, N, D*H): the last layer's h_t at every step, h_n: every layer's last h).

    Weights: weight_ih_l{k} (H, H_in for k = 0, else D*H), weight_hh_l{k} (H, H),
    bias_ih_l{k} and bias_hh_l{k} (H,), with _reverse names for the second direction, all
    drawn from U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch.

    Example:
        >>> import scratchish as sh
        >>> rnn = sh.nn.RNN(10, 20, num_layers=2)
        >>> output, h_n = rnn(sh.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        (scratchish.Size([5, 3, 20]), scratchish.Size([2, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        self.nonlinearity = nonlinearity
        mode = _nonlinearity_mode("RNN", nonlinearity)
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device=device, dtype=dtype,
        )  # fmt: skip

    def _step(self, gx, state, w_hh, b_hh, w_hr, w_hh_t):
        step = rnn_tanh_step if self.mode == "RNN_TANH" else rnn_relu_step
        h = step(gx, state[0], w_hh, b_hh, w_hh_t)
        return h, (h,)

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None) -> tuple:  # noqa: A002
        out, (h_n,) = self._forward(input, [hx])
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory: at every step t, with PyTorch's gate order i, f, g, o,
        i, f, g, o = split(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, 4)
        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g),  h_t = sigmoid(o) * tanh(c_t)
    layer after layer.

    Args: those of RNNBase (input_size, hidden_size, num_layers, bias, batch_first, dropout,
    bidirectional), and
        proj_size: when > 0, h_t is projected to proj_size features, h_t W_hr^T (an LSTM
            with projections, Sak et al. 2014); the output and h_n then have proj_size
            features and c_n keeps hidden_size.

    Shape: input (L, N, H_in), or (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a
    PackedSequence (nn.utils.rnn: sequences of different lengths; the output is one too);
    hx a pair (h_0, c_0), each (D*num_layers, N, H) or (D*num_layers, H) unbatched, zeros when
    left out. Returns (output (L, N, D*H), (h_n, c_n)).

    Weights: weight_ih_l{k} (4H, H_in for k = 0, else D*H), weight_hh_l{k} (4H, H),
    bias_ih_l{k} and bias_hh_l{k} (4H,), rows in the order i, f, g, o; weight_hr_l{k}
    (proj_size, H) with proj_size; _reverse names for the second direction; all drawn from
    U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch.

    Example:
        >>> import scratchish as sh
        >>> lstm = sh.nn.LSTM(10, 20, batch_first=True)
        >>> output, (h_n, c_n) = lstm(sh.randn(3, 5, 10))
        >>> output.shape, h_n.shape
        (scratchish.Size([3, 5, 20]), scratchish.Size([1, 3, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device, dtype,
        )  # fmt: skip

    _layer_op = LstmLayer  # gx, h0, c0, w_hh, b_hh -> every h, then the last c

    def _step(self, gx, state, w_hh, b_hh, w_hr, w_hh_t):
        h, c = lstm_step(gx, state, w_hh, b_hh, w_hr, w_hh_t)
        return h, (h, c)

    def forward(self, input: Tensor | PackedSequence, hx: tuple | None = None) -> tuple:  # noqa: A002
        _check_pair("LSTM", hx)
        out, (h_n, c_n) = self._forward(input, [None, None] if hx is None else list(hx))
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: at every step t, with PyTorch's gate order r, z, n,
        r = sigmoid(x_t W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise,
        n = tanh(x_t W_in^T + b_in + r * (h W_hn^T + b_hn)),  h_t = (1 - z) * n + z * h
    (h = h_{t-1}), layer after layer.

    Args: those of RNNBase (input_size, hidden_size, num_layers, bias, batch_first, dropout,
    bidirectional).

    Shape: input (L, N, H_in), or (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a
    PackedSequence (nn.utils.rnn: sequences of different lengths; the output is one too);
    h_0 (D*num_layers, N, H) or (D*num_layers, H) unbatched, zeros when left out.
    Returns (output (L, N, D*H), h_n).

    Weights: weight_ih_l{k} (3H, H_in for k = 0, else D*H), weight_hh_l{k} (3H, H),
    bias_ih_l{k} and bias_hh_l{k} (3H,), rows in the order r, z, n; _reverse names for the
    second direction; all drawn from U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch.

    Example:
        >>> import scratchish as sh
        >>> gru = sh.nn.GRU(10, 20, bidirectional=True)
        >>> output, h_n = gru(sh.randn(5, 10))
        >>> output.shape, h_n.shape
        (scratchish.Size([5, 40]), scratchish.Size([2, 20]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device=device, dtype=dtype,
        )  # fmt: skip

    _layer_op = GruLayer  # gx, h0, w_hh, b_hh -> every h

    def _step(self, gx, state, w_hh, b_hh, w_hr, w_hh_t):
        h = gru_step(gx, state[0], w_hh, b_hh, w_hh_t)
        return h, (h,)

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None) -> tuple:  # noqa: A002
        out, (h_n,) = self._forward(input, [hx])
        return out, h_n
