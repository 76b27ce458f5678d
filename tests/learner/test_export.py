"""export() and load_learner(): a model reloads without the training code and without pickle."""

import json
import subprocess
import sys

import numpy as np
import pytest

import scratchish as sh
from scratchish.errors import ArgumentError
from scratchish.learner import DataLoaders, Learner, image_learner, load_learner

SCRIPT = """
import sys, numpy as np
from scratchish.learner import load_learner
learn = load_learner(sys.argv[1])
x = np.load(sys.argv[2])
print(learn.predict(x).index, repr(learn.predict(x).probs.numpy().tolist()))
"""


def test_exported_model_predicts_the_same_in_a_fresh_process(tmp_path):
    sh.manual_seed(0)
    learn = image_learner(sh.datasets.digits(), path=tmp_path, progress=False)
    learn.fit_one_cycle(1, 1e-2)
    path = learn.export("digits.safetensors")
    assert path == tmp_path / "digits.safetensors"
    header = json.loads(path.read_bytes()[8 : 8 + int.from_bytes(path.read_bytes()[:8], "little")])
    assert "SimpleCNN" in header["__metadata__"]["scratchish.structure"]  # JSON, not pickle
    x = learn.dls.valid.dataset[0][0]
    np.save(tmp_path / "x.npy", x.numpy())
    expected = learn.predict(x)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(tmp_path / "x.npy")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    index, probs = done.stdout.split(" ", 1)
    assert int(index) == expected.index
    np.testing.assert_allclose(eval(probs), expected.probs.numpy(), rtol=1e-6)  # noqa: S307
    again = load_learner(path)
    assert again.dls.classes == learn.dls.classes
    np.testing.assert_array_equal(again.predict(x).probs.numpy(), expected.probs.numpy())


def test_text_and_table_models_round_trip(tmp_path, write_table):
    from scratchish.learner import learner_for

    text = tmp_path / "t.txt"
    text.write_text("abcabcabd " * 40)
    sh.manual_seed(0)
    learn = learner_for(text, path=tmp_path, progress=False, block_size=16, n_embd=16)
    learn.fit(1, 1e-2)
    again = load_learner(learn.export())
    sh.manual_seed(5)
    a = learn.predict("abc", n_chars=10)
    sh.manual_seed(5)
    assert again.predict("abc", n_chars=10) == a

    table = write_table(tmp_path / "t.csv", n=60)
    sh.manual_seed(0)
    learn = learner_for(table, path=tmp_path, progress=False)
    learn.fit(1, 1e-2)
    again = load_learner(learn.export("table"))
    row = {"x1": "0.5", "x2": "", "color": "blue"}
    np.testing.assert_allclose(again.predict(row).probs.numpy(), learn.predict(row).probs.numpy())


def test_export_of_a_custom_model_explains_the_alternative(tmp_path):
    x, y = sh.randn(8, 2), sh.zeros(8)
    learn = Learner(DataLoaders.from_tensors(x, y, x, y), sh.nn.Linear(2, 1), path=tmp_path)
    with pytest.raises(ArgumentError, match="not a built-in model.*state_dict"):
        learn.export()
    with pytest.raises(ArgumentError, match="not an exported model"):
        learn.save("ckpt")
        load_learner(tmp_path / "models" / "ckpt.safetensors")


def test_plots_and_results_are_written_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    sh.manual_seed(0)
    learn = image_learner(sh.datasets.digits(), path=tmp_path, progress=False)
    learn.fit(1, 1e-2)
    learn.plot_losses(tmp_path / "losses.png")
    learn.plot_confusion_matrix(tmp_path / "cm.png")
    learn.show_results(6, fname=tmp_path / "results.png")
    losses, idx = learn.top_losses(5)
    assert losses.shape == (5,) and (np.diff(losses.numpy()) <= 0).all()
    counts = learn.confusion_matrix()
    assert counts.sum() == len(learn.dls.valid.dataset)
    for name in ["losses.png", "cm.png", "results.png"]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []
