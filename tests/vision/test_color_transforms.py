"""The colour, blur and erase transforms: results worked out by hand, Pillow and tensor images
agreeing where torchvision's two paths agree, and the random ones drawing what torchvision
draws (ColorJitter, RandomGrayscale, RandomApply, GaussianBlur, RandomErasing with torch's
calls; RandomOrder and RandomChoice with Python's random).

(Checked once against torchvision 0.28's own code, outside the tests, which cannot import
torchvision: every function equal on uint8, float32 and float64 tensors and on Pillow images,
except the float32 blur, equal to 1 or 2 float32 steps; the transforms' draws identical.)"""

import doctest
import math
import random

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish.errors import ArgumentError, DTypeError, ShapeError
from scratchish.vision import transforms as T
from scratchish.vision.transforms import _blur_erase, _color
from scratchish.vision.transforms import functional as TF

Image = pytest.importorskip("PIL.Image")
torch = optional_torch()
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")


def _rgb(pixels, dtype=np.float32):
    """A (3, 1, n) image from a list of n (r, g, b) pixels."""
    return sh.tensor(np.array(pixels, dtype=dtype).T[:, None, :])


def _random_image(dtype, shape=(3, 12, 14), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return sh.tensor(rng.integers(0, 256, shape, dtype=np.uint8))
    return sh.tensor(rng.random(shape).astype(dtype))


# ------------------------------------------------------------------------------ grayscale


def test_rgb_to_grayscale_weights_and_uint8_truncation():
    # 0.2989 R + 0.587 G + 0.114 B; the weights sum to 0.9999, so a grey byte loses one level
    # when truncated: 100 -> 99.99 -> 99 (Pillow rounds: 100)
    x = _rgb([(255, 0, 0), (0, 255, 0), (100, 100, 100), (0, 0, 0)], np.uint8)
    gray = TF.rgb_to_grayscale(x)
    assert gray.dtype == sh.uint8 and gray.shape == (1, 1, 4)
    assert gray.numpy()[0, 0].tolist() == [76, 149, 99, 0]  # 76.2195, 149.685, 99.99
    floats = TF.rgb_to_grayscale(_rgb([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]))
    np.testing.assert_allclose(floats.numpy()[0, 0], [0.2989, 0.114], rtol=1e-6)
    three = TF.rgb_to_grayscale(x, num_output_channels=3).numpy()
    assert three.shape == (3, 1, 4) and (three == three[:1]).all()
    pil = Image.fromarray(np.full((2, 2, 3), 100, np.uint8))
    assert np.asarray(TF.rgb_to_grayscale(pil)).tolist() == [[100, 100], [100, 100]]


def test_grayscale_of_one_channel_and_of_pillow_images():
    one = sh.tensor(np.arange(6, dtype=np.uint8).reshape(1, 2, 3))
    # a grey tensor stays one channel, a copy, even for num_output_channels=3 (torchvision's)
    out = TF.rgb_to_grayscale(one, 3)
    assert out.shape == (1, 2, 3) and (out.numpy() == one.numpy()).all()
    assert not np.shares_memory(out.numpy(), one.numpy())
    pil = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20)
    rgb = TF.to_grayscale(pil, num_output_channels=3)
    assert rgb.mode == "RGB"
    array = np.asarray(rgb)
    assert (array[..., 0] == array[..., 1]).all() and (array[..., 2] == array[..., 1]).all()
    np.testing.assert_array_equal(array[..., 0], np.asarray(pil.convert("L")))
    assert T.Grayscale()(pil).mode == "L"
    assert T.Grayscale(3)(_random_image(np.float32)).shape == (3, 12, 14)
    with pytest.raises(DTypeError, match="rgb_to_grayscale"):
        TF.to_grayscale(one)
    with pytest.raises(ArgumentError, match="1 or 3"):
        T.Grayscale(2)
    with pytest.raises(ShapeError, match="1 or 3 channels"):
        TF.rgb_to_grayscale(sh.zeros(4, 2, 2))


# ---------------------------------------------------------- brightness, contrast, saturation


