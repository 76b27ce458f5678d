"""torchvision's data sets, as PyTorch's tutorials use them (torchvision.datasets): MNIST,
FashionMNIST, CIFAR10 and ImageFolder.

Each is a map-style Dataset whose sample i is (image, label): the image a Pillow image, passed
through `transform` (ToTensor() makes it a tensor), the label an int, passed through
`target_transform`. The files are scratchish.datasets' (fetched from the same mirrors, their
SHA-256 checked; read with NumPy); the folders are torchvision's, so files that torchvision
downloaded are found:
    MNIST:         root/MNIST/raw/train-images-idx3-ubyte(.gz), ...
    FashionMNIST:  root/FashionMNIST/raw/...
    CIFAR10:       root/cifar-10-binary.tar.gz (the binary version; torchvision downloads the
                   Python one, cifar-10-python.tar.gz, which scratchish does not read: it is
                   made of pickles, which can run code when loaded)
The whole set is read into memory once (the Pillow image is made per sample), as torchvision's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import compat
from ..data.dataset import Dataset
from ..datasets.cifar import (
    CIFAR10_CLASSES,
    CIFAR10_FILE,
    CIFAR10_MIRRORS,
    TEST_BATCH,
    TRAIN_BATCHES,
    read_cifar_archive,
    read_cifar_batch,
)
from ..datasets.download import DatasetError, fetch
from ..datasets.mnist import (
    FASHION_FILES,
    FASHION_MIRRORS,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MNIST_FILES,
    MNIST_MIRRORS,
    read_idx,
)
from ..errors import ArgumentError
from ..tensor import Tensor
from .transforms.functional import _pil_image

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class VisionDataset(Dataset):
    """What the data sets share: root, transform and target_transform, and the repr."""

    def __init__(self, root, transform=None, target_transform=None) -> None:
        if isinstance(root, (str, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        for name, t in (("transform", transform), ("target_transform", target_transform)):
            if t is not None and not callable(t):
                raise ArgumentError(
                    f"{type(self).__name__}: {name} must be callable (a transform such as "
                    f"transforms.ToTensor(), or a function), got {type(t).__name__}. Did "
                    f"you write ToTensor instead of ToTensor()?"
                )
        self.transform, self.target_transform = transform, target_transform

    def _apply(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        train = getattr(self, "train", None)
        return "" if train is None else f"Split: {'Train' if train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}"]
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return f"Dataset {type(self).__name__}\n" + "\n".join("    " + x for x in lines)


class MNIST(VisionDataset):
    """The MNIST digits: 60,000 training and 10,000 test images, 28 x 28 greyscale.

    Args:
        root: the folder that holds (or will hold) MNIST/raw/.
        train: the training set (True) or the test set (False).
        transform: applied to each Pillow image (e.g. transforms.ToTensor()).
        target_transform: applied to each label.
        download: fetch the two files this split needs if they are missing.

    `data` is a uint8 tensor (N, 28, 28), `targets` an int64 tensor (N,).
    """

    files = MNIST_FILES
    mirrors = MNIST_MIRRORS
    classes = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip

    def __init__(
        self,
        root,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        images, labels = self.files[:2] if train else self.files[2:]
        folder = Path(self.root) / type(self).__name__ / "raw"
        paths = [self._find(remote, folder, download) for remote in (images, labels)]
        data, targets = read_idx(paths[0], IMAGES_MAGIC), read_idx(paths[1], LABELS_MAGIC)
        if len(data) != len(targets):
            raise DatasetError(
                f"{type(self).__name__}: {paths[0].name} holds {len(data)} images but "
                f"{paths[1].name} {len(targets)} labels. Delete both and download them again."
            )
        self.data = Tensor._make(data)
        self.targets = Tensor._make(targets.astype(np.int64))

    def _find(self, remote, folder: Path, download: bool) -> Path:
        """The file: torchvision's unpacked copy if there is one, else the verified .gz."""
        unpacked = folder / remote.name.removesuffix(".gz")
        if unpacked.exists():
            return unpacked
        if not download and not (folder / remote.name).exists():
            raise DatasetError(
                f"{type(self).__name__}: dataset not found in {folder} ({remote.name} is "
                f"missing). Pass download=True to download it, or copy the files there."
            )
        return fetch(remote, self.mirrors, folder, download=download, siblings=self.files)

    def __len__(self) -> int:
        return len(self.data.array)

    def __getitem__(self, index):
        image = _pil_image().fromarray(self.data.array[index])  # mode 'L'
        return self._apply(image, int(self.targets.array[index]))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's sizes and format, ten kinds of clothing. Arguments and
    attributes as MNIST's; the files go in root/FashionMNIST/raw/."""

    files = FASHION_FILES
    mirrors = FASHION_MIRRORS
    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32 x 32, ten classes.

    Args: as MNIST's; the file is root/cifar-10-binary.tar.gz (170 MB, see the module
    docstring). `data` is a uint8 NumPy array (N, 32, 32, 3) and `targets` a list of ints, as
    torchvision's.
    """

    classes = list(CIFAR10_CLASSES)

    def __init__(
        self,
        root,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        path = fetch(CIFAR10_FILE, CIFAR10_MIRRORS, Path(self.root), download=download)
        batches, classes = read_cifar_archive(path)
        parts = [
            read_cifar_batch(batches[n], n) for n in (TRAIN_BATCHES if train else [TEST_BATCH])
        ]
        images = np.concatenate([p[0] for p in parts])
        self.data = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # (N, C, H, W) -> HWC
        self.targets = [int(t) for p in parts for t in p[1]]
        self.classes = classes

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index):
        image = _pil_image().fromarray(self.data[index])  # mode 'RGB'
        return self._apply(image, self.targets[index])


def pil_loader(path) -> object:
    """The image at `path` as an RGB Pillow image (what ImageFolder reads by default)."""
    with open(path, "rb") as f:
        image = _pil_image().open(f)
        return image.convert("RGB")


default_loader = pil_loader


class ImageFolder(VisionDataset):
    """Images sorted into one folder per class: root/cat/1.jpg, root/dog/2.png, ... The
    classes are the folder names, sorted; the label of an image is its folder's index.

    Args:
        root: the folder of class folders.
        transform, target_transform: as MNIST's.
        loader: reads a file into an image (default: Pillow, converted to RGB).
        is_valid_file: a function path -> bool choosing the files (default: by extension,
            IMG_EXTENSIONS).
        allow_empty: allow class folders without images.

    `classes`, `class_to_idx`, `samples` ((path, label) pairs, the files in sorted order) and
    `targets`, as torchvision's.
    """

    def __init__(
        self,
        root,
        transform=None,
        target_transform=None,
        loader=default_loader,
        is_valid_file=None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        folder = Path(self.root)
        if not folder.is_dir():
            raise DatasetError(
                f"ImageFolder: {folder} is not a folder. Give the folder that holds one "
                f"sub-folder per class, e.g. pets/ with pets/cat/*.jpg and pets/dog/*.jpg."
            )
        self.classes = sorted(e.name for e in os.scandir(folder) if e.is_dir())
        if not self.classes:
            raise DatasetError(
                f"ImageFolder: couldn't find any class folder in {folder}. Put the images in "
                f"one sub-folder per class, e.g. {folder}/cat/*.jpg and {folder}/dog/*.jpg."
            )
        valid = is_valid_file or (lambda p: str(p).lower().endswith(IMG_EXTENSIONS))
        self.samples: list[tuple[str, int]] = []
        for label, name in enumerate(self.classes):
            found = [
                (os.path.join(dirpath, f), label)
                for dirpath, _, files in sorted(os.walk(folder / name, followlinks=True))
                for f in sorted(files)
                if valid(os.path.join(dirpath, f))
            ]
            if not found and not allow_empty:
                raise DatasetError(
                    f"ImageFolder: found no valid file for the class {name} (in "
                    f"{folder / name}). Supported extensions are: {', '.join(IMG_EXTENSIONS)}; "
                    f"pass allow_empty=True to keep an empty class."
                )
            self.samples += found
        self.imgs = self.samples
        self.targets = [label for _, label in self.samples]
        self.loader = loader

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._apply(self.loader(path), target)


def __getattr__(name: str):
    # torchvision's other data sets raise a teaching error, not a bare AttributeError
    return compat.unsupported_attribute("torchvision.datasets", name)
