"""`scratchish run` and `run --check`: PyTorch-style scripts run under scratchish and under real
PyTorch give the same printed numbers; notebooks run cell by cell; errors show the user's line.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchish
from scratchish import cli, compat

SCRIPTS = Path(__file__).resolve().parent / "scripts"
SRC = Path(scratchish.__file__).resolve().parent.parent

# script -> the scratchish names it needs beyond the engine (others are still writing them)
COMPARED = {
    "tutorial_polynomial_autograd.py": (),
    "tutorial_custom_function.py": (),
    "lecture_bigram.py": (),
    "tutorial_polynomial_nn.py": ("nn.Sequential", "nn.Linear", "nn.Flatten", "nn.MSELoss"),
    "tutorial_polynomial_optim.py": (
        "nn.Sequential",
        "nn.Linear",
        "nn.Flatten",
        "nn.MSELoss",
        "optim.SGD",
    ),
    "book_d2l_lazy.py": ("nn.LazyConv2d", "nn.LazyLinear"),
}

# every script runs under real torch in one subprocess (importing torch costs ~2 s)
DRIVER = r"""
import contextlib, io, json, runpy, sys
results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results[path] = {"stdout": out.getvalue(), "error": None}
    except Exception as e:
        results[path] = {"stdout": out.getvalue(), "error": repr(e)}
print(json.dumps(results))
"""

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _missing(names) -> list:
    missing = []
    for name in names:
        module_name, _, attribute = name.rpartition(".")
        try:
            module = __import__(f"scratchish.{module_name}", fromlist=[attribute])
        except ImportError:
            missing.append(name)
            continue
        if not hasattr(module, attribute):
            missing.append(name)
    return missing


@pytest.fixture(scope="module", autouse=True)
def torch_process():
    """Every compared script run under real torch, in one subprocess started with this module's
    first test: it runs while the other tests do, and the comparisons at the end read it."""
    try:
        import torch  # noqa: F401
    except ImportError:
        yield None
        return
    paths = [str(SCRIPTS / name) for name in COMPARED]
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=SCRIPTS,
    )
    yield process
    process.kill()
    process.communicate()


@pytest.fixture(scope="module")
def torch_outputs(torch_process):
    if torch_process is None:
        pytest.skip("torch is not installed")
    out, err = torch_process.communicate(timeout=300)
    assert torch_process.returncode == 0, err
    return {Path(path).name: result for path, result in json.loads(out).items()}


@pytest.fixture(autouse=True)
def hook_removed_afterwards():
    yield
    assert not compat.is_enabled(), "scratchish run left the import hook installed"


def run(capsys, *argv):
    """`scratchish ...argv` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_notebook_cells_run_in_order_with_magics_skipped(capsys):
    path = SCRIPTS / "notebook_basics.ipynb"
    code, out, err = run(capsys, "run", str(path))
    assert code == 0, err
    assert out.splitlines() == [
        "tensor([1., 2., 3.], requires_grad=True)",  # a cell's last expression is shown
        "tensor([2., 4., 6.])",
        "printed",  # print output, then the value of the last line
        "'scratchish.tensor'",
        # `x.grad.sum().item();` shows nothing: the `;` hides it, as in Jupyter
        "tensor([2., 4., 6.])",
        "'agg'",  # matplotlib is headless
        # a last expression that is None shows nothing
    ]
    assert err.splitlines() == [
        "scratchish run: cell 2, line 1: skipped the IPython magic `%matplotlib inline`",
        "scratchish run: cell 3, line 1: skipped the IPython magic `!pip install nothing`",
        "scratchish run: cell 4: skipped (the cell magic %%time needs IPython)",
    ]