def test_brightness_scales_and_clamps():
    x = _rgb([(0.2, 0.4, 0.8), (1.0, 0.5, 0.0)])
    np.testing.assert_allclose(TF.adjust_brightness(x, 0.5).numpy(), x.numpy() / 2)
    bright = TF.adjust_brightness(x, 2.0).numpy()
    np.testing.assert_allclose(bright, np.minimum(2 * x.numpy(), 1.0))
    assert bright.max() == 1.0
    # bytes: 0.5 * 201 = 100.5 and 1.5 * 201 = 301.5 become 100 (truncated) and 255 (clamped)
    b = sh.tensor(np.array([[[201, 10]]], dtype=np.uint8))
    assert TF.adjust_brightness(b, 0.5).numpy().tolist() == [[[100, 5]]]
    assert TF.adjust_brightness(b, 1.5).numpy().tolist() == [[[255, 15]]]
    assert TF.adjust_brightness(b, 0.5).dtype == sh.uint8
    with pytest.raises(ArgumentError, match="not non-negative"):
        TF.adjust_brightness(x, -0.1)


def test_contrast_zero_is_the_mean_grey_everywhere():
    pixels = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.5, 0.5, 0.5), (0.0, 0.0, 0.0)]
    out = TF.adjust_contrast(_rgb(pixels), 0.0).numpy()
    mean = np.mean([0.2989 * r + 0.587 * g + 0.114 * b for r, g, b in pixels])
    np.testing.assert_allclose(out, np.full((3, 1, 4), mean), rtol=1e-6)
    # bytes: the mean of the truncated greys [76, 149, 99, 0] is 81, and 2 * (x - 81) + 81
    b = _rgb([(255, 0, 0), (0, 255, 0), (100, 100, 100), (0, 0, 0)], np.uint8)
    assert (TF.adjust_contrast(b, 0.0).numpy() == 81).all()
    assert TF.adjust_contrast(b, 2.0).numpy()[:, 0, 2].tolist() == [119, 119, 119]  # 200 - 81
    one = sh.tensor([[[0.0, 1.0]]])  # one channel: its own mean, 0.5
    assert TF.adjust_contrast(one, 0.5).numpy().tolist() == [[[0.25, 0.75]]]


def test_saturation_zero_is_grey_in_three_channels():
    x = _random_image(np.float32)
    np.testing.assert_array_equal(
        TF.adjust_saturation(x, 0.0).numpy(), TF.rgb_to_grayscale(x, 3).numpy()
    )
    np.testing.assert_array_equal(TF.adjust_saturation(x, 1.0).numpy(), x.numpy())
    # 2: twice as far from grey (0.2989): red 1 + (1 - 0.2989) clamps, green and blue go to 0
    red = TF.adjust_saturation(_rgb([(1.0, 0.0, 0.0)]), 2.0).numpy().ravel()
    assert red.tolist() == [1.0, 0.0, 0.0]
    one = sh.tensor([[[0.3]]])
    assert TF.adjust_saturation(one, 0.0) is one  # nothing to desaturate


# ------------------------------------------------------------------------------------- hue


def test_hue_turns_the_colour_circle():
    x = _rgb([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.5, 0.5, 0.5), (1.0, 0.5, 0.0)])
    half = TF.adjust_hue(x, 0.5).numpy()[:, 0].T  # a half turn: the complementary colours
    np.testing.assert_allclose(
        half, [(0, 1, 1), (1, 0, 1), (0.5, 0.5, 0.5), (0, 0.5, 1)], atol=1e-6
    )
    third = TF.adjust_hue(x, 1 / 3).numpy()[:, 0].T  # red -> green, green -> blue
    np.testing.assert_allclose(third[:2], [(0, 1, 0), (0, 0, 1)], atol=1e-6)
    back = TF.adjust_hue(x, -0.5).numpy()[:, 0].T
    np.testing.assert_allclose(back, half, atol=1e-6)
    # no turn: the image again, to float32 rounding (it goes through HSV and back)
    np.testing.assert_allclose(TF.adjust_hue(x, 0.0).numpy(), x.numpy(), atol=1e-6)
    b = _rgb([(255, 0, 0)], np.uint8)
    assert TF.adjust_hue(b, 0.5).numpy().ravel().tolist() == [0, 255, 255]
    assert TF.adjust_hue(b, 0.5).dtype == sh.uint8
    with pytest.raises(ArgumentError, match=r"not in \[-0.5, 0.5\]"):
        TF.adjust_hue(x, 0.7)


