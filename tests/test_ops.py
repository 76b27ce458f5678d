"""Every op in scratchish.ops against PyTorch (values, dtypes, gradients) and finite differences.

The table below is the contract: one row per way of calling an op, written once with PyTorch's
names (`fn(lib, *inputs)` runs with lib = scratchish and lib = torch). Rows for ops in other
files (conv, nn_ops) live in their own test files; see tests/helpers.py for how to add them.
Below the table: fused-vs-composed checks and hypothesis property tests for broadcasting.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import scratchish as sh
from helpers import (
    OpCase,
    all_cases,
    check_gradcheck,
    check_parity,
    op_classes,
    ops_used,
    optional_torch,
    register_op_cases,
)
from scratchish.creation import pad as sh_pad
from scratchish.ops.matmul import Linear
from scratchish.tools import gradcheck

torch = optional_torch()

POSITIVE = (0.5, 2.0)
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])
ROWS = np.array([True, False, True])
GATHER_INDEX = np.array([[0, 0, 3], [2, 1, 2], [3, 3, 3]])  # repeated indices add up


def torch_linear(lib, x, w, b=None):
    return lib.nn.functional.linear(x, w, b)


def set_row(lib, x, v):
    out = x * 1  # a non-leaf copy: in-place on it is recorded as SetItem
    out[1] = v
    return out


def set_mask(lib, x):
    out = x * 1
    out[lib.tensor(MASK)] = 0.5
    return out


def set_into_constant(lib, v):
    out = lib.zeros(3, 4, dtype=v.dtype)  # needs no grad; the value does
    out[:, 1:3] = v
    return out


def set_mask_tensor(lib, x, v):
    out = x * 1
    out[lib.tensor(ROWS)] = v  # v (4,) broadcast into the two selected rows
    return out


def diamond(lib, x):
    y = x.exp()
    return y * x + y.sin() * x  # x and y both used twice


def inplace_add(lib, x):
    y = x * 2
    y += x  # in-place on a non-leaf: recorded as an op, y takes the result
    y *= 3
    return y * x


ELEMENTWISE = [
    OpCase("add", lambda lib, a, b: a + b, [(3, 4), (3, 4)]),
    # floor, ceil, round, trunc, sign: recorded, with a gradient of 0 (x * 3: not all at 0)
    OpCase("floor", lambda lib, a: (a * 3).floor() + a, [(3, 4)]),
    OpCase("ceil_trunc", lambda lib, a: (a * 3).ceil() * (a * 3).trunc(), [(3, 4)]),
    OpCase("round_decimals", lambda lib, a: (a * 3).round(decimals=1) + a.round(), [(3, 4)]),
    OpCase("sign_alone", lambda lib, a: a.sign(), [(3, 4)]),
    OpCase("contiguous", lambda lib, a: a.transpose(0, 1).contiguous() * 2, [(3, 4)]),
    OpCase("add_broadcast", lambda lib, a, b: a + b, [(2, 1, 3), (4, 1)]),
    OpCase("add_scalar", lambda lib, a: a + 2.5, [(3,)]),
    OpCase("radd_scalar", lambda lib, a: 2.5 + a, [(3,)]),
    OpCase("add_only_b_grad", lambda lib, a, b: a + b, [(3, 4), (4,)], requires_grad=(False, True)),
    OpCase("sub_broadcast", lambda lib, a, b: a - b, [(3, 4), (3, 1)]),
    OpCase("rsub_scalar", lambda lib, a: 1.0 - a, [(2, 3)]),
    OpCase("mul_broadcast", lambda lib, a, b: a * b, [(2, 3, 4), (3, 1)]),
    OpCase("mul_self", lambda lib, a: a * a, [(5,)]),
    OpCase("mul_0d", lambda lib, a, b: a * b, [(2, 3), ()]),
    OpCase("div_broadcast", lambda lib, a, b: a / b, [(3, 4), (4,)], ranges=[(-2, 2), POSITIVE]),
    OpCase("rdiv_scalar", lambda lib, a: 1.0 / a, [(3,)], ranges=POSITIVE),
    OpCase("neg", lambda lib, a: -a, [(2, 3)]),
    OpCase("pow_scalar", lambda lib, a: a**3, [(2, 3)]),
    OpCase("pow_fraction", lambda lib, a: a**0.5, [(2, 3)], ranges=POSITIVE),
    OpCase(
        "pow_tensor_exponent",
        lambda lib, a, b: a**b,
        [(3, 4), (4,)],
        ranges=[POSITIVE, (-1.5, 1.5)],
    ),
    OpCase("rpow", lambda lib, a: 2.0**a, [(2, 3)]),
    OpCase(
        "pow_zero_exponent_at_zero",  # x**0 is flat: gradient 0, even at x = 0 (0 * inf)
        lambda lib, a: a**0 + a.pow(0.0),
        data=lambda: [[0.0, -1.5, 2.0]],
        gradcheck=False,
    ),
    OpCase(
        "pow_tensor_exponent_at_zero_base",  # torch's values where the formulas give 0 * inf
        lambda lib, a, b: a**b,
        data=lambda: [[0.0, 0.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.5, 0.0, -1.0]],
        gradcheck=False,
    ),
    OpCase("exp", lambda lib, a: a.exp(), [(2, 3)]),
    OpCase("log", lambda lib, a: a.log(), [(2, 3)], ranges=POSITIVE),
    OpCase("log2_log10", lambda lib, a: a.log2() + a.log10(), [(4,)], ranges=POSITIVE),
    OpCase("sqrt", lambda lib, a: a.sqrt(), [(2, 3)], ranges=POSITIVE),
    OpCase("rsqrt", lambda lib, a: a.rsqrt(), [(2, 3)], ranges=POSITIVE),
    OpCase("square", lambda lib, a: a.square(), [(2, 3)]),
    OpCase("sin", lambda lib, a: a.sin(), [(2, 3)]),
    OpCase("cos", lambda lib, a: a.cos(), [(2, 3)]),
    OpCase("tanh", lambda lib, a: a.tanh(), [(2, 3)]),
    OpCase("sigmoid", lambda lib, a: a.sigmoid(), [(4, 5)], ranges=(-6, 6)),
    OpCase("relu", lambda lib, a: a.relu(), [(4, 5)]),
    OpCase(
        "relu_at_zero", lambda lib, a: a.relu(), data=lambda: [[-1.0, 0.0, 2.0]], gradcheck=False
    ),
    OpCase(
        "leaky_relu",
        lambda lib, a: a.leaky_relu(0.1),
        [(4, 5)],
        torch_fn=lambda lib, a: lib.nn.functional.leaky_relu(a, 0.1),
    ),
    OpCase("abs", lambda lib, a: a.abs(), [(4, 5)]),
    OpCase("abs_at_zero", lambda lib, a: a.abs(), data=lambda: [[-1.0, 0.0, 2.0]], gradcheck=False),
    OpCase("clamp", lambda lib, a: a.clamp(-0.5, 0.7), [(4, 5)]),
    OpCase("clamp_min", lambda lib, a: a.clamp(min=0.0), [(4, 5)]),
    OpCase("clamp_max", lambda lib, a: lib.clamp(a, max=0.3), [(4, 5)]),
    OpCase(
        "clamp_at_bounds",
        lambda lib, a: a.clamp(-1.0, 1.0),
        data=lambda: [[-2.0, -1.0, 0.0, 1.0, 2.0]],
        gradcheck=False,
    ),
    OpCase("maximum_broadcast", lambda lib, a, b: lib.maximum(a, b), [(3, 4), (4,)]),
    OpCase("minimum_broadcast", lambda lib, a, b: lib.minimum(a, b), [(3, 1), (4,)]),
    OpCase(
        "maximum_ties",
        lambda lib, a, b: lib.maximum(a, b),
        data=lambda: [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]],
        gradcheck=False,
    ),
    OpCase(
        "minimum_ties",
        lambda lib, a, b: lib.minimum(a, b),
        data=lambda: [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]],
        gradcheck=False,
    ),
    OpCase("where", lambda lib, a, b: lib.where(lib.tensor(MASK), a, b), [(3, 4), (3, 4)]),
    OpCase("where_broadcast", lambda lib, a, b: lib.where(lib.tensor(MASK), a, b), [(3, 1), (4,)]),
    OpCase("where_scalar", lambda lib, a: lib.where(lib.tensor(MASK), a, 0.0), [(3, 4)]),
    OpCase("masked_fill", lambda lib, a: a.masked_fill(lib.tensor(MASK), -1.5), [(3, 4)]),
    OpCase(
        "masked_fill_broadcast_mask",
        lambda lib, a: a.masked_fill(lib.tensor(ROWS[:, None]), 0.0),
        [(3, 4)],
    ),
    OpCase("cast_to_float32", lambda lib, a: a.float(), [(2, 3)], gradcheck=False),
    OpCase("cast_to_float64", lambda lib, a: a.double() * 2, [(2, 3)]),
    OpCase("diamond", diamond, [(2, 3)]),
    OpCase("inplace_on_nonleaf", inplace_add, [(2, 3)]),
]

REDUCE = [
    OpCase("sum_all", lambda lib, a: a.sum(), [(3, 4)]),
    OpCase("sum_dim", lambda lib, a: a.sum(dim=1), [(3, 4)]),
    OpCase("sum_dims_keepdim", lambda lib, a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    OpCase("sum_neg_dim", lambda lib, a: lib.sum(a, -1), [(2, 3, 4)]),
    OpCase("mean_all", lambda lib, a: a.mean(), [(3, 4)]),
    OpCase("mean_dims", lambda lib, a: a.mean(dim=(0, 1)), [(2, 3, 4)]),
    OpCase("mean_keepdim", lambda lib, a: a.mean(-1, keepdim=True), [(2, 3, 4)]),
    OpCase("amax_dim", lambda lib, a: a.amax(dim=1), [(3, 4)]),
    OpCase("amax_dims_keepdim", lambda lib, a: a.amax(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    OpCase("amin_dim", lambda lib, a: lib.amin(a, 0), [(3, 4)]),
    OpCase("amax_size1_dim", lambda lib, a: a.amax(dim=0), [(1, 3)]),
    OpCase(
        "amax_ties",
        lambda lib, a: a.amax(dim=1),
        data=lambda: [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]],
        gradcheck=False,
    ),
    OpCase(
        "amin_ties",
        lambda lib, a: a.amin(dim=0),
        data=lambda: [[[1.0, 3.0, 3.0], [1.0, 2.0, 3.0]]],
        gradcheck=False,
    ),
    OpCase("max_all", lambda lib, a: a.max(), [(3, 4)]),
    OpCase("min_all", lambda lib, a: a.min(), [(3, 4)]),
    OpCase(
        "max_all_ties",
        lambda lib, a: a.max(),
        data=lambda: [[[1.0, 3.0], [3.0, 0.0]]],
        gradcheck=False,
    ),
    OpCase("max_dim", lambda lib, a: a.max(dim=1), [(3, 4)]),
    OpCase("max_dim_keepdim", lambda lib, a: a.max(0, keepdim=True), [(3, 4)]),
    OpCase("min_dim", lambda lib, a: lib.min(a, dim=-1), [(2, 3, 4)]),
    OpCase(
        "max_dim_ties",
        lambda lib, a: a.max(dim=1),
        data=lambda: [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]],
        gradcheck=False,
    ),
    OpCase(
        "min_dim_ties",
        lambda lib, a: a.min(dim=1),
        data=lambda: [[[1.0, 3.0, 1.0], [2.0, 2.0, 2.0]]],
        gradcheck=False,
    ),
    OpCase("logsumexp", lambda lib, a: a.logsumexp(dim=1), [(3, 4)], ranges=(-5, 5)),
    OpCase("logsumexp_dims", lambda lib, a: lib.logsumexp(a, (0, 2), keepdim=True), [(2, 3, 4)]),
    OpCase("logsumexp_large", lambda lib, a: a.logsumexp(dim=0), [(4,)], ranges=(500, 510)),
    OpCase("softmax", lambda lib, a: a.softmax(dim=-1), [(3, 5)], ranges=(-5, 5)),
    OpCase("softmax_dim0", lambda lib, a: lib.softmax(a, 0), [(3, 5)]),
    OpCase("log_softmax", lambda lib, a: a.log_softmax(dim=1), [(2, 4, 3)], ranges=(-5, 5)),
    OpCase("var_all", lambda lib, a: a.var(), [(3, 4)]),
    OpCase("var_dim", lambda lib, a: a.var(dim=1), [(3, 4)]),
    OpCase("var_biased", lambda lib, a: a.var(dim=0, unbiased=False), [(3, 4)]),
    OpCase(
        "var_correction_keepdim",
        lambda lib, a: a.var(dim=(0, 2), keepdim=True, correction=2),
        [(2, 3, 4)],
    ),
    OpCase("std_dim", lambda lib, a: a.std(dim=-1), [(3, 4)]),
    OpCase("std_all_biased", lambda lib, a: lib.std(a, unbiased=False), [(3, 4)]),
    OpCase(
        "std_of_equal_values",  # var 0: sqrt has no slope there, torch's gradient is 0
        lambda lib, a: a.std(dim=1, keepdim=True),
        data=lambda: [[[1.5, 1.5, 1.5], [1.0, -2.0, 0.5], [0.0, 0.0, 0.0]]],
        gradcheck=False,
    ),
    OpCase("prod_all", lambda lib, a: a.prod(), [(3, 4)]),
    OpCase("prod_dim", lambda lib, a: a.prod(dim=1), [(3, 4)]),
    OpCase("prod_neg_dim_keepdim", lambda lib, a: lib.prod(a, -2, keepdim=True), [(2, 3, 4)]),
    OpCase("prod_0d", lambda lib, a: a.prod(0), [()]),
    OpCase("prod_all_one_zero", lambda lib, a: a.prod(), data=lambda: [[[1.5, 0.0], [-2.0, 0.5]]]),
    OpCase("prod_all_two_zeros", lambda lib, a: a.prod(), data=lambda: [[[1.5, 0.0], [0.0, 0.5]]]),
    OpCase(
        "prod_dim_zeros",  # rows: one zero, two zeros, no zero, all zeros
        lambda lib, a: a.prod(dim=-1),
        data=lambda: [
            [[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.0], [2.0, -1.0, 0.5, 1.5], [0.0] * 4]
        ],
    ),
    OpCase(
        "prod_dim0_zeros",
        lambda lib, a: a.prod(0, keepdim=True),
        data=lambda: [[[0.0, 2.0, 0.0], [1.5, 0.0, 0.0], [-0.5, 3.0, 1.0]]],
    ),
    OpCase("cumsum", lambda lib, a: a.cumsum(dim=1), [(3, 4)]),
    OpCase("cumsum_dim0", lambda lib, a: lib.cumsum(a, 0), [(3, 4)]),
    OpCase("cumsum_neg_dim", lambda lib, a: a.cumsum(-2), [(2, 3, 4)]),
    OpCase("cumsum_0d", lambda lib, a: a.cumsum(0), [()]),
    OpCase("cumprod", lambda lib, a: a.cumprod(dim=1), [(3, 5)]),
    OpCase("cumprod_neg_dim", lambda lib, a: lib.cumprod(a, dim=-2), [(2, 4, 3)]),
    OpCase("cumprod_0d", lambda lib, a: a.cumprod(-1), [()]),
    OpCase(
        "cumprod_zeros",  # rows: one zero, zero first, two zeros, zero last, no zero
        lambda lib, a: a.cumprod(-1),
        data=lambda: [
            [
                [1.5, 0.0, -2.0, 0.5, 2.0],
                [0.0, 2.0, 3.0, -1.0, 0.5],
                [2.0, 0.0, 0.5, 0.0, 1.5],
                [1.0, -2.0, 0.5, 3.0, 0.0],
                [0.5, 1.5, -1.0, 2.0, 0.5],
            ]
        ],
    ),
    OpCase(
        "cumprod_dim0_zeros",
        lambda lib, a: lib.cumprod(a, 0),
        data=lambda: [
            [[[0.0, 2.0], [1.5, 0.0]], [[3.0, 0.0], [0.0, 0.0]], [[2.0, 1.0], [-1.0, 0.5]]]
        ],
    ),
]

MOVEMENT = [
    OpCase("reshape", lambda lib, a: a.reshape(2, 6), [(3, 4)]),
    OpCase("view_flat", lambda lib, a: a.view(-1), [(3, 4)]),
    OpCase("flatten_1", lambda lib, a: a.flatten(1), [(2, 3, 4)]),
    OpCase("squeeze_unsqueeze", lambda lib, a: a.squeeze(1).unsqueeze(-1), [(3, 1, 4)]),
    OpCase("permute", lambda lib, a: a.permute(2, 0, 1), [(2, 3, 4)]),
    OpCase("transpose", lambda lib, a: a.transpose(0, 2), [(2, 3, 4)]),
    OpCase("T_and_mT", lambda lib, a: a.T + a.mT, [(3, 3)]),
    OpCase("expand", lambda lib, a: a.expand(2, 3, 4), [(3, 1)]),
    OpCase("expand_minus_one", lambda lib, a: a.expand(-1, 4), [(3, 1)]),
    OpCase("getitem_int", lambda lib, a: a[1], [(3, 4)]),
    OpCase("getitem_slices", lambda lib, a: a[:, 1:3], [(3, 4)]),
    OpCase("getitem_none_ellipsis", lambda lib, a: a[None, ..., 0], [(2, 3, 4)]),
    OpCase("getitem_neg_int_slice", lambda lib, a: a[-1, ::2], [(3, 5)]),
    OpCase("getitem_repeated_indices", lambda lib, a: a[lib.tensor([0, 0, 2, 0])], [(3, 4)]),
    OpCase(
        "getitem_two_index_arrays",
        lambda lib, a: a[lib.tensor([0, 1, 1, 1]), lib.tensor([2, 2, 0, 2])],
        [(3, 4)],
    ),
    OpCase("getitem_slice_and_array", lambda lib, a: a[:, lib.tensor([1, 1, 3])], [(3, 4)]),
    OpCase("getitem_bool_mask", lambda lib, a: a[lib.tensor(MASK)], [(3, 4)]),
    OpCase("getitem_bool_rows", lambda lib, a: a[lib.tensor(ROWS)], [(3, 4)]),
    OpCase("index_select", lambda lib, a: a.index_select(0, lib.tensor([2, 0, 2])), [(3, 4)]),
    OpCase("select_narrow", lambda lib, a: a.select(1, 2) + a.narrow(1, 0, 1).squeeze(1), [(3, 4)]),
    OpCase("setitem_row", set_row, [(3, 4), (4,)]),
    OpCase("setitem_mask_number", set_mask, [(3, 4)]),
    OpCase("setitem_into_constant", set_into_constant, [(3, 2)]),
    OpCase("setitem_mask_tensor", set_mask_tensor, [(3, 4), (4,)]),
    OpCase("cat", lambda lib, a, b: lib.cat([a, b], dim=1), [(2, 3), (2, 2)]),
    OpCase(
        "cat_three_neg_dim",
        lambda lib, a, b, c: lib.cat([a, b, c], dim=-2),
        [(1, 2, 3), (1, 1, 3), (1, 4, 3)],
    ),
    OpCase("stack", lambda lib, a, b: lib.stack([a, b], dim=1), [(2, 3), (2, 3)]),
    OpCase("stack_last", lambda lib, a, b, c: lib.stack((a, b, c), dim=-1), [(2,), (2,), (2,)]),
    OpCase(
        "pad",
        lambda lib, a: sh_pad(a, (1, 2)),
        [(2, 3)],
        torch_fn=lambda lib, a: lib.nn.functional.pad(a, (1, 2)),
    ),
    OpCase(
        "pad_2d_value",
        lambda lib, a: sh_pad(a, (1, 0, 2, 1), value=0.5),
        [(2, 3, 3)],
        torch_fn=lambda lib, a: lib.nn.functional.pad(a, (1, 0, 2, 1), value=0.5),
    ),
    OpCase("gather_repeated", lambda lib, a: a.gather(1, lib.tensor(GATHER_INDEX)), [(3, 4)]),
    OpCase(
        "gather_dim0",
        lambda lib, a: lib.gather(a, 0, lib.tensor(GATHER_INDEX[:2, :3] % 3)),
        [(3, 4)],
    ),
    OpCase("gather_smaller_index", lambda lib, a: a.gather(1, lib.tensor([[0], [2]])), [(3, 4)]),
    OpCase("topk", lambda lib, a: a.topk(2, dim=1), [(3, 5)]),
    OpCase("sort", lambda lib, a: a.sort(dim=0), [(4, 3)]),
    OpCase("sort_descending", lambda lib, a: a.sort(dim=-1, descending=True), [(4, 3)]),
    OpCase("split", lambda lib, a: a.split(2, dim=1), [(3, 5)]),
    OpCase("split_sizes", lambda lib, a: a.split([1, 3], dim=1), [(3, 4)]),
    OpCase("chunk", lambda lib, a: a.chunk(2, dim=0), [(5, 2)]),
    OpCase("unbind", lambda lib, a: a.unbind(1), [(2, 3)]),
    OpCase("repeat", lambda lib, a: a.repeat(2, 1, 3), [(3, 2)]),
    OpCase("tril", lambda lib, a: a.tril(), [(4, 4)]),
    OpCase("triu_batched", lambda lib, a: lib.triu(a, 1), [(2, 3, 4)]),
    OpCase("clone", lambda lib, a: a.clone(), [(2, 3)]),
]

MATMUL = [
    OpCase("mm", lambda lib, a, b: a @ b, [(3, 4), (4, 5)]),
    OpCase("mm_method", lambda lib, a, b: a.mm(b), [(2, 3), (3, 2)]),
    OpCase("matmul_batched", lambda lib, a, b: lib.matmul(a, b), [(2, 3, 4), (2, 4, 5)]),
    OpCase("bmm", lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    OpCase("matmul_broadcast_batch", lambda lib, a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    OpCase("matmul_shared_b", lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    OpCase("matmul_shared_a", lambda lib, a, b: a @ b, [(3, 4), (2, 4, 5)]),
    OpCase("matmul_vec_vec", lambda lib, a, b: a @ b, [(4,), (4,)]),
    OpCase("dot", lambda lib, a, b: a.dot(b), [(4,), (4,)]),
    OpCase("matmul_vec_mat", lambda lib, a, b: a @ b, [(4,), (4, 3)]),
    OpCase("matmul_mat_vec", lambda lib, a, b: a @ b, [(3, 4), (4,)]),
    OpCase("matmul_batch_vec", lambda lib, a, b: a @ b, [(2, 3, 4), (4,)]),
    OpCase("matmul_vec_batch", lambda lib, a, b: a @ b, [(4,), (2, 4, 3)]),
    OpCase(
        "matmul_only_a_grad", lambda lib, a, b: a @ b, [(3, 4), (4, 2)], requires_grad=(True, False)
    ),
    OpCase(
        "linear",
        lambda lib, x, w, b: Linear.apply(x, w, b),
        [(5, 3), (4, 3), (4,)],
        torch_fn=torch_linear,
    ),
    OpCase(
        "linear_3d_input",
        lambda lib, x, w, b: Linear.apply(x, w, b),
        [(2, 5, 3), (4, 3), (4,)],
        torch_fn=torch_linear,
    ),
    OpCase(
        "linear_1d_input",
        lambda lib, x, w, b: Linear.apply(x, w, b),
        [(3,), (4, 3), (4,)],
        torch_fn=torch_linear,
    ),
    OpCase(
        "linear_no_bias",
        lambda lib, x, w: Linear.apply(x, w),
        [(5, 3), (4, 3)],
        torch_fn=torch_linear,
    ),
    OpCase(
        "linear_frozen_weight",
        lambda lib, x, w, b: Linear.apply(x, w, b),
        [(5, 3), (4, 3), (4,)],
        torch_fn=torch_linear,
        requires_grad=(True, False, True),
    ),
]

# torch's further ops, composed from the ones above (log1p, expm1 and the 2-norm: primitives)
MORE = [
    OpCase("log1p", lambda lib, a: a.log1p(), [(2, 3)], ranges=(-0.5, 2)),
    OpCase("expm1", lambda lib, a: lib.expm1(a), [(2, 3)]),
    OpCase("reciprocal", lambda lib, a: lib.reciprocal(a), [(2, 3)], ranges=POSITIVE),
    OpCase("clamp_min_method", lambda lib, a: a.clamp_min(0.1) + lib.clamp_max(a, 0.2), [(4, 5)]),
    OpCase("lerp_scalar", lambda lib, a, b: lib.lerp(a, b, 0.3), [(3, 4), (4,)]),
    OpCase("lerp_tensor_weight", lambda lib, a, b, w: a.lerp(b, w), [(3, 4), (3, 4), (4,)]),
    OpCase("norm_all", lambda lib, a: a.norm(), [(3, 4)]),
    OpCase("norm_dim_keepdim", lambda lib, a: lib.norm(a, dim=1, keepdim=True), [(3, 4)]),
    OpCase("norm_p1_dims", lambda lib, a: a.norm(1, dim=(0, 2)), [(2, 3, 4)]),
    OpCase("norm_p3", lambda lib, a: a.norm(3, dim=-1), [(3, 4)]),
    OpCase("norm_p_half_all", lambda lib, a: a.norm(0.5), [(3, 4)]),
    OpCase(
        "norm_p_zeros",  # 0 where the norm is 0, and (p < 1) where x is 0, as torch's
        lambda lib, a: lib.cat([a.norm(3, dim=1), a.norm(1.5, dim=1), a.norm(0.5, dim=1)]),
        data=lambda: [[[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]]],
        gradcheck=False,
    ),
    OpCase(
        "norm_of_a_zero_row",  # no slope at zero: the gradient is 0 there, as torch's
        lambda lib, a: a.norm(dim=1),
        data=lambda: [[[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]]],
        gradcheck=False,
    ),
    OpCase("flip", lambda lib, a: lib.flip(a, (0, 2)) * 2, [(2, 3, 4)]),
    OpCase("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    OpCase("mv", lambda lib, a, b: lib.mv(a, b), [(3, 4), (4,)]),
    OpCase("dot_function", lambda lib, a, b: lib.dot(a, b), [(4,), (4,)]),
    OpCase("diagonal_offset", lambda lib, a: a.diagonal(1), [(3, 4)]),
    OpCase("diagonal_dims", lambda lib, a: lib.diagonal(a, -1, 0, 2), [(3, 2, 4)]),
    OpCase("trace", lambda lib, a: lib.trace(a), [(3, 4)]),
    OpCase("diag_of_vector", lambda lib, a: lib.diag(a, -1) * 3, [(3,)]),
    OpCase("diag_of_matrix", lambda lib, a: a.diag(1), [(4, 4)]),
    OpCase("tile", lambda lib, a: lib.tile(a, (2, 1, 2)), [(3, 2)]),
    OpCase("repeat_interleave", lambda lib, a: a.repeat_interleave(3, dim=1), [(2, 3)]),
    OpCase("repeat_interleave_flat", lambda lib, a: lib.repeat_interleave(a, 2), [(2, 3)]),
    OpCase("einsum_matmul", lambda lib, a, b: lib.einsum("ik,kj->ij", a, b), [(3, 4), (4, 2)]),
    OpCase(
        "einsum_attention_scores",
        lambda lib, q, k: lib.einsum("bhqd,bhkd->bhqk", q, k),
        [(2, 2, 3, 4), (2, 2, 5, 4)],
    ),
    OpCase("einsum_transpose_sum", lambda lib, a: lib.einsum("abc->ca", a), [(2, 3, 4)]),
    OpCase("einsum_dot_implicit", lambda lib, a, b: lib.einsum("i,i", a, b), [(5,), (5,)]),
    OpCase("einsum_outer_implicit", lambda lib, a, b: lib.einsum("j,i", a, b), [(3,), (4,)]),
    OpCase("einsum_ellipsis", lambda lib, a, b: lib.einsum("...ij,jk", a, b), [(2, 3, 4), (4, 2)]),
    OpCase(
        "einsum_three_operands",
        lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", [a, b, c]),
        [(2, 3), (3, 4), (4, 2)],
    ),
    OpCase(
        "einsum_one_operand_without_grad",
        lambda lib, a, b: lib.einsum("ij,ij->i", a, b),
        [(3, 4), (3, 4)],
        requires_grad=(False, True),
    ),
    OpCase("erf", lambda lib, a: lib.erf(a), [(2, 3)]),
    OpCase("trunc_frac", lambda lib, a: lib.frac(a * 3) + a * lib.trunc(a * 3), [(2, 3)]),
    OpCase(
        "fmod", lambda lib, a, b: lib.fmod(a * 5, b), [(3, 4), (4,)], ranges=[(-2, 2), POSITIVE]
    ),
    OpCase(
        "remainder", lambda lib, a, b: a.remainder(b), [(3, 4), (4,)], ranges=[(-5, 5), POSITIVE]
    ),
    OpCase("exp2_tan", lambda lib, a: lib.exp2(a) + lib.tan(a), [(2, 3)], ranges=(-1, 1)),
    OpCase("sinh_cosh", lambda lib, a: lib.sinh(a) * lib.cosh(a), [(2, 3)]),
    OpCase("median_dim", lambda lib, a: lib.median(a, 1)[0], [(3, 5)]),
    OpCase("median_all", lambda lib, a: a.median(), [(4, 3)]),
    OpCase("movedim", lambda lib, a: lib.movedim(a, (0, 1), (2, 0)) * 2, [(2, 3, 4)]),
    OpCase("std_mean", lambda lib, a: lib.std_mean(a, 1)[0] * lib.var_mean(a, 1)[1], [(3, 4)]),
    OpCase(
        "take_along_dim",
        lambda lib, a: lib.take_along_dim(a, lib.argmax(a, dim=1, keepdim=True), dim=1),
        [(3, 4)],
    ),
    OpCase(
        "broadcast_tensors",
        lambda lib, a, b: lib.broadcast_tensors(a, b)[0] * lib.broadcast_to(b, (4, 3)),
        [(3,), (4, 1)],
    ),
    OpCase(
        "meshgrid_xy_and_ij",
        lambda lib, a, b: (
            lib.meshgrid(a, b, indexing="xy")[1] * lib.meshgrid(b, a, indexing="ij")[0]
        ),
        [(3,), (4,)],
    ),
    OpCase(
        "hstack_vstack_column_stack",
        lambda lib, a, b: (
            lib.hstack([a, b]).sum() + lib.vstack([a, b]) + lib.column_stack([a, b]).T
        ),
        [(3,), (3,)],
    ),
    OpCase(
        "nan_to_num",
        lambda lib, a: lib.nan_to_num(a, nan=0.5, posinf=2.0, neginf=-2.0) * 3,
        data=lambda: [[[np.nan, 1.5, np.inf], [-np.inf, -2.0, 0.5]]],
        gradcheck=False,
    ),
    OpCase(
        "scatter_src",
        lambda lib, a, b: lib.scatter(a, 1, lib.tensor([[0, 2, 4], [3, 1, 0]]), b),
        [(2, 5), (2, 3)],
    ),
    OpCase(
        "scatter_value",
        lambda lib, a: a.scatter(0, lib.tensor([[1, 0, 2]]), value=-1.5) * 2,
        [(3, 3)],
    ),
    OpCase(
        "scatter_add_repeats",
        lambda lib, a, b: lib.scatter_add(a, 1, lib.tensor([[0, 0, 4], [3, 3, 3]]), b),
        [(2, 5), (2, 3)],
    ),
    OpCase(
        "index_add_alpha",
        lambda lib, a, b: lib.index_add(a, 0, lib.tensor([2, 0, 2]), b, alpha=0.5),
        [(4, 3), (3, 3)],
    ),
    OpCase("index_fill", lambda lib, a: lib.index_fill(a, 1, lib.tensor([0, 2]), 0.5), [(2, 4)]),
    OpCase("unfold_overlapping", lambda lib, a: a.unfold(1, 3, 2), [(2, 7, 3)]),  # shared elements
    OpCase("unfold_gaps", lambda lib, a: a.unfold(-1, 2, 3), [(3, 8)]),  # elements no window reads
    OpCase(
        "masked_select_broadcast",
        lambda lib, a: lib.masked_select(a, lib.tensor(ROWS[:, None])),
        [(3, 4)],
    ),
]

UNIT = (-0.9, 0.9)  # inside the domain of asin, acos, atanh

MATH = [
    OpCase("asin_acos", lambda lib, a: lib.asin(a) * lib.arccos(a), [(2, 3)], ranges=UNIT),
    OpCase("atan", lambda lib, a: a.atan() + lib.arctan(a * 2), [(2, 3)]),
    OpCase("asinh", lambda lib, a: lib.asinh(a * 3), [(2, 3)]),
    OpCase("acosh", lambda lib, a: a.acosh(), [(2, 3)], ranges=(1.2, 4.0)),
    OpCase("atanh", lambda lib, a: lib.arctanh(a), [(2, 3)], ranges=UNIT),
    OpCase("atan2_broadcast", lambda lib, a, b: lib.atan2(a, b), [(3, 4), (4,)]),
    OpCase("arctan2_method", lambda lib, a, b: a.arctan2(b), [(3, 1), (3, 4)]),
    OpCase("hypot_broadcast", lambda lib, a, b: lib.hypot(a, b), [(3, 4), (4,)]),
    OpCase("erfc", lambda lib, a: lib.erfc(a), [(2, 3)], ranges=(-3, 3)),
    OpCase("erfinv", lambda lib, a: lib.erfinv(a), [(2, 3)], ranges=(-0.95, 0.95)),
    OpCase("logaddexp_broadcast", lambda lib, a, b: lib.logaddexp(a * 5, b), [(3, 4), (4,)]),
    OpCase("logaddexp2", lambda lib, a, b: a.logaddexp2(b), [(3, 4), (3, 4)]),
    OpCase("xlogy", lambda lib, a, b: lib.xlogy(a, b), [(3, 4), (4,)], ranges=[(-2, 2), POSITIVE]),
    OpCase(
        "xlogy_at_zero",  # 0 * log(y) is 0 even where log(y) is -inf or nan
        lambda lib, a, b: lib.xlogy(a, b),
        data=lambda: [[0.0, 0.0, 2.0, 0.5], [-1.0, 2.0, 3.0, 1.5]],
        gradcheck=False,
    ),
    OpCase("logit", lambda lib, a: lib.logit(a), [(2, 3)], ranges=(0.05, 0.95)),
    OpCase(
        "logit_eps",  # clamped: no gradient outside [eps, 1 - eps]
        lambda lib, a: a.logit(eps=0.1),
        data=lambda: [[0.01, 0.05, 0.3, 0.6, 0.95, 0.99]],
        gradcheck=False,
    ),
    OpCase(
        "copysign",
        lambda lib, a, b: lib.copysign(a, b),
        [(3, 4), (4,)],
        requires_grad=(True, False),  # torch gives the sign a zero gradient; here none
    ),
    OpCase("copysign_scalar", lambda lib, a: a.copysign(-1.0), [(2, 3)]),
    OpCase("sinc", lambda lib, a: lib.sinc(a), [(2, 3)]),
    OpCase(
        "sinc_at_zero", lambda lib, a: a.sinc(), data=lambda: [[0.0, 0.5, -1.5]], gradcheck=False
    ),
    OpCase("deg2rad_rad2deg", lambda lib, a: lib.deg2rad(a * 90) * a.rad2deg(), [(2, 3)]),
    OpCase(
        "true_divide",
        lambda lib, a, b: lib.true_divide(a, b),
        [(3, 4), (4,)],
        ranges=[(-2, 2), POSITIVE],
    ),
    OpCase("float_power", lambda lib, a: lib.float_power(a, 3) * 2, [(2, 3)]),
    OpCase("float_power_tensor", lambda lib, a, b: a.float_power(b), [(3,), (3,)], ranges=POSITIVE),
    OpCase(
        "fmax_fmin_broadcast", lambda lib, a, b: lib.fmax(a, b) * lib.fmin(a, b), [(3, 4), (4,)]
    ),
    OpCase(
        "fmax_fmin_ties_and_nan",  # ties: all to the first input; nan is skipped
        lambda lib, a, b: lib.fmax(a, b) + 2 * a.fmin(b),
        data=lambda: [[1.0, np.nan, 2.0, np.nan], [1.0, 3.0, np.nan, np.nan]],
        gradcheck=False,
    ),
]

NAN = np.nan
WITH_NAN = [[1.5, NAN, -0.5, 2.0, 0.25], [NAN, NAN, NAN, NAN, NAN], [0.5, -1.0, NAN, 3.0, -2.0]]
TIES = [[1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, -1.0, 4.0, 4.0], [0.5, 0.5, 0.5, 0.5, 0.5]]

SCANS = [
    OpCase("nansum", lambda lib, a: lib.nansum(a, 1) * lib.nansum(a), [(3, 4)]),
    OpCase(
        "nansum_nanmean_with_nan",
        lambda lib, a: lib.nansum(a, dim=0) + a.nanmean(dim=1, keepdim=True) * 2,
        data=lambda: [[[1.5, NAN, -0.5, 2.0, 0.25], [NAN, 2.0, 3.0, NAN, 1.0]]],
        gradcheck=False,
    ),
    OpCase("nanmean", lambda lib, a: lib.nanmean(a, (0, 2)), [(2, 3, 4)]),
    OpCase("nanmedian", lambda lib, a: lib.nanmedian(a, 1)[0] + a.nanmedian(), [(3, 5)]),
    OpCase(
        "nanmedian_with_nan",
        lambda lib, a: lib.nanmedian(a, -1, keepdim=True).values * a.nanmedian(),
        data=lambda: [[row for row in WITH_NAN if not np.isnan(row).all()]],
        gradcheck=False,
    ),
    OpCase("aminmax", lambda lib, a: lib.aminmax(a, dim=1).min * a.aminmax().max, [(3, 4)]),
    OpCase(
        "aminmax_ties",  # tied extremes share the gradient
        lambda lib, a: lib.aminmax(a, dim=-1, keepdim=True)[1] + 2 * lib.aminmax(a)[0],
        data=lambda: [TIES],
        gradcheck=False,
    ),
    OpCase("kthvalue", lambda lib, a: lib.kthvalue(a, 2, 0).values * 3, [(4, 3)]),
    OpCase("kthvalue_keepdim", lambda lib, a: a.kthvalue(4, dim=-1, keepdim=True)[0], [(2, 3, 5)]),
    OpCase("mode", lambda lib, a: lib.mode(a).values * 2, data=lambda: [TIES], gradcheck=False),
    OpCase("mode_dim0_keepdim", lambda lib, a: a.mode(0, keepdim=True)[0], [(3, 4)]),
    OpCase("cummax_cummin", lambda lib, a: lib.cummax(a, 1)[0] * a.cummin(dim=0).values, [(3, 5)]),
    OpCase(
        "cummax_cummin_ties",  # the gradient goes to the latest index reaching the extreme
        lambda lib, a: lib.cummax(a, -1).values + 2 * lib.cummin(a, 1).values,
        data=lambda: [TIES],
        gradcheck=False,
    ),
    OpCase("logcumsumexp", lambda lib, a: lib.logcumsumexp(a * 4, 1), [(3, 5)]),
    OpCase("logcumsumexp_dim0", lambda lib, a: a.logcumsumexp(-3), [(4, 2, 3)]),
    OpCase(
        "logcumsumexp_far_apart",  # exp(-1000) underflows: a naive log(cumsum(exp)) gives -inf
        lambda lib, a: lib.logcumsumexp(a, 0),
        data=lambda: [[-1000.0, 0.0, -2000.0, 800.0, 1.0]],
        dtypes=("float64",),
    ),
    OpCase("quantile_number", lambda lib, a: lib.quantile(a, 0.3), [(3, 4)]),
    OpCase(
        "quantile_tensor_q_dim",
        lambda lib, a: lib.quantile(a, lib.tensor([0.0, 0.25, 0.6, 1.0], dtype=a.dtype), dim=1),
        [(3, 5)],
    ),
    OpCase(
        "quantile_keepdim_all",
        lambda lib, a: a.quantile(a.new_tensor([0.1, 0.9]), keepdim=True),
        [(2, 3)],
    ),
    *[
        OpCase(
            f"quantile_{mode}",
            lambda lib, a, mode=mode: lib.quantile(
                a, 0.55, dim=0, keepdim=True, interpolation=mode
            ),
            [(6, 3)],
        )
        for mode in ("lower", "higher", "nearest", "midpoint")
    ],
    OpCase(
        "nanquantile",
        lambda lib, a: lib.nanquantile(a, a.new_tensor([0.3, 0.5]), dim=1, interpolation="linear"),
        data=lambda: [WITH_NAN],
        gradcheck=False,
    ),
    OpCase(
        "quantile_of_a_row_with_nan",  # nan, and the gradient goes to the nan, as torch
        lambda lib, a: a.quantile(0.5, dim=1),
        data=lambda: [WITH_NAN],
        gradcheck=False,
    ),
    OpCase("msort", lambda lib, a: lib.msort(a) * a.msort(), [(4, 3)]),
]

SHAPES = [
    OpCase("clone_function", lambda lib, a: lib.clone(a) * a, [(2, 3)]),
    OpCase(
        "index_select_repeats",
        lambda lib, a: lib.index_select(a, -1, lib.tensor([3, 0, 3, 1])),
        [(2, 3, 4)],
    ),
    OpCase("index_select_0d_index", lambda lib, a: a.index_select(0, lib.tensor(2)), [(3, 4)]),
    OpCase("select_function", lambda lib, a: lib.select(a, 1, -1) * 2, [(2, 3, 4)]),
    OpCase("roll_dims", lambda lib, a: lib.roll(a, (1, -2), (0, 2)), [(3, 2, 4)]),
    OpCase("roll_flat", lambda lib, a: a.roll(5), [(3, 4)]),
    *[
        OpCase(f"rot90_k{k}", lambda lib, a, k=k: lib.rot90(a, k, (2, 0)), [(2, 3, 4)])
        for k in (-1, 0, 1, 2, 3)
    ],
    OpCase("diff", lambda lib, a: lib.diff(a), [(3, 5)]),
    OpCase("diff_n2_dim0", lambda lib, a: a.diff(2, 0), [(5, 3)]),
    OpCase(
        "diff_prepend_append",
        lambda lib, a, b, c: lib.diff(a, 1, 1, prepend=b, append=c),
        [(2, 4), (2, 1), (2, 2)],
    ),
    OpCase(
        "tensor_split_sections",
        lambda lib, a: lib.tensor_split(a, 3, dim=1)[1] * 2 + a.tensor_split(3, 1)[2],
        [(2, 7)],
    ),
    OpCase(
        "tensor_split_indices",
        lambda lib, a: lib.cat(lib.tensor_split(a, [1, 4], dim=-1)[::-1], -1),
        [(2, 6)],
    ),
    OpCase("unflatten_ravel", lambda lib, a: lib.unflatten(lib.ravel(a), 0, (4, -1)), [(2, 6)]),
    OpCase(
        "swapdims_adjoint",
        lambda lib, a: lib.swapdims(a, 0, 2) + lib.adjoint(a).swapdims(0, 1).transpose(1, 2),
        [(2, 3, 4)],
    ),
    OpCase(
        "masked_scatter",
        lambda lib, a, b: lib.masked_scatter(a, lib.tensor(MASK), b),
        [(3, 4), (3, 4)],  # 7 of source's 12 elements are used
    ),
    OpCase(
        "masked_scatter_broadcast_mask",
        lambda lib, a, b: a.masked_scatter(lib.tensor(ROWS[:, None]), b),
        [(3, 4), (10,)],
    ),
]

CASES = register_op_cases(*ELEMENTWISE, *REDUCE, *MOVEMENT, *MATMUL, *MORE, *MATH, *SCANS, *SHAPES)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_torch(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_gradcheck(case)


def _ops_by_module() -> dict:
    modules: dict = {}
    for cls in op_classes():
        modules.setdefault(cls.__module__, set()).add(cls)
    return modules


@pytest.mark.parametrize("module", sorted(_ops_by_module()))
def test_every_op_has_a_row(module):
    """Each Function subclass in scratchish.ops.* is run by some registered case."""
    used = set().union(*(ops_used(case) for case in all_cases()))
    missing = sorted(cls.__name__ for cls in _ops_by_module()[module] - used)
    assert not missing, (
        f"{module}: no row in the op table runs {missing}; add OpCase rows (see tests/helpers.py)"
    )


def test_op_table_has_no_duplicate_names():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


# ------------------------------------------------------------------ fused vs composed
def test_fused_linear_equals_composed():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(2, 5, 3), (4, 3), (4,)]]
    fused = [sh.tensor(a, requires_grad=True) for a in arrays]
    composed = [sh.tensor(a, requires_grad=True) for a in arrays]
    out_fused = Linear.apply(*fused)
    x, w, b = composed
    out_composed = x @ w.T + b
    np.testing.assert_allclose(
        out_fused.numpy(force=True), out_composed.numpy(force=True), rtol=1e-12
    )
    g = sh.tensor(rng.standard_normal((2, 5, 4)))
    out_fused.backward(g)
    out_composed.backward(g)
    for f, c in zip(fused, composed):
        np.testing.assert_allclose(f.grad.numpy(), c.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_forward_reads_w_t_and_backward_reads_w():
    # w_t is w.T laid out row by row, given by a caller that reuses one weight many times
    # (a recurrent layer). Forward multiplies by it; the gradients come from w.
    rng = np.random.default_rng(3)
    x, w, b = (
        sh.tensor(rng.standard_normal(s), requires_grad=True) for s in [(5, 3), (4, 3), (4,)]
    )
    w_t = np.ascontiguousarray(w.numpy(force=True).T)
    out = Linear.apply(x, w, b, w_t=w_t)
    g = rng.standard_normal((5, 4))
    out.backward(sh.tensor(g))
    xa, wa = x.numpy(force=True), w.numpy(force=True)
    np.testing.assert_allclose(out.numpy(force=True), xa @ wa.T + b.numpy(force=True), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g @ wa, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), g.T @ xa, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-12)
    # a w_t with other numbers shows which one each pass reads
    other = Linear.apply(x.detach(), w.detach(), w_t=2 * w_t)
    np.testing.assert_allclose(other.numpy(), 2 * (xa @ wa.T), rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_fused_softmax_and_log_softmax_equal_composed(dim):
    rng = np.random.default_rng(dim + 5)
    data = rng.uniform(-4, 4, (3, 4))
    x1, x2 = sh.tensor(data, requires_grad=True), sh.tensor(data, requires_grad=True)
    g = sh.tensor(rng.standard_normal((3, 4)))
    fused = x1.softmax(dim) + x1.log_softmax(dim)
    shifted = x2 - x2.amax(dim, keepdim=True)
    log_sm = shifted - shifted.exp().sum(dim, keepdim=True).log()
    composed = log_sm.exp() + log_sm
    np.testing.assert_allclose(fused.numpy(force=True), composed.numpy(force=True), rtol=1e-12)
    fused.backward(g)
    composed.backward(g)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_log_softmax_backward_takes_its_softmax_from_forwards_exponentials(monkeypatch):
    """Forward keeps exp(x - shift) and the row totals (with a gradient wanted only), so
    backward makes no exp of its own: one np.exp for forward + backward, the gradient still
    g - softmax * sum(g)."""
    from scratchish.ops import reduce

    rng = np.random.default_rng(4)
    data = rng.uniform(-4, 4, (5, 7)).astype(np.float32)
    g = rng.standard_normal((5, 7)).astype(np.float32)
    with sh.no_grad():
        assert not hasattr(sh.tensor(data).log_softmax(1).grad_fn, "e")
    calls = []
    real_exp = np.exp
    monkeypatch.setattr(reduce.np, "exp", lambda *a, **k: calls.append(1) or real_exp(*a, **k))
    x = sh.tensor(data, requires_grad=True)
    out = x.log_softmax(1)
    expected_out = out.detach().numpy().copy()
    out.backward(sh.tensor(g))
    assert len(calls) == 1
    monkeypatch.undo()
    softmax = np.exp(expected_out.astype(np.float64))
    expected = g - softmax * g.sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim", [0, -1, (0, 2)])
def test_fused_logsumexp_equals_composed(dim):
    rng = np.random.default_rng(7)
    data = rng.uniform(-4, 4, (2, 3, 4))
    x1, x2 = sh.tensor(data, requires_grad=True), sh.tensor(data, requires_grad=True)
    fused = x1.logsumexp(dim)
    m = x2.amax(dim, keepdim=True)
    composed = (x2 - m).exp().sum(dim, keepdim=True).log() + m  # log(sum(exp(x - m))) + m
    composed = composed.reshape(fused.shape)
    np.testing.assert_allclose(fused.numpy(force=True), composed.numpy(force=True), rtol=1e-12)
    g = sh.tensor(rng.standard_normal(tuple(fused.shape)))
    fused.backward(g)
    composed.backward(g)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_logsumexp_of_minus_inf_row_is_minus_inf_not_nan():
    x = sh.tensor([[float("-inf"), float("-inf")], [0.0, 0.0]])
    out = x.logsumexp(dim=1)
    assert out[0].item() == float("-inf")
    assert out[1].item() == pytest.approx(np.log(2))


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("op", ["prod", "prod_dim", "cumsum", "cumprod"])
def test_prod_cumsum_cumprod_of_integers_give_int64_like_torch(op, dtype):
    data = np.array([[1, 2, 3], [4, 0, 6]]).astype(dtype)
    calls = {
        "prod": lambda x: x.prod(),
        "prod_dim": lambda x: x.prod(-1),
        "cumsum": lambda x: x.cumsum(1),
        "cumprod": lambda x: x.cumprod(0),
    }
    out = calls[op](sh.tensor(data))
    assert out.dtype == sh.int64
    expected = {
        "prod": np.prod,
        "prod_dim": lambda a: np.prod(a, -1),
        "cumsum": lambda a: np.cumsum(a, 1),
        "cumprod": lambda a: np.cumprod(a, 0),
    }[op](data.astype(np.int64))
    np.testing.assert_array_equal(out.numpy(), expected)
    if torch is not None:
        t_out = calls[op](torch.tensor(data))
        assert t_out.dtype == torch.int64
        np.testing.assert_array_equal(out.numpy(), t_out.numpy())


def _cumsum_in_float64(a: np.ndarray, dim: int) -> np.ndarray:
    """PyTorch's CPU cumsum of float32: one value at a time in float64, each sum rounded."""
    return np.cumsum(a.astype(np.float64), axis=dim).astype(np.float32)


