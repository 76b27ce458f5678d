"""Random numbers that match PyTorch's CPU generator bit for bit, in NumPy alone.

`Generator` draws from the same Mersenne Twister stream as `torch.Generator()` and turns it into
uniforms, normals, integers, permutations and samples exactly as PyTorch 2.x's CPU kernels do, so
a seeded scratchish model starts from the same weights as its PyTorch twin. The Tensor factories
(`scratchish.rand`, `randn`, ...) and the layer initialisers in `nn/` draw through it.
"""

import math
import operator
import os
import struct

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .errors import DTypeError

Shape = int | tuple[int, ...]

__all__ = [
    "Generator",
    "default_generator",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # the seed of a fresh torch.Generator()
_U64 = 2**64
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState): torch.get_rng_state().numel()
_RANDPERM_INSIDE_OUT = (2**32 - 1) // 20  # torch switches randperm algorithm at this n
# Below these many values a draw takes the paths made for few, as a data augmentation's coin
# flips and crop corners, one image at a time: random_raw for the 32-bit words (1.2-2.2 us for
# 10-256 words, against 7.4-8.5 through NumPy's integers), PyTorch's own loop for randperm
# (6-30 us for 10-256 values, against 42-64 by the sorts; 69 against 79 at 512). With the
# other shortcuts (the fma of small normals, randint's Python ints for fewer than 8), one
# value's draw: rand(1) 49 -> 8 us, randint 30 -> 7, randn(1) 148 -> 11, randperm(10) 87 -> 7;
# PyTorch's 2-4 us. Small normals' uniforms in one call: randn(3, 4) 71 -> 18 us (2026-11-29).
_FEW_WORDS, _FEW_DRAWS = 2048, 256
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT_MAX = {dtype: float(np.finfo(dtype).max) for dtype in _FLOAT_DTYPES}


# ----------------------------------------------------------------------------------------------
# Fused multiply-add. PyTorch's CPU kernels are compiled with FMA enabled, so `x * w + b` in a
# kernel is rounded once, not twice. NumPy has no fma ufunc; these two functions compute it
# exactly from error-free transformations.
# ----------------------------------------------------------------------------------------------


def _two_sum(a, b):
    """s + e == a + b exactly, with s = fl(a + b) (Knuth's TwoSum)."""
    s = a + b
    b_virtual = s - a
    e = (a - (s - b_virtual)) + (b - b_virtual)
    return s, e


