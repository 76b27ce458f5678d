"""`scratchish train / predict / datasets`, run in-process through train_cli.register."""

import argparse
import re

import pytest

from scratchish.learner.train_cli import register


def run(argv):
    parser = argparse.ArgumentParser(prog="scratchish")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args)


def test_default_train_reaches_97_percent_on_digits(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(["train", "--out", str(out), "--no-bars"]) == 0
    text = capsys.readouterr().out
    accuracy = float(re.search(r"validation: .*accuracy (\d\.\d+)", text).group(1))
    assert accuracy >= 0.97
    assert re.search(r"wall time: \d+\.\d s", text)
    assert "lr_find: Suggested learning rate" in text
    assert re.search(r"^\s+5\s+\d\.\d+", text, re.M)  # the per-epoch table's last row
    for name in ["model.safetensors", "losses.png", "confusion_matrix.png", "lr_find.png",
                 "history.csv"]:  # fmt: skip
        assert (out / name).is_file(), name
        assert str(out / name) in text  # says where
    assert (out / "losses.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left

    # predict with the saved model: an image tensor file is not needed, use a PNG
    from PIL import Image

    import scratchish as sh

    x, y = sh.datasets.digits(split="valid")
    image = Image.fromarray((x[0, 0].numpy() * 255).astype("uint8"))
    image.save(tmp_path / "digit.png")
    assert run(["predict", str(out / "model.safetensors"), str(tmp_path / "digit.png")]) == 0
    assert f"digit.png: {y[0].item()} (probability" in capsys.readouterr().out

    assert run(["predict", str(out / "model.safetensors"), "1,2,3"]) == 2
    err = capsys.readouterr().err
    assert "expected an image file" in err


def test_train_a_csv_and_predict_a_row(tmp_path, capsys, write_table):
    path = write_table(tmp_path / "table.csv")
    out = tmp_path / "run"
    args = ["train", str(path), "--target", "label", "--epochs", "6", "--lr", "0.01"]
    assert run([*args, "--out", str(out), "--no-bars"]) == 0
    text = capsys.readouterr().out
    assert float(re.search(r"accuracy (\d\.\d+)", text.split("validation:")[1]).group(1)) >= 0.75
    assert (out / "model.safetensors").is_file() and (out / "confusion_matrix.png").is_file()
    model = str(out / "model.safetensors")
    assert run(["predict", model, "x1=2.5", "color=red"]) == 0
    assert "label = yes" in capsys.readouterr().out
    assert run(["predict", model, str(path)]) == 0
    assert capsys.readouterr().out.count("line ") == 300
    assert run(["predict", model, "picture.png"]) == 2
    assert "reads table rows" in capsys.readouterr().err


def test_train_errors_are_plain(tmp_path, capsys, write_table):
    path = write_table(tmp_path / "table.csv", n=30)
    assert run(["train", str(path), "--target", "price", "--out", str(tmp_path / "r")]) == 2
    assert (
        "no column named 'price'. The columns are: x1, x2, color, label" in capsys.readouterr().err
    )
    assert run(["train", "no_such_data_set_xyz"]) == 2
    assert "no data set named 'no_such_data_set_xyz'" in capsys.readouterr().err
    assert run(["train", "--lr", "fast"]) == 2
    assert "--lr must be 'auto' or a number" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy overflow, expected
def test_train_diverging_lr_stops_with_an_explanation(tmp_path, capsys, write_table):
    path = write_table(tmp_path / "table.csv", n=100)
    argv = ["train", str(path), "--lr", "1e30", "--epochs", "2", "--out", str(tmp_path / "r")]
    assert run([*argv, "--no-bars"]) == 1
    assert "lr_find" in capsys.readouterr().err


def test_datasets_lists_what_exists(capsys):
    assert run(["datasets"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^digits\s+images 1x8x8.*bundled", text, re.M)
    assert re.search(r"^mnist\s+.*(cached|not downloaded)", text, re.M)
    assert "scratchish train NAME" in text


def test_help_is_for_newcomers(capsys):
    with pytest.raises(SystemExit):
        run(["train", "--help"])
    text = capsys.readouterr().out
    assert "bundled" in text and "--target COLUMN" in text and "examples:" in text