# (shape, dim): small arrays by np.cumsum; large ones by blocks of SCAN_BLOCK positions, along
# the last axis, an axis followed by wide rows, a length that leaves the last block partial
CUMSUM_CASES = [((3, 40), 1), ((50, 7, 3), 0), ((64, 700), 1), ((700, 64), 0), ((4, 99, 130), 1)]
CUMSUM_CASES += [((70001,), 0)]


@pytest.mark.parametrize(("shape", "dim"), CUMSUM_CASES)
def test_float32_cumsum_gives_torchs_numbers_forward_and_backward(shape, dim):
    # torch.cumsum adds float32 values in float64: a float32 np.cumsum differs in most places
    rng = np.random.default_rng(sum(shape))
    x_np = rng.standard_normal(shape).astype(np.float32)
    g_np = rng.standard_normal(shape).astype(np.float32)
    x = sh.tensor(x_np, requires_grad=True)
    out = x.cumsum(dim)
    out.backward(sh.tensor(g_np))
    assert out.dtype == sh.float32 and x.grad.dtype == sh.float32
    np.testing.assert_array_equal(out.detach().numpy(), _cumsum_in_float64(x_np, dim))
    reverse = np.flip(_cumsum_in_float64(np.flip(g_np, dim), dim), dim)  # sums from the end
    np.testing.assert_array_equal(x.grad.numpy(), reverse)
    if torch is not None:
        x_t = torch.tensor(x_np, requires_grad=True)
        out_t = torch.cumsum(x_t, dim)
        out_t.backward(torch.tensor(g_np))
        np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
        np.testing.assert_array_equal(x.grad.numpy(), x_t.grad.numpy())