def test_arguments_name_folder_and_exit_code(capsys, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    argv, path = list(sys.argv), list(sys.path)
    code, out, err = run(capsys, "run", str(SCRIPTS / "args_and_exit.py"), "3", "--flag")
    assert code == 3, err
    assert out.splitlines() == [
        "argv ['3', '--flag']",
        "name __main__",
        "torch scratchish.tensor",
        "folder on path True",
        "backend agg",
    ]
    assert sys.argv == argv and sys.path == path and "MPLBACKEND" not in os.environ


def test_not_json_notebook_names_the_file_and_the_position(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [\n  {"cell_type": "code",, }\n]}')
    code, out, err = run(capsys, "run", str(broken))
    assert code == 1 and out == ""
    assert err.startswith(
        f"scratchish run: {broken} is not a valid notebook: it is not JSON "
        f"(Expecting property name enclosed in double quotes at line 2, "
        f"column 24)."
    )


def test_missing_file_names_the_path(tmp_path, capsys):
    missing = tmp_path / "nowhere.py"
    code, _, err = run(capsys, "run", str(missing))
    assert code == 1
    assert err.strip() == f"scratchish run: no such file: {missing} [bad-argument]"


def test_the_scripts_own_error_is_shown_as_theirs():
    # a real process: the console's exit code and stderr, as a user sees them
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "scratchish.cli", "run", "raises_own_error.py"],
        capture_output=True,
        text=True,
        cwd=SCRIPTS,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last, your code only):"
    assert lines[1] == '  File "raises_own_error.py", line 14, in <module>'
    assert '  File "raises_own_error.py", line 8, in learning_rate_for' in lines
    assert lines[-1] == "ValueError: no learning rate planned for epoch 2"
    assert "runpy" not in done.stderr and "scratchish" not in done.stderr


def test_a_tensor_method_scratchish_lacks_gets_the_teaching_message(capsys):
    # Tensor has no __getattr__ (it would slow down every op): the runner adds the message
    path = SCRIPTS / "uses_missing_tensor_method.py"
    code, out, err = run(capsys, "run", str(path))
    assert code == 1 and out == ""
    assert f'  File "{path}", line 6, in <module>' in err.splitlines()
    last = err.splitlines()[-1]
    assert last.startswith("scratchish.compat.UnsupportedAPIError: torch.Tensor.viwe: ")
    assert "Did you mean torch.Tensor.view" in last and "scratchish run --check" in last
    assert "runner.py" not in err


def test_unsupported_api_in_a_script_names_their_line_and_the_alternative(capsys):
    path = SCRIPTS / "uses_fft.py"
    code, out, err = run(capsys, "run", str(path))
    assert code == 1 and out == ""
    assert f'  File "{path}", line 6, in <module>' in err.splitlines()
    assert err.splitlines()[-1] == (
        "scratchish.compat.UnsupportedAPIError: torch.fft is not available in scratchish: "
        "Fourier transforms are not in scratchish. Without gradients, use NumPy: "
        "torch.from_numpy(numpy.fft.fft(t.detach().numpy())). [unsupported]"
    )
    assert "compat.py" not in err and "runner.py" not in err


def test_an_unexplained_error_inside_scratchish_says_where(tmp_path, capsys):
    script = tmp_path / "odd.py"
    script.write_text(
        "import torch\n\nx = torch.tensor([1.0])\nx.__array__(dtype='no such dtype')\n"
    )
    code, _, err = run(capsys, "run", str(script))
    assert code == 1
    lines = err.splitlines()
    assert lines[1] == f'  File "{script}", line 4, in <module>'
    assert re.fullmatch(
        r"  \(raised inside scratchish, scratchish/tensor\.py, line \d+; if your code looks "
        r"right, this may be a scratchish bug worth reporting\)",
        lines[-2],
    )
    assert lines[-1].startswith("TypeError: ")


def test_check_lists_names_and_support(capsys):
    path = SCRIPTS / "check_me.py"
    code, out, err = run(capsys, "run", "--check", str(path))
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == f"{path}: the torch names it uses, and whether scratchish supports them"
    assert "  torch.manual_seed (line 7): ok" in lines
    assert "  torch.randn (line 8): ok" in lines
    assert "  torch.cuda.is_available (line 15): ok" in lines
    assert (
        "  torch.fft.fft (line 12): NOT SUPPORTED. torch.fft is not available in scratchish: "
        "Fourier transforms are not in scratchish. Without gradients, use NumPy: "
        "torch.from_numpy(numpy.fft.fft(t.detach().numpy()))."
    ) in lines
    assert (
        "  torch.compile (line 14): NOT SUPPORTED. torch.compile is not available in "
        "scratchish: not needed: scratchish runs your code as it is (there is nothing to "
        "compile). Remove the call: use `model` where you had `torch.compile(model)`."
    ) in lines
    # aliases are resolved: `nn.Module` and `F.softmax` are reported under their torch names
    names = [line.split(" (")[0].strip() for line in lines[1:-1]]
    assert "torch.nn.Module" in names and "torch.nn.functional.softmax" in names
    assert "torch.nn.functional.relu" in names  # the long spelling, as one name
    assert not any("view" in n for n in names)  # methods on results are not followed
    assert lines[-1].endswith("2 not supported.")


