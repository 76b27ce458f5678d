"""interpolate and the Upsample layers against PyTorch: every mode, size or scale_factor,
align_corners both ways, values and gradients, module reprs, errors."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()


def _resize(**kwargs):
    return lambda lib, x: lib.nn.functional.interpolate(x, **kwargs)


RESIZE_CASES = register_op_cases(
    OpCase("interpolate_nearest_x2", _resize(scale_factor=2), [(2, 3, 3, 4)]),
    OpCase("interpolate_nearest_size", _resize(size=(5, 7)), [(1, 2, 3, 4)]),
    OpCase("interpolate_nearest_down", _resize(scale_factor=0.6), [(1, 2, 6, 5)]),
    OpCase(
        "interpolate_nearest_exact",
        _resize(size=(4, 7), mode="nearest-exact"),
        [(1, 2, 3, 5)],
    ),
    OpCase("interpolate_nearest_1d", _resize(scale_factor=1.5), [(2, 3, 5)]),
    OpCase(
        "interpolate_bilinear",
        _resize(scale_factor=2, mode="bilinear"),
        [(2, 2, 3, 4)],
    ),
    OpCase(
        "interpolate_bilinear_corners",
        _resize(size=(5, 6), mode="bilinear", align_corners=True),
        [(1, 2, 3, 4)],
    ),
    OpCase(
        "interpolate_bilinear_down",
        _resize(scale_factor=(0.5, 0.7), mode="bilinear"),
        [(1, 2, 6, 7)],
    ),
    OpCase(
        "interpolate_bilinear_recompute",
        _resize(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
        [(1, 1, 4, 5)],
    ),
    OpCase(
        "interpolate_linear",
        _resize(size=7, mode="linear"),
        [(2, 3, 4)],
    ),
    OpCase(
        "interpolate_linear_corners_to_one",
        _resize(size=1, mode="linear", align_corners=True),
        [(2, 3, 4)],
    ),
    OpCase("interpolate_area", _resize(size=(2, 3), mode="area"), [(1, 2, 5, 7)]),
    # bicubic: four neighbours per axis with Keys' weights (a = -0.75), edges repeated
    OpCase("interpolate_bicubic_x2", _resize(scale_factor=2, mode="bicubic"), [(2, 2, 3, 4)]),
    OpCase(
        "interpolate_bicubic_corners",
        _resize(size=(7, 5), mode="bicubic", align_corners=True),
        [(1, 2, 4, 3)],
    ),
    OpCase(
        "interpolate_bicubic_down",
        _resize(scale_factor=(0.6, 0.8), mode="bicubic"),
        [(1, 1, 7, 6)],
    ),
    # antialias: each output averages the inputs under a filter widened by the shrink factor
    OpCase(
        "interpolate_bilinear_antialias_down",
        _resize(size=(3, 4), mode="bilinear", antialias=True),
        [(2, 2, 8, 11)],
    ),
    OpCase(
        "interpolate_bicubic_antialias_down",
        _resize(scale_factor=0.4, mode="bicubic", antialias=True),
        [(1, 2, 9, 12)],
    ),
    OpCase(
        "interpolate_bilinear_antialias_up",
        _resize(size=(7, 5), mode="bilinear", antialias=True),
        [(1, 2, 3, 4)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", RESIZE_CASES, ids=str)
def test_interpolate_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", RESIZE_CASES, ids=str)
def test_interpolate_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear"])
@pytest.mark.parametrize("factor", [0.3, 0.5, 1.3, 1.7, 2.5, 3])
def test_interpolate_scale_factors_pick_torchs_pixels(mode, factor):
    # float32 index arithmetic, as PyTorch: with float64, output column 39 of 31 columns
    # scaled by 1.3 would copy column 29 instead of PyTorch's 30
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(0).standard_normal((1, 1, 10, 31)).astype(np.float32)
    out = F.interpolate(sh.tensor(a), scale_factor=factor, mode=mode)
    tout = torch.nn.functional.interpolate(torch.tensor(a), scale_factor=factor, mode=mode)
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "shape, settings",
    [
        ((3, 4, 6, 5), dict(scale_factor=2)),
        ((2, 3, 7, 9), dict(size=(4, 13), align_corners=True)),
        ((2, 3, 8), dict(scale_factor=0.6)),
        ((2, 3, 1, 5), dict(size=(3, 1))),
    ],
)
def test_linear_resize_op_equals_the_gathers_composed(shape, settings, monkeypatch):
    # ops/movement.py LinearResize (all axes in one op, blocks of planes) against what
    # interpolate was before it: per axis w0 * x[..., i0] + w1 * x[..., i1] as tensor ops.
    # Blocks of one plane, so the blocked path runs many times.
    from scratchish.nn.upsampling import _linear_neighbours
    from scratchish.ops import movement

    monkeypatch.setattr(movement, "RESIZE_BLOCK_BYTES", 1)
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape)
    mode = "linear" if len(shape) == 3 else "bilinear"
    x1, x2 = sh.tensor(a, requires_grad=True), sh.tensor(a, requires_grad=True)
    fused = F.interpolate(x1, mode=mode, **settings)
    assert type(fused.grad_fn).__name__ == "LinearResize"
    composed = x2
    for axis, n_out in enumerate(fused.shape[2:]):
        dim, n_in = 2 + axis, shape[2 + axis]
        scale, corners = settings.get("scale_factor"), settings.get("align_corners", False)
        i0, i1, w0, w1 = _linear_neighbours(n_in, n_out, scale, corners, np.float64)
        index = (slice(None),) * dim
        along = (-1,) + (1,) * (len(shape) - dim - 1)
        composed = composed[index + (i0,)] * sh.tensor(w0.reshape(along)) + composed[
            index + (i1,)
        ] * sh.tensor(w1.reshape(along))
    g = sh.tensor(rng.standard_normal(tuple(fused.shape)))
    fused.backward(g)
    composed.backward(g)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_upsample_modules_match_torch():
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    for make in [
        lambda m: m.Upsample(scale_factor=2),
        lambda m: m.Upsample(size=(6, 9), mode="bilinear"),
        lambda m: m.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
        lambda m: m.Upsample(size=7, mode="nearest-exact"),
        lambda m: m.UpsamplingNearest2d(scale_factor=2),
        lambda m: m.UpsamplingBilinear2d(size=(3, 3)),
    ]:
        module, tmodule = make(nn), make(torch.nn)
        assert repr(module) == repr(tmodule)
        np.testing.assert_allclose(
            module(sh.tensor(a)).numpy(), tmodule(torch.tensor(a)).numpy(), rtol=1e-12
        )


def test_interpolate_errors_teach():
    x = sh.zeros(1, 2, 3, 3)
    with pytest.raises(sh.ArgumentError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(sh.ArgumentError, match="exactly one"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(sh.ArgumentError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(sh.UnsupportedError, match="'linear'"):
        F.interpolate(sh.zeros(1, 2, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(sh.UnsupportedError, match="mode='bicubic' with a 3-D input"):
        F.interpolate(sh.zeros(1, 2, 3), scale_factor=2, mode="bicubic")
    with pytest.raises(sh.UnsupportedError, match="unsqueeze"):
        F.interpolate(sh.zeros(3, 4), scale_factor=2)
    with pytest.raises(sh.ShapeError, match="2 spatial dims"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(sh.ArgumentError, match="unknown mode"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(sh.ArgumentError, match="antialias=True works with mode='bilinear'"):
        F.interpolate(x, size=2, mode="nearest", antialias=True)


def test_antialiased_shrink_is_a_mean_over_the_filter():
    # halving 4 pixels with the triangle widened to 2 pixels: output 0 is centred at 1.0 and
    # weighs inputs 0, 1, 2 by (1 - |j + 0.5 - 1| / 2) = 0.75, 0.75, 0.25, normalized
    x = sh.tensor([[[[1.0, 2.0, 3.0, 4.0]]]])
    out = F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)
    np.testing.assert_allclose(
        out.numpy()[0, 0, 0],
        [(0.75 + 1.5 + 0.75) / 1.75, (0.25 * 2 + 0.75 * 3 + 0.75 * 4) / 1.75],
        rtol=1e-6,
    )
    # without the filter, bilinear samples between two pixels and skips the others
    plain = F.interpolate(x, size=(1, 2), mode="bilinear")
    np.testing.assert_allclose(plain.numpy()[0, 0, 0], [1.5, 3.5])
    # a constant image stays constant: every row of weights sums to 1
    flat = F.interpolate(sh.full((1, 1, 9, 13), 3.0), size=(4, 5), mode="bicubic", antialias=True)
    np.testing.assert_allclose(flat.numpy(), 3.0, rtol=1e-6)