@pytest.mark.parametrize("dim", [0, 1])
def test_cumsum_by_blocks_carries_inf_and_nan_as_one_value_at_a_time(dim):
    from scratchish.ops.reduce import SCAN_BLOCK, _scan_by_blocks

    x = np.ones((3 * SCAN_BLOCK + 5, 40), np.float32)
    x[5, 0], x[2 * SCAN_BLOCK + 1, 0] = np.inf, -np.inf  # inf, then nan from inf - inf
    x[SCAN_BLOCK + 3, 1] = np.nan
    x[:, 2] = 3e38  # the float64 sums pass float32's largest value: inf once rounded
    x = np.ascontiguousarray(x if dim == 0 else x.T)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = _cumsum_in_float64(x, dim)
        by_blocks = _scan_by_blocks(x, dim, np.float64)
    np.testing.assert_array_equal(by_blocks, expected)
    out = sh.tensor(x).cumsum(dim).numpy()  # silent, as torch
    np.testing.assert_array_equal(out, expected)
    if torch is not None:
        np.testing.assert_array_equal(out, torch.cumsum(torch.tensor(x), dim).numpy())


def test_float16_cumsum_adds_in_float32_like_torch():
    x_np = np.random.default_rng(0).standard_normal((64, 300)).astype(np.float16)
    expected = np.cumsum(x_np.astype(np.float32), axis=1).astype(np.float16)
    out = sh.tensor(x_np).cumsum(1)
    assert out.dtype == sh.float16
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not np.array_equal(expected, np.cumsum(x_np, axis=1))  # float16 sums would differ


