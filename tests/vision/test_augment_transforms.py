"""The augmentation policies' pixel operations on images whose results can be worked out by
hand, Pillow and tensor images agreeing, and the policies (TrivialAugmentWide, RandAugment)
drawing what torchvision draws.

(Checked once against torchvision 0.28's own code, outside the tests, which cannot import
torchvision: every operation equal on uint8 images, float ones to float32 rounding.)"""

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish.errors import ArgumentError, DTypeError
from scratchish.vision import transforms as T
from scratchish.vision.transforms import functional as TF

Image = pytest.importorskip("PIL.Image")
torch = optional_torch()


def _ramp():
    return sh.tensor(np.arange(0, 250, 10, dtype=np.uint8).reshape(1, 5, 5))


def test_invert_posterize_solarize():
    x = _ramp()
    assert (TF.invert(x).numpy() == 255 - x.numpy()).all()
    floats = sh.tensor([[[0.0, 0.25, 1.0]]])
    assert TF.invert(floats).numpy().tolist() == [[[1.0, 0.75, 0.0]]]
    # 3 bits kept: 0b11100000; 170 = 0b10101010 -> 0b10100000 = 160
    assert TF.posterize(x, 3).numpy()[0, 3, 2] == 160
    assert (TF.posterize(x, 3).numpy() % 32 == 0).all()
    solar = TF.solarize(x, 128).numpy()
    assert solar[0, 0].tolist() == [0, 10, 20, 30, 40]  # below the threshold: kept
    assert solar[0, 4].tolist() == [255 - v for v in (200, 210, 220, 230, 240)]
    with pytest.raises(DTypeError, match="PILToTensor"):
        TF.posterize(floats, 3)
    with pytest.raises(ArgumentError, match="threshold 128 is above"):
        TF.solarize(floats, 128)


def test_autocontrast_stretches_each_channel():
    x = sh.tensor(np.array([[[50, 100, 150]], [[7, 7, 7]], [[0, 9, 255]]], dtype=np.uint8))
    out = TF.autocontrast(x).numpy()
    # (v - 50) * 255 / 100, truncated; a channel of one value stays as it is
    assert out[0, 0].tolist() == [0, 127, 255]
    assert out[1, 0].tolist() == [7, 7, 7]
    assert out[2, 0].tolist() == [0, 9, 255]  # already spans the range


def test_equalize_spreads_two_levels_to_the_ends():
    # 512 pixels at 10 and 512 at 200: step = 512 // 255 = 2, and the table sends each level
    # to (pixels below it + 1) // 2: 10 -> 0, 200 -> 513 // 2 = 256, clamped to 255
    pixels = np.where(np.arange(1024).reshape(1, 32, 32) < 512, 10, 200).astype(np.uint8)
    out = TF.equalize(sh.tensor(pixels)).numpy()
    assert set(np.unique(out).tolist()) == {0, 255}
    assert (out[pixels == 10] == 0).all() and (out[pixels == 200] == 255).all()
    by_pillow = np.asarray(TF.equalize(Image.fromarray(pixels[0])))
    np.testing.assert_array_equal(by_pillow, out[0])
    flat = sh.tensor(np.full((1, 4, 4), 9, dtype=np.uint8))
    assert (TF.equalize(flat).numpy() == 9).all()  # one level: nothing to spread


def test_sharpness_blends_with_the_smoothed_image():
    x = np.zeros((1, 5, 5), dtype=np.uint8)
    x[0, 2, 2] = 130
    image = sh.tensor(x)
    # the smoothed copy: the bright pixel keeps 5/13 of itself (50), each neighbour gets
    # 1/13 of it (10); the border rows and columns stay
    soft = TF.adjust_sharpness(image, 0.0).numpy()[0]
    assert soft[2, 2] == 50 and soft[1, 1] == soft[3, 2] == 10 and soft[0, 0] == 0
    assert (TF.adjust_sharpness(image, 1.0).numpy() == x).all()
    # factor 2: 2 * image - smoothed, clamped: 260 - 50 = 210 at the centre, 0 around it
    sharp = TF.adjust_sharpness(image, 2.0).numpy()[0]
    assert sharp[2, 2] == 210 and sharp[1, 1] == 0


