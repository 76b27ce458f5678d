"""The import hook: `import torch` under sh.as_torch() gives scratchish, and undoing it leaves
sys.modules and sys.meta_path as they were. Also torch.cuda / torch.backends and the teaching
errors for PyTorch names scratchish does not have."""

import importlib
import importlib.util
import subprocess
import sys
import warnings

import pytest

import scratchish as sh
from scratchish import autograd_api, compat, cuda, vision
from scratchish.errors import UnsupportedError


def _torch_entries() -> dict:
    return {name: mod for name, mod in sys.modules.items() if compat._is_torch_name(name)}


def _finders() -> list:
    return [f for f in sys.meta_path if isinstance(f, compat.TorchFinder)]


@pytest.fixture(autouse=True)
def hook_removed_afterwards():
    yield
    compat.as_torch(False)  # a failing test must not leave the hook to the next one


def _importable(module_name: str) -> bool:
    try:
        importlib.import_module(module_name)
    except ImportError:
        return False
    return True


def test_import_torch_gives_scratchish():
    with compat.as_torch() as torch_in_block:
        import torch

        assert torch is torch_in_block
        assert torch.Tensor is sh.Tensor
        assert torch.tensor is sh.tensor
        assert torch.float32 is sh.float32
        assert torch.no_grad is sh.no_grad
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0]
        assert repr(torch) == "<module 'torch' (served by scratchish)>"
        assert {"tensor", "Tensor", "nn", "autograd", "cuda"} <= set(dir(torch))


@pytest.mark.parametrize("torch_name", [name for name in compat.MODULES if name != "torch"])
def test_every_mapped_module_imports(torch_name):
    target = compat.MODULES[torch_name]
    if not _importable(target):
        pytest.skip(f"{target} is not written yet")
    with compat.as_torch():
        served = importlib.import_module(torch_name)
        assert served is importlib.import_module(target)
        # the attribute chain torch.a.b (torchvision.a) gives the same module as the import
        top = torch_name.split(".")[0]
        obj = importlib.import_module(top)
        for part in torch_name.split(".")[1:]:
            obj = getattr(obj, part)
        assert obj is served


def test_import_statement_forms():
    if not _importable("scratchish.nn.functional"):
        pytest.skip("scratchish.nn.functional is not written yet")
    import scratchish.nn
    import scratchish.nn.functional

    with compat.as_torch():
        import torch.nn as nn
        from torch.autograd import Function, grad
        from torch.nn import functional as F  # noqa: N812 - PyTorch's convention

        assert nn is scratchish.nn
        assert F is scratchish.nn.functional
        assert Function is autograd_api.Function
        assert grad is autograd_api.grad


def test_autograd_is_the_torch_style_one_and_scratchish_is_untouched():
    engine = sh.autograd
    with compat.as_torch():
        import torch
        import torch.autograd

        assert torch.autograd.Function is autograd_api.Function
    # importing torch.autograd sets an attribute on the parent module: not on scratchish
    assert sh.autograd is engine


def test_restores_real_torch_imported_before():
    real = pytest.importorskip("torch")
    import torch.nn  # noqa: F401 - a real submodule too

    compat.as_torch()
    compat.as_torch(False)  # a first round imports the scratchish modules it needs
    before, before_path = _torch_entries(), list(sys.meta_path)
    others = {name: mod for name, mod in sys.modules.items() if name not in before}
    with compat.as_torch():
        import torch

        assert torch is not real
        assert "torch.nn" not in sys.modules or sys.modules["torch.nn"] is not real.nn
        import torch.autograd
        import torch.cuda  # noqa: F401
    assert _torch_entries() == before
    assert sys.meta_path == before_path
    assert {n: m for n, m in sys.modules.items() if n not in before} == others
    import torch

    assert torch is real
    assert torch.nn is real.nn


