"""Op-table rows for the convolution, pooling and batch-norm primitives of ops/conv.py.

Each row runs through the shared helpers: parity with torch (values and gradients, float64
and float32) and a float64 gradcheck. The detailed tests are in test_conv.py and
test_batchnorm.py.
"""

import pytest

from helpers import OpCase, check_gradcheck, check_parity, register_op_cases


def _batch_norm(lib, x, w, b):
    # training mode: batch statistics (running stats are checked in test_batchnorm.py)
    return lib.nn.functional.batch_norm(x, None, None, w, b, training=True)


CONV_OP_CASES = register_op_cases(
    OpCase(
        "conv2d",
        lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=2, padding=1),
        [(2, 3, 6, 5), (4, 3, 3, 2), (4,)],
    ),
    OpCase(
        "conv2d_dilated",
        lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding="same", dilation=2),
        [(1, 2, 7, 7), (3, 2, 3, 3)],
    ),
    OpCase(
        "conv2d_depthwise",  # groups = C_in: the DepthwiseConv op, 2 filters per channel
        lambda lib, x, w, b: lib.nn.functional.conv2d(
            x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=3
        ),
        [(2, 3, 6, 5), (6, 1, 3, 2), (6,)],
    ),
    OpCase(
        "conv3d_depthwise",
        lambda lib, x, w: lib.nn.functional.conv3d(x, w, padding=(0, 1, 1), groups=2),
        [(1, 2, 3, 4, 3), (2, 1, 2, 3, 2)],
    ),
    OpCase(
        "conv_transpose2d",
        lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(
            x, w, b, stride=2, padding=1, output_padding=1
        ),
        [(2, 3, 4, 3), (3, 4, 3, 2), (4,)],
    ),
    OpCase(
        "conv3d",
        lambda lib, x, w, b: lib.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
        [(2, 3, 3, 4, 3), (2, 3, 2, 3, 2), (2,)],
    ),
    OpCase(
        "conv_transpose3d",
        lambda lib, x, w, b: lib.nn.functional.conv_transpose3d(x, w, b, stride=2, padding=1),
        [(1, 2, 2, 3, 2), (2, 3, 3, 2, 3), (3,)],
    ),
    OpCase(
        "max_pool3d",
        lambda lib, x: lib.nn.functional.max_pool3d(x, 2, stride=1, padding=1),
        [(1, 2, 3, 4, 3)],
    ),
    OpCase(
        "avg_pool3d",
        lambda lib, x: lib.nn.functional.avg_pool3d(x, 3, stride=2, padding=1),
        [(2, 2, 4, 5, 3)],
    ),
    OpCase("max_pool2d", lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [(2, 3, 6, 4)]),
    OpCase(
        "max_pool2d_general",
        lambda lib, x: lib.nn.functional.max_pool2d(x, 3, stride=2, padding=1),
        [(1, 2, 7, 6)],
    ),
    OpCase("avg_pool2d", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), [(2, 3, 6, 4)]),
    OpCase(
        "adaptive_avg_pool2d",
        lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (2, 3)),
        [(2, 3, 5, 7)],
    ),
    OpCase("batch_norm", _batch_norm, [(4, 3, 2, 2), (3,), (3,)]),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CONV_OP_CASES, ids=str)
def test_conv_op_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", CONV_OP_CASES, ids=str)
def test_conv_op_gradcheck(case):
    check_gradcheck(case)
