"""scratchish.vision (torchvision under `scratchish run`): the data sets on small files the tests
write (MNIST's IDX, CIFAR-10's binary archive, an image folder), the transforms' numbers
(Pillow's own resize, torchvision's formulas, and torch's random draws for the random ones),
and the errors."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

import scratchish as sh
from helpers import cifar_archive, optional_torch
from scratchish import vision
from scratchish.datasets import ChecksumError, DatasetError, RemoteFile
from scratchish.errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from scratchish.vision import transforms as T
from scratchish.vision.transforms import functional as TF

Image = pytest.importorskip("PIL.Image")
torch = optional_torch()


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    return header + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()


def write_mnist(root, name="MNIST", n=(6, 4), gz=False):
    """The four files of an MNIST-like set in root/name/raw, unpacked as torchvision leaves them
    (or gzipped); returns (train images, train labels, test images, test labels)."""
    rng = np.random.default_rng(0)
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    arrays = []
    for prefix, count in zip(("train", "t10k"), n):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) * 3 % 10).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(array)
            path = raw / f"{prefix}-{kind}-ubyte"
            if gz:
                path = path.with_name(path.name + ".gz")
                data = gzip.compress(data)
            path.write_bytes(data)
        arrays += [images, labels]
    return arrays


def test_mnist_reads_torchvisions_folder_and_gives_pillow_images(tmp_path):
    x_train, y_train, x_test, y_test = write_mnist(tmp_path)
    train = vision.datasets.MNIST(tmp_path, train=True)
    test = vision.datasets.MNIST(str(tmp_path), train=False, target_transform=lambda y: -y)
    assert len(train) == 6 and len(test) == 4
    assert train.data.dtype == sh.uint8 and train.data.shape == (6, 28, 28)
    assert train.targets.dtype == sh.int64 and train.targets.tolist() == y_train.tolist()
    image, label = train[2]
    assert image.mode == "L" and image.size == (28, 28) and label == int(y_train[2])
    np.testing.assert_array_equal(np.asarray(image), x_train[2])
    assert test[3][1] == -int(y_test[3])
    assert train.class_to_idx["7 - seven"] == 7
    assert "Number of datapoints: 6" in repr(train) and "Split: Train" in repr(train)


def test_fashion_mnist_with_to_tensor_batches_as_torchvisions(tmp_path):
    x_train, y_train, _, _ = write_mnist(tmp_path, "FashionMNIST")
    data = vision.datasets.FashionMNIST(tmp_path, transform=T.ToTensor())
    assert data.classes[9] == "Ankle boot"
    xb, yb = next(iter(sh.utils.data.DataLoader(data, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and xb.dtype == sh.float32
    assert yb.dtype == sh.int64 and yb.tolist() == y_train[:4].tolist()
    np.testing.assert_array_equal(xb.numpy()[:, 0], x_train[:4].astype(np.float32) / 255)


def test_mnist_gz_files_are_verified_and_missing_ones_explained(tmp_path, monkeypatch):
    arrays = write_mnist(tmp_path, gz=True)
    raw = tmp_path / "MNIST" / "raw"
    remotes = []
    for remote in vision.datasets.MNIST.files:
        data = (raw / remote.name).read_bytes()
        remotes.append(RemoteFile(remote.name, len(data), hashlib.sha256(data).hexdigest()))
    monkeypatch.setattr(vision.datasets.MNIST, "files", tuple(remotes))
    np.testing.assert_array_equal(vision.datasets.MNIST(tmp_path).data.numpy(), arrays[0])
    monkeypatch.setattr(
        vision.datasets.MNIST,
        "files",
        (RemoteFile(remotes[0].name, remotes[0].size, "0" * 64), *remotes[1:]),
    )
    with pytest.raises(ChecksumError):
        vision.datasets.MNIST(tmp_path)
    with pytest.raises(DatasetError, match=r"FashionMNIST/raw.*download=True"):
        vision.datasets.FashionMNIST(tmp_path, download=False)


def test_cifar10_gives_rgb_images_and_hwc_data(tmp_path, monkeypatch):
    data, batches = cifar_archive(tmp_path / "cifar-10-binary.tar.gz")
    remote = RemoteFile("cifar-10-binary.tar.gz", len(data), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(vision.datasets, "CIFAR10_FILE", remote)
    train = vision.datasets.CIFAR10(tmp_path, train=True)
    test = vision.datasets.CIFAR10(tmp_path, train=False, transform=T.ToTensor())
    assert len(train) == 10 and len(test) == 3
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    first = batches["data_batch_1.bin"][0]
    np.testing.assert_array_equal(train.data[0], first[1:].reshape(3, 32, 32).transpose(1, 2, 0))
    image, label = train[0]
    assert image.mode == "RGB" and label == int(first[0]) == train.targets[0]
    x, _ = test[1]
    assert x.shape == (3, 32, 32)
    record = batches["test_batch.bin"][1]
    np.testing.assert_allclose(x.numpy(), record[1:].reshape(3, 32, 32) / np.float32(255))


def write_image_folder(root):
    rng = np.random.default_rng(2)
    for name, count in (("dog", 2), ("cat", 3)):
        (root / name / "inner").mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            where = root / name / ("inner" if i == 2 else "") / f"{i}.png"
            Image.fromarray(pixels).save(where)
    (root / "cat" / "notes.txt").write_text("not an image")


def test_image_folder_finds_classes_and_files_in_sorted_order(tmp_path):
    write_image_folder(tmp_path)
    data = vision.datasets.ImageFolder(tmp_path, transform=T.ToTensor())
    assert data.classes == ["cat", "dog"] and data.class_to_idx == {"cat": 0, "dog": 1}
    names = [p.replace(str(tmp_path), "") for p, _ in data.samples]
    assert names == ["/cat/0.png", "/cat/1.png", "/cat/inner/2.png", "/dog/0.png", "/dog/1.png"]
    assert data.targets == [0, 0, 0, 1, 1]
    x, y = data[3]
    assert x.shape == (3, 5, 7) and y == 1
    np.testing.assert_allclose(
        x.numpy(), np.asarray(Image.open(tmp_path / "dog" / "0.png")).transpose(2, 0, 1) / 255
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no valid file for the class empty"):
        vision.datasets.ImageFolder(tmp_path)
    assert len(vision.datasets.ImageFolder(tmp_path, allow_empty=True)) == 5
    with pytest.raises(DatasetError, match="couldn't find any class folder"):
        vision.datasets.ImageFolder(tmp_path / "empty")


def test_to_tensor_and_pil_to_tensor_follow_torchvisions_rules():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 7
    x = T.ToTensor()(Image.fromarray(rgb))
    assert x.shape == (3, 2, 3) and x.dtype == sh.float32 and x.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), rgb.transpose(2, 0, 1).astype(np.float32) / 255)
    # a float array is kept as it is, only moved to (C, H, W); a 2-D one gains a channel
    floats = np.random.default_rng(0).random((4, 5)).astype(np.float64)
    kept = TF.to_tensor(floats)
    assert kept.shape == (1, 4, 5) and kept.dtype == sh.float64
    np.testing.assert_array_equal(kept.numpy()[0], floats)
    bits = Image.fromarray(np.array([[0, 1], [1, 0]], bool))
    assert TF.to_tensor(bits).numpy()[0].tolist() == [[0.0, 1.0], [1.0, 0.0]]
    raw = T.PILToTensor()(Image.fromarray(rgb))
    assert raw.dtype == sh.uint8 and raw.shape == (3, 2, 3)
    np.testing.assert_array_equal(raw.numpy(), rgb.transpose(2, 0, 1))
    with pytest.raises(DTypeError, match="Pillow image or a NumPy array"):
        TF.to_tensor([1, 2, 3])


def test_normalize_and_compose():
    x = sh.rand(3, 4, 4)
    pipeline = T.Compose([T.Lambda(lambda t: t * 2), T.Normalize((0.5, 1.0, 0.0), (0.5, 2, 4))])
    out = pipeline(x)
    expected = (x.numpy() * 2 - np.array([0.5, 1, 0], np.float32)[:, None, None]) / np.array(
        [0.5, 2, 4], np.float32
    )[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert repr(pipeline) == (
        "Compose(\n    Lambda()\n    Normalize(mean=(0.5, 1.0, 0.0), std=(0.5, 2, 4))\n)"
    )
    y = x.clone()
    assert T.Normalize(0.5, 0.25, inplace=True)(y) is y
    np.testing.assert_allclose(y.numpy(), (x.numpy() - 0.5) / 0.25, rtol=1e-6)
    with pytest.raises(ArgumentError, match="std evaluated to zero"):
        T.Normalize((0.5,), (0.0,))(x)
    with pytest.raises(DTypeError, match="float tensor.*ToTensor"):
        T.Normalize((0.5,), (0.5,))(sh.zeros(1, 2, 2, dtype=sh.uint8))
    with pytest.raises(ArgumentError, match="ToTensor instead of ToTensor()"):
        T.Compose([T.ToTensor, T.Normalize(0, 1)])


def test_resize_uses_pillow_for_images_and_torchvisions_size_rule():
    pixels = np.random.default_rng(3).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    small = T.Resize(15)(image)  # the shorter side (30 -> 15), the other keeps the ratio
    assert small.size == (20, 15)
    np.testing.assert_array_equal(np.asarray(small), np.asarray(image.resize((20, 15), 2)))
    assert T.Resize((10, 12))(image).size == (12, 10)
    assert T.Resize(20, max_size=24)(image).size == (24, 18)  # 20 x 26 capped at 24
    nearest = T.Resize(7, interpolation=T.InterpolationMode.NEAREST)(image)
    np.testing.assert_array_equal(np.asarray(nearest), np.asarray(image.resize((9, 7), 0)))
    # a tensor: F.interpolate, antialiased (as torchvision) unless antialias=False
    x = sh.rand(2, 3, 4, 6)
    up = T.Resize((8, 12))(x)
    expected = sh.nn.functional.interpolate(x, size=(8, 12), mode="bilinear", antialias=True)
    np.testing.assert_array_equal(up.numpy(), expected.numpy())
    assert T.Resize(8)(sh.rand(3, 4, 6)).shape == (3, 8, 12)
    plain = sh.nn.functional.interpolate(x, size=(2, 3), mode="bilinear", align_corners=False)
    np.testing.assert_array_equal(T.Resize(2, antialias=False)(x).numpy(), plain.numpy())
    # shrinking a uint8 tensor averages every pixel under the filter, as Pillow does (Pillow
    # in fixed point: within one level), and gives uint8 back
    tensor_image = sh.tensor(pixels).permute(2, 0, 1)
    shrunk = T.Resize((10, 12))(tensor_image)
    assert shrunk.dtype == sh.uint8 and shrunk.shape == (3, 10, 12)
    by_pillow = np.asarray(image.resize((12, 10), 2)).transpose(2, 0, 1).astype(int)
    assert np.abs(shrunk.numpy().astype(int) - by_pillow).max() <= 1
    # bicubic without the filter: interpolate's bicubic, rounded and clamped back to uint8
    cubic = T.Resize((10, 12), T.InterpolationMode.BICUBIC, antialias=False)(tensor_image)
    by_interpolate = sh.nn.functional.interpolate(
        tensor_image.float()[None], size=(10, 12), mode="bicubic", align_corners=False
    )[0]
    expected_cubic = by_interpolate.round().clamp(0, 255).numpy().astype(np.uint8)
    assert cubic.dtype == sh.uint8 and (cubic.numpy() == expected_cubic).all()
    sampled = T.Resize((10, 12), antialias=False)(tensor_image).numpy().astype(int)
    assert np.abs(sampled - by_pillow).max() > 10  # without the filter: a few pixels each


def test_crops_and_flips_in_torchvisions_places():
    x = sh.arange(5 * 6.0).reshape(1, 5, 6)
    # torchvision's offsets: round((5 - 3) / 2) = 1, round((6 - 3) / 2) = round(1.5) = 2
    assert T.CenterCrop(3)(x).numpy()[0].tolist() == x.numpy()[0, 1:4, 2:5].tolist()
    assert T.CenterCrop((2, 4))(x).numpy()[0].tolist() == x.numpy()[0, 2:4, 1:5].tolist()
    image = Image.fromarray(np.arange(30, dtype=np.uint8).reshape(5, 6))
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(3)(image)), x.numpy()[0, 1:4, 2:5])
    padded = TF.pad(image, (1, 2), fill=9)  # left/right 1, top/bottom 2
    assert np.asarray(padded).shape == (9, 8) and np.asarray(padded)[0, 0] == 9
    assert TF.pad(x, 1, padding_mode="edge").numpy()[0, 0].tolist() == [0, 0, 1, 2, 3, 4, 5, 5]
    assert T.RandomHorizontalFlip(p=1.0)(x).numpy()[0, 0].tolist() == [5, 4, 3, 2, 1, 0]
    assert np.asarray(T.RandomVerticalFlip(p=1.0)(image))[0, 0] == 24
    with pytest.raises(ArgumentError, match="larger than the input image size"):
        T.RandomCrop(7)(x)
    assert T.RandomCrop(7, pad_if_needed=True)(x).shape == (1, 7, 7)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGB", "RGBA", "I", "F"])
@pytest.mark.parametrize(
    "padding, sides", [(4, (4, 4, 4, 4)), ((1, 2), (1, 2, 1, 2)), ((0, 3, 2, 1), (0, 3, 2, 1))]
)
@pytest.mark.parametrize("fill", [0, 9, 255])
def test_pad_of_a_pillow_image_is_the_array_padded(mode, padding, sides, fill, monkeypatch):
    # byte images with a whole-number fill are padded on a canvas of Pillow's own, the others
    # through np.pad: both checked against NumPy padding the pixels
    bands = {"L": 1, "LA": 2, "P": 1, "RGB": 3, "RGBA": 4, "I": 1, "F": 1}[mode]
    dtype = {"I": np.int32, "F": np.float32}.get(mode, np.uint8)
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, bands)).astype(dtype)
    image = Image.fromarray(pixels[..., 0] if bands == 1 else pixels, mode=mode)
    if mode == "P":
        image.putpalette(list(range(256)) * 3)
    left, top, right, bottom = sides
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (bands > 1)
    expected = np.pad(np.asarray(image), widths, constant_values=fill)
    if dtype == np.uint8:  # Pillow's canvas: np.pad is not called
        monkeypatch.setattr(np, "pad", None)
    padded = TF.pad(image, padding, fill=fill)
    assert padded.mode == image.mode
    np.testing.assert_array_equal(np.asarray(padded), expected)
    if mode == "P":
        assert padded.getpalette() == image.getpalette()


def test_normalize_of_data_equals_the_recorded_ops():
    x = sh.rand(3, 4, 5)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    with pytest.MonkeyPatch.context() as patch:  # no gradient wanted: on the array, no ops
        patch.setattr(sh.Tensor, "__sub__", None)
        data = TF.normalize(x, mean, std)
    y = x.clone().requires_grad_()
    recorded = TF.normalize(y, mean, std)
    assert data.grad_fn is None and recorded.grad_fn is not None
    np.testing.assert_array_equal(data.numpy(), recorded.detach().numpy())
    recorded.sum().backward()
    np.testing.assert_allclose(y.grad.numpy()[:, 0, 0], 1 / np.float32(std), rtol=1e-6)


def test_crops_beyond_the_image_fill_zeros_as_torchvision():
    x = sh.arange(1.0, 7.0).reshape(1, 2, 3)  # [[1 2 3] [4 5 6]]
    # torchvision pads a too-small image by (dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2),
    # left top right bottom: here dh = 3, dw = 1 -> 0, 1, 1, 2
    grown = T.CenterCrop((5, 4))(x).numpy()[0]
    expected = np.zeros((5, 4))
    expected[1:3, 0:3] = [[1, 2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(grown, expected)
    image = Image.fromarray(np.arange(1, 7, dtype=np.uint8).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(T.CenterCrop((5, 4))(image)), expected)
    # a region partly above and left of the image
    corner = TF.crop(x, -1, -2, 3, 4).numpy()[0]
    assert corner.tolist() == [[0, 0, 0, 0], [0, 0, 1, 2], [0, 0, 4, 5]]
    np.testing.assert_array_equal(np.asarray(TF.crop(image, -1, -2, 3, 4)), corner)
    # partly below and right, and wholly outside
    assert TF.crop(x, 1, 2, 2, 2).numpy()[0].tolist() == [[6, 0], [0, 0]]
    assert TF.crop(x, 5, -9, 2, 3).numpy()[0].tolist() == [[0, 0, 0], [0, 0, 0]]
    inside = TF.crop(x, 0, 1, 2, 2)
    assert np.shares_memory(inside.numpy(), x.numpy())  # a view when nothing is outside


@pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")
def test_random_transforms_draw_what_torchvision_draws():
    # torchvision: RandomHorizontalFlip flips if torch.rand(1) < p; RandomCrop's corner is
    # torch.randint(0, h - th + 1, (1,)), then torch.randint(0, w - tw + 1, (1,))
    x = sh.arange(8 * 9.0).reshape(1, 8, 9)
    torch.manual_seed(4)
    expected, flips = [], 0
    for _ in range(8):
        image = x.numpy()[..., ::-1] if torch.rand(1).item() < 0.5 else x.numpy()
        flips += image is not x.numpy()
        top = torch.randint(0, 8 - 5 + 1, size=(1,)).item()
        left = torch.randint(0, 9 - 4 + 1, size=(1,)).item()
        expected.append(image[:, top : top + 5, left : left + 4])
    sh.manual_seed(4)
    pipeline = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop((5, 4))])
    for want in expected:
        np.testing.assert_array_equal(pipeline(x).numpy(), want)


def test_torchvision_names_scratchish_lacks_explain():
    with pytest.raises(UnsupportedError, match="AutoAugment is not available"):
        T.AutoAugment  # noqa: B018
    with pytest.raises(
        UnsupportedError, match=r"torchvision\.models\.googlenet is not.*list_models"
    ):
        vision.models.googlenet  # noqa: B018
    with pytest.raises(ShapeError, match=r"\(\.\.\., C, H, W\)"):
        T.Normalize(0, 1)(sh.zeros(4, 4))


def test_make_grid_tiles_with_torchvisions_layout():
    images = sh.arange(5 * 2 * 2.0).reshape(5, 1, 2, 2)
    grid = vision.utils.make_grid(images, nrow=3, padding=1, pad_value=-1)
    # grey becomes three channels; 3 columns and 2 rows of 2 x 2 cells, 1 pixel apart
    assert grid.shape == (3, 2 * 3 + 1, 3 * 3 + 1)
    g = grid.numpy()
    np.testing.assert_array_equal(g[0], g[2])
    np.testing.assert_array_equal(g[0, 1:3, 1:3], images.numpy()[0, 0])
    np.testing.assert_array_equal(g[0, 1:3, 4:6], images.numpy()[1, 0])
    np.testing.assert_array_equal(g[0, 4:6, 4:6], images.numpy()[4, 0])
    assert (g[0, 4:6, 7:9] == -1).all() and (g[:, 0] == -1).all()  # the empty cell, the border
    stretched = vision.utils.make_grid([sh.tensor([[[-2.0, 0.0], [2.0, 6.0]]])], normalize=True)
    assert stretched.shape == (3, 2, 2)  # one image: no border
    assert stretched.numpy()[0].tolist() == [[0.0, 0.25], [0.5, 1.0]]
    clipped = vision.utils.make_grid(sh.tensor([[[-2.0, 0.5]]]), normalize=True, value_range=(0, 1))
    assert clipped.numpy()[0].tolist() == [[0.0, 0.5]]


def test_save_image_writes_the_grid_as_bytes(tmp_path):
    images = sh.tensor(np.linspace(0, 1, 2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4))
    vision.utils.save_image(images, tmp_path / "grid.png", padding=0)
    saved = np.asarray(Image.open(tmp_path / "grid.png"))
    grid = vision.utils.make_grid(images, padding=0).numpy()
    assert saved.shape == (4, 8, 3)
    np.testing.assert_array_equal(saved, (grid * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0))


def test_read_image_gives_uint8_chw_as_stored_or_converted(tmp_path):
    rgb = np.random.default_rng(5).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    x = vision.io.read_image(str(tmp_path / "c.png"))
    assert x.dtype == sh.uint8 and x.shape == (3, 4, 6)
    np.testing.assert_array_equal(x.numpy(), rgb.transpose(2, 0, 1))
    grey = vision.io.read_image(tmp_path / "c.png", vision.io.ImageReadMode.GRAY)
    assert grey.shape == (1, 4, 6)
    np.testing.assert_array_equal(grey.numpy()[0], np.asarray(Image.fromarray(rgb).convert("L")))
    assert vision.io.read_image(tmp_path / "c.png", vision.io.ImageReadMode.RGBA).shape[0] == 4
    palette = Image.fromarray(rgb).convert("P")  # a palette image decodes to its colours
    palette.save(tmp_path / "p.png")
    colours = vision.io.read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(
        colours.numpy(), np.asarray(palette.convert("RGB")).transpose(2, 0, 1)
    )
    from_bytes = vision.io.decode_image(vision.io.read_file(tmp_path / "c.png"))
    np.testing.assert_array_equal(from_bytes.numpy(), x.numpy())
    with pytest.raises(FileNotFoundError, match="no file at"):
        vision.io.read_image(tmp_path / "missing.png")


def test_box_formats_areas_and_ious():
    ops = vision.ops
    xyxy = sh.tensor([[10.0, 20.0, 30.0, 60.0], [0.0, 0.0, 4.0, 2.0]])
    centre = ops.box_convert(xyxy, "xyxy", "cxcywh")
    assert centre.tolist() == [[20.0, 40.0, 20.0, 40.0], [2.0, 1.0, 4.0, 2.0]]
    assert ops.box_convert(xyxy, "xyxy", "xywh").tolist() == [[10, 20, 20, 40], [0, 0, 4, 2]]
    np.testing.assert_array_equal(ops.box_convert(centre, "cxcywh", "xyxy").numpy(), xyxy.numpy())
    through = ops.box_convert(ops.box_convert(centre, "cxcywh", "xywh"), "xywh", "xyxy")
    np.testing.assert_array_equal(through.numpy(), xyxy.numpy())
    assert ops.box_area(xyxy).tolist() == [800.0, 8.0]
    a = sh.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = sh.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    iou = ops.box_iou(a, b)
    assert iou.shape == (1, 3)
    np.testing.assert_allclose(iou.numpy(), [[1 / 7, 1.0, 0.0]], rtol=1e-6)
    assert ops.box_iou(a.long(), b.long()).dtype == sh.float32  # integer corners: float IoU
    with pytest.raises(ArgumentError, match="in_fmt must be one of"):
        ops.box_convert(xyxy, "xy", "xyxy")
    with pytest.raises(ShapeError, match=r"four numbers per box"):
        ops.box_area(sh.ones(3, 3))


def test_iou_has_gradients_and_nms_keeps_the_best_of_each_cluster():
    ops = vision.ops
    box = sh.tensor([[0.0, 0.0, 2.0, 2.0]], requires_grad=True)
    ops.box_iou(box, sh.tensor([[1.0, 1.0, 3.0, 3.0]])).sum().backward()
    assert box.grad is not None and box.grad.abs().sum().item() > 0
    boxes = sh.tensor(
        [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 9, 10], [21, 20, 31, 30]],
        dtype=sh.float32,
    )
    scores = sh.tensor([0.9, 0.95, 0.5, 0.3, 0.6])
    # IoUs with box 1 (the best): box 0 81/119 = 0.68, box 3 72/118 = 0.61; box 2 with
    # box 4: 90/110 = 0.82; box 0 with box 3: 0.9
    kept = ops.nms(boxes, scores, iou_threshold=0.5)
    assert kept.dtype == sh.int64 and kept.tolist() == [1, 4]
    assert ops.nms(boxes, scores, iou_threshold=0.65).tolist() == [1, 4, 3]
    assert ops.nms(boxes, scores, iou_threshold=0.9).tolist() == [1, 0, 4, 2, 3]


def _torchvision_resized_crop_box(height, width, scale, ratio):
    """torchvision's RandomResizedCrop.get_params, drawn with torch's own generator."""
    import math

    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        area = height * width * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w, h = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = torch.randint(0, height - h + 1, size=(1,)).item()
            return top, torch.randint(0, width - w + 1, size=(1,)).item(), h, w
    return None


def test_random_resized_crop_draws_torchvisions_boxes():
    image = Image.fromarray(np.zeros((90, 120, 3), dtype=np.uint8))
    sh.manual_seed(7)
    boxes = [T.RandomResizedCrop.get_params(image, (0.08, 1.0), (3 / 4, 4 / 3)) for _ in range(50)]
    for top, left, h, w in boxes:
        assert 0 <= top and top + h <= 90 and 0 <= left and left + w <= 120
        assert 0.08 * 0.9 <= h * w / (90 * 120) <= 1.0 and 0.7 < w / h < 1.4
    assert len(set(boxes)) > 40
    if torch is not None:
        torch.manual_seed(7)
        assert boxes == [_torchvision_resized_crop_box(90, 120, (0.08, 1.0), (3 / 4, 4 / 3))
                         for _ in range(50)]  # fmt: skip
    # no try can fit a 1:1 crop of 90% of a 1:4 image: the centre, at the nearest ratio
    wide = sh.zeros(3, 20, 80)
    assert T.RandomResizedCrop.get_params(wide, (0.9, 1.0), (1.0, 1.0)) == (0, 30, 20, 20)
    out = T.RandomResizedCrop(16)(sh.rand(3, 40, 50))
    assert out.shape == (3, 16, 16)
    sh.manual_seed(1)
    first = T.RandomResizedCrop((8, 12))(image)
    sh.manual_seed(1)
    assert first.size == (12, 8)
    assert np.array_equal(np.asarray(first), np.asarray(T.RandomResizedCrop((8, 12))(image)))


def test_convert_image_dtype_scales_as_torchvision():
    x = sh.tensor([[[0, 128, 255]]], dtype=sh.uint8)
    np.testing.assert_allclose(TF.convert_image_dtype(x).numpy(), [[[0, 128 / 255, 1.0]]])
    back = T.ConvertImageDtype(sh.uint8)(sh.tensor([[[0.0, 0.5, 0.999, 1.0]]]))
    assert back.dtype == sh.uint8 and back.numpy().tolist() == [[[0, 127, 255, 255]]]
    with pytest.raises(DTypeError, match="use pil_to_tensor first"):
        TF.convert_image_dtype(np.zeros((3, 2, 2)))
