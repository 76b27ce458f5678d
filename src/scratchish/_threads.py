"""Threads for elementwise work on large arrays, as PyTorch's intra-op threads.

NumPy runs each ufunc on one core; BLAS runs matrix products on all of them. So the rest of a
training step (GELU, softmax, pooling, ...) used one core of two. `parallel_for` splits such
work in contiguous parts, one per thread: the caller does the first part and a pool of
helper threads the others (NumPy releases the GIL inside its loops). `set_num_threads(n)`
sets their number, and OpenBLAS's, as `torch.set_num_threads` does. Handing a part over
costs 10-30 us, so ops split only arrays large enough: GELU (ops/nn_ops.py, _blockwise),
attention (ScaledDotProductAttention, by batch), max- and average pooling and GroupNorm
(ops/conv.py, by images). On some machines it costs far more (see value_grain), and there
the arrays must be larger still.
Convolutions split their images too, products and all (parallel_products: OpenBLAS runs each
product on one thread meanwhile).
Measured on the benchmarks' training steps (fresh processes, alternating, 2 cores): the char
GPT 55 -> 46 ms, LeNet 23 -> 22 ms; the MLP has no such op. (The optimizers' update stays on
one thread: see Optimizer._update_range.)

Why scratchish also shortens OpenBLAS's spin: after a matrix product OpenBLAS's worker
threads spin, waiting for the next one, for 2^28 cycles (about 0.1 s) before they sleep. A
training step calls BLAS every millisecond or so: its worker never sleeps, holds the second
core, and a helper thread there gets no time (measured: GELU on 393k values with two threads
1.93 ms, on one 1.89; with a short spin 1.09). So, once, the first time scratchish hands
work to a helper thread, it asks OpenBLAS to sleep after 2^18 cycles (about 0.1 ms)
instead. Not at import: a program that never splits work keeps the long spin (see
SHORT_BLAS_SPIN). Measured on the same steps: 2^4, 2^12 and 2^18 all free the core (2^18
by a little the fastest), 2^20 less, 2^22 and more not at all. The price: a product that
comes more than ~0.1 ms after the last must wake the worker; LeNet, which makes many such
products, was 2-4% slower for it before its max-pooling was split between threads too.
This uses OpenBLAS's own setting (the environment variable OPENBLAS_THREAD_TIMEOUT, read
again and its threads restarted); nothing changes where NumPy uses another BLAS or where the
user set that variable. Opt out with SCRATCHISH_SHORT_BLAS_SPIN=0.

A cost seen on the project's 2-vCPU virtual machine: after the process has been idle for a
tenth of a second or more, a step that hands work to a helper and then to OpenBLAS can stall
for 10-45 ms (not with one thread, nor with OpenBLAS's long spin; idle 0.01 s: never). That
is why the optimizer's update, the one such op in the MLP's step, stays on one thread. With
the short spin alone, the MLP's step wakes OpenBLAS's worker more often: bench_train.py gave
1.25-1.42x PyTorch for it (2026-11-26), against 1.35-1.56 before; hence the spin is now
shortened only once a helper is used, which the MLP's step never does.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import ArgumentError

OPT_OUT = "SCRATCHISH_SHORT_BLAS_SPIN"
TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
SPIN_EXPONENT = 18  # OpenBLAS's workers sleep after 2^18 cycles without work (default 2^28)
ALIGN = 16  # parts start at multiples of 16 elements: 64 bytes of float32, one cache line
# The fewest values worth a thread of their own for work of a pass or a few (a copy, a
# max-pool's backward): 2^16 float32 values take 20-100 us, against ~20 us to hand a part over.
PARALLEL_GRAIN = 1 << 16
# OpenBLAS's thread-count setter and getter: the plain names, or those of the builds NumPy
# (64-bit integers) and SciPy ship
_THREAD_SETTERS = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_num_threads = _cores()
_pool: ThreadPoolExecutor | None = None
_local = threading.local()  # .busy: this thread runs a part (no nested parallel_for)


def get_num_threads() -> int:
    """The number of threads scratchish's elementwise work uses (all cores by default)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use `n` threads for scratchish's elementwise work and for OpenBLAS's matrix products
    (where NumPy uses OpenBLAS), as `torch.set_num_threads`."""
    global _num_threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(
            f"set_num_threads expects a whole number >= 1, got {n!r}; "
            f"this machine has {_cores()} cores: try set_num_threads({_cores()})"
        )
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None
    _num_threads = n
    for _, set_ in _blas_thread_apis():  # looked up again: SciPy's may have loaded since
        set_(n)


def parallel_for(fn: Callable[[int, int], None], n: int, grain: int, align: int = ALIGN) -> None:
    """Call fn(start, stop) on consecutive parts of range(n) that together cover it, each
    part about `grain` long or more, in parallel: one part per thread, the first in this
    thread. Parts start at multiples of `align` (of elements: a cache line of float32).

    fn must write only its own part of its outputs. Returns when every part is done; an
    exception in any part is raised here, once no part runs any more (after an exception in
    this thread's part, parts that no helper has started are dropped). NumPy's error
    settings (np.errstate) hold in every part. Runs fn(0, n) alone when there is one thread,
    when n < 2 * grain, or when called from inside a part.
    """
    parts = _parts(n, grain)
    if parts < 2:
        fn(0, n)
        return
    bounds = [0]
    for i in range(1, parts):
        start = n * i // parts // align * align
        if start > bounds[-1]:
            bounds.append(start)
    bounds.append(n)
    parts = len(bounds) - 1
    futures = [
        _helpers().submit(contextvars.copy_context().run, _part, fn, bounds[i], bounds[i + 1])
        for i in range(1, parts)
    ]
    done = False
    try:
        _part(fn, bounds[0], bounds[1])
        done = True
    finally:
        # A part no helper has started yet (the helpers are busy with another thread's
        # parts, say) is done here instead of waited for.
        late = [i for i, f in enumerate(futures, start=1) if f.cancel()]
        errors = [f.exception() for f in futures if not f.cancelled()]  # waits for the rest
    if done:
        for i in late:
            _part(fn, bounds[i], bounds[i + 1])
    for error in errors:
        if error is not None:
            raise error


def _parts(n: int, grain: int) -> int:
    """How many parts parallel_for makes of range(n): 1 with one thread, when n < 2 * grain,
    or inside a part."""
    return 1 if getattr(_local, "busy", False) else min(_num_threads, n // max(grain, 1))


def blocks(rows: slice, row_bytes: int, block_bytes: int, stop: int = 0) -> list:
    """`rows` (a thread's part, say) cut into consecutive slices of as many rows as keep a
    block of about `block_bytes`, at least one row each. `stop` stands in for rows.stop when
    that is None (parallel_rows passes slice(None) for an empty array)."""
    per_block = max(1, block_bytes // max(row_bytes, 1))
    start, stop = rows.start or 0, stop if rows.stop is None else rows.stop
    return [slice(a, min(a + per_block, stop)) for a in range(start, stop, per_block)]


def parallel_rows(
    fn: Callable[[slice], None], x, grain: int | None = None, products: bool = False
) -> None:
    """Call fn(rows) on slices of x's first axis that together cover it, in parallel (see
    parallel_for), each of about `grain` values or more (value_grain's by default); fn(...)
    once for a 0-d x. products=True where fn makes matrix products: split, they run on one
    OpenBLAS thread each, as in parallel_products (else each part's products would ask for
    every core too: attention on (4, 4, 256, 32), forward + backward, took 47.6 ms on two
    threads against 8.5 on one, 2026-11-27)."""
    if x.ndim == 0 or x.shape[0] == 0:
        fn(... if x.ndim == 0 else slice(None))
        return
    if grain is None:
        grain = value_grain(x.size)
    per_row = max(x.size // x.shape[0], 1)
    split = _split_products if products else parallel_for
    split(lambda a, b: fn(slice(a, b)), x.shape[0], -(-grain // per_row), align=1)


# Handing a part to a helper thread and hearing back took 20-60 us on the machines this was
# first tuned on, and 70-160 us (up to 440) on an Intel Xeon VM whose idle cores halt at once
# (2026-11-27): there a helper that waits for the GIL sleeps, and each wake-up costs as much
# again. GELU and SiLU forward + backward on (256, 512), 2^17 values, ran faster on one
# thread than split in two (505-568 us against 586-649; SiLU 295-321 against 361-457), max-
# and average pooling on (16, 16, 28, 28) likewise (442-502 against 613-738), while twice
# those sizes still gained from two. So the grain is measured once per process: a job of a
# few passes over 2 * PARALLEL_GRAIN values, split in two against one thread doing it all.
_grain_factor: int | None = None  # 1, or 2 where the split did not pay
_grain_lock = threading.Lock()
SPLIT_PAYS_BELOW = 0.8  # the split's time over one thread's that counts as a gain


def value_grain(size: int) -> int:
    """The fewest values worth a part of their own for work of a few NumPy passes a value, on
    an array of `size` values: PARALLEL_GRAIN, or twice it on a machine where two parts of
    PARALLEL_GRAIN took at least SPLIT_PAYS_BELOW of one thread's time (measured the first time
    an array that could be split comes; see above)."""
    global _grain_factor
    if _grain_factor is None:
        if _num_threads < 2 or size < 2 * PARALLEL_GRAIN or getattr(_local, "busy", False):
            return PARALLEL_GRAIN  # nothing to split here (inside a part, the timed split
            # would run on one thread and always look slow): no need to know yet
        with _grain_lock:
            if _grain_factor is None:
                one, split = _time_split(2 * PARALLEL_GRAIN)
                _grain_factor = 1 if split < SPLIT_PAYS_BELOW * one else 2
    return PARALLEL_GRAIN * _grain_factor


def _time_split(n: int, repeats: int = 5) -> tuple[float, float]:
    """Median seconds of a job of eight NumPy passes over n float32 values on one thread, and
    split in two by parallel_for, alternating (~4 ms in all)."""
    x = np.linspace(-3.0, 3.0, n, dtype=np.float32)
    out, tmp = np.empty_like(x), np.empty_like(x)

    def job(a: int, b: int) -> None:  # a GELU-like run of passes over x[a:b]
        xs, o, t = x[a:b], out[a:b], tmp[a:b]
        np.square(xs, out=o)
        o *= -0.5
        np.exp(o, out=o)
        o *= xs
        np.abs(xs, out=t)
        t += 1.0
        o /= t
        o += xs

    runs = {"one": lambda: job(0, n), "split": lambda: parallel_for(job, n, grain=n // 2)}
    times: dict = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return tuple(sorted(times[name])[repeats // 2] for name in ("one", "split"))


def parallel_products(fn: Callable[[slice], None], n: int) -> None:
    """Call fn(part) on slices of range(n) (a batch's images, say) that together cover it,
    one per thread, where fn makes matrix products: meanwhile OpenBLAS runs each product on
    the calling thread alone, so each core works through its own part, copies and products
    alike. This is how PyTorch's convolutions use the cores (one image block per thread).

    The other way, each product split between the cores, leaves the copies around the
    products (im2col, col2im's adds) on one core: LeNet's training step at batch 64, 2 threads,
    alternating in one process, 27.0 -> 22.6 ms; inference at batch 256 35.1 -> 27.7 ms
    (2026-11-27). Runs fn(slice(0, n)) alone, OpenBLAS's threads untouched, with one thread,
    for n < 2, inside a part, or where scratchish cannot set OpenBLAS's threads (another BLAS
    would split each product again: more threads than cores). OpenBLAS's thread count is one
    setting for the whole process: a product another thread of the program makes meanwhile
    runs on one thread too; it is set back afterwards.
    """
    _split_products(lambda start, stop: fn(slice(start, stop)), n, grain=1, align=1)


def _split_products(fn: Callable[[int, int], None], n: int, grain: int, align: int) -> None:
    """parallel_for(fn, n, grain, align) with OpenBLAS on one thread per product while the
    parts run; fn(0, n) alone, OpenBLAS untouched, where it would make one part or where
    scratchish cannot set OpenBLAS's threads (see parallel_products)."""
    libraries = _blas_thread_counts()
    if _parts(n, grain) < 2 or not libraries:
        fn(0, n)
        return
    _shorten_spin_once()  # while OpenBLAS still has its own thread count
    with _one_blas_thread(libraries):
        parallel_for(fn, n, grain, align)


_blas_lock = threading.Lock()
_blas_users = 0  # threads of the program inside _one_blas_thread
_blas_before: list = []  # the counts to set back when the last one leaves


@contextlib.contextmanager
def _one_blas_thread(libraries: tuple):
    """OpenBLAS on one thread per product inside; the counts it had set back afterwards.
    Counted: when two threads of the program overlap here, the last to leave sets them back
    (each setting back what it found would leave one thread set for good)."""
    global _blas_users, _blas_before
    with _blas_lock:
        if _blas_users == 0:
            _blas_before = [get() for get, _ in libraries]
            for _, set_ in libraries:
                set_(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for (_, set_), count in zip(libraries, _blas_before):
                    set_(count)


def _blas_thread_apis() -> tuple:
    """(get, set) of the thread count of each OpenBLAS library loaded (NumPy's, SciPy's once
    imported), or () where there is none (another BLAS, not Linux)."""
    pairs = []
    for lib in _openblas_libraries():
        for set_name, get_name in _THREAD_SETTERS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, getter.restype = (ctypes.c_int,), ctypes.c_int
                pairs.append((getter, setter))
                break
    return tuple(pairs)


# parallel_products asks once (it runs in every convolution): a SciPy imported later keeps
# its own count, which NumPy's products do not use
_blas_thread_counts = functools.cache(_blas_thread_apis)


def _part(fn: Callable[[int, int], None], start: int, stop: int) -> None:
    _local.busy = True
    try:
        fn(start, stop)
    finally:
        _local.busy = False


_HELPER_NAME = "scratchish"  # our helper threads' names start with it


def _helpers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _shorten_spin_once()  # before any part runs: see SHORT_BLAS_SPIN
        _pool = ThreadPoolExecutor(_num_threads - 1, thread_name_prefix=_HELPER_NAME)
    return _pool


def _forget_pool() -> None:
    # A forked child has the pool object but not its threads: work sent to it would wait
    # forever. The child starts a pool of its own when it needs one.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


# ---------------------------------------------------------------------------- OpenBLAS
def _openblas_libraries() -> list:
    """The OpenBLAS libraries loaded in this process (NumPy's, SciPy's), through ctypes."""
    if not sys.platform.startswith("linux"):
        return []
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:
        return []
    libraries = []
    for path in paths:
        try:
            libraries.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libraries


def shorten_blas_spin() -> bool:
    """Make OpenBLAS's idle workers sleep after 2^SPIN_EXPONENT cycles (module docstring).
    Returns True if it did; False without OpenBLAS, when the user set OPENBLAS_THREAD_TIMEOUT
    or opted out."""
    if os.environ.get(OPT_OUT, "1") == "0" or TIMEOUT_VARIABLE in os.environ:
        return False
    libraries = [
        lib
        for lib in _openblas_libraries()
        if hasattr(lib, "openblas_read_env") and hasattr(lib, "blas_thread_shutdown_")
    ]
    if not libraries:
        return False
    os.environ[TIMEOUT_VARIABLE] = str(SPIN_EXPONENT)
    try:
        for lib in libraries:
            lib.openblas_read_env()  # reads OPENBLAS_THREAD_TIMEOUT again
            lib.blas_thread_shutdown_()  # the next product starts threads with the new value
    finally:
        del os.environ[TIMEOUT_VARIABLE]  # child processes start with OpenBLAS's default
    return True


# Whether OpenBLAS's spin is short. Not at import: the first time work is handed to a helper
# thread (_shorten_spin_once). A program that never splits work (an MLP: products, ReLU,
# Adam) keeps OpenBLAS's long spin, and its products find the worker awake: the MLP's
# training step 37.1-38.1k -> 39.3-40.5k samples/s, with the spin left long, against GPT
# 16.0-16.3k -> 16.8-17.3k tokens/s and LeNet 2.6-2.8k -> 3.6-3.7k samples/s with it
# short (bench_train.py, Intel Xeon, 2026-11-27).
# Shortening restarts OpenBLAS's threads, so it is done only while no other non-daemon
# Python thread runs (one could be inside a product); else the spin stays long. (Daemon
# threads, as tqdm's monitor and a notebook's kernel threads, make no products; our own
# helpers are idle outside parallel_for.)
SHORT_BLAS_SPIN = False
_spin_asked = False


def _shorten_spin_once() -> None:
    global SHORT_BLAS_SPIN, _spin_asked
    if _spin_asked:  # once per process (a forked child keeps its parent's setting)
        return
    _spin_asked = True
    me = threading.current_thread()
    others = [
        t
        for t in threading.enumerate()
        if t is not me and not t.daemon and not t.name.startswith(_HELPER_NAME)
    ]
    SHORT_BLAS_SPIN = not others and shorten_blas_spin()