def _two_prod(a, b):
    """p + e == a * b exactly, with p = fl(a * b) (Dekker's product, Veltkamp split)."""
    p = a * b
    a_hi = 134217729.0 * a  # 2**27 + 1 splits a float64 into two 26-bit halves
    a_hi = a_hi - (a_hi - a)
    b_hi = 134217729.0 * b
    b_hi = b_hi - (b_hi - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def _add_round_to_odd(a, b):
    """a + b rounded to odd: exact if representable, else the neighbour with an odd last bit.

    Rounding to odd at 53 bits and then to nearest at 24 (or 53) bits equals one rounding to
    nearest of the exact value (Boldo and Melquiond 2008), which removes double rounding.
    """
    s, e = _two_sum(a, b)
    inexact_even = (e != 0) & ((s.view(np.uint64) & np.uint64(1)) == 0)
    if inexact_even.any():
        s = np.where(inexact_even, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return s


def _fma64(x, w, b):
    """float64 x * w + b with one rounding (Boldo and Melquiond's emulated FMA)."""
    x, w, b = (np.asarray(v, dtype=np.float64) for v in (x, w, b))  # (they broadcast)
    p_hi, p_lo = _two_prod(x, w)  # x * w == p_hi + p_lo
    s_hi, s_lo = _two_sum(b, p_hi)  # b + p_hi == s_hi + s_lo
    return s_hi + _add_round_to_odd(s_lo, p_lo)


def _fma32(x, w, b, sums=None):
    """float32 x * w + b with one rounding.

    The product of two float32 values is exact in float64 (24 + 24 bits), so only the sum can
    round; rounding it to float64 and then to float32 can differ from one rounding only when the
    float64 sum lands exactly halfway between two float32 numbers, or below float32's normal
    range. Those rare entries are redone with a round-to-odd sum.

    The checks cost most of the time here, so each is as few passes as it can be: the halfway
    test shifts the 29 bits that float32 drops to the top of the word (halfway reads 2**63),
    and the range test looks at the smallest magnitude first (32k values: 160 -> 70 us a call,
    AMD EPYC, 2026-11-29).

    sums, a list: the checks are left to the caller, who gets the float64 sum appended to
    `sums` and checks all of a computation's sums at once with _any_risky (see there).
    """
    total = np.multiply(x, w, dtype=np.float64)  # exact
    total += b  # rounded once, to float64
    out = total.astype(np.float32)
    if sums is not None:
        sums.append(total)
        return out
    risky = _halfway_in_float32(total)
    magnitude = np.abs(out)
    if out.size and magnitude.min() < _F32(2.0**-124):  # maybe below the normal range
        risky |= (magnitude < _F32(2.0**-124)) & (total != 0)  # (an exact 0 is exact)
    if risky.any():
        x_r, w_r, b_r = (
            np.broadcast_to(v, total.shape)[risky].astype(np.float64) for v in (x, w, b)
        )
        out[risky] = _add_round_to_odd(x_r * w_r, b_r).astype(np.float32)
    return out


def _any_risky(sums) -> bool:
    """Whether any float64 sum that _fma32 kept in `sums` is one its checks would redo: exactly
    halfway between two float32 numbers, or nonzero below 2**-124 (a superset of its test,
    which looks at the sum rounded to float32).

    Why: on a few values a check's NumPy calls cost more than the arithmetic (randn(100) makes
    16 fused multiply-adds on arrays of 56 values). A computation that runs its fmas with
    `sums=` and redoes everything with the checks when this says so gives the same numbers,
    as an fma whose sum is not risky is exact without them.
    """
    total = np.concatenate([s.ravel() for s in sums])
    magnitude = np.abs(total)
    return bool(_halfway_in_float32(total).any() or ((magnitude < 2.0**-124) & (total != 0)).any())


def _halfway_in_float32(total: np.ndarray) -> np.ndarray:
    """Where float64 `total` lies exactly halfway between two float32 numbers: the 29 bits
    that float32 drops, shifted to the top of the word, read 2**63."""
    return (total.view(np.uint64) << np.uint64(35)) == np.uint64(2**63)


def _fma(x, w, b):
    """x * w + b with one rounding, in x's dtype (float32 or float64)."""
    return _fma32(x, w, b) if x.dtype == np.float32 else _fma64(x, w, b)


def _scaled(z, std, mean):
    """fma(z, std, mean) for numbers std and mean: a plain z * std + mean where the product
    (std 1) or the sum (mean +-0, whose sign it then sets as the fma's does) is exact, so
    that it rounds once too; the emulation otherwise."""
    if std == 1 or mean == 0:
        return z * std + mean
    return _fma(z, std, mean)


# ----------------------------------------------------------------------------------------------
# float32 log, sin and cos exactly as PyTorch computes them for randn on x86 CPUs: the Cephes
# polynomials of avx_mathfun.h (used by aten/src/ATen/native/cpu/DistributionTemplates.h), with
# the multiply-adds that the compiler fused into FMA instructions fused here too.
# ----------------------------------------------------------------------------------------------

_F32 = np.float32
_BOX_MULLER_ROWS = 4096  # blocks of 16 normals drawn at a time (_normal_blocks)
_CHECK_AT_END_ROWS = 256  # up to these many blocks, the fmas' checks are made once (_any_risky)
# Cephes polynomial coefficients, highest power first
_LOG_POLY = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
             1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
             3.3333331174e-1)  # fmt: skip
_COS_POLY = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
_SIN_POLY = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_LOG2_HI, _LOG2_LO = _F32(0.693359375), _F32(-2.12194440e-4)  # log(2) = hi + lo
_PI_4_PIECES = (0.78515625, 2.4187564849853515625e-4, 3.77489497744594108e-8)  # sum ~ pi/4


def _horner_f32(coefficients, x, sums=None):
    """c[0] * x**(k-1) + ... + c[k-1] in float32, each Horner step one fused multiply-add."""
    y = _fma32(x, _F32(coefficients[0]), _F32(coefficients[1]), sums)
    for c in coefficients[2:]:
        y = _fma32(y, x, _F32(c), sums)
    return y


def _log_f32(x, sums=None):
    """Natural log of float32 x in (0, 1], as avx_mathfun's log256_ps.

    Write x = m * 2**e with m in [sqrt(1/2), sqrt(2)); then log(x) = e * log(2) + log(m), and
    log(1 + t) (t = m - 1) = t - t**2 / 2 + t**3 * P(t) with P of degree 8.

    The last two multiply-adds are plain float32 sums: their products are exact in float32
    (t**2 / 2 halves a float32; e, an integer below 2**7, times log2_hi = 355 / 2**9 has 16
    bits), so the one rounding of the fused operation is the sum's. The emulated FMA would
    find about one sum in six exactly halfway and redo it (2 of the 4 ms of 64k normals).
    """
    bits = x.view(np.int32)
    e = ((bits >> 23) - 126).astype(_F32)  # x = m * 2**e with m in [0.5, 1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)
    small = (m < _F32(0.707106781186547524)).astype(_F32)  # 1 where m moves into
    e = e - small  # [sqrt(1/2), sqrt(2)); m * small, not np.where, which branches per value
    t = (m - _F32(1.0)) + m * small
    t2 = t * t
    y = _fma32(_horner_f32(_LOG_POLY, t, sums) * t, t2, e * _LOG2_LO, sums)  # t**3 P(t) + e log2_lo
    y = y + t2 * _F32(-0.5)  # - t**2 / 2: fma(t2, -0.5, y), the product exact
    return e * _LOG2_HI + (t + y)  # + e log2_hi: fma(e, log2_hi, t + y), the product exact


def _sincos_f32(x, sums=None):
    """(sin x, cos x) of float32 x in [0, 2 pi), as avx_mathfun's sincos256_ps.

    Reduce x by j * pi/4 (j even, from x * 4/pi) in three float32 pieces, evaluate the Cephes
    sine and cosine polynomials on the remainder r, then swap and negate by the octant j.
    The first two pieces have 8 and 11 significant bits and j <= 8 has 4, so their products
    with j are exact in float32 and those multiply-adds are plain sums (true for x < 6000).
    """
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # truncation, as _mm256_cvttps_epi32
    j = (j + 1) & ~1
    y = j.astype(_F32)
    first, second, third = (_F32(-piece) for piece in _PI_4_PIECES)  # r = x - j * pi/4
    r = (x + y * first) + y * second  # fma(y, -piece, r) with an exact product: a sum
    r = _fma32(y, third, r, sums)
    z = r * r
    cos_r = _fma32(_horner_f32(_COS_POLY, z, sums) * z, z, -(z * _F32(0.5)), sums) + _F32(1.0)
    sin_r = _fma32(r, _horner_f32(_SIN_POLY, z, sums) * z, r, sums)  # r + r z S(z)
    # on the bits, without branches (np.where branches per value, and at random octants
    # that cost ~150 us a call for 32k values): where j & 2, sine and cosine trade places;
    # the sine is negated where j & 4, the cosine where (j - 2) & 4 == 0 (flip bit 31)
    sin, cos = sin_r.view(np.int32), cos_r.view(np.int32)
    trade = (sin ^ cos) & -((j >> 1) & 1)  # their differing bits where j & 2, else 0
    sin ^= trade
    cos ^= trade
    sin ^= (j & 4) << 29
    cos ^= (~(j - 2) & 4) << 29
    return sin.view(_F32), cos.view(_F32)


# ----------------------------------------------------------------------------------------------
# Argument checks shared by the draws. Messages name the call, the value and a likely fix.
# ----------------------------------------------------------------------------------------------


def _check_int(value, name, fn):
    """value as a Python int, or TypeError if it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{fn}: {name} must be an integer, got {type(value).__name__} {value!r}. "
            f"Pass an int, e.g. {name}={int(value) if _is_integral(value) else 0}."
        )
    return int(value)


def _is_integral(value):
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return False


def _check_shape(shape, fn):
    """shape as a tuple of non-negative ints (an int n means (n,))."""
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):
        return shape  # already one (the wrappers in creation.py pass such tuples)
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(
            f"{fn}: shape must be an int or a tuple of ints, got {shape!r}. Try shape=(2, 3)."
        ) from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{fn}: shape {dims} has a negative dimension; sizes must be >= 0.")
    return dims


def _check_float_dtype(dtype, fn):
    dtype = np.dtype(dtype)
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{fn}: dtype must be float32 or float64, got {dtype}. "
            "Draw floats and cast afterwards, e.g. .astype(np.float16)."
        )
    return dtype


def _check_seed(seed, fn):
    """seed as torch stores it: an int in [0, 2**64), negative seeds wrapped modulo 2**64."""
    seed = _check_int(seed, "seed", fn)
    if not -(2**63) <= seed < _U64:
        raise ValueError(
            f"{fn}: seed {seed} is out of range; it must lie in [-2**63, 2**64 - 1], as in "
            f"PyTorch. Try seed % 2**64 = {seed % _U64}."
        )
    return seed % _U64


def _mt19937_init(seed32):
    """The 624-word Mersenne Twister state for a 32-bit seed (Matsumoto and Nishimura's
    init_genrand, which torch's mt19937 also uses): s[0] = seed,
    s[i] = 1812433253 * (s[i-1] ^ (s[i-1] >> 30)) + i  (mod 2**32)."""
    key = [seed32]
    for i in range(1, 624):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


# ----------------------------------------------------------------------------------------------
# randperm: PyTorch shuffles with a sequential loop; these two functions give the same
# permutation with whole-array operations (sorting and pointer doubling) instead.
# ----------------------------------------------------------------------------------------------


def _previous_same(values):
    """prev[i] = the largest i' < i with values[i'] == values[i], or -1 if there is none.

    values must lie in [0, len(values)): then value * n + index sorts by value, then by index,
    and one plain sort (faster than a stable argsort) groups the equal values in index order.
    """
    n = len(values)
    keys = np.sort(values * n + np.arange(n, dtype=np.int64))
    sorted_values, order = np.divmod(keys, n)
    same = sorted_values[1:] == sorted_values[:-1]
    prev = np.full(n, -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    return prev


def _follow_to_root(pointer):
    """Follow pointer[i] -> pointer[pointer[i]] -> ... to a fixed point (pointer doubling)."""
    while True:
        jumped = pointer[pointer]
        if np.array_equal(jumped, pointer):
            return pointer
        pointer = jumped


def _shuffle_forward(targets, n):
    """The permutation made by torch's forward Fisher-Yates loop, without the loop.

    The loop is `p = arange(n); for i in range(n - 1): swap p[i] and p[targets[i]]`, with
    targets[i] >= i. Later steps only touch positions > i, so p[i] is final after step i and
    equals the value sitting at position targets[i] just before step i.

    Args:
        targets: int64 array of n - 1 swap positions, targets[i] in [i, n).
        n: the permutation length.

    Returns:
        int64 array of length n.
    """
    steps = np.arange(n, dtype=np.int64)
    # step n - 1 (absent from torch's loop) would swap position n - 1 with itself
    j = np.append(np.asarray(targets, dtype=np.int64), steps[-1:])
    # held[i]: the value at position i just before step i. It is i unless an earlier step i'
    # swapped into position i (j[i'] == i); then it is held[i'] of the last such i'.
    last_into = np.full(n, -1, dtype=np.int64)
    moved = j > steps
    np.maximum.at(last_into, j[moved], steps[moved])
    held = _follow_to_root(np.where(last_into >= 0, last_into, steps))
    # Position j[i] still holds j[i] unless an earlier step i' also swapped with j[i]; the last
    # such step left held[i'] there.
    prev = _previous_same(j)
    return np.where(prev >= 0, held[np.maximum(prev, 0)], j)


def _shuffle_inside_out(picks, n):
    """The permutation made by torch's "inside-out" Fisher-Yates loop (used for huge n).

    The loop is `for i in range(n): a[i] = a[picks[i]]; a[picks[i]] = i` (picks[i] <= i; a[i]
    is i when picks[i] == i). Position k is written at step k and then by every later step i
    with picks[i] == k, which leaves i there.

    Args:
        picks: int64 array of n positions, picks[i] in [0, i].
        n: the permutation length.

    Returns:
        int64 array of length n.
    """
    steps = np.arange(n, dtype=np.int64)
    picks = np.asarray(picks, dtype=np.int64)
    # Step k writes into position k the value at picks[k]: k itself if picks[k] == k; else i'
    # if an earlier step i' also picked picks[k] (the last one left i' there); else whatever
    # step picks[k] wrote, which is the same question one step back.
    prev = _previous_same(picks)
    settled = (picks == steps) | (prev >= 0)
    written_value = np.where(picks == steps, steps, prev)
    root = _follow_to_root(np.where(settled, steps, picks))
    written = written_value[root]
    last_pick = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_pick, picks, steps)
    return np.where(last_pick > steps, last_pick, written)


# ----------------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------------


class Generator:
    """A random number generator that reproduces PyTorch's CPU generator.

    It holds a Mersenne Twister (MT19937) seeded with the low 32 bits of the seed, as
    `torch.Generator` does, and each draw consumes the stream exactly as the matching PyTorch
    call does for a contiguous tensor of that shape. So after the same seed, scratchish and
    PyTorch give the same numbers, and they stay in step over any sequence of draws. A new
    Generator() starts from seed 67280421310721, like torch.Generator().

    How closely it matches PyTorch 2.x (checked against 2.13.0 by tests/test_random.py):
    - bit for bit everywhere: uniform, randint, randperm, bernoulli, normal of fewer than 16
      values, and the stream position after every call;
    - float32 normal of 16 or more values: bit for bit on x86 CPUs with AVX2 or AVX512, where
      PyTorch runs the AVX2 polynomials reproduced here; elsewhere within float rounding;
    - exponential, multinomial (through exponential) and float64 normal of 16 or more values:
      bit for bit where NumPy's float64 log, log1p, sin and cos are the C library's, as PyTorch
      uses (so on x86 AVX2 machines); NumPy's own AVX512 versions may differ by an ulp.
    PyTorch's kernels fuse `x * w + b` into one rounding (FMA); so does this class.

    Args:
        device: only "cpu" (a CUDA generator is a different algorithm).

    Example:
        >>> g = Generator().manual_seed(0)
        >>> g.uniform((3,))
        array([0.4962566 , 0.7682218 , 0.08847743], dtype=float32)
        >>> g.initial_seed()
        0
    """

    def __init__(self, device: str = "cpu"):
        if str(device) != "cpu":
            raise ValueError(
                f"Generator: device {device!r} is not supported; scratchish runs on the CPU. "
                "Use Generator() or Generator('cpu')."
            )
        self._bits = np.random.MT19937()
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self) -> str:
        """The device of the generator: always "cpu"."""
        return "cpu"

    # -- seeding and state ---------------------------------------------------------------------

    def manual_seed(self, seed: int) -> "Generator":
        """Seed the generator (as torch.Generator.manual_seed) and return it.

        The Twister uses seed % 2**32; initial_seed() returns the whole seed. Negative seeds
        are stored modulo 2**64, as in PyTorch.

        Args:
            seed: an int in [-2**63, 2**64).

        Returns:
            self, so that `g = Generator().manual_seed(0)` works.

        Example:
            >>> Generator().manual_seed(-1).initial_seed()
            18446744073709551615
        """
        seed = _check_seed(seed, "manual_seed")
        key = _mt19937_init(seed & 0xFFFFFFFF)
        # pos 624: the first draw regenerates the whole state first, as torch's mt19937 does
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": key, "pos": 624},
        }
        self._seed = seed
        self._next_normal = None  # the spare Box-Muller sample (torch: next_double_normal_sample)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new 64-bit seed.

        Example:
            >>> g = Generator()
            >>> g.seed() == g.initial_seed()
            True
        """
        new_seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        """The seed last given to manual_seed or chosen by seed()."""
        return self._seed

    def get_state(self) -> np.ndarray:
        """The generator state as 5056 uint8 bytes, in the layout of torch.get_rng_state().

        The bytes are PyTorch's CPUGeneratorImplState: initial seed (u64), `left` (i32),
        `seeded` (i32), `next` (u64), the 624 Twister words (u64 each), then the spare normal
        sample (f64 at byte 5024, valid flag i32 at 5040); the rest is zero. So a state moves
        both ways: torch.set_rng_state(torch.from_numpy(g.get_state())) continues this stream
        in PyTorch, and g.set_state(torch.get_rng_state().numpy()) continues PyTorch's here.

        Returns:
            np.ndarray of dtype uint8 and shape (5056,).

        Example:
            >>> g = Generator().manual_seed(3)
            >>> state = g.get_state()
            >>> a = g.uniform((2,))
            >>> g.set_state(state)
            >>> bool((g.uniform((2,)) == a).all())
            True
        """
        mt = self._bits.state["state"]
        pos = int(mt["pos"])
        left = 625 - pos  # torch counts the draws left before the next regeneration, plus one
        buf = bytearray(_STATE_BYTES)
        # torch's `next` is the index of the next word; after a whole block of 624 draws torch
        # says 624 where this says 0, and torch ignores it then (left == 1 regenerates first)
        struct.pack_into("<QiiQ", buf, 0, self._seed, left, 1, pos % 624)
        buf[24 : 24 + 624 * 8] = np.asarray(mt["key"], dtype="<u8").tobytes()
        if self._next_normal is not None:
            struct.pack_into("<d", buf, 5024, self._next_normal)
            struct.pack_into("<i", buf, 5040, 1)
        return np.frombuffer(bytes(buf), dtype=np.uint8).copy()

    def set_state(self, state: ArrayLike | bytes) -> None:
        """Restore a state from get_state() or from torch.get_rng_state() (as a NumPy array).

        Args:
            state: 5056 uint8 bytes (an ndarray, bytes, or anything with a .numpy() method).
        """
        if hasattr(state, "numpy"):
            state = state.numpy()
        raw = np.frombuffer(state, np.uint8) if isinstance(state, bytes) else np.asarray(state)
        if raw.dtype != np.uint8 or raw.size != _STATE_BYTES:
            raise ValueError(
                f"set_state: expected {_STATE_BYTES} uint8 bytes (the layout of get_state() and "
                f"torch.get_rng_state()), got {raw.size} values of dtype {raw.dtype}."
            )
        buf = raw.tobytes()
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", buf, 0)
        key = np.frombuffer(buf, dtype="<u8", count=624, offset=24)
        if seeded != 1 or not 1 <= left <= 624 or nxt > 624 or key.max() >= 2**32:
            raise ValueError(
                "set_state: these bytes are not a valid Mersenne Twister state "
                f"(seeded={seeded}, left={left}, next={nxt}). Pass the array that get_state() "
                "or torch.get_rng_state() returned."
            )
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": key.astype(np.uint32), "pos": 625 - left},
        }
        self._seed = seed
        (normal,) = struct.unpack_from("<d", buf, 5024)
        (normal_valid,) = struct.unpack_from("<i", buf, 5040)
        self._next_normal = normal if normal_valid else None

    # -- the raw stream ------------------------------------------------------------------------

    def _random32(self, n):
        """n draws of 32 random bits (torch: CPUGeneratorImpl::random), as uint64."""
        return self._bits.random_raw(n)

    def _random64(self, n):
        """n draws of 64 bits, each from two 32-bit draws, the first one high (torch: random64)."""
        words = self._bits.random_raw(2 * n)
        return (words[0::2] << np.uint64(32)) | words[1::2]

    def _words32(self, n):
        """_random32's n draws as uint32, ~25% faster (NumPy's integers over the whole 32-bit
        range hands out the raw words): float32 uniforms and bernoulli's comparisons use them
        (2M float32 uniforms 7.1 -> 6.0 ms). A few draws, as a data augmentation's coin flip
        makes for every image, go through random_raw: integers costs 7 us a call, random_raw
        1 (the same words)."""
        if n < _FEW_WORDS:
            return self._bits.random_raw(n).astype(np.uint32)
        return np.random.Generator(self._bits).integers(0, 2**32, n, dtype=np.uint32)

    def _below(self, p: float, n: int) -> np.ndarray:
        """u < p for n float64 uniforms u = k / 2**53 (_uniform01's, the same draws), compared
        as integers: k < p * 2**53, which is exact (both sides scaled by a power of two), and
        for an integer k the same as k < ceil(p * 2**53). k's high 21 bits come from the
        first word of each pair, its low 32 from the second: the first words decide, except
        where they equal the threshold's (one in 2**21 draws). Dropout draws these: 2M of them
        took 21.5 ms through float64 uniforms, 14 ms so (2026-11-27)."""
        words = self._words32(2 * n)
        high_words, low_words = words[0::2], words[1::2]
        t_high, t_low = divmod(math.ceil(p * 2.0**53), 2**32)
        high = high_words & np.uint32(2**21 - 1)
        below = high < t_high
        tied = np.flatnonzero(high == t_high)
        below[tied] = low_words[tied] < t_low
        return below

    def _uniform01(self, n, dtype):
        """n uniforms on [0, 1): float32 k / 2**24 from 24 bits of a 32-bit draw, float64
        k / 2**53 from 53 bits of a 64-bit draw (torch: uniform_real_distribution)."""
        if dtype == np.float32:
            k = self._words32(n) & np.uint32(2**24 - 1)
            return k.astype(np.float32) * _F32(2.0**-24)
        k = self._random64(n) & np.uint64(2**53 - 1)
        return k.astype(np.float64) * 2.0**-53

    # -- draws ---------------------------------------------------------------------------------

    def uniform(
        self, shape: Shape, low: float = 0.0, high: float = 1.0, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """Uniform samples on [low, high), as torch.rand and Tensor.uniform_(low, high).

        out = fma(u, high - low, low) in `dtype`, with u from _uniform01; a value that rounds
        up to `high` is replaced by `low`, as PyTorch does. nn.Linear's default init is
        uniform(shape, -bound, bound).

        Args:
            shape: output shape (an int or a tuple of ints).
            low, high: the bounds, low <= high.
            dtype: np.float32 or np.float64.

        Returns:
            np.ndarray of `shape` and `dtype`.

        Example:
            >>> Generator().manual_seed(0).uniform((2, 2), -1.0, 1.0)
            array([[-0.00748682,  0.5364436 ],
                   [-0.82304513, -0.735939  ]], dtype=float32)
        """
        shape = _check_shape(shape, "uniform")
        dtype = _check_float_dtype(dtype, "uniform")
        low, high = float(low), float(high)
        if not low <= high:
            raise ValueError(
                f"uniform: low ({low}) must be <= high ({high}), the range is [low, high). "
                f"Did you mean uniform(shape, {high}, {low})?"
            )
        limit = _FLOAT_MAX[dtype]
        if not (-limit <= low and high <= limit and high - low <= limit):
            raise ValueError(
                f"uniform: the range [{low}, {high}) does not fit in {dtype} (largest value "
                f"{limit:g}); use finite bounds whose difference is at most that."
            )
        u = self._uniform01(math.prod(shape), dtype)
        if low == 0 and high == 1:
            return u.reshape(shape)  # fma(u, 1, 0) == u, and u < 1
        lo, hi = dtype.type(low), dtype.type(high)
        # the width hi - lo is rounded to dtype first; in cache-sized chunks, as normal
        out = np.empty_like(u)
        for start in range(0, u.size, 16 * _BOX_MULLER_ROWS):
            part = slice(start, start + 16 * _BOX_MULLER_ROWS)
            out[part] = _fma(u[part], hi - lo, lo)
        out[out == hi] = lo
        return out.reshape(shape)

    def normal(
        self,
        shape: Shape,
        mean: float | ArrayLike = 0.0,
        std: float | ArrayLike = 1.0,
        dtype: DTypeLike = np.float32,
    ) -> np.ndarray:
        """Normal samples with mean `mean` and standard deviation `std`, as torch.randn,
        Tensor.normal_(mean, std) and torch.normal(mean, std).

        Box-Muller: from uniforms u1, u2 on [0, 1), radius = sqrt(-2 log(1 - u1)) and
        angle = 2 pi u2 give two independent standard normals, radius * cos(angle) and
        radius * sin(angle); then out = fma(z, std, mean). PyTorch has two paths:
        - 16 or more values: all n uniforms are drawn first; in each block of 16, value j
          (j < 8) gives the radius and value j + 8 the angle; cos goes to j and sin to j + 8.
          float32 uses PyTorch's AVX2 polynomials for log, sin and cos. If n is not a multiple
          of 16, the last 16 outputs are recomputed from 16 fresh uniforms.
        - fewer than 16 values: pairs in float64 from 53-bit uniforms, the angle from the first
          and the radius from sqrt(-2 log1p(-u)) of the second; the cos is returned and the sin
          kept in the generator for its next small draw (of any dtype, mean or std).
        Array `mean` or `std` (torch.normal with tensors) draws standard normals z and returns
        z * std + mean, rounding twice as PyTorch does (with an array mean only: z drawn with
        `std`, then + mean).

        Args:
            shape: output shape.
            mean: a float, or an array broadcastable to shape.
            std: a float >= 0, or such an array.
            dtype: np.float32 or np.float64.

        Returns:
            np.ndarray of `shape` and `dtype`.

        Example:
            >>> Generator().manual_seed(0).normal((4,))
            array([ 1.5409961 , -0.2934289 , -2.1787894 ,  0.56843126], dtype=float32)
        """
        shape = _check_shape(shape, "normal")
        dtype = _check_float_dtype(dtype, "normal")
        scalar_std = isinstance(std, (int, float)) and not isinstance(std, bool)
        if not (std >= 0 if scalar_std else np.all(np.asarray(std, dtype=np.float64) >= 0)):
            raise ValueError(
                f"normal: std must be >= 0, got {std!r}. A standard deviation is never "
                "negative; did you swap mean and std?"
            )
        scalar_mean = isinstance(mean, (int, float)) and not isinstance(mean, bool)
        if not (scalar_mean and scalar_std) and (np.ndim(mean) or np.ndim(std)):
            return self._normal_scaled(shape, mean, std, dtype)
        mean, std = float(mean), float(std)
        n = math.prod(shape)
        if n >= 16:
            out = self._normal_blocks(n, mean, std, dtype)
        else:
            out = self._normal_pairs(n, mean, std).astype(dtype)
        return out.reshape(shape)

    def _normal_scaled(self, shape, mean, std, dtype):
        """torch.normal with a tensor mean or std: standard normals, then `* std + mean`."""
        mean, std = np.asarray(mean), np.asarray(std)
        try:
            fits = np.broadcast_shapes(shape, mean.shape, std.shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"normal: mean of shape {mean.shape} and std of shape {std.shape} do not "
                f"broadcast to the output shape {shape}. Pass "
                "shape=np.broadcast_shapes(mean.shape, std.shape)."
            )
        if std.ndim == 0:  # torch: normal_(0, std) then add_(mean)
            return self.normal(shape, 0.0, float(std), dtype) + mean.astype(dtype)
        return self.normal(shape, 0.0, 1.0, dtype) * std.astype(dtype) + mean.astype(dtype)

    def _normal_blocks(self, n, mean, std, dtype):
        """The path for n >= 16: Box-Muller over blocks of 16 uniforms (normal_fill)."""
        u = self._uniform01(n, dtype)
        n_full = n - n % 16
        if n_full < n:  # the tail's 16 fresh uniforms, as one more block after the others
            u = np.concatenate((u[:n_full], self._uniform01(16, dtype)))
        blocks, z = u.reshape(-1, 16), np.empty((len(u) // 16, 16), dtype=dtype)
        # the blocks are independent: a few thousand at a time gives the same numbers with the
        # dozens of temporaries of the float32 log, sin and cos inside the L2 cache (4M values:
        # 0.69 -> 0.21 s; all at once, a VGG's 130M weights took 30 s). (The tail in a call of
        # its own doubled the time of a small draw: randn(100) 0.73 -> 0.37 ms.)
        for start in range(0, len(blocks), _BOX_MULLER_ROWS):
            rows = slice(start, start + _BOX_MULLER_ROWS)
            z[rows] = self._box_muller_16(blocks[rows], mean, std)
        if n_full == n:
            return z.ravel()
        out = np.empty(n, dtype=dtype)
        out[:n_full] = z[:-1].ravel()
        out[n - 16 :] = z[-1]  # over the last n % 16 full-block values, as PyTorch
        return out

    @staticmethod
    def _box_muller_16(blocks, mean, std):
        """(B, 16) uniforms -> (B, 16) normals: columns 0-7 radius and cos, 8-15 angle and sin."""
        u1, u2 = 1 - blocks[:, :8], blocks[:, 8:]  # 1 - u is in (0, 1], safe for log
        if blocks.dtype == np.float32:
            # few blocks: every fma's sum checked once at the end (_any_risky), and all redone
            # with each one checked if one is risky, about one draw of 100 values in 400:
            # randn(100) and randn(1000) 1.6x faster, 670 -> 420 us (AMD EPYC, 2026-11-29)
            def radius_sin_cos(sums=None):
                return np.sqrt(_F32(-2.0) * _log_f32(u1, sums)), *_sincos_f32(angle, sums)

            angle = _F32(2.0 * math.pi) * u2
            sums = [] if len(blocks) <= _CHECK_AT_END_ROWS else None
            radius, sin, cos = radius_sin_cos(sums)
            if sums and _any_risky(sums):
                radius, sin, cos = radius_sin_cos()  # each fma checked as it goes
            mean32, std32 = _F32(mean), _F32(std)
            z = np.concatenate([radius * cos, radius * sin], axis=1)
            return _scaled(z, std32, mean32)
        radius = np.sqrt(-2.0 * np.log(u1))
        angle = 2.0 * math.pi * u2
        z = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        return _scaled(z, std, mean)

    def _normal_pairs(self, n, mean, std):
        """The path for n < 16: float64 Box-Muller one pair at a time, keeping the spare sin.

        PyTorch's loop, with the uniforms of all its pairs drawn in one call (the same stream):
        each pair gives its cos, then its sin, which the next value takes; a sin left over is
        kept for the generator's next small draw."""
        z = []
        if n and self._next_normal is not None:
            z.append(self._next_normal)
            self._next_normal = None
        pairs = (n - len(z) + 1) // 2
        u = self._uniform01(2 * pairs, np.float64).tolist()
        for u1, u2 in zip(u[0::2], u[1::2]):
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            angle = 2.0 * math.pi * u1
            z += [radius * math.cos(angle), radius * math.sin(angle)]
        if len(z) > n:
            self._next_normal = z.pop()
        return _scaled(np.array(z, dtype=np.float64), std, mean)

    def randint(self, low: int, high: int, shape: Shape) -> np.ndarray:
        """Integers drawn uniformly from [low, high), as torch.randint(low, high, shape).

        out = low + bits % (high - low), with 32-bit draws when the range is below 2**28 and
        64-bit draws from 2**28 on (PyTorch's threshold). The modulo is slightly biased for
        huge ranges, exactly as in PyTorch.

        Args:
            low: smallest value (inclusive).
            high: one past the largest value (exclusive), high > low.
            shape: output shape.

        Returns:
            np.ndarray of `shape` and dtype int64.

        Example:
            >>> Generator().manual_seed(0).randint(0, 10, (5,))
            array([4, 9, 3, 0, 3])
        """
        if isinstance(high, (tuple, list)):  # torch.randint(high, size) habits
            raise TypeError(
                f"randint: takes (low, high, shape), got high={high!r}. For values in "
                f"[0, {low}) use randint(0, {low}, {tuple(high)})."
            )
        low = _check_int(low, "low", "randint")
        high = _check_int(high, "high", "randint")
        shape = _check_shape(shape, "randint")
        if high <= low:
            hint = f" Did you mean randint({high}, {low}, shape)?" if high < low else ""
            raise ValueError(
                f"randint: high ({high}) must be greater than low ({low}); the range "
                f"[low, high) is empty.{hint}"
            )
        if low < -(2**63) or high > 2**63 - 1:
            raise ValueError(
                f"randint: [{low}, {high}) does not fit in int64; keep "
                "-2**63 <= low < high <= 2**63 - 1."
            )
        span = high - low
        n = math.prod(shape)
        bits = self._random64(n) if span >= 2**28 else self._random32(n)
        if n < 8:  # in Python ints (low + bits % span < high cannot overflow): 5.7 -> 3.9 us
            return np.array([low + b % span for b in bits.tolist()], np.int64).reshape(shape)
        out = (bits % np.uint64(span) + np.uint64(low % _U64)).view(np.int64)  # wraps like C
        return out.reshape(shape)

    def randperm(self, n: int) -> np.ndarray:
        """A random permutation of 0..n-1, as torch.randperm(n).

        PyTorch runs a forward Fisher-Yates shuffle: for i in 0..n-2, swap positions i and
        i + bits % (n - i) (32-bit draws). From n = 214748364 on it switches to an
        "inside-out" shuffle with 64-bit draws; both are reproduced, without a Python loop.

        Args:
            n: the length, n >= 0.

        Returns:
            np.ndarray of shape (n,) and dtype int64.

        Example:
            >>> Generator().manual_seed(0).randperm(6)
            array([2, 5, 3, 0, 1, 4])
        """
        n = _check_int(n, "n", "randperm")
        if n < 0:
            raise ValueError(f"randperm: n ({n}) must be >= 0; randperm(n) shuffles 0..n-1.")
        if n < _RANDPERM_INSIDE_OUT:
            steps = np.arange(max(n - 1, 0), dtype=np.uint64)
            targets = steps + self._random32(len(steps)) % (np.uint64(n) - steps)
            if n < _FEW_DRAWS:  # PyTorch's loop itself: faster than the sorts for few values
                perm = list(range(n))
                for i, j in enumerate(targets.tolist()):
                    perm[i], perm[j] = perm[j], perm[i]
                return np.array(perm, dtype=np.int64)
            return _shuffle_forward(targets.astype(np.int64), n)
        steps = np.arange(n, dtype=np.uint64)
        picks = self._random64(n) % (steps + np.uint64(1))
        return _shuffle_inside_out(picks.astype(np.int64), n)

    def exponential(
        self, shape: Shape, lambd: float = 1.0, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """Exponential samples with rate `lambd`, as Tensor.exponential_(lambd).

        Inverse CDF in float64: out = -1 / lambd * log1p(-u) with a 53-bit uniform u, then
        rounded to `dtype` (PyTorch uses float64 here for every dtype). Bit for bit where
        NumPy's log1p is the C library's (see the class docstring).

        Args:
            shape: output shape.
            lambd: the rate, > 0 (mean 1 / lambd).
            dtype: np.float32 or np.float64.

        Returns:
            np.ndarray of `shape` and `dtype`.

        Example:
            >>> Generator().manual_seed(0).exponential((3,))
            array([3.5083263, 1.2303847, 0.6150441], dtype=float32)
        """
        shape = _check_shape(shape, "exponential")
        dtype = _check_float_dtype(dtype, "exponential")
        lambd = float(lambd)
        if not lambd > 0:
            raise ValueError(f"exponential: lambd must be > 0 (the rate), got {lambd}.")
        u = self._uniform01(math.prod(shape), np.float64)
        return ((-1.0 / lambd) * np.log1p(-u)).astype(dtype).reshape(shape)

    def bernoulli(
        self, p: float | ArrayLike, shape: Shape | None = None, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """0/1 samples that are 1 with probability p, as torch.bernoulli and Tensor.bernoulli_.

        out = (u < p) with one uniform u per output element. A float p draws float64 uniforms
        (Tensor.bernoulli_(p), used by dropout); an array p draws uniforms of its own dtype,
        float32 unless p is float64 (torch.bernoulli(probs)).

        Args:
            p: probability in [0, 1]: a float, or an array broadcastable to shape.
            shape: output shape; defaults to p's shape.
            dtype: dtype of the 0/1 output (any NumPy dtype).

        Returns:
            np.ndarray of `shape` and `dtype`.

        Example:
            >>> Generator().manual_seed(0).bernoulli(0.5, (6,))
            array([0., 0., 1., 0., 0., 0.], dtype=float32)
        """
        p_array = np.asarray(p)
        if shape is None:
            shape = p_array.shape
        shape = _check_shape(shape, "bernoulli")
        numeric = np.issubdtype(p_array.dtype, np.number)
        if not (numeric and np.all((p_array >= 0) & (p_array <= 1))):  # also rejects nan
            raise ValueError(f"bernoulli: p must lie in [0, 1], got {p!r}.")
        if np.ndim(p) == 0:  # a Python float: bernoulli_distribution<double>
            return self._below(float(p), math.prod(shape)).astype(dtype).reshape(shape)
        try:
            p_full = np.broadcast_to(p_array, shape)
        except ValueError:
            raise ValueError(
                f"bernoulli: p of shape {p_array.shape} does not broadcast to shape {shape}."
            ) from None
        p_dtype = np.float64 if p_array.dtype == np.float64 else np.float32
        u = self._uniform01(math.prod(shape), p_dtype).reshape(shape)
        return (u < p_full.astype(p_dtype)).astype(dtype)

    def multinomial(
        self, probs: ArrayLike, num_samples: int, replacement: bool = False
    ) -> np.ndarray:
        """Indices sampled from the rows of `probs`, as torch.multinomial.

        Weights need not sum to 1. PyTorch's CPU algorithms, reproduced:
        - without replacement, or one sample: the exponential race (Gumbel-max trick). Draw
          q ~ Exp(1) per entry (exponential()); the indices of the num_samples largest
          probs / q are the sample, largest first.
        - with replacement: per row, the cumulative sum c of probs (in its dtype, divided by
          its total, last entry set to 1); each sample is the first index with c >= u for a
          53-bit uniform u.
        Differs from PyTorch only without replacement when num_samples exceeds the number of
        nonzero weights: the zero-weight picks are then tied, and this class takes them in
        index order where PyTorch's order depends on its sort implementation.

        Args:
            probs: non-negative weights, shape (n_categories,) or (n_rows, n_categories),
                float32 or float64 (other dtypes are converted to float32).
            num_samples: samples per row, >= 1 (at most n_categories without replacement).
            replacement: whether an index may be drawn more than once.

        Returns:
            np.ndarray of int64, shape (num_samples,) or (n_rows, num_samples).

        Example:
            >>> g = Generator().manual_seed(0)
            >>> g.multinomial(np.array([0.1, 0.2, 0.7]), 2)
            array([2, 1])
        """
        probs = self._check_probs(probs, num_samples, replacement)
        num_samples = int(num_samples)
        if not replacement or num_samples == 1:
            q = self.exponential(probs.shape, 1.0, probs.dtype)
            race = probs / q
            if num_samples == 1:
                return np.argmax(race, axis=-1, keepdims=True)
            return np.argsort(-race, axis=-1, kind="stable")[..., :num_samples]
        rows = probs.reshape(-1, probs.shape[-1])
        u = self._uniform01(rows.shape[0] * num_samples, np.float64)
        u = u.reshape(rows.shape[0], num_samples)
        out = np.empty(u.shape, dtype=np.int64)
        for r, weights in enumerate(rows):  # one binary search per row
            cum = np.cumsum(weights)  # sequential sums in the weights' dtype, as PyTorch
            cum = cum / cum[-1]
            cum[-1] = 1
            out[r] = np.searchsorted(cum.astype(np.float64), u[r], side="left")
        return out.reshape(probs.shape[:-1] + (num_samples,))

    @staticmethod
    def _check_probs(probs, num_samples, replacement):
        probs = np.asarray(probs)
        if probs.dtype not in _FLOAT_DTYPES:
            probs = probs.astype(np.float32)
        if probs.ndim not in (1, 2) or probs.shape[-1] == 0:
            raise ValueError(
                f"multinomial: probs must be 1-D or 2-D with at least one category, got shape "
                f"{probs.shape}. Reshape to (n_rows, n_categories)."
            )
        n_categories = probs.shape[-1]
        num_samples = _check_int(num_samples, "num_samples", "multinomial")
        if num_samples < 1:
            raise ValueError(f"multinomial: num_samples ({num_samples}) must be >= 1.")
        if not replacement and num_samples > n_categories:
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from "
                f"{n_categories} categories. Pass replacement=True or num_samples <= "
                f"{n_categories}."
            )
        if n_categories > 2**24:
            raise ValueError(f"multinomial: {n_categories} categories exceed PyTorch's 2**24.")
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise ValueError(
                "multinomial: probs must be finite and >= 0; found "
                f"{'a negative entry' if np.any(probs < 0) else 'inf or nan'}. Pass weights "
                "such as softmax outputs, not logits."
            )
        if np.any(probs.sum(axis=-1) == 0):
            raise ValueError(
                "multinomial: every row of probs needs a positive sum; a row sums to zero."
            )
        return probs


# ----------------------------------------------------------------------------------------------
# The default generator and the module-level functions (torch.manual_seed, ...)
# ----------------------------------------------------------------------------------------------

default_generator = Generator()
default_generator.seed()  # as in PyTorch, the default generator starts from a random seed


def generator_or_default(generator, fn: str) -> Generator:
    """The generator a draw uses: `generator`, or the default one when it is None. Anything
    else gets a DTypeError naming `fn` (it would fail later with "has no attribute 'normal'")."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise DTypeError(
            f"{fn}: generator must be a sh.Generator or None, got {type(generator).__name__} "
            f"({generator!r:.40}). Make one with g = sh.Generator().manual_seed(0), or leave "
            f"it out to use the default generator."
        )
    return generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator and return it, as torch.manual_seed.

    Example:
        >>> manual_seed(0).uniform((2,))
        array([0.4962566, 0.7682218], dtype=float32)
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator non-deterministically and return the seed (torch.seed)."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's current seed (torch.initial_seed)."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state, 5056 uint8 bytes laid out as torch.get_rng_state()."""
    return default_generator.get_state()


def set_rng_state(state: ArrayLike | bytes) -> None:
    """Restore the default generator's state from get_rng_state() or torch.get_rng_state()."""
    default_generator.set_state(state)