def test_check_passes_a_fully_supported_script_and_reads_notebooks(capsys):
    code, out, _ = run(capsys, "run", "--check", str(SCRIPTS / "tutorial_polynomial_autograd.py"))
    assert code == 0
    assert "  torch.no_grad (line 43): ok" in out.splitlines()
    code, out, _ = run(capsys, "run", "--check", str(SCRIPTS / "notebook_basics.ipynb"))
    assert code == 0
    assert "  torch.tensor (cell 2, line 4): ok" in out.splitlines()


# torch functions added for math, statistics and shape lessons: `run --check` must call them
# supported, and each that torch also has as a Tensor method must be one here too
ADDED_FUNCTIONS = (
    "asin acos atan asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh atan2 "
    "arctan2 hypot logaddexp logaddexp2 xlogy logit copysign sgn signbit heaviside sinc "
    "deg2rad rad2deg floor_divide true_divide float_power fmax fmin isneginf isposinf erfc "
    "erfinv nansum nanmean nanmedian aminmax kthvalue mode cummax cummin logcumsumexp quantile "
    "nanquantile msort clone index_select select roll rot90 diff tensor_split unflatten ravel "
    "swapdims adjoint masked_scatter searchsorted bucketize lgamma digamma polygamma mvlgamma i0 "
    "igamma igammac"
).split()
NOT_TENSOR_METHODS = {"searchsorted", "bucketize"}  # torch has them as functions only


def test_check_calls_the_added_functions_supported():
    from scratchish.runner import check_name

    for name in ADDED_FUNCTIONS:
        assert check_name(f"torch.{name}") is None, name
        if name not in NOT_TENSOR_METHODS:
            assert callable(getattr(scratchish.Tensor, name)), name


def test_torch_special_is_supported_and_its_missing_names_advise():
    from scratchish.runner import check_name

    for name in ("erfinv", "gammaln", "digamma", "polygamma", "i0e", "ndtri", "xlog1py", "zeta"):
        assert check_name(f"torch.special.{name}") is None, name
    message = check_name("torch.special.bessel_j0")
    # the advice lists what torch.special has here: each of those names must exist
    named = re.findall(r"\b([a-z][a-z0-9_]+)\b", message.split("has the gamma family")[1])
    listed = [n for n in named if n in {"gammaln", "erfcx", "log_ndtr", "entr", "xlogy"}]
    assert len(listed) == 5
    assert all(check_name(f"torch.special.{n}") is None for n in listed)


NEW_NN_NAMES = {
    "nn": (
        "ELU SELU CELU GLU ReLU6 Hardtanh Hardswish Hardsigmoid Mish Softsign Tanhshrink "
        "Threshold PReLU LogSigmoid Softplus GroupNorm InstanceNorm1d InstanceNorm2d "
        "LocalResponseNorm CosineSimilarity PairwiseDistance KLDivLoss HuberLoss "
        "MarginRankingLoss CosineEmbeddingLoss TripletMarginLoss HingeEmbeddingLoss "
        "LazyLinear LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d "
        "LazyConvTranspose3d LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d LazyInstanceNorm1d "
        "LazyInstanceNorm2d LazyInstanceNorm3d UninitializedParameter UninitializedBuffer "
        "SoftMarginLoss MultiLabelSoftMarginLoss MultiMarginLoss PoissonNLLLoss GaussianNLLLoss "
        "Conv1d MaxPool1d AvgPool1d AdaptiveMaxPool2d Dropout1d Dropout2d AlphaDropout "
        "FeatureAlphaDropout Upsample UpsamplingNearest2d UpsamplingBilinear2d Unfold Fold "
        "Softmin Softmax2d Hardshrink Softshrink AdaptiveAvgPool1d AdaptiveMaxPool1d "
        "Dropout3d InstanceNorm3d RMSNorm ZeroPad1d ZeroPad2d ConstantPad1d ConstantPad2d "
        "PixelShuffle PixelUnshuffle MultiLabelMarginLoss TripletMarginWithDistanceLoss "
        "ConvTranspose1d ConvTranspose2d ReflectionPad1d ReflectionPad2d ReflectionPad3d "
        "ReplicationPad1d ReplicationPad2d ReplicationPad3d CircularPad1d CircularPad2d "
        "CircularPad3d ConstantPad3d ZeroPad3d Conv3d ConvTranspose3d MaxPool3d AvgPool3d "
        "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer "
        "TransformerDecoderLayer"
    ),
    "F": (
        "elu elu_ selu selu_ celu celu_ glu relu6 hardtanh hardtanh_ hardswish hardsigmoid "
        "mish softsign tanhshrink threshold threshold_ prelu silu logsigmoid softplus "
        "normalize cosine_similarity pairwise_distance pdist group_norm instance_norm "
        "local_response_norm kl_div huber_loss margin_ranking_loss cosine_embedding_loss "
        "triplet_margin_loss hinge_embedding_loss soft_margin_loss multilabel_soft_margin_loss "
        "multi_margin_loss poisson_nll_loss gaussian_nll_loss conv1d avg_pool1d max_pool1d "
        "adaptive_max_pool2d dropout1d dropout2d alpha_dropout feature_alpha_dropout "
        "interpolate unfold fold softmin hardshrink softshrink adaptive_avg_pool1d "
        "adaptive_max_pool1d dropout3d rms_norm pixel_shuffle pixel_unshuffle leaky_relu_ "
        "upsample upsample_nearest upsample_bilinear multilabel_margin_loss "
        "triplet_margin_with_distance_loss conv_transpose1d conv_transpose2d conv3d "
        "conv_transpose3d max_pool3d avg_pool3d"
    ),
}