def test_pillow_and_tensor_images_agree():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    image, tensor = Image.fromarray(pixels), sh.tensor(pixels.transpose(2, 0, 1))
    for name, args in [("invert", ()), ("posterize", (4,)), ("solarize", (100,)),
                       ("autocontrast", ()), ("equalize", ())]:  # fmt: skip
        by_pillow = np.asarray(getattr(TF, name)(image, *args)).transpose(2, 0, 1)
        np.testing.assert_array_equal(getattr(TF, name)(tensor, *args).numpy(), by_pillow)


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_random_ops_apply_when_torch_rand_says_so():
    x = _ramp()
    ops = [
        (T.RandomInvert(), TF.invert),
        (T.RandomPosterize(2, p=0.7), lambda img: TF.posterize(img, 2)),
        (T.RandomSolarize(100), lambda img: TF.solarize(img, 100)),
        (T.RandomAdjustSharpness(3.0), lambda img: TF.adjust_sharpness(img, 3.0)),
        (T.RandomAutocontrast(p=0.3), TF.autocontrast),
        (T.RandomEqualize(), TF.equalize),
    ]
    torch.manual_seed(5)
    chosen = [torch.rand(1).item() < transform.p for transform, _ in ops for _ in range(4)]
    assert 0 < sum(chosen) < len(chosen)
    sh.manual_seed(5)
    flags = iter(chosen)
    for transform, op in ops:
        for _ in range(4):
            expected = op(x) if next(flags) else x
            np.testing.assert_array_equal(transform(x).numpy(), expected.numpy())
    assert repr(T.RandomPosterize(2, p=0.7)) == "RandomPosterize(bits=2,p=0.7)"


_TRIVIAL_OPS = [  # torchvision's table: (name, strengths over 31 bins or None, signed)
    ("Identity", None, False), ("ShearX", (0.0, 0.99), True), ("ShearY", (0.0, 0.99), True),
    ("TranslateX", (0.0, 32.0), True), ("TranslateY", (0.0, 32.0), True),
    ("Rotate", (0.0, 135.0), True), ("Brightness", (0.0, 0.99), True),
    ("Color", (0.0, 0.99), True), ("Contrast", (0.0, 0.99), True),
    ("Sharpness", (0.0, 0.99), True), ("Posterize", "bits", False),
    ("Solarize", (255.0, 0.0), False), ("AutoContrast", None, False), ("Equalize", None, False),
]  # fmt: skip


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_trivial_augment_draws_torchvisions_operation_and_strength():
    from scratchish.vision.transforms._augment import _apply_op

    rng = np.random.default_rng(1)
    x = sh.tensor(rng.integers(0, 256, (3, 12, 14), dtype=np.uint8))
    seen = set()
    for seed in range(40):
        # torchvision: the operation with torch.randint(14, (1,)), a bin with
        # torch.randint(31, (1,)) when it has strengths, the sign with torch.randint(2, (1,))
        torch.manual_seed(seed)
        name, strengths, signed = _TRIVIAL_OPS[torch.randint(14, (1,)).item()]
        magnitude = 0.0
        if strengths == "bits":
            magnitude = float(8 - round(torch.randint(31, (1,)).item() / 5))  # 8 down to 2
        elif strengths is not None:
            magnitude = torch.linspace(*strengths, 31)[torch.randint(31, (1,))].item()
        if signed and torch.randint(2, (1,)).item():
            magnitude = -magnitude
        seen.add(name)
        sh.manual_seed(seed)
        drawn = T.TrivialAugmentWide()(x)
        expected = _apply_op(x, name, magnitude, T.InterpolationMode.NEAREST, None)
        np.testing.assert_array_equal(drawn.numpy(), expected.numpy(), err_msg=name)
    assert len(seen) >= 10  # most operations came up


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_rand_augment_applies_num_ops_at_one_strength():
    from scratchish.vision.transforms._augment import _apply_op

    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (16, 16, 3), np.uint8))
    for seed in range(10):
        torch.manual_seed(seed)
        expected = image
        for _ in range(2):
            name, strengths, signed = _TRIVIAL_OPS[torch.randint(14, (1,)).item()]
            limits = {"ShearX": 0.3, "ShearY": 0.3, "Rotate": 30.0, "TranslateX": 150 / 331 * 16,
                      "TranslateY": 150 / 331 * 16}  # fmt: skip
            magnitude = 0.0
            if strengths == "bits":
                magnitude = 8.0 - round(9 / 7.5)  # bin 9 of 31 over 4 bits: 7
            elif strengths is not None:
                end = limits.get(name, 0.9 if strengths[1] < 1 else strengths[1])
                start = strengths[0]
                magnitude = torch.linspace(start, 0.0 if start else end, 31)[9].item()
            if signed and torch.randint(2, (1,)).item():
                magnitude = -magnitude
            expected = _apply_op(expected, name, magnitude, T.InterpolationMode.NEAREST, None)
        sh.manual_seed(seed)
        drawn = T.RandAugment()(image)
        np.testing.assert_array_equal(np.asarray(drawn), np.asarray(expected))