def test_prod_gradient_at_zeros_is_the_product_of_the_others():
    x = sh.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [2.0, 4.0, 0.5]], requires_grad=True)
    x.prod(dim=1).sum().backward()
    # one zero: 2 * 3 at the zero, 0 elsewhere; two zeros: all 0; no zero: prod / x
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 6, 0], [0, 0, 0], [2, 1, 8]])


def test_cumprod_gradient_at_zeros():
    x = sh.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    # out = [x0, x0 x1, x0 x1 x2, ...]; at x1 = 0: x0 + x0 x2 + x0 x2 x3 + x0 x2 x3 x4 = 2 + 6
    # at x0: 1 + x1 + ... = 1; after the first zero: 0
    np.testing.assert_array_equal(x.grad.numpy(), [1, 8, 0, 0, 0])


def test_softmax_of_large_inputs_does_not_overflow():
    out = sh.tensor([1000.0, 1000.0, -1000.0]).softmax(0)
    np.testing.assert_allclose(out.numpy(), [0.5, 0.5, 0.0])


# ------------------------------------------------------------------ property tests
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (lambda a, b: a.maximum(b), np.maximum),
    "atan2": (lambda a, b: a.atan2(b), np.arctan2),
    "hypot": (lambda a, b: a.hypot(b), np.hypot),
    "logaddexp": (lambda a, b: a.logaddexp(b), np.logaddexp),
    "fmin": (lambda a, b: a.fmin(b), np.fmin),
}