def test_restores_sys_modules_when_torch_was_never_imported():
    code = (
        "import importlib.util, sys\n"
        "from scratchish import compat\n"
        "path = list(sys.meta_path)\n"
        "compat.as_torch()\n"
        "import torch, torch.autograd, torch.cuda, torch.backends.mps\n"
        "assert type(torch.tensor(1.0)).__module__ == 'scratchish.tensor'\n"
        "compat.as_torch(False)\n"
        "print([n for n in sys.modules if n.split('.')[0] == 'torch'])\n"
        "print(sys.meta_path == path)\n"
        "spec = importlib.util.find_spec('torch')\n"
        "print(spec is None or 'scratchish' not in str(spec.origin))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "True"]


def test_enabling_twice_warns_and_keeps_one_hook():
    compat.as_torch()
    with pytest.warns(UserWarning, match="already on"):
        compat.as_torch()
    assert len(_finders()) == 1
    # a `with` inside an enabled region leaves it enabled on exit
    with pytest.warns(UserWarning, match="already on"), compat.as_torch():
        pass
    assert compat.is_enabled() and len(_finders()) == 1
    compat.as_torch(False)
    assert _finders() == [] and not compat.is_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compat.as_torch(False)  # already off: nothing to do, no warning


def test_unknown_submodule_raises_a_teaching_import_error():
    with compat.as_torch():
        with pytest.raises(ModuleNotFoundError) as caught:
            import torch.xyz  # noqa: F401
        assert isinstance(caught.value, UnsupportedError)
        assert caught.value.name == "torch.xyz"
        message = str(caught.value)
        assert message.startswith("import torch.xyz: scratchish does not provide this PyTorch")
        assert "torch.nn" in message  # it lists the modules there are

        with pytest.raises(ImportError, match=r"import torch\.fft: Fourier .*numpy\.fft"):
            import torch.fft  # noqa: F401
        with pytest.raises(ImportError, match=r"import torch\.cuda\.amp: mixed precision"):
            from torch.cuda.amp import GradScaler  # noqa: F401
        with pytest.raises(ImportError, match=r"torchvision\.models\.detection: .*list_models"):
            import torchvision.models.detection  # noqa: F401
        with pytest.raises(ImportError, match=r"import torchaudio: .*NumPy"):
            import torchaudio  # noqa: F401


def test_unsupported_attribute_names_the_api_and_the_alternative():
    with compat.as_torch():
        import torch

        with pytest.raises(AttributeError) as caught:
            torch.compile  # noqa: B018
        assert isinstance(caught.value, UnsupportedError)
        assert str(caught.value) == (
            "torch.compile is not available in scratchish: not needed: scratchish runs your "
            "code as it is (there is nothing to compile). Remove the call: use `model` where "
            "you had `torch.compile(model)`. [unsupported]"
        )
        assert not hasattr(torch, "jit")
        with pytest.raises(UnsupportedError, match=r"torch\.jit is not available .*TorchScript"):
            torch.jit.script  # noqa: B018
        with pytest.raises(UnsupportedError, match=r"torch\.autocast .*mixed precision"):
            torch.autocast  # noqa: B018
        with pytest.raises(UnsupportedError, match=r"torch\.cuda\.amp .*GradScaler"):
            torch.cuda.amp  # noqa: B018
        with pytest.raises(UnsupportedError, match=r"torch\.randm: .*Did you mean .*torch\.randn"):
            torch.randm  # noqa: B018
        # dunders stay plain AttributeErrors: tools probe for them
        with pytest.raises(AttributeError) as caught:
            torch.__wrapped__  # noqa: B018
        assert not isinstance(caught.value, UnsupportedError)


def test_unsupported_attribute_returns_mapped_submodules_and_subpackages():
    assert compat.unsupported_attribute("torch", "cuda") is importlib.import_module(
        "scratchish.cuda"
    )
    # a subpackage of scratchish's own that was not imported yet is imported, not refused
    assert compat.unsupported_attribute("torch", "tools") is importlib.import_module(
        "scratchish.tools"
    )
    with pytest.raises(UnsupportedError, match=r"torch\.Tensor\.viwe: .*torch\.Tensor\.view"):
        compat.unsupported_attribute("torch.Tensor", "viwe", owner=sh.Tensor)
    with pytest.raises(UnsupportedError, match=r"DistributedDataParallel .*one process"):
        compat.resolve("torch.nn.parallel.DistributedDataParallel")


def test_cuda_and_backends_answer_like_a_cpu_only_pytorch():
    with compat.as_torch():
        import torch
        import torch.backends.cudnn

        assert torch.cuda.is_available() is False
        assert torch.cuda.device_count() == 0
        assert torch.cuda.manual_seed(0) is None and torch.cuda.manual_seed_all(0) is None
        assert torch.backends.mps.is_available() is False
        assert torch.backends.cudnn.deterministic is False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = True
        assert torch.backends.cudnn.deterministic is True
        torch.backends.cudnn.deterministic = False
        device = "cuda" if torch.cuda.is_available() else "cpu"
        assert device == "cpu"
        with pytest.raises(UnsupportedError, match=r"torch\.cuda\.synchronize .*CPU only"):
            torch.cuda.synchronize()


def test_resolve_finds_scratchish_objects_or_explains():
    assert compat.resolve("torch.randn") is sh.randn
    assert compat.resolve("torch.autograd.grad") is autograd_api.grad
    assert compat.resolve("torch.cuda.is_available") is cuda.is_available
    with pytest.raises(UnsupportedError, match=r"torch\.fft is not available"):
        compat.resolve("torch.fft.fft")
    assert compat.resolve("torchvision.datasets.MNIST") is vision.datasets.MNIST
    assert compat.resolve("torchvision.transforms.ToTensor") is vision.transforms.ToTensor
    assert compat.resolve("torchvision.ops.nms") is vision.ops.nms
    with pytest.raises(UnsupportedError, match=r"torchvision\.ops\.roi_align is not avail.*nms"):
        compat.resolve("torchvision.ops.roi_align")
    with pytest.raises(UnsupportedError, match=r"transforms\.AutoAugment is not avail"):
        compat.resolve("torchvision.transforms.AutoAugment")


def test_ipython_extension():
    pytest.importorskip("IPython")
    # the extension is `scratchish` once the package exports it, scratchish.compat until then
    extension = "scratchish" if hasattr(sh, "load_ipython_extension") else "scratchish.compat"
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        f"ip.run_line_magic('load_ext', {extension!r})\n"
        "ip.run_cell('import torch; kind = type(torch.tensor(1.0)).__module__')\n"
        "print('kind', ip.user_ns['kind'])\n"
        f"ip.run_line_magic('unload_ext', {extension!r})\n"
        "print('left', [n for n in sys.modules if n.split('.')[0] == 'torch'],\n"
        "      [type(f).__name__ for f in sys.meta_path if type(f).__name__ == 'TorchFinder'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("scratchish: `import torch` now gives scratchish")
    assert "kind scratchish.tensor" in lines
    assert "left [] []" in lines


def test_package_exports_the_hook_and_the_extension():
    missing = [
        n
        for n in ("as_torch", "load_ipython_extension", "unload_ipython_extension")
        if not hasattr(sh, n)
    ]
    if missing:
        pytest.skip(f"scratchish/__init__.py does not export {missing} yet (lead's file)")
    assert sh.as_torch is compat.as_torch
    assert sh.load_ipython_extension is compat.load_ipython_extension


def test_the_tutorials_device_line_picks_the_cpu():
    with compat.as_torch():
        import torch

        available = torch.accelerator.is_available()
        device = torch.accelerator.current_accelerator().type if available else "cpu"
        assert device == "cpu" and torch.accelerator.device_count() == 0
        assert torch.ones(2, device=device).device.type == "cpu"
        with pytest.raises(UnsupportedError, match="none is available.*CPU"):
            torch.accelerator.synchronize()
        with pytest.raises(UnsupportedError, match="no accelerator"):
            torch.accelerator.memory_allocated()


def test_torchs_module_files_serve_custom_layers():
    # pygcn's imports, and a custom loss on _Loss, as code on GitHub writes them
    with compat.as_torch():
        import torch
        from torch.nn.modules.conv import _ConvNd
        from torch.nn.modules.loss import _Loss
        from torch.nn.modules.module import Module
        from torch.nn.modules.pooling import MaxPool2d
        from torch.nn.modules.utils import _pair
        from torch.nn.parameter import Parameter

        class GraphConvolution(Module):
            def __init__(self, in_features, out_features):
                super().__init__()
                self.weight = Parameter(torch.ones(in_features, out_features))

            def forward(self, x, adj):
                return adj @ (x @ self.weight)

        class Halved(_Loss):
            def forward(self, input, target):
                return ((input - target) ** 2).mean() / 2

        layer = GraphConvolution(3, 2)
        assert [name for name, _ in layer.named_parameters()] == ["weight"]
        out = layer(torch.ones(4, 3), torch.eye(4))
        assert out.tolist() == [[3.0, 3.0]] * 4
        assert Halved()(torch.zeros(2), torch.ones(2)).item() == 0.5
        assert Halved().reduction == "mean"
        assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2)
        assert MaxPool2d is torch.nn.MaxPool2d and issubclass(torch.nn.Conv2d, _ConvNd)
        assert torch.nn.modules.Linear is torch.nn.Linear
        with pytest.raises(AttributeError, match="Nope"):
            torch.nn.modules.loss.Nope  # noqa: B018
