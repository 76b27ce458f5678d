"""torchvision.transforms.v2 for one image: ToImage, ToDtype's scaling, a Compose that hands a
label back, and the v2 names resolving under `import torchvision.transforms.v2`."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import compat
from scratchish.errors import ArgumentError, UnsupportedError
from scratchish.vision import transforms as T
from scratchish.vision.transforms import v2

Image = pytest.importorskip("PIL.Image")


def test_to_image_makes_channel_first_tensors_without_scaling():
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # (H, W, C)
    from_pillow = v2.ToImage()(Image.fromarray(pixels))
    assert from_pillow.dtype == sh.uint8 and from_pillow.shape == (3, 2, 3)
    assert from_pillow.numpy().tolist() == pixels.transpose(2, 0, 1).tolist()
    np.testing.assert_array_equal(v2.ToImage()(pixels).numpy(), pixels.transpose(2, 0, 1))
    assert v2.ToImage()(np.zeros((4, 5), np.float32)).shape == (1, 4, 5)  # grey: one channel
    x = sh.rand(3, 2, 2)
    assert v2.ToImage()(x) is x


def test_to_dtype_scales_as_v2_does():
    x = sh.tensor(np.array([[[0, 1, 128, 255]]], dtype=np.uint8))
    scaled = v2.ToDtype(sh.float32, scale=True)(x).numpy()
    # v2 multiplies by 1/255 (v1's ConvertImageDtype divides by 255): equal, or one float32
    # step apart, and exactly what the product gives
    expected = np.array([0, 1, 128, 255], np.float32) * np.float32(1 / 255)
    np.testing.assert_array_equal(scaled.ravel(), expected)
    assert scaled.ravel()[-1] == 1.0
    assert v2.ToDtype(sh.float32)(x).numpy().ravel().tolist() == [0.0, 1.0, 128.0, 255.0]
    back = v2.ToDtype(sh.uint8, scale=True)(sh.tensor([[[0.0, 0.5, 0.999, 1.0]]]))
    # times 255.999, truncated: 127.9995 -> 127, 255.743 -> 255, 255.999 -> 255
    assert back.dtype == sh.uint8 and back.numpy().ravel().tolist() == [0, 127, 255, 255]
    with pytest.raises(ArgumentError, match="tv_tensors"):
        v2.ToDtype({"image": sh.float32})


def test_a_v2_pipeline_on_an_image_and_its_label():
    image = Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4))
    pipeline = v2.Compose(
        [v2.ToImage(), v2.ToDtype(sh.float32, scale=True), v2.RandomHorizontalFlip(p=1.0)]
    )
    out = pipeline(image)
    assert out.dtype == sh.float32 and out.shape == (1, 4, 4)
    assert out.numpy()[0, 0].tolist() == pytest.approx([3 / 255, 2 / 255, 1 / 255, 0.0])
    flipped, label = pipeline(image, 7)
    np.testing.assert_array_equal(flipped.numpy(), out.numpy())
    assert label == 7
    with pytest.raises(ArgumentError, match="none of the 2 inputs is an image"):
        pipeline(3, "cat")
    # the transforms v2 shares with the first ones are the same classes
    assert v2.RandomResizedCrop is T.RandomResizedCrop
    assert v2.functional.resize is T.functional.resize


def test_v2_resolves_under_the_torchvision_names():
    assert compat.resolve("torchvision.transforms.v2.ToDtype") is v2.ToDtype
    assert compat.resolve("torchvision.transforms.v2.functional.to_image") is v2.functional.to_image
    with pytest.raises(UnsupportedError, match=r"transforms\.v2\.SanitizeBoundingBoxes"):
        v2.SanitizeBoundingBoxes  # noqa: B018


def test_the_docstring_example_runs():
    import doctest

    result = doctest.testmod(v2)
    assert result.attempted >= 2 and result.failed == 0