def _arrays_for(shapes, seed: int) -> list:
    rng = np.random.default_rng(seed)
    # away from 0 (div) and from each other (maximum has a kink at ties)
    return [rng.choice([-1, 1], s) * rng.uniform(0.5, 2.0, s) for s in shapes]


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=30, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_like_numpy_and_torch(op, shapes, seed):
    fn, np_fn = BINARY[op]
    arrays = _arrays_for(shapes.input_shapes, seed)
    xs = [sh.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    np.testing.assert_allclose(out.numpy(force=True), np_fn(*arrays), rtol=1e-12)
    assert out.shape == shapes.result_shape
    g = np.random.default_rng(seed + 1).standard_normal(shapes.result_shape)
    out.backward(sh.tensor(g))
    for x, a in zip(xs, arrays):
        assert x.grad.shape == a.shape
    if torch is not None:
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        fn(*ts).backward(torch.tensor(g))
        for x, t in zip(xs, ts):
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_where_broadcasts_like_numpy_and_torch(shapes, seed):
    cond_shape, a_shape, b_shape = shapes.input_shapes
    rng = np.random.default_rng(seed)
    cond = rng.random(cond_shape) < 0.5
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    xa, xb = sh.tensor(a, requires_grad=True), sh.tensor(b, requires_grad=True)
    out = sh.where(sh.tensor(cond), xa, xb)
    np.testing.assert_array_equal(out.numpy(force=True), np.where(cond, a, b))
    g = rng.standard_normal(shapes.result_shape)
    out.backward(sh.tensor(g))
    assert xa.grad.shape == a_shape and xb.grad.shape == b_shape
    if torch is not None:
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        torch.where(torch.tensor(cond), ta, tb).backward(torch.tensor(g))
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("exponent", [3, 4, 5, -3, -2, 3.0, 2, 2.5])
def test_whole_powers_of_negative_bases_match_numpy_and_torch(exponent):
    """x ** n for whole n goes through |x| ** n with the sign put back (NumPy's power is
    ~40x slower on negative bases), and x ** 3 is x * x * x, torch's own formula: within an
    ulp of NumPy, torch's bits for 3; signed zeros, infinities and NaN as NumPy's."""
    x = np.linspace(-np.pi, np.pi, 2001, dtype=np.float32)
    x[:5] = [-0.0, 0.0, -np.inf, np.inf, np.nan]
    t = sh.tensor(x, requires_grad=True)
    out = t**exponent
    with np.errstate(all="ignore"):
        expected = x.astype(np.float64) ** exponent
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=3e-7, atol=0)
    np.testing.assert_array_equal(np.signbit(out.detach().numpy()), np.signbit(expected))
    out.backward(sh.ones_like(out))
    with np.errstate(all="ignore"):
        slope = exponent * x.astype(np.float64) ** (exponent - 1)
    np.testing.assert_allclose(t.grad.numpy()[5:], slope[5:], rtol=3e-7)
    if torch is not None and exponent == 3:
        np.testing.assert_array_equal(out.detach().numpy(), (torch.from_numpy(x) ** 3).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last", [False, True])
def test_where_on_large_float_arrays_gives_numpys_bits(dtype, channels_last, monkeypatch):
    """where on arrays of 4096 values or more blends bits ((a & m) | (b & ~m)), without
    np.where: the same bits as np.where, NaN, inf and -0.0 included, in either layout."""
    from scratchish.ops.elementwise import _select

    rng = np.random.default_rng(11)
    shape = (4, 8, 16, 9)  # 4608 values
    a, b = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    a.flat[:4], b.flat[:4] = [np.nan, -0.0, np.inf, -np.inf], [-0.0, np.nan, 0.0, 1.0]
    cond = rng.random(shape) < 0.5
    cond.flat[:4] = [True, True, False, False]
    if channels_last:
        a, b, cond = (np.moveaxis(np.moveaxis(v, 1, -1).copy(), -1, 1) for v in (a, b, cond))
    expected = np.where(cond, a, b)
    out = sh.where(sh.tensor(cond), sh.from_numpy(a), sh.from_numpy(b)).numpy()
    monkeypatch.setattr(np, "where", None)  # the blend must not fall back to it
    bits = f"i{out.itemsize}"  # the same bits as integers: NaN == NaN, -0.0 != 0.0
    np.testing.assert_array_equal(_select(cond, a, b).view(bits), out.view(bits))
    monkeypatch.undo()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.view(bits), expected.view(bits))


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_a_reductions_gradient_keeps_its_inputs_channels_last_layout(op):
    """Squeeze-and-excite's x.mean((2, 3)) on a conv's channels-last output: the gradient
    spread back over x has x's layout (one in C order made every later op mix two)."""
    a = np.moveaxis(np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3), -1, 1)
    x = sh.from_numpy(a).requires_grad_()
    g = np.arange(6, dtype=np.float32).reshape(2, 3, 1, 1)
    getattr(x, op)((2, 3), keepdim=True).backward(sh.tensor(g))
    assert x.grad.numpy().strides == a.strides
    spread = np.broadcast_to(g / (20 if op == "mean" else 1), a.shape)
    np.testing.assert_array_equal(x.grad.numpy(), spread)
    y = sh.tensor(np.ascontiguousarray(a), requires_grad=True)  # C order stays C order
    getattr(y, op)().backward()
    assert y.grad.numpy().flags.c_contiguous


