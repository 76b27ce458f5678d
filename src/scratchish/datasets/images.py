"""Your own images: a folder with one sub-folder per class, read with Pillow into tensors.

    pets/
      cat/  001.jpg 002.png ...
      dog/  001.jpg ...

`image_folder("pets")` reads every image, skips (and counts) the files Pillow cannot read,
resizes all of them to one size and splits them at random into training and validation parts.
Read next: text.py, the same for text.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..tensor import Tensor
from .builtin import Split, check_split_args, random_split, select, to_split
from .download import DatasetError

GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}  # Pillow modes with one colour channel


@dataclass(repr=False)
class ImageFolderSplit(Split):
    """A Split read from an image folder, plus what was left out and why.

    Attributes (beyond Split's):
        skipped: (file, reason) for every file Pillow could not read.
        size: the (height, width) every image was resized to.
    """

    skipped: list[tuple[str, str]] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "image_folder reads images with Pillow, which is not installed. Install it with: "
            "pip install 'scratchish[datasets]'"
        ) from None
    return Image


def image_folder(
    path: str | os.PathLike,
    size: int | tuple[int, int] | None = None,
    valid_pct: float = 0.2,
    seed: int = 0,
    channels: int | None = None,
    split: str | None = None,
    verbose: bool = True,
) -> Split | tuple[Tensor, Tensor]:
    """Read a folder of images with one sub-folder per class.

    Files are read in sorted order; hidden files (names starting with ".") are ignored, and
    every other file that Pillow cannot read is skipped and listed in the result's `skipped`
    (and in the printed summary). Class names are the sub-folder names, sorted.

    Args:
        path: the folder; each sub-folder is a class and holds that class's images (sub-folders
            of a class folder are searched too).
        size: the size every image is resized to: an int for squares, or (height, width).
            None uses the most common size among the images.
        valid_pct: the fraction kept (at random) for validation.
        seed: seeds the random split.
        channels: 1 (grey) or 3 (RGB); None gives 1 if every image is grey, else 3.
        split: None for the whole split, 'train' or 'valid' for that part's (x, y).
        verbose: print a summary (images per class, size, files skipped).

    Shape:
        x: (N, channels, height, width) float32 in [0, 1]. y: (N,) int64.

    Returns:
        An ImageFolderSplit (or a pair of tensors if `split` is given).

    Example:
        >>> import tempfile, os
        >>> from PIL import Image
        >>> root = tempfile.mkdtemp()
        >>> for c, shade in [("dark", 20), ("light", 230)]:
        ...     os.makedirs(os.path.join(root, c))
        ...     for i in range(5):
        ...         Image.new("L", (6, 4), shade).save(os.path.join(root, c, f"{i}.png"))
        >>> ds = image_folder(root, verbose=False)
        >>> ds.classes, ds.x_train.shape, ds.size
        (['dark', 'light'], scratchish.Size([8, 1, 4, 6]), (4, 6))
    """
    check_split_args(split, valid_pct, "image_folder")
    image_module = _pillow()
    root = Path(path)
    class_dirs = _class_folders(root)
    images, labels, skipped = [], [], []
    for label, folder in enumerate(class_dirs):
        n_read = 0
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in file.relative_to(root).parts):
                continue
            try:
                with image_module.open(file) as img:
                    img.load()  # decode now, so a truncated file fails here
                    images.append(img.copy())
            except Exception as e:  # any file Pillow rejects (format, truncation, size) is skipped
                skipped.append((str(file.relative_to(root)), _reason(e)))
                continue
            labels.append(label)
            n_read += 1
        if n_read == 0:
            raise DatasetError(
                f"image_folder: the class folder {folder} holds no readable image"
                f"{_skipped_note(skipped, folder.name)}. Every class needs images to learn "
                f"from: add some, or remove the folder."
            )
    size = _target_size(size, images)
    channels = _channels(channels, images)
    x = np.stack([_to_array(img, size, channels, image_module) for img in images])
    y = np.array(labels, dtype=np.int64)
    classes = [d.name for d in class_dirs]
    train, valid = random_split(len(y), valid_pct, seed, "image_folder")
    parts = to_split(x[train], y[train], x[valid], y[valid], classes, root.name)
    result = ImageFolderSplit(*parts, classes=classes, name=root.name, skipped=skipped, size=size)
    if verbose:
        print(summary(result, y), file=sys.stderr)
    return select(result, split)


def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise DatasetError(
            f"image_folder: {root} {what}. Give a folder with one sub-folder "
            f"per class, e.g. pets/cat/*.jpg and pets/dog/*.jpg."
        )
    dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not dirs:
        n_files = sum(1 for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
        raise DatasetError(
            f"image_folder: {root} has no sub-folders (it holds {n_files} files). The class of "
            f"each image is the name of the sub-folder it is in, so put the images in one "
            f"sub-folder per class, e.g. {root}/cat/*.jpg and {root}/dog/*.jpg."
        )
    if len(dirs) == 1:
        raise DatasetError(
            f"image_folder: {root} has only one class, {dirs[0].name!r}. A classifier learns "
            f"to tell classes apart; with a single class the answer is always the same, so "
            f"there is nothing to learn (the loss is zero from the start). Add at least one "
            f"more sub-folder of images, e.g. {root}/not_{dirs[0].name}/."
        )
    return dirs


def _reason(e: Exception) -> str:
    text = str(e).split(" '")[0] if "cannot identify image file" in str(e) else str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _skipped_note(skipped, class_name: str) -> str:
    mine = [f for f, _ in skipped if Path(f).parts[0] == class_name]
    return f" ({len(mine)} files could not be read, e.g. {mine[0]})" if mine else " (it is empty)"


def _target_size(size, images) -> tuple[int, int]:
    if size is None:  # Pillow sizes are (width, height); ours are (height, width)
        (width, height), _ = Counter(img.size for img in images).most_common(1)[0]
        return height, width
    if isinstance(size, int):
        size = (size, size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise DatasetError(
            f"image_folder: size={size!r} must be a positive int or a pair "
            f"(height, width) of positive ints."
        )
    return tuple(size)


def _channels(channels, images) -> int:
    if channels is None:
        return 1 if all(img.mode in GREY_MODES for img in images) else 3
    if channels not in (1, 3):
        raise DatasetError(f"image_folder: channels={channels!r} must be 1 (grey) or 3 (RGB).")
    return channels


def _to_array(img, size, channels, image_module) -> np.ndarray:
    """One image -> (channels, height, width) float32 in [0, 1]."""
    img = img.convert("L" if channels == 1 else "RGB")
    height, width = size
    if img.size != (width, height):
        img = img.resize((width, height), image_module.BILINEAR)
    array = np.asarray(img, dtype=np.float32) / np.float32(255)
    # (H, W) -> (1, H, W); (H, W, C) -> (C, H, W), the layout conv layers expect
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def summary(result: ImageFolderSplit, y: np.ndarray) -> str:
    """A few lines saying what was read and what was skipped."""
    counts = ", ".join(f"{c} {n}" for c, n in zip(result.classes, np.bincount(y)))
    height, width = result.size
    lines = [
        f"image_folder: {len(y)} images in {len(result.classes)} classes ({counts}), resized to "
        f"{height}x{width}: {len(result.y_train)} train, {len(result.y_valid)} valid."
    ]
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)} unreadable files:")
        lines += [f"  {file}: {reason}" for file, reason in result.skipped[:10]]
        if len(result.skipped) > 10:
            lines.append(f"  ... and {len(result.skipped) - 10} more (see .skipped)")
    return "\n".join(lines)
