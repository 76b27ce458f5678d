"""affine_grid and grid_sample against PyTorch (every mode, padding mode and corner
convention, values and gradients into the image and the grid), against finite differences,
and on images whose samples can be worked out by hand."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish.errors import ArgumentError, ShapeError, UnsupportedError
from scratchish.nn import functional as F

torch = optional_torch()


def _sample(**kwargs):
    return lambda lib, x, grid: lib.nn.functional.grid_sample(x, grid, **kwargs)


def _grid_of(**kwargs):
    return lambda lib, theta: lib.nn.functional.affine_grid(theta, (2, 3, 4, 5), **kwargs)


def _spatial_transformer(lib, x, theta):  # the tutorial's pair: a grid from theta, then sample
    grid = lib.nn.functional.affine_grid(theta, tuple(x.shape), align_corners=False)
    return lib.nn.functional.grid_sample(x, grid, align_corners=False)


# grids reach beyond [-1, 1] (ranges -1.6..1.6) so that every padding mode has work to do
_CASES = [
    OpCase(
        f"grid_sample_{mode}_{padding}_{'corners' if corners else 'edges'}",
        _sample(mode=mode, padding_mode=padding, align_corners=corners),
        [(2, 3, 4, 5), (2, 3, 6, 2)],
        ranges=[(-2.0, 2.0), (-1.6, 1.6)],
        # nearest: piecewise constant, no gradient into the grid (torch gives zeros too)
        requires_grad=(True, mode == "bilinear"),
    )
    for mode in ("bilinear", "nearest")
    for padding in ("zeros", "border", "reflection")
    for corners in (False, True)
]
GRID_CASES = register_op_cases(
    *_CASES,
    OpCase("affine_grid_edges", _grid_of(align_corners=False), [(2, 2, 3)]),
    OpCase("affine_grid_corners", _grid_of(align_corners=True), [(2, 2, 3)]),
    OpCase(
        "spatial_transformer",
        _spatial_transformer,
        [(2, 2, 5, 6), (2, 2, 3)],
        ranges=[(-2.0, 2.0), (-0.9, 0.9)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", GRID_CASES, ids=str)
def test_grid_sampling_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", GRID_CASES, ids=str)
def test_grid_sampling_gradcheck(case):
    check_gradcheck(case)


def _image():
    return sh.arange(12.0).reshape(1, 1, 3, 4)  # rows [0 1 2 3], [4 5 6 7], [8 9 10 11]


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_the_identity_map_gives_the_image_back(corners, mode):
    identity = sh.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    grid = F.affine_grid(identity, (1, 1, 3, 4), align_corners=corners)
    out = F.grid_sample(_image(), grid, mode=mode, align_corners=corners)
    np.testing.assert_allclose(out.numpy(), _image().numpy(), atol=1e-5)


def test_samples_worked_out_by_hand():
    image = _image()
    # align_corners=True: x = -1 is column 0's centre, x = 1 column 3's; y likewise rows 0..2.
    # (x, y) = (-1/3, 0) is column 1, row 1 exactly: 5. (0, 0) is column 1.5, row 1: 5.5.
    points = sh.tensor([[[[-1 / 3, 0.0], [0.0, 0.0], [1.0, 1.0]]]])
    out = F.grid_sample(image, points, align_corners=True).numpy().ravel()
    np.testing.assert_allclose(out, [5.0, 5.5, 11.0], atol=1e-5)
    # align_corners=False: the edges sit at -1 and 1, so x = 1 is half a pixel right of
    # column 3's centre: half of it is the zeros outside (5.5), the border pixel (11), its
    # mirror image (11)
    corner = sh.tensor([[[[1.0, 1.0]]]])
    by_mode = {
        padding: F.grid_sample(image, corner, padding_mode=padding).item()
        for padding in ("zeros", "border", "reflection")
    }
    assert by_mode == pytest.approx({"zeros": 11 / 4, "border": 11.0, "reflection": 11.0})
    # nearest rounds halves to even, as torch: u = 1.5 -> column 2, u = 2.5 -> column 2
    halves = sh.tensor([[[[0.0, 0.0], [0.5, 0.0]]]])  # u = 1.5 and 2.5 on row 1
    nearest = F.grid_sample(image, halves, mode="nearest", align_corners=True)
    assert nearest.numpy().ravel().tolist() == [6.0, 6.0]


def test_gradients_flow_into_the_image_and_the_map():
    # a learnable shift: moving the sampling points right by a quarter of the image raises
    # every sample of a left-to-right ramp, so d(sum)/d(theta[0, 2]) is positive; the image
    # gets the weights back (they sum to one per sample inside the image)
    ramp = sh.arange(8.0).reshape(1, 1, 1, 8).expand(1, 1, 4, 8).contiguous()
    ramp.requires_grad_(True)
    theta = sh.tensor([[[0.5, 0.0, 0.25], [0.0, 0.5, 0.0]]], requires_grad=True)
    out = F.grid_sample(
        ramp, F.affine_grid(theta, (1, 1, 4, 8), align_corners=True), align_corners=True
    )
    out.sum().backward()
    # d out / d x = 3.5 pixels per unit of x (align_corners: (8 - 1) / 2), for all 32 samples
    assert theta.grad[0, 0, 2].item() == pytest.approx(32 * 3.5, rel=1e-5)
    assert ramp.grad.sum().item() == pytest.approx(32.0, rel=1e-5)


def test_bad_inputs_explain():
    image = _image()
    with pytest.raises(ShapeError, match=r"grid \(N, Ho, Wo, 2\)"):
        F.grid_sample(image, sh.zeros(1, 2, 2, 3))
    with pytest.raises(ShapeError, match="grid.expand"):
        F.grid_sample(image.expand(2, 1, 3, 4), sh.zeros(1, 2, 2, 2))
    with pytest.raises(UnsupportedError, match="bicubic"):
        F.grid_sample(image, sh.zeros(1, 2, 2, 2), mode="bicubic")
    with pytest.raises(ArgumentError, match="'zeros', 'border' or 'reflection'"):
        F.grid_sample(image, sh.zeros(1, 2, 2, 2), padding_mode="wrap")
    with pytest.raises(ArgumentError, match=r"grid\.to\(input\.dtype\)"):
        F.grid_sample(image, sh.zeros(1, 2, 2, 2, dtype=sh.float64))
    with pytest.raises(ShapeError, match=r"theta\.expand\(2, 2, 3\)"):
        F.affine_grid(sh.zeros(1, 2, 3), (2, 1, 3, 4))
    with pytest.raises(ArgumentError, match=r"affine_grid\(theta, x\.size\(\)\)"):
        F.affine_grid(sh.zeros(1, 2, 3), None)
    with pytest.raises(UnsupportedError, match="5-D"):
        F.affine_grid(sh.zeros(1, 3, 4), (1, 1, 2, 3, 4))


def test_the_docstring_examples_run():
    import doctest

    from scratchish.nn import sampling

    result = doctest.testmod(sampling)
    assert result.attempted >= 2 and result.failed == 0