@pytest.mark.parametrize(
    "g",
    [[1.0, -2.0, 3.0, -4.0], [np.inf, np.nan, -2.0, -np.inf]],  # finite; inf and NaN in it
)
def test_where_sends_exact_zeros_to_the_side_not_taken(g):
    """where's backward multiplies by the mask when the gradient is finite (a masked -2
    gives -0.0, equal to 0); an inf or NaN gradient must still give 0 on the side not
    taken (inf * 0 would be NaN), as torch's."""
    cond = sh.tensor([True, False, True, False])
    a = sh.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = sh.tensor([5.0, 6.0, 7.0, 8.0], requires_grad=True)
    sh.where(cond, a, b).backward(sh.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), [g[0], 0.0, g[2], 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, g[1], 0.0, g[3]])


@settings(max_examples=15, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_gradcheck_of_broadcast_mul_div(shapes, seed):
    a, b = _arrays_for(shapes.input_shapes, seed)
    xs = [sh.tensor(a, requires_grad=True), sh.tensor(b, requires_grad=True)]
    assert gradcheck(lambda x, y: x * y / (y * y + 1), *xs)


@pytest.mark.parametrize("op", ["prod", "cumprod"])
@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple),
    zero_rate=st.sampled_from([0.0, 0.2, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_prod_and_cumprod_gradients_with_random_zeros_match_torch(op, shape, zero_rate, seed):
    if torch is None:
        pytest.skip("needs torch")
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape)
    a[rng.random(shape) < zero_rate] = 0.0  # zeros anywhere: none, one or several per slice
    dim = int(rng.integers(-len(shape), len(shape))) if shape else 0
    x, t = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, t_out = getattr(x, op)(dim), getattr(t, op)(dim)
    np.testing.assert_allclose(out.numpy(force=True), t_out.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(tuple(t_out.shape))
    out.backward(sh.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_relu_keeps_its_mask_only_when_a_gradient_may_be_asked():
    from scratchish.ops.elementwise import Relu

    x = np.array([-1.0, 0.0, 2.0])
    op = Relu()
    op.needs_input_grad = (False,)  # what apply sets under no_grad
    np.testing.assert_array_equal(op.forward(x), [0.0, 0.0, 2.0])
    assert not hasattr(op, "mask")
    op = Relu()  # called directly (needs_input_grad unset): keeps it, to be safe
    op.forward(x)
    np.testing.assert_array_equal(op.backward(np.ones(3)), [0.0, 0.0, 1.0])


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    data=st.data(),
)
def test_sum_into_axis_equals_add_at_for_any_index_along_one_axis(shape, data):
    """The backward of x[:, ..., :, index] adds, along that axis, the gradient of every
    position that picked index i into grad_x[..., i, ...]: as np.add.at, for sorted and
    unsorted indices, runs of equal and unequal lengths, indices never picked, negative ones,
    a 2-d index array and an empty one."""
    from scratchish.ops import movement

    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    index_shape = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=2))
    size = math.prod(index_shape)
    values = data.draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
    index = np.array(values, dtype=np.int64).reshape(index_shape)
    if data.draw(st.booleans()):
        index = np.sort(index % n, axis=None).reshape(index_shape)  # interpolate's kind
    rng = np.random.default_rng(0)
    out_shape = (*shape[:axis], *index_shape, *shape[axis + 1 :])
    grad_out = rng.standard_normal(out_shape)
    expected = np.zeros(shape)
    np.add.at(expected, (slice(None),) * axis + (index,), grad_out)
    got = movement.sum_into_axis(index, grad_out, tuple(shape), axis)
    assert got.shape == tuple(shape)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "index",
    [
        np.repeat(np.arange(4), 2),  # nearest upsampling by 2: runs of 2
        np.array([0, 0, 0, 1, 1, 2, 2, 3]),  # bilinear's left neighbours: uneven runs
        np.array([1, 1, 1, 2, 2, 3, 3, 3]),  # its right ones: index 0 never picked
        np.array([3, 0, 3, 1]),  # unsorted, 2 never picked
        np.array([[-1, 0], [2, -1]]),  # negative indices, a 2-d index: two dims in its place
    ],
)
def test_a_gather_along_an_axis_sends_its_gradient_back_as_torch(index):
    # forward through np.take, backward through sum_into_axis: values and gradient as torch's
    if torch is None:
        pytest.skip("needs torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    grad = np.random.default_rng(2).standard_normal((2, 3, 4, *index.shape))
    ours = sh.tensor(x, requires_grad=True)
    out = ours[:, :, :, sh.tensor(index)]
    out.backward(sh.tensor(grad))
    theirs = torch.tensor(x, requires_grad=True)
    t_out = theirs[:, :, :, torch.tensor(index)]
    t_out.backward(torch.tensor(grad))
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert type(ours[:, :, :, sh.tensor(index)].grad_fn).__name__ == "GetItem"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, index",
    [
        ((27, 10), np.array([[1, 5, 1], [26, 1, 0], [5, 5, 5]])),  # C[X]: repeated rows
        ((4, 2, 3), np.array([3, -1, 0, 3, -4])),  # negative indices, rows of matrices
        ((6,), np.array([2, 2, 2, 0])),  # a vector: each row is one number
        ((5, 3), np.array([], dtype=np.int64)),  # nothing picked: zero gradient
        ((3, 2), np.array([0, 2, 2], dtype=np.uint8)),
    ],
)
def test_scatter_add_rows_fast_path_matches_add_at(shape, index, dtype, monkeypatch):
    """The backward of x[int_array]: the one-hot product and the general np.add.at path
    both add the gradient rows of repeated indices."""
    from scratchish.ops import movement

    rng = np.random.default_rng(0)
    grad_out = rng.standard_normal(index.shape + shape[1:]).astype(dtype)
    expected = np.zeros(shape, dtype)
    np.add.at(expected, index, grad_out)
    fast = movement.scatter_add_rows(index, grad_out, shape)
    monkeypatch.setattr(movement, "_ONE_HOT_MAX", -1)  # force the add_rows path
    general = movement.scatter_add_rows(index, grad_out, shape)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)
    for got in (fast, general):
        assert got.shape == shape and got.dtype == dtype
        np.testing.assert_allclose(got, expected, **tol)
    np.testing.assert_array_equal(general, expected)  # add_rows adds in np.add.at's order
    # and through the engine: C[X] with X 2-D, as in the makemore MLP
    x = sh.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    x[sh.tensor(index)].backward(sh.tensor(grad_out))
    np.testing.assert_allclose(x.grad.numpy(), expected, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spread", ["uniform", "zipf"])
def test_add_rows_gives_add_ats_numbers(spread, dtype):
    """add_rows: runs of equal indices added round by round, or (runs longer than
    _MANY_TIMES, as a frequent word's) summed in order after out's row: np.add.at's bits,
    into a non-zero out, with negative indices and rows that are matrices."""
    from scratchish.ops.movement import _MANY_TIMES, add_rows

    rng = np.random.default_rng(7)
    n, m = 50, 3000
    if spread == "uniform":
        index = rng.integers(-n, n, m)
    else:  # heavy-tailed: a few rows used hundreds of times
        index = np.minimum(rng.zipf(1.3, m) - 1, n - 1) * rng.choice([1, -1], m)
    assert np.bincount(index % n).max() > _MANY_TIMES  # both paths run
    rows = rng.standard_normal((m, 4, 3)).astype(dtype)
    out = rng.standard_normal((n, 4, 3)).astype(dtype)
    expected = out.copy()
    np.add.at(expected, index, rows)
    add_rows(out, index, rows)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(IndexError, match="index 50 is out of bounds"):
        add_rows(out, np.array([3, 50]), rows[:2])


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_add_adds_repeated_slices_in_order(dim):
    rng = np.random.default_rng(dim)
    x_np = rng.standard_normal((6, 7, 8)).astype(np.float32)
    index = rng.integers(-x_np.shape[dim], x_np.shape[dim], 40)  # each slice used ~6 times
    shape = list(x_np.shape)
    shape[dim] = index.size
    source_np = rng.standard_normal(shape).astype(np.float32)
    x, source = (sh.tensor(a, requires_grad=True) for a in (x_np, source_np))
    out = x.index_add(dim, sh.tensor(index), source, alpha=0.5)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(sh.tensor(grad))
    expected = np.moveaxis(x_np.copy(), dim, 0)  # np.add.at's order: index by index
    np.add.at(expected, index, np.moveaxis(source_np * np.float32(0.5), dim, 0))
    np.testing.assert_array_equal(out.detach().numpy(), np.moveaxis(expected, 0, dim))
    np.testing.assert_array_equal(x.grad.numpy(), grad)
    np.testing.assert_array_equal(source.grad.numpy(), np.take(grad, index, axis=dim) * 0.5)
    if torch is not None:
        theirs = torch.tensor(x_np).index_add(
            dim, torch.tensor(index % x_np.shape[dim]), torch.tensor(source_np), alpha=0.5
        )
        np.testing.assert_array_equal(out.detach().numpy(), theirs.numpy())
    with pytest.raises(sh.ShapeError, match="one slice of source per index"):
        x.index_add(dim, sh.tensor([0, 1]), source)


@pytest.mark.parametrize("repeats", [False, True])
def test_scatter_add_by_flat_positions_gives_add_ats_numbers(repeats):
    # unique positions: one fancy-indexed add; repeated ones: add_rows, in np.add.at's order
    rng = np.random.default_rng(11)
    x_np = rng.standard_normal((20, 30)).astype(np.float32)
    if repeats:
        index = rng.integers(-30, 30, (20, 25))
    else:
        index = np.stack([rng.permutation(30)[:25] for _ in range(20)])
    src_np = rng.standard_normal((20, 25)).astype(np.float32)
    x, src = sh.tensor(x_np, requires_grad=True), sh.tensor(src_np, requires_grad=True)
    out = x.scatter_add(1, sh.tensor(index), src)
    grad = rng.standard_normal((20, 30)).astype(np.float32)
    out.backward(sh.tensor(grad))
    rows = np.arange(20)[:, None]
    expected = x_np.copy()
    np.add.at(expected, (rows, index), src_np)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(src.grad.numpy(), grad[rows, index])
    if torch is not None:
        theirs = torch.tensor(x_np).scatter_add(1, torch.tensor(index % 30), torch.tensor(src_np))
        np.testing.assert_array_equal(out.detach().numpy(), theirs.numpy())


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_embedding_gradient_of_a_large_vocabulary_gives_torchs_numbers():
    # 4,096 lookups into 1,000 rows: too many for the one-hot product, so add_rows
    rng = np.random.default_rng(3)
    tokens = np.minimum(rng.zipf(1.2, (64, 64)) - 1, 999)
    weight = rng.standard_normal((1000, 32)).astype(np.float32)
    grad = rng.standard_normal((64, 64, 32)).astype(np.float32)
    ours = sh.tensor(weight, requires_grad=True)
    sh.nn.functional.embedding(sh.tensor(tokens), ours).backward(sh.tensor(grad))
    theirs = torch.tensor(weight, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(tokens), theirs).backward(torch.tensor(grad))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        ((6, 5), (5,)),  # a scale per feature
        ((2, 3, 4, 5), (1, 3, 1, 1)),  # per channel, as x * gamma.view(1, -1, 1, 1)
        ((4, 1), (1, 5)),  # an outer product: both factors broadcast
        ((3, 1, 5), (4, 1)),  # size-1 axes on both sides, one of them kept
        ((3, 4), ()),  # a 0-d tensor
        ((2, 1, 3), (2, 1, 3)),  # nothing broadcast
    ],
)
def test_product_sum_is_unbroadcast_of_the_product(shape_a, shape_b):
    """Mul's backward sums a broadcast factor's gradient by one einsum (_product_sum)
    instead of making grad * other and summing it: the same values, shapes and dtypes."""
    from scratchish.autograd import unbroadcast
    from scratchish.ops.elementwise import _product_sum

    rng = np.random.default_rng(len(shape_a) + len(shape_b))
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = np.asarray(rng.standard_normal(shape_b), np.float64)  # mixed dtypes promote
    grad = rng.standard_normal(np.broadcast_shapes(shape_a, shape_b)).astype(np.float32)
    for other, shape in ((b, shape_a), (a, shape_b)):
        got, expected = _product_sum(grad, other, shape), unbroadcast(grad * other, shape)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    x, w = sh.tensor(a, requires_grad=True), sh.tensor(b.astype(np.float32), requires_grad=True)
    (x * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), unbroadcast(a * np.ones_like(grad), shape_b), 1e-5)