def test_check_knows_the_activations_norms_losses_and_layers_courses_use(tmp_path, capsys):
    lines = ["import torch.nn as nn", "import torch.nn.functional as F"]
    lines += [f"{owner}.{name}" for owner, names in NEW_NN_NAMES.items() for name in names.split()]
    script = tmp_path / "layers.py"
    script.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "run", "--check", str(script))
    assert "NOT SUPPORTED" not in out
    assert code == 0
    assert out.splitlines()[-1] == f"{len(lines)} names, {len(lines)} supported, 0 not supported."


# the comparisons come last: they wait for the torch subprocess started with the first test
@pytest.mark.parametrize("name", list(COMPARED))
def test_script_gives_torchs_numbers(name, torch_outputs, capsys):
    missing = _missing(COMPARED[name])
    if missing:
        pytest.skip(f"scratchish does not have {missing} yet")
    in_torch = torch_outputs[name]
    assert in_torch["error"] is None, in_torch["error"]
    code, out, err = run(capsys, "run", str(SCRIPTS / name))
    assert code == 0, err
    assert "final loss" in out
    # the same lines with the same words, and numbers equal to float32 rounding
    assert NUMBER.sub("#", out) == NUMBER.sub("#", in_torch["stdout"])
    ours = np.array([float(n) for n in NUMBER.findall(out)])
    theirs = np.array([float(n) for n in NUMBER.findall(in_torch["stdout"])])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def _fake_fashion_mnist(root, name="FashionMNIST", sizes=(256, 64)):
    """Small Fashion-MNIST (or MNIST: `name`) files, unpacked as torchvision leaves them, that
    a network can learn: class k lights up rows 2k to 2k + 2."""
    import struct

    rng = np.random.default_rng(0)
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    for prefix, n in zip(("train", "t10k"), sizes):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 * k : 2 * k + 3] = 250
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = struct.pack(">BBBB", 0, 0, 8, array.ndim)
            header += b"".join(struct.pack(">I", d) for d in array.shape)
            (raw / f"{prefix}-{kind}-ubyte").write_bytes(header + array.tobytes())


def test_pytorchs_quickstart_runs_unchanged(tmp_path, capsys):
    # pytorch.org's first tutorial: torchvision's FashionMNIST and ToTensor, a DataLoader, an
    # MLP, SGD, and torch.save / torch.load of the weights as model.pth
    pytest.importorskip("PIL")
    _fake_fashion_mnist(tmp_path)
    code, out, err = run(capsys, "run", str(SCRIPTS / "tutorial_quickstart.py"), str(tmp_path))
    assert code == 0, err
    assert "Shape of X [N, C, H, W]:" in out and "[64, 1, 28, 28]" in out
    assert "Using cpu device" in out and "Done!" in out
    accuracy = float(re.search(r"final accuracy (\S+)", out).group(1))
    assert accuracy > 0.8  # the made-up classes are easy: 10% is chance
    weights = scratchish.load(tmp_path / "model.pth")
    assert weights["linear_relu_stack.0.weight"].shape == (512, 784)
    try:
        import torch
    except ImportError:
        return
    theirs = torch.load(tmp_path / "model.pth", weights_only=True)  # PyTorch reads the file
    np.testing.assert_array_equal(
        theirs["linear_relu_stack.4.bias"].numpy(), weights["linear_relu_stack.4.bias"].numpy()
    )


