"""scratchish: deep learning from scratch-ish. PyTorch's API on NumPy, every op readable.

    import scratchish as sh
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()   # x.grad == [2., 4.]

Read in this order: tensor.py (the Tensor), autograd.py (backward), ops/ (each op's forward
and backward), nn/ (layers), optim/ (optimizers).
"""

from . import (
    _memory,  # noqa: F401 (keeps freed memory for the next step: see _memory.py)
    dtypes,
)
from .autograd import (
    Function,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# isort: split
# (autograd must load first: it loads tensor.py and the ops, which everything else uses)
from . import (
    backends,
    compat,
    cuda,
    data,
    datasets,
    journal,
    learner,
    linalg,
    nn,
    optim,
    tools,
    utils,
)
from .compat import as_torch, load_ipython_extension, unload_ipython_extension
from .creation import (
    allclose,
    arange,
    as_tensor,
    bernoulli,
    cat,
    concat,
    concatenate,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_device,
    histc,
    histogram,
    linspace,
    logspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    pad,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    set_default_device,
    stack,
    tensor,
    tril,
    tril_indices,
    triu,
    triu_indices,
    where,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .errors import (
    ArgumentError,
    BackwardError,
    DTypeError,
    GradcheckError,
    IndexOutOfRangeError,
    InPlaceError,
    ScratchishError,
    ShapeError,
    UnsupportedError,
)
from .functions import (
    abs,
    add,
    addbmm,
    addcdiv,
    addcmul,
    addmm,
    addmv,
    addr,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    argwhere,
    atleast_1d,
    atleast_2d,
    baddbmm,
    bincount,
    block_diag,
    bmm,
    broadcast_tensors,
    broadcast_to,
    cartesian_prod,
    cdist,
    ceil,
    chain_matmul,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    column_stack,
    combinations,
    corrcoef,
    cos,
    cosh,
    count_nonzero,
    cov,
    cross,
    cumprod,
    cumsum,
    diag,
    diagonal,
    dist,
    div,
    dot,
    einsum,
    eq,
    equal,
    erf,
    exp,
    exp2,
    expm1,
    flatten,
    flip,
    floor,
    fmod,
    frac,
    gather,
    ge,
    gt,
    hstack,
    index_add,
    index_fill,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    kron,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    median,
    meshgrid,
    min,
    minimum,
    mm,
    moveaxis,
    movedim,
    mul,
    mv,
    nan_to_num,
    narrow,
    ne,
    neg,
    nonzero,
    norm,
    numel,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    renorm,
    repeat_interleave,
    reshape,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    std,
    std_mean,
    sub,
    sum,
    swapaxes,
    t,
    take_along_dim,
    tan,
    tanh,
    tensordot,
    tile,
    topk,
    trace,
    transpose,
    trunc,
    unbind,
    unique,
    unsqueeze,
    var,
    var_mean,
    vstack,
)
from .learner import (
    Learner,
    accuracy,
    error_rate,
    f1_score,
    image_learner,
    learner_for,
    load_learner,
    mae,
    r2_score,
    rmse,
    tabular_learner,
    text_learner,
)
from .notes import explain
from .printing import set_printoptions
from .random import Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor, device
from .tools import GradcheckReport, gradcheck

__version__ = "0.1.0"


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted for PyTorch code; NumPy's float32 matrix products have one precision."""


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted for PyTorch code; scratchish is always deterministic on the CPU."""


def set_num_threads(n: int) -> None:
    """Accepted for PyTorch code; NumPy's BLAS sets its own threads (see threadpoolctl)."""


def get_num_threads() -> int:
    import os

    return os.cpu_count() or 1


def __getattr__(name: str):
    # PyTorch names scratchish lacks (torch.fft, torch.compile, ...) raise a teaching error
    return compat.unsupported_attribute("torch", name)