@pytest.mark.parametrize(
    ("grad_shape", "shape", "by_products"),
    [
        ((32, 8, 16, 16), (1, 8, 1, 1), True),  # a bias per channel: planes @ ones
        ((4096, 10), (10,), True),  # short rows: ones @ rows
        ((256, 128), (256, 1), True),  # a sum per row, kept as a column
        ((6, 64, 128), (64, 128), True),  # few long rows: ones @ rows too
        ((768, 512), (512,), True),  # a Linear layer's bias (the GPT's MLP)
        ((8, 16, 32), (16, 1), False),  # too small to pay for a BLAS call
    ],
)
def test_unbroadcast_sums_by_products_where_numpy_is_slow(grad_shape, shape, by_products):
    from scratchish.autograd import _sum_by_products, unbroadcast

    rng = np.random.default_rng(1)
    grad = rng.standard_normal(grad_shape).astype(np.float32)
    lead = len(grad_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1
    )
    assert (_sum_by_products(grad, axes) is not None) == by_products
    expected = grad.astype(np.float64).sum(axis=axes, keepdims=True).reshape(shape)
    got = unbroadcast(grad, shape)
    assert got.shape == shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    transposed = np.asfortranarray(grad)  # not C-contiguous: NumPy's sum, the same values
    assert _sum_by_products(transposed, axes) is None
    np.testing.assert_allclose(unbroadcast(transposed, shape), expected, rtol=1e-5, atol=1e-4)