def test_a_jupyter_magic_in_a_py_file_is_explained(tmp_path, capsys):
    script = tmp_path / "pasted.py"
    script.write_text("%matplotlib inline\nimport torch\nprint(torch.ones(2))\n")
    for argv in (["run", str(script)], ["run", "--check", str(script)]):
        code, _, err = run(capsys, *argv)
        assert code == 1
        assert "SyntaxError" in err
        assert "%matplotlib is a Jupyter command" in err and "delete the line" in err
    script.write_text("x = (1,\n")  # an ordinary syntax error gets no such note
    code, _, err = run(capsys, "run", str(script))
    assert code == 1 and "SyntaxError" in err and "Jupyter" not in err


def test_pytorchs_cifar10_tutorial_runs_unchanged(tmp_path, capsys, monkeypatch):
    # "Training a Classifier": torchvision's CIFAR10 with Compose(ToTensor, Normalize),
    # DataLoader(num_workers=2), make_grid + plt.show, a CNN, SGD, torch.save of cifar_net.pth
    pytest.importorskip("PIL")
    pytest.importorskip("matplotlib")
    import hashlib

    from helpers import cifar_archive
    from scratchish import vision
    from scratchish.datasets import RemoteFile

    data, _ = cifar_archive(tmp_path / "cifar-10-binary.tar.gz", 40, 20, learnable=True)
    remote = RemoteFile("cifar-10-binary.tar.gz", len(data), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(vision.datasets, "CIFAR10_FILE", remote)
    script = str(SCRIPTS / "tutorial_cifar10.py")
    code, out, err = run(capsys, "run", script, str(tmp_path), "6")
    assert code == 0, err
    assert "Finished Training" in out and "GroundTruth:" in out and "Predicted:" in out
    assert "Accuracy of the network on the 20 test images:" in out
    assert out.count("Accuracy for class:") >= 5
    net = scratchish.load(tmp_path / "cifar_net.pth")
    assert net["conv1.weight"].shape == (6, 3, 5, 5) and net["fc3.bias"].shape == (10,)


def test_pytorchs_dcgan_tutorial_runs_unchanged(tmp_path, capsys):
    # ImageFolder + Resize/CenterCrop on Pillow images, transposed convolutions, BCELoss,
    # two Adams, net.apply(weights_init), make_grid(normalize=True) of the fakes
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    (tmp_path / "celeba").mkdir()
    for i in range(16):
        pixels = rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)
        image_module.fromarray(pixels).save(tmp_path / "celeba" / f"{i:03d}.jpg")
    code, out, err = run(capsys, "run", str(SCRIPTS / "tutorial_dcgan.py"), str(tmp_path), "1")
    assert code == 0, err
    # 16 images of 64 x 64 at 8 a row, 2 pixels apart: 2 rows of 66 + 2, 8 columns of 66 + 2
    assert "training images grid: (3, 68, 530)" in out
    assert out.count("Loss_D:") == 2  # two batches of 8
    assert "fakes grid: (530, 530, 3) in [0.0, 1.0]" in out
    losses = [float(v) for v in re.search(r"final losses D (\S+) G (\S+)", out).groups()]
    assert all(np.isfinite(losses)) and losses[0] > 0 and losses[1] > 0


def test_pytorchs_transfer_learning_tutorial_runs_unchanged(tmp_path, capsys, monkeypatch):
    # ImageFolder with RandomResizedCrop, torchvision's resnet18(weights="IMAGENET1K_V1")
    # from PyTorch's cache (a file made here stands in for the download), a new fc, StepLR,
    # torch.set_grad_enabled, the best weights through a .pt file, frozen parameters
    image_module = pytest.importorskip("PIL.Image")
    from scratchish import hub
    from scratchish.vision import models

    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("val", 2)):
        for name in ("ants", "bees"):
            folder = tmp_path / "data" / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                h, w = rng.integers(150, 260, 2)
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                image_module.fromarray(pixels).save(folder / f"{i}.jpg")
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    scratchish.save(models.resnet18().state_dict(), checkpoints / "resnet18-f37072fd.pth")
    script = str(SCRIPTS / "tutorial_transfer_learning.py")
    code, out, err = run(capsys, "run", script, str(tmp_path / "data"), "1")
    assert code == 0, err
    assert "classes ['ants', 'bees'], sizes {'train': 8, 'val': 4}, device cpu" in out
    assert out.count("train Loss:") == 2 and out.count("Best val Acc:") == 2
    losses = [float(v) for v in re.findall(r"train Loss: (\S+)", out)]
    assert all(0 < v < 5 for v in losses)
    assert "frozen layers unchanged: True" in out
    assert re.search(r"Predicted: (ants|bees)", out)