def test_hue_of_a_pillow_image_turns_in_byte_steps():
    red = Image.new("RGB", (2, 1), (255, 0, 0))
    # Pillow's hue is a byte: +0.5 turns by int(127.5) = 127 of 256 steps, almost to cyan
    r, g, b = np.asarray(TF.adjust_hue(red, 0.5))[0, 0]
    assert r == 0 and g == 255 and 245 <= b < 255
    assert np.asarray(TF.adjust_hue(red, 0.0)).tolist() == np.asarray(red).tolist()
    grey = Image.new("L", (2, 1), 7)
    assert TF.adjust_hue(grey, 0.3) is grey


def test_pillow_and_tensor_brightness_agree():
    # both truncate ratio * value; exact for these factors
    array = np.random.default_rng(1).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    pil = Image.fromarray(array)
    for factor in (0.0, 0.5, 1.0, 2.0):
        from_pil = np.asarray(TF.adjust_brightness(pil, factor))
        from_tensor = TF.adjust_brightness(TF.pil_to_tensor(pil), factor)
        np.testing.assert_array_equal(from_pil, from_tensor.permute(1, 2, 0).numpy())


# ------------------------------------------------------------------------------------ blur


def test_gaussian_kernel_is_the_normalised_formula():
    # a single bright pixel far from the borders is blurred into the kernel itself
    impulse = np.zeros((1, 11, 13))
    impulse[0, 5, 6] = 1.0
    out = TF.gaussian_blur(sh.tensor(impulse), [5, 3], [1.5, 0.7]).numpy()[0]

    def weights(size, sigma):
        w = np.exp(-0.5 * (np.arange(size) - size // 2) ** 2 / sigma**2)
        return w / w.sum()

    expected = np.outer(weights(3, 0.7), weights(5, 1.5))  # (ky, kx): the width comes first
    np.testing.assert_allclose(out[4:7, 4:9], expected, rtol=1e-12)
    assert out.sum() == pytest.approx(1.0) and (out[:4] == 0).all()
    # sigma None: 0.15 * 3 + 0.35 = 0.8
    default = TF.gaussian_blur(sh.tensor(impulse), 3).numpy()[0]
    np.testing.assert_allclose(default[4:7, 5:8], np.outer(weights(3, 0.8), weights(3, 0.8)))


def test_gaussian_blur_mirrors_the_border_and_rounds_bytes():
    # reflect padding: a pixel on the border gets its neighbour's weight twice, not its own
    edge = TF.gaussian_blur(sh.tensor([[[3.0, 0.0, 0.0, 0.0]]]), [3, 1], 1.0).numpy().ravel()
    centre, side = 1 / (1 + 2 * math.exp(-0.5)), math.exp(-0.5) / (1 + 2 * math.exp(-0.5))
    np.testing.assert_allclose(edge, [3 * centre, 3 * side, 0, 0], rtol=1e-6)
    # bytes are blurred in float32 and rounded: each end sees the 100 twice (mirrored),
    # 2 * 27.41 = 54.8 -> 55; the middle 45.19 -> 45
    b = TF.gaussian_blur(sh.tensor(np.array([[[0, 100, 0]]], np.uint8)), [3, 1], 1.0)
    assert b.dtype == sh.uint8 and b.numpy().ravel().tolist() == [55, 45, 55]
    flat = sh.full((2, 3, 5, 6), 0.25)
    np.testing.assert_allclose(TF.gaussian_blur(flat, 5, 2.0).numpy(), 0.25, rtol=1e-6)
    with pytest.raises(ArgumentError, match="odd and positive"):
        TF.gaussian_blur(flat, 4)
    with pytest.raises(ArgumentError, match="positive values"):
        TF.gaussian_blur(flat, 3, 0.0)
    with pytest.raises(ShapeError, match="smaller kernel_size"):
        TF.gaussian_blur(flat, [3, 11])


def test_gaussian_blur_of_a_pillow_image_is_that_of_its_bytes():
    array = np.random.default_rng(2).integers(0, 256, (9, 8, 3), dtype=np.uint8)
    pil = Image.fromarray(array)
    from_pil = TF.gaussian_blur(pil, [3, 5], [0.9, 1.7])
    assert from_pil.mode == "RGB" and from_pil.size == pil.size
    from_tensor = TF.gaussian_blur(TF.pil_to_tensor(pil), [3, 5], [0.9, 1.7])
    np.testing.assert_array_equal(np.asarray(from_pil), from_tensor.permute(1, 2, 0).numpy())
    assert TF.gaussian_blur(pil.convert("L"), 3, 1.0).mode == "L"


# ----------------------------------------------------------------------------------- erase


def test_erase_fills_the_region_per_channel():
    x = sh.ones(3, 4, 5)
    out = TF.erase(x, 1, 2, 2, 3, sh.tensor([0.0, 0.5, 2.0])[:, None, None])
    assert (x.numpy() == 1).all()  # a copy
    expected = np.ones((3, 4, 5))
    expected[:, 1:3, 2:5] = np.array([0.0, 0.5, 2.0])[:, None, None]
    np.testing.assert_array_equal(out.numpy(), expected)
    same = TF.erase(x, 0, 0, 1, 1, sh.tensor(7.0), inplace=True)
    assert same is x and x.numpy()[:, 0, 0].tolist() == [7.0, 7.0, 7.0]
    b = sh.tensor(np.zeros((1, 2, 2), np.uint8))
    assert TF.erase(b, 0, 0, 1, 2, sh.tensor(200.7)).numpy().tolist() == [[[200, 200], [0, 0]]]
    with pytest.raises(DTypeError, match="ToTensor"):
        TF.erase(Image.new("L", (2, 2)), 0, 0, 1, 1, sh.tensor(0.0))


# ------------------------------------------------------------------- the transforms' checks


def test_transform_arguments_are_checked_and_shown():
    assert repr(T.ColorJitter(brightness=0.5, hue=0.1)) == (
        "ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=(-0.1, 0.1))"
    )
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)  # the low end stops at 0
    assert T.ColorJitter(contrast=(1, 1)).contrast is None  # changes nothing
    with pytest.raises(ArgumentError, match="non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ArgumentError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ArgumentError, match="length 2"):
        T.ColorJitter(saturation=(0.1, 0.2, 0.3))
    assert T.GaussianBlur(3).kernel_size == (3, 3)
    with pytest.raises(ArgumentError, match="odd and positive"):
        T.GaussianBlur((3, 4))
    with pytest.raises(ArgumentError, match=r"\(min, max\)"):
        T.GaussianBlur(3, sigma=(2.0, 1.0))
    with pytest.raises(ArgumentError, match="'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ArgumentError, match="between 0 and 1"):
        T.RandomErasing(scale=(0.5, 1.5))
    with pytest.raises(ArgumentError, match="3 \\(number of input channels\\)"):
        T.RandomErasing(p=1.0, value=(0.1, 0.2))(sh.zeros(3, 8, 8))
    with pytest.raises(DTypeError, match="ToTensor"):
        T.RandomErasing(p=1.0)(Image.new("RGB", (8, 8)))
    with pytest.raises(ArgumentError, match="sequence"):
        T.RandomOrder(T.Grayscale())


def test_docstring_examples_run():
    for module in (_color, _blur_erase):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(T.RandomApply, "RandomApply"):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# -------------------------------------------------------------------------------- the draws


@needs_torch
def test_color_jitter_draws_what_torchvision_draws():
    # torchvision: torch.randperm(4), then torch.empty(1).uniform_(min, max) for each factor
    # in use (brightness, contrast, saturation, hue), applied in the permuted order
    ranges = [(0.6, 1.4), None, (0.5, 1.5), (-0.2, 0.1)]
    jitter = T.ColorJitter(brightness=0.4, saturation=0.5, hue=(-0.2, 0.1))
    x = _random_image(np.uint8, seed=3)
    adjust = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
    torch.manual_seed(11)
    expected = []
    for _ in range(6):
        order = torch.randperm(4).tolist()
        factors = [None if r is None else torch.empty(1).uniform_(*r).item() for r in ranges]
        image = x
        for i in order:
            if factors[i] is not None:
                image = adjust[i](image, factors[i])
        expected.append((order, factors, image.numpy()))
    sh.manual_seed(11)
    for order, factors, _ in expected[:3]:
        got_order, *got_factors = T.ColorJitter.get_params(*ranges)
        assert got_order.tolist() == order and got_factors == factors
    for _, _, image in expected[3:]:
        np.testing.assert_array_equal(jitter(x).numpy(), image)


@needs_torch
def test_random_erasing_draws_what_torchvision_draws():
    # torch.rand(1) < p; then up to 10 tries of uniform_ for the area and the log-ratio;
    # the noise for 'random'; torch.randint for the top, then the left
    x = sh.zeros(3, 10, 12)
    scale, ratio = (0.02, 0.33), (0.3, 3.3)
    log_ratio = torch.log(torch.tensor(ratio))
    torch.manual_seed(5)
    expected = []
    for _ in range(12):
        image = np.zeros((3, 10, 12), np.float32)
        if torch.rand(1) < 0.7:
            for _ in range(10):
                area = 120 * torch.empty(1).uniform_(*scale).item()
                aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
                h = int(round(math.sqrt(area * aspect)))
                w = int(round(math.sqrt(area / aspect)))
                if h < 10 and w < 12:
                    noise = torch.empty(3, h, w).normal_().numpy()
                    top = torch.randint(0, 10 - h + 1, (1,)).item()
                    left = torch.randint(0, 12 - w + 1, (1,)).item()
                    image[:, top : top + h, left : left + w] = noise
                    break
        expected.append(image)
    sh.manual_seed(5)
    erasing = T.RandomErasing(p=0.7, value="random")
    outputs = [erasing(x).numpy() for _ in expected]
    for got, want in zip(outputs, expected):
        np.testing.assert_array_equal(got, want)
    assert sum((want != 0).any() for want in expected) >= 6  # most images were erased
    assert (x.numpy() == 0).all()  # not in place


@needs_torch
def test_random_apply_grayscale_and_blur_draw_what_torchvision_draws():
    x = _random_image(np.float32, seed=4)
    gray = TF.rgb_to_grayscale(x, 3).numpy()
    torch.manual_seed(2)
    # RandomApply: skipped if p < torch.rand(1); RandomGrayscale: applied if torch.rand(1) < p
    applied = [not 0.4 < torch.rand(1).item() for _ in range(10)]
    grayed = [torch.rand(1).item() < 0.4 for _ in range(10)]
    sigmas = [torch.empty(1).uniform_(0.1, 2.0).item() for _ in range(4)]
    sh.manual_seed(2)
    random_apply, random_gray = T.RandomApply([T.Grayscale(3)], p=0.4), T.RandomGrayscale(0.4)
    for want in applied:
        np.testing.assert_array_equal(random_apply(x).numpy(), gray if want else x.numpy())
    for want in grayed:
        np.testing.assert_array_equal(random_gray(x).numpy(), gray if want else x.numpy())
    assert 0 < sum(applied) < 10 and 0 < sum(grayed) < 10
    blur = T.GaussianBlur(5)
    for sigma in sigmas:
        np.testing.assert_array_equal(blur(x).numpy(), TF.gaussian_blur(x, 5, sigma).numpy())


def test_random_order_and_choice_use_pythons_random():
    def add(k):
        return T.Lambda(lambda xs: [*xs, k])

    steps = [add(0), add(1), add(2)]
    random.seed(9)
    orders = []
    for _ in range(5):
        order = [0, 1, 2]
        random.shuffle(order)
        orders.append(order)
    picks = [random.choices([0, 1, 2], weights=[1, 0, 3])[0] for _ in range(8)]
    random.seed(9)
    random_order, choice = T.RandomOrder(steps), T.RandomChoice(steps, p=[1, 0, 3])
    assert [random_order([]) for _ in orders] == orders
    assert [choice([]) for _ in picks] == [[k] for k in picks]
    assert 1 not in picks  # weight 0