def test_linear_sums_its_bias_gradient_by_a_product(monkeypatch):
    # NumPy's sum down the columns of grad_out took 2-4x a product with ones here
    from scratchish import autograd

    calls = []
    real = autograd._sum_by_products
    monkeypatch.setattr(
        autograd, "_sum_by_products", lambda g, axes: calls.append(axes) or real(g, axes)
    )
    rng = np.random.default_rng(2)
    x = sh.tensor(rng.standard_normal((4, 64, 32)).astype(np.float32), requires_grad=True)
    layer = sh.nn.Linear(32, 256)
    g = rng.standard_normal((4, 64, 256)).astype(np.float32)
    layer(x).backward(sh.tensor(g))
    assert calls == [(0,)]
    expected = g.astype(np.float64).reshape(-1, 256).sum(axis=0)
    np.testing.assert_allclose(layer.bias.grad.numpy(), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dim", [(0, 2, 3), 0, (0, 1), -1, None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean_over_some_axes_by_products(dim, keepdim):
    """Sum and Mean go through _sum: over (0, 2, 3) of a C-contiguous float array, products
    with ones; the values, shapes and dtypes of NumPy's sum and mean either way."""
    from scratchish.ops.reduce import _sum

    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((16, 8, 12, 12)).astype(np.float32)
    expected = x_np.astype(np.float64).sum(axis=dim, keepdims=keepdim)
    got = _sum(x_np, dim, keepdim)
    assert np.shape(got) == np.shape(expected) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    x = sh.tensor(x_np)
    total = x.sum(dim, keepdim=keepdim) if dim is not None else x.sum()
    mean = x.mean(dim, keepdim=keepdim) if dim is not None else x.mean()
    np.testing.assert_allclose(total.numpy(), expected, rtol=1e-5, atol=1e-3)
    n = x_np.size // max(np.size(expected), 1)
    np.testing.assert_allclose(mean.numpy(), expected / n, rtol=1e-5, atol=1e-5)
    if dim is not None:  # float16: np.mean, which adds in float32
        half = sh.tensor(x_np.astype(np.float16)).mean(dim, keepdim=keepdim)
        ref = x_np.astype(np.float16).mean(axis=dim, keepdims=keepdim)
        np.testing.assert_array_equal(half.numpy(), ref)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((8, 6, 5, 5), (1, 6, 1, 1)), ((40, 30), (30,)), ((4, 7, 9), (4, 7, 1)), ((), (5,))],
)
def test_division_by_a_broadcast_tensor_sums_its_gradient_first(shape_a, shape_b):
    # dL/db = -sum(g a) / b^2 over the broadcast axes (b is constant along them)
    rng = np.random.default_rng(9)
    a_np = rng.standard_normal(shape_a)
    b_np = rng.random(shape_b) + 0.5
    grad = rng.standard_normal(np.broadcast_shapes(shape_a, shape_b))
    a, b = sh.tensor(a_np, requires_grad=True), sh.tensor(b_np, requires_grad=True)
    (a / b).backward(sh.tensor(grad))
    lead = grad.ndim - len(shape_b)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape_b) if n == 1 and grad.shape[lead + i] != 1
    )
    expected = (-grad * a_np / b_np**2).sum(axis=axes, keepdims=True).reshape(shape_b)
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        a.grad.numpy(), (grad / b_np).sum(axis=tuple(range(grad.ndim - a_np.ndim))), rtol=1e-12
    )


def test_filled_matches_the_layout_of_its_model_array():
    from scratchish.ops.elementwise import filled

    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 4, 5, 3).transpose(0, 3, 1, 2)
    zeros = filled(0.0, x)  # channels-last, as a conv output
    assert zeros.strides == x.strides and not zeros.flags.writeable
    assert np.array_equal(zeros, np.zeros(x.shape, np.float32))
    t = (sh.tensor(x.transpose(0, 2, 3, 1).copy()) - 60).permute(0, 3, 1, 2)
    for view in (t, t[:, :, ::2], t[:, 1:, :, 1:], t[:, 1]):
        assert not view.numpy().flags.c_contiguous
        np.testing.assert_array_equal(view.relu().numpy(), np.maximum(view.numpy(), 0))
    assert filled(4.0, np.ones((3, 2))).tolist() == [[4.0, 4.0]] * 3


def test_filled_repeats_one_row_for_arrays_past_its_size():
    # past FILLED_UP_TO bytes an array of zeros would cost more memory traffic than it saves:
    # a dense array gets one row of its innermost axes, repeated (stride 0) along the others
    from scratchish.ops.elementwise import FILLED_MIN_ROW, FILLED_ROW, FILLED_UP_TO, filled

    small = np.zeros(FILLED_UP_TO // 4, np.float32)
    big = np.linspace(-1, 1, FILLED_UP_TO // 4 + 1, dtype=np.float32)
    assert filled(0, small).shape == small.shape and filled(0, small).strides == (4,)
    assert filled(0, big).shape == () and filled(0, big).dtype == np.float32  # no row fits
    images = np.resize(big, FILLED_UP_TO // 2).reshape(16, 64, 32, 8)
    channels_last = images.transpose(0, 3, 1, 2)  # memory order N, H, W, C: rows of H * W * C
    row = filled(-4.0, channels_last)
    assert row.shape == channels_last.shape and not row.flags.writeable
    assert row.strides == (0, 4, 32 * 8 * 4, 8 * 4)
    assert np.shares_memory(row[0], row[15]) and np.array_equal(row, np.full(row.shape, -4.0))
    wide = np.resize(big, (4, FILLED_ROW // 8, 8))  # rows of FILLED_ROW values exactly
    assert filled(1.0, wide).strides == (0, 8 * 4, 4)
    narrow = np.resize(big, (FILLED_UP_TO, FILLED_MIN_ROW - 1))  # rows too short: the scalar
    assert filled(0, narrow).shape == ()
    every_other = np.resize(big, FILLED_UP_TO)[::2]
    assert filled(0, every_other).shape == ()  # a strided view has no row to repeat
    for x in (big, channels_last, wide, narrow, every_other):
        # relu and gelu clip by it: the same numbers either way
        np.testing.assert_array_equal(sh.tensor(x).relu().numpy(), np.maximum(x, 0))


@pytest.mark.parametrize("bounds", [(0, None), (None, 0.5), (-0.25, 0.25), (-0.0, None)])
def test_clamp_by_filled_bounds_gives_numpys_numbers(bounds):
    # clamp compares with filled() rows for number bounds; the numbers, zeros' signs too,
    # are np.maximum's / np.minimum's with the plain bound
    low, high = bounds
    x = np.random.default_rng(0).standard_normal((8, 24, 24, 32), dtype=np.float32)
    x[0, 0, 0, :4] = [0.0, -0.0, np.nan, -np.inf]
    x = x.transpose(0, 3, 1, 2)  # channels-last, past FILLED_UP_TO bytes
    expected = x if low is None else np.maximum(x, np.float32(low))
    expected = expected if high is None else np.minimum(expected, np.float32(high))
    out = sh.tensor(x).clamp(min=low, max=high).numpy()
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    assert np.array_equal(np.signbit(out), np.signbit(expected))


def test_clamp_compares_small_tensors_with_the_plain_number():
    # the checks before filled() cost more than they save on a few values: kept for large x
    from scratchish.ops.elementwise import _FILLED_PAYS_FROM, _bound

    small, large = np.zeros(4, np.float32), np.zeros(_FILLED_PAYS_FROM, np.float32)
    assert _bound(0.5, small) == 0.5 and np.ndim(_bound(0.5, small)) == 0
    assert _bound(0.5, large).shape == large.shape and _bound(0.5, large)[0] == np.float32(0.5)
    assert np.ndim(_bound(-0.0, large)) == 0 and np.ndim(_bound(1e300, large)) == 0
    assert _bound(np.float32(2), large).dtype == np.float32


def test_log_sigmoid_and_bce_clamps_take_filled_only_for_large_arrays():
    from scratchish.ops.elementwise import _FILLED_PAYS_FROM, against

    small, large = np.ones(8, np.float32), np.ones((4, _FILLED_PAYS_FROM // 4), np.float32)
    assert against(0, small) == 0 and np.ndim(against(0, small)) == 0
    assert against(-100, large).shape == large.shape and (against(-100, large) == -100).all()
    # either way min(x, 0): log-sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), the tail 0 here
    x = np.array([-200.0, 200.0] * 4, np.float32)
    for n in (1, _FILLED_PAYS_FROM // 8):
        out = sh.nn.functional.logsigmoid(sh.tensor(np.tile(x, n))).numpy()
        np.testing.assert_array_equal(out, np.tile(np.float32([-200.0, 0.0] * 4), n))


@pytest.mark.parametrize(
    "equation, shapes, blas",
    [
        ("ij,kj->ik", [(40, 50), (36, 50)], True),  # a matrix product: BLAS
        ("bhqd,bhkd->bhqk", [(2, 3, 32, 16), (2, 3, 40, 16)], True),  # attention's scores
        ("ij,j->i", [(300, 400), (400,)], False),  # by a vector
        ("ij,ij->i", [(300, 400), (300, 400)], False),  # elementwise, then summed
        ("ik,kj->ij", [(4, 5), (5, 6)], False),  # too small to pay for the planning
    ],
)
def test_einsum_hands_large_matrix_products_to_blas(equation, shapes, blas, monkeypatch):
    """Two-operand einsums that are matrix products of 2^16 multiply-adds or more run through
    np.einsum's optimize (BLAS), forward and backward; the others through its own loops.
    Either way the values and gradients are the plain einsum's."""
    rng = np.random.default_rng(12)
    arrays = [rng.standard_normal(s) for s in shapes]
    tensors = [sh.tensor(a, requires_grad=True) for a in arrays]
    calls = []
    real = np.einsum

    def spy(*args, optimize=False, **kwargs):
        calls.append(bool(optimize))
        return real(*args, optimize=optimize, **kwargs)

    monkeypatch.setattr(np, "einsum", spy)
    out = sh.einsum(equation, *tensors)
    g = rng.standard_normal(tuple(out.shape))
    out.backward(sh.tensor(g))
    monkeypatch.undo()
    assert calls == [blas] * 3  # forward, and each operand's gradient
    np.testing.assert_allclose(out.detach().numpy(), np.einsum(equation, *arrays), rtol=1e-12)
    left, result = equation.split("->")
    a_letters, b_letters = left.split(",")
    grad_a = np.einsum(f"{result},{b_letters}->{a_letters}", g, arrays[1])
    np.testing.assert_allclose(tensors[0].grad.numpy(), grad_a, rtol=1e-12, atol=1e-12)