def test_pytorchs_spatial_transformer_tutorial_runs_unchanged(tmp_path, capsys):
    # MNIST with Normalize, a localization network whose 2x3 maps go through
    # F.affine_grid and F.grid_sample (defaults: align_corners=False, bilinear, zeros),
    # Dropout2d, nll_loss(size_average=False), make_grid and imshow of the warped batch
    pytest.importorskip("PIL")
    pytest.importorskip("matplotlib")
    _fake_fashion_mnist(tmp_path, "MNIST", sizes=(192, 64))
    script = str(SCRIPTS / "tutorial_spatial_transformer.py")
    code, out, err = run(capsys, "run", script, str(tmp_path), "3")
    assert code == 0, err
    assert out.count("Train Epoch:") == 3 and "[0/192 (0%)]" in out
    accuracies = [int(v) for v in re.findall(r"Accuracy: (\d+)/64", out)]
    assert len(accuracies) == 3 and accuracies[-1] > 6  # 6 of 64 is chance
    # make_grid of 64 images of 28 x 28, 8 a row, 2 pixels apart: 8 * 30 + 2 = 242 square
    assert "grids (242, 242, 3) (242, 242, 3)" in out
    # the maps started at the identity (a zero weight, the identity as bias) and learnt
    moved = float(re.search(r"moved from the identity: (\S+)", out).group(1))
    assert 0 < moved < 1


def test_a_courses_trivial_augment_pipeline_trains(tmp_path, capsys):
    # ImageFolder photos resized to 64x64, TrivialAugmentWide on the Pillow images, then
    # ToTensor; DataLoaders with a worker per core; a TinyVGG trained with Adam
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    tints = {"pizza": (200, 60, 40), "steak": (90, 50, 30), "sushi": (230, 230, 220)}
    for split, n in (("train", 12), ("test", 4)):
        for name, tint in tints.items():
            folder = tmp_path / "data" / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                h, w = rng.integers(70, 110, 2)
                noise = rng.integers(-30, 30, (h, w, 3))
                pixels = np.clip(np.array(tint) + noise, 0, 255).astype(np.uint8)
                image_module.fromarray(pixels).save(folder / f"{i}.jpg")
    script = str(SCRIPTS / "course_augmented_imagefolder.py")
    code, out, err = run(capsys, "run", script, str(tmp_path / "data"), "3")
    assert code == 0, err
    assert "classes ['pizza', 'steak', 'sushi'], 36 train, 12 test" in out
    batch = re.search(r"augmented batch \(32, 3, 64, 64\) \S*float32, range (\S+)\.\.(\S+)", out)
    assert batch and 0 <= float(batch.group(1)) < float(batch.group(2)) <= 1
    epochs = re.findall(r"train_loss: (\S+) \| train_acc: (\S+) \| test_loss: (\S+)", out)
    assert len(epochs) == 3
    assert all(0 < float(loss) < 5 for loss, _, _ in epochs)


def test_check_does_not_report_a_local_value_that_shadows_an_alias(tmp_path, capsys):
    # d2l.ai's library imports `from torch.utils import data`, then uses `data` for arrays
    script = tmp_path / "shadow.py"
    script.write_text(
        "import torch\n"
        "from torch.utils import data\n"
        "import torch.nn.functional as F\n"
        "data = [1, 2]\n"
        "data.append(3)\n"
        "y = F.relu(torch.ones(2))\n"
        "z = F.not_a_function(y)\n"
    )
    code, out, _ = run(capsys, "run", "--check", str(script))
    assert "torch.utils.data.append" not in out  # the list's method, not torch's
    assert "  torch.utils.data (line 2): ok" in out
    assert "  torch.nn.functional.relu (line 6): ok" in out
    assert "torch.nn.functional.not_a_function (line 7): NOT SUPPORTED" in out
    assert code == 1
