"""rotate, affine, RandomRotation and RandomAffine: turns and shifts worked out by hand, Pillow
and tensor images agreeing, and the random ones drawing what torchvision draws.

(Checked once against torchvision 0.28's own code, outside the tests, which cannot import
torchvision: tensor results equal to float32 rounding, nearest-neighbour ones exactly, uint8
bilinear ones within one level where a sample falls on a rounding tie.)"""

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish.errors import ArgumentError, UnsupportedError
from scratchish.vision import transforms as T
from scratchish.vision.transforms import functional as TF

Image = pytest.importorskip("PIL.Image")
torch = optional_torch()


def _square():
    return sh.arange(2 * 5 * 5.0).reshape(2, 5, 5)


@pytest.mark.parametrize("angle", [90, -90, 180, 270])
def test_quarter_turns_are_rot90(angle):
    x = _square()
    turned = TF.rotate(x, angle).numpy()  # counter-clockwise, as Pillow
    np.testing.assert_array_equal(turned, np.rot90(x.numpy(), angle // 90, axes=(1, 2)))
    image = Image.fromarray(x.numpy()[0].astype(np.uint8))
    np.testing.assert_array_equal(np.asarray(TF.rotate(image, angle)), turned[0])


def test_a_turn_about_another_centre_and_the_fill():
    x = _square()[:1]
    # about the top-left pixel's corner (0, 0), a half turn sends everything off the image
    # except nothing: every output pixel reads outside, so all of it is the fill
    assert (TF.rotate(x, 180, center=[0, 0], fill=[7.0]).numpy() == 7).all()
    # a small turn about the middle keeps the middle pixel and fills the corners
    turned = TF.rotate(x, 45, fill=[-1.0]).numpy()[0]
    assert turned[2, 2] == x.numpy()[0, 2, 2]
    assert turned[0, 0] == turned[0, 4] == turned[4, 0] == turned[4, 4] == -1


def test_affine_moves_scales_and_shears():
    x = sh.arange(12.0).reshape(1, 3, 4)  # rows [0 1 2 3], [4 5 6 7], [8 9 10 11]
    shifted = TF.affine(x, angle=0, translate=(2, 1), scale=1.0, shear=0).numpy()[0]
    assert shifted.tolist() == [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 4, 5]]
    image = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    np.testing.assert_array_equal(np.asarray(TF.affine(image, 0, (2, 1), 1.0, 0)), shifted)
    # scale 2 about the middle of a 4x4 image: each of the 2x2 middle pixels covers 2x2
    y = sh.arange(16.0).reshape(1, 4, 4)
    zoomed = TF.affine(y, 0, (0, 0), 2.0, 0).numpy()[0]
    assert zoomed.tolist() == [[5, 5, 6, 6], [5, 5, 6, 6], [9, 9, 10, 10], [9, 9, 10, 10]]
    # a shear along x slides each row sideways in proportion to its distance from the
    # middle row: tan(30 deg) = 0.58 pixel a row, so rows 0 and 4 move 1.15 pixels (one,
    # rounded), rows 1 and 3 0.58 (one), the middle row not at all; above it right, below left
    z = sh.arange(25.0).reshape(1, 5, 5)
    sheared = TF.affine(z, 0, (0, 0), 1.0, shear=30.0).numpy()[0]
    rows = z.numpy()[0]
    assert sheared[2].tolist() == rows[2].tolist()
    assert sheared[0].tolist() == [0, *rows[0, :4]] and sheared[1].tolist() == [0, *rows[1, :4]]
    assert sheared[4].tolist() == [*rows[4, 1:], 0] and sheared[3].tolist() == [*rows[3, 1:], 0]


@pytest.mark.parametrize("shear_x", [0.0, 20.0])
def test_the_inverse_matrix_undoes_the_map(shear_x):
    # the forward map composed by hand, about (cx, cy): move to the centre, shear along x,
    # scale, rotate, move back and translate; inverse_affine_matrix must undo it
    from scratchish.vision.transforms._affine import inverse_affine_matrix

    angle, (tx, ty), s, (cx, cy) = 30.0, (3.0, -2.0), 1.5, (4.0, 6.0)
    r, k = np.radians(angle), np.tan(np.radians(shear_x))
    rotate = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    shear = np.array([[1, -k, 0], [0, 1, 0], [0, 0, 1]])
    scale = np.diag([s, s, 1.0])
    to_centre, from_centre = np.eye(3), np.eye(3)
    to_centre[:2, 2], from_centre[:2, 2] = (-cx, -cy), (cx + tx, cy + ty)
    forward = from_centre @ rotate @ scale @ shear @ to_centre
    inverse = inverse_affine_matrix((cx, cy), angle, (tx, ty), s, (shear_x, 0.0))
    inverse = np.vstack([np.reshape(inverse, (2, 3)), [0, 0, 1]])
    np.testing.assert_allclose(inverse @ forward, np.eye(3), atol=1e-12)


def test_expand_grows_the_output_to_hold_the_turned_image():
    x = sh.ones(1, 10, 10)
    grown = TF.rotate(x, 45, expand=True)
    # a 10x10 square turned 45 degrees spans 10 * sqrt(2) = 14.14 pixels, from -2.07 to
    # 12.07 of the old frame: whole pixels from -3 to 13, 16 (Pillow's rule)
    assert grown.shape == (1, 16, 16)
    assert grown.numpy()[0, 8, 8] == 1 and grown.numpy()[0, 0, 0] == 0
    image = Image.fromarray(np.ones((10, 10), dtype=np.uint8))
    assert np.asarray(TF.rotate(image, 45, expand=True)).shape == (16, 16)


def test_uint8_tensors_are_rounded_back():
    x = (sh.arange(25.0).reshape(1, 5, 5) * 10).to(sh.uint8)
    turned = TF.rotate(x, 30, interpolation=T.InterpolationMode.BILINEAR)
    assert turned.dtype == sh.uint8
    as_float = TF.rotate(x.float(), 30, interpolation=T.InterpolationMode.BILINEAR)
    np.testing.assert_array_equal(turned.numpy(), np.round(as_float.numpy()).astype(np.uint8))


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_random_rotation_and_affine_draw_what_torchvision_draws():
    x = sh.rand(3, 8, 9)
    for seed in range(3):
        torch.manual_seed(seed)
        angle = torch.empty(1).uniform_(-25.0, 25.0).item()
        sh.manual_seed(seed)
        np.testing.assert_array_equal(
            T.RandomRotation(25)(x).numpy(), TF.rotate(x, angle, fill=[0.0] * 3).numpy()
        )
        # RandomAffine: angle, then the shift (rounded), scale, x shear, y shear
        torch.manual_seed(seed)
        angle = torch.empty(1).uniform_(-10.0, 10.0).item()
        tx = round(torch.empty(1).uniform_(-0.9, 0.9).item())  # 0.1 of width 9
        ty = round(torch.empty(1).uniform_(-1.6, 1.6).item())  # 0.2 of height 8
        scale = torch.empty(1).uniform_(0.8, 1.2).item()
        shear = (torch.empty(1).uniform_(-5, 5).item(), torch.empty(1).uniform_(-3, 3).item())
        sh.manual_seed(seed)
        drawn = T.RandomAffine(10, (0.1, 0.2), (0.8, 1.2), (-5, 5, -3, 3))(x)
        expected = TF.affine(x, angle, (tx, ty), scale, shear, fill=[0.0] * 3)
        np.testing.assert_array_equal(drawn.numpy(), expected.numpy())


def test_reprs_and_errors():
    assert repr(T.RandomRotation(15)) == (
        "RandomRotation(degrees=[-15.0, 15.0], interpolation=nearest, expand=False, fill=0)"
    )
    assert repr(T.RandomAffine(15, translate=(0.1, 0.2), shear=5)) == (
        "RandomAffine(degrees=[-15.0, 15.0], translate=(0.1, 0.2), shear=[-5.0, 5.0])"
    )
    with pytest.raises(ArgumentError, match="translate must be two fractions"):
        T.RandomAffine(0, translate=(2, 0))
    with pytest.raises(ArgumentError, match="scale must be positive"):
        TF.affine(_square(), 0, (0, 0), 0.0, 0)
    with pytest.raises(UnsupportedError, match="NEAREST or BILINEAR"):
        TF.rotate(_square(), 10, interpolation=T.InterpolationMode.BICUBIC)
    with pytest.raises(ArgumentError, match="fill has 2 values and the image 1 channels"):
        TF.rotate(Image.fromarray(np.zeros((4, 4), np.uint8)), 10, fill=[1, 2])


def test_perspective_moves_the_corners_where_asked():
    from scratchish.vision.transforms._affine import perspective_coeffs

    corners = [[0, 0], [9, 0], [9, 7], [0, 7]]
    # the identity: every corner stays, so the coefficients are (1 0 0 0 1 0 0 0)
    assert perspective_coeffs(corners, corners) == pytest.approx([1, 0, 0, 0, 1, 0, 0, 0])
    x = sh.arange(8 * 10.0).reshape(1, 8, 10)
    same = TF.perspective(x, corners, corners, interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(same.numpy(), x.numpy())
    # a shift of every corner by (2, 1) is a translation: the image moves 2 right, 1 down
    moved = [[c + 2, r + 1] for c, r in corners]
    shifted = TF.perspective(x, corners, moved, interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(shifted.numpy()[0, 1:, 2:], x.numpy()[0, :-1, :-2])
    assert (shifted.numpy()[0, 0] == 0).all() and (shifted.numpy()[0, :, :2] == 0).all()
    # the map sends each end point back to its start point: (a x + b y + c) / (g x + h y + 1)
    ends = [[2, 1], [8, 0], [9, 6], [1, 7]]
    a, b, c, d, e, f, g, h = perspective_coeffs(corners, ends)
    for (x_end, y_end), (x_start, y_start) in zip(ends, corners):
        scale = g * x_end + h * y_end + 1
        assert (a * x_end + b * y_end + c) / scale == pytest.approx(x_start, abs=1e-5)
        assert (d * x_end + e * y_end + f) / scale == pytest.approx(y_start, abs=1e-5)
    image = Image.fromarray(x.numpy()[0].astype(np.uint8))
    by_pillow = np.asarray(TF.perspective(image, corners, moved, T.InterpolationMode.NEAREST))
    np.testing.assert_array_equal(by_pillow, shifted.numpy()[0])


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_random_perspective_draws_torchvisions_corners():
    x = sh.rand(3, 12, 16)
    for seed in range(6):
        torch.manual_seed(seed)
        applied = torch.rand(1).item() < 0.7
        dx, dy = int(0.6 * 8), int(0.6 * 6)  # distortion_scale times half the width, height

        def draw(low, high):
            return int(torch.randint(low, high, (1,)).item())

        if applied:
            ends = [
                [draw(0, dx + 1), draw(0, dy + 1)],
                [draw(16 - dx - 1, 16), draw(0, dy + 1)],
                [draw(16 - dx - 1, 16), draw(12 - dy - 1, 12)],
                [draw(0, dx + 1), draw(12 - dy - 1, 12)],
            ]
            starts = [[0, 0], [15, 0], [15, 11], [0, 11]]
            expected = TF.perspective(x, starts, ends, fill=[0.0] * 3)
        else:
            expected = x
        sh.manual_seed(seed)
        drawn = T.RandomPerspective(distortion_scale=0.6, p=0.7)(x)
        np.testing.assert_array_equal(drawn.numpy(), expected.numpy())


def test_elastic_transform_moves_pixels_by_the_displacement():
    x = sh.arange(6 * 8.0).reshape(1, 6, 8)
    still = sh.zeros(1, 6, 8, 2)
    same = TF.elastic_transform(x, still, interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(same.numpy(), x.numpy())
    # a displacement of 2/8 across (grid_sample's [-1, 1] spans the 8 columns: one column)
    # makes each pixel read its right-hand neighbour; the last column reads outside: 0
    shift = np.zeros((1, 6, 8, 2), np.float32)
    shift[..., 0] = 2 / 8
    moved = TF.elastic_transform(x, sh.tensor(shift), T.InterpolationMode.NEAREST).numpy()[0]
    np.testing.assert_array_equal(moved[:, :-1], x.numpy()[0, :, 1:])
    assert (moved[:, -1] == 0).all()
    image = Image.fromarray(x.numpy()[0].astype(np.uint8))
    by_pillow = TF.elastic_transform(image, sh.tensor(shift), T.InterpolationMode.NEAREST)
    assert by_pillow.mode == "L"
    np.testing.assert_array_equal(np.asarray(by_pillow), moved)


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_elastic_transform_draws_torchvisions_noise():
    # torchvision: torch.rand([1, 1, H, W]) * 2 - 1 for x, blurred (kernel 8 sigma + 1, made
    # odd), times alpha / W; then the same for y, times alpha / H
    torch.manual_seed(3)
    noise_x = torch.rand([1, 1, 20, 24]).numpy() * 2 - 1
    noise_y = torch.rand([1, 1, 20, 24]).numpy() * 2 - 1
    sh.manual_seed(3)
    moves = T.ElasticTransform.get_params([50.0, 40.0], [3.0, 3.0], [20, 24]).numpy()
    blur_x = TF.gaussian_blur(sh.tensor(noise_x), [25, 25], [3.0, 3.0]).numpy() * 50 / 24
    blur_y = TF.gaussian_blur(sh.tensor(noise_y), [25, 25], [3.0, 3.0]).numpy() * 40 / 20
    np.testing.assert_allclose(moves[0, ..., 0], blur_x[0, 0], atol=1e-6)
    np.testing.assert_allclose(moves[0, ..., 1], blur_y[0, 0], atol=1e-6)
    assert repr(T.ElasticTransform()).startswith("ElasticTransform(alpha=[50.0, 50.0], sigma=")


def test_to_pil_image_picks_torchvisions_modes():
    rgb = TF.to_pil_image(sh.tensor([[[0.0, 1.0]], [[0.5, 0.25]], [[1.0, 0.0]]]))
    assert rgb.mode == "RGB" and np.asarray(rgb).tolist() == [[[0, 127, 255], [255, 63, 0]]]
    grey = T.ToPILImage()(sh.tensor(np.array([[[7, 9]]], np.uint8)))
    assert grey.mode == "L" and np.asarray(grey).tolist() == [[7, 9]]
    assert TF.to_pil_image(np.zeros((2, 3, 4), np.uint8)).mode == "RGBA"
    assert TF.to_pil_image(sh.rand(1, 2, 2), mode="F").mode == "F"
    hsv = TF.to_pil_image(np.full((2, 2, 3), 200, np.uint8), mode="HSV")
    assert hsv.mode == "HSV" and np.asarray(hsv)[0, 0].tolist() == [200, 200, 200]
    with pytest.raises(ArgumentError, match="can be mode RGB, YCbCr, HSV"):
        TF.to_pil_image(np.zeros((2, 2, 3), np.uint8), mode="LA")
