"""images.py: image folders the tests generate with Pillow, including files it cannot read."""

import numpy as np
import pytest

import scratchish as sh
from scratchish.datasets import DatasetError, ImageFolderSplit, image_folder

Image = pytest.importorskip("PIL.Image")


def make_folder(root, classes, n=5, size=(6, 4), mode="L"):
    """One sub-folder per class; every image of class k is filled with grey level 40 * (k+1)."""
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new(mode, size, 40 * (k + 1) if mode == "L" else (40 * (k + 1),) * 3).save(
                root / name / f"{i}.png"
            )
    return root


def test_reads_classes_labels_and_pixels(tmp_path):
    make_folder(tmp_path / "shades", ["a_dark", "b_mid", "c_light"])
    ds = image_folder(tmp_path / "shades", valid_pct=0.2, verbose=False)
    assert isinstance(ds, ImageFolderSplit)
    assert ds.classes == ["a_dark", "b_mid", "c_light"] and ds.name == "shades"
    assert ds.x_train.shape == (12, 1, 4, 6) and ds.x_valid.shape == (3, 1, 4, 6)
    assert ds.x_train.dtype == sh.float32 and ds.y_train.dtype == sh.int64
    # each image's pixels say which class it is in: labels and images stayed together
    x = np.concatenate([ds.x_train.numpy(), ds.x_valid.numpy()])
    y = np.concatenate([ds.y_train.numpy(), ds.y_valid.numpy()])
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), 40 * (y + 1) / 255, rtol=1e-6)
    assert ds.skipped == [] and ds.size == (4, 6)


def test_unreadable_files_are_skipped_counted_and_printed(tmp_path, capsys):
    root = make_folder(tmp_path / "pets", ["cat", "dog"], n=4)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "dog" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 garbage")
    png = (root / "dog" / "0.png").read_bytes()
    (root / "dog" / "truncated.png").write_bytes(png[: len(png) // 2])
    (root / "cat" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: ignored, not counted

    ds = image_folder(root, valid_pct=0.25)
    assert len(ds.y_train) + len(ds.y_valid) == 8
    assert sorted(f for f, _ in ds.skipped) == ["cat/notes.txt", "dog/broken.jpg",
                                                "dog/truncated.png"]  # fmt: skip
    assert all(reason for _, reason in ds.skipped)
    out = capsys.readouterr().err
    assert "8 images in 2 classes (cat 4, dog 4)" in out
    assert "skipped 3 unreadable files" in out and "dog/broken.jpg" in out


def test_images_of_different_sizes_get_the_most_common_size_or_the_one_asked(tmp_path):
    root = make_folder(tmp_path / "sizes", ["a", "b"], n=3, size=(10, 8))
    Image.new("L", (30, 5), 255).save(root / "a" / "odd.png")
    ds = image_folder(root, valid_pct=0, verbose=False)
    assert ds.size == (8, 10) and ds.x_train.shape == (7, 1, 8, 10)
    assert len(ds.y_valid) == 0
    x, _ = image_folder(root, size=16, split="train", verbose=False)
    assert x.shape[1:] == (1, 16, 16)
    x, _ = image_folder(root, size=(3, 7), split="valid", verbose=False)
    assert x.shape[1:] == (1, 3, 7)


def test_colour_is_kept_when_any_image_has_it(tmp_path):
    root = make_folder(tmp_path / "mixed", ["a", "b"], n=3)
    Image.new("RGB", (6, 4), (255, 0, 0)).save(root / "b" / "red.png")
    ds = image_folder(root, valid_pct=0, verbose=False)
    assert ds.x_train.shape == (7, 3, 4, 6)
    red = ds.x_train.numpy()[ds.y_train.numpy() == 1][-1]  # sorted: red.png is b's last file
    np.testing.assert_allclose(red[:, 0, 0], [1.0, 0.0, 0.0])
    grey = image_folder(root, channels=1, valid_pct=0, verbose=False)
    assert grey.x_train.shape == (7, 1, 4, 6)


def test_one_class_says_why_that_cannot_train(tmp_path):
    make_folder(tmp_path / "only", ["cat"])
    with pytest.raises(DatasetError) as err:
        image_folder(tmp_path / "only")
    msg = str(err.value)
    assert "only one class, 'cat'" in msg and "nothing to learn" in msg
    assert "Add at least one more sub-folder" in msg
    assert isinstance(err.value, ValueError)


def test_folder_layout_mistakes_are_explained(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        image_folder(tmp_path / "nowhere")
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("L", (4, 4)).save(flat / "x.png")
    with pytest.raises(DatasetError, match=r"has no sub-folders \(it holds 1 files\)"):
        image_folder(flat)
    root = make_folder(tmp_path / "pets", ["cat", "dog"], n=2)
    for p in (root / "dog").iterdir():
        p.write_bytes(b"not an image")
    with pytest.raises(DatasetError, match=r"dog holds no readable image \(2 files could not"):
        image_folder(root)


def test_too_few_images_for_a_validation_split_says_how_many_are_needed(tmp_path):
    make_folder(tmp_path / "tiny", ["a", "b"], n=1)
    with pytest.raises(DatasetError, match="At least 5 samples are needed"):
        image_folder(tmp_path / "tiny", valid_pct=0.2, verbose=False)


def test_the_split_feeds_a_tensor_dataset(tmp_path):
    data = pytest.importorskip("scratchish.data")
    ds = image_folder(make_folder(tmp_path / "s", ["a", "b"]), verbose=False)
    xb, yb = next(iter(data.DataLoader(ds.train_ds, batch_size=4)))
    assert xb.shape == (4, 1, 4, 6) and yb.shape == (4,)
