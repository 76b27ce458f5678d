"""PyTorch code on scratchish: after `sh.as_torch()`, `import torch` gives scratchish.

An import hook (one finder at the front of sys.meta_path, undone by `as_torch(False)`) serves the
modules in MODULES; `%load_ext scratchish` does the same in Jupyter. PyTorch names scratchish
lacks raise UnsupportedAPIError with what to use instead (ADVICE). Read next: runner.py.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

from .errors import UnsupportedError

# Each PyTorch module and the scratchish module that stands in for it. "torch" itself is served
# by a small module of its own (see torch_module below).
MODULES = {
    "torch": "scratchish",
    "torch.nn": "scratchish.nn",
    "torch.nn.functional": "scratchish.nn.functional",
    "torch.nn.init": "scratchish.nn.init",
    "torch.nn.parameter": "scratchish.nn.parameter",
    "torch.nn.parallel": "scratchish.nn.parallel",
    # PyTorch's layer files, each the scratchish.nn file with the same layers
    "torch.nn.modules": "scratchish.nn.modules",
    "torch.nn.modules.module": "scratchish.nn.module",
    "torch.nn.modules.activation": "scratchish.nn.activation",
    "torch.nn.modules.batchnorm": "scratchish.nn.batchnorm",
    "torch.nn.modules.channelshuffle": "scratchish.nn.padding",
    "torch.nn.modules.container": "scratchish.nn.container",
    "torch.nn.modules.conv": "scratchish.nn.conv",
    "torch.nn.modules.distance": "scratchish.nn.distance",
    "torch.nn.modules.dropout": "scratchish.nn.dropout",
    "torch.nn.modules.flatten": "scratchish.nn.linear",
    "torch.nn.modules.fold": "scratchish.nn.fold",
    "torch.nn.modules.instancenorm": "scratchish.nn.normalization",
    "torch.nn.modules.lazy": "scratchish.nn.lazy",
    "torch.nn.modules.linear": "scratchish.nn.linear",
    "torch.nn.modules.loss": "scratchish.nn.loss",
    "torch.nn.modules.normalization": "scratchish.nn.normalization",
    "torch.nn.modules.padding": "scratchish.nn.padding",
    "torch.nn.modules.pixelshuffle": "scratchish.nn.padding",
    "torch.nn.modules.pooling": "scratchish.nn.conv",
    "torch.nn.modules.rnn": "scratchish.nn.rnn",
    "torch.nn.modules.sparse": "scratchish.nn.sparse",
    "torch.nn.modules.transformer": "scratchish.nn.transformer",
    "torch.nn.modules.upsampling": "scratchish.nn.upsampling",
    "torch.nn.modules.utils": "scratchish.nn.modules.utils",
    "torch.nn.utils": "scratchish.nn.utils",
    "torch.nn.utils.rnn": "scratchish.nn.utils.rnn",
    "torch.optim": "scratchish.optim",
    "torch.optim.lr_scheduler": "scratchish.optim.lr_scheduler",
    "torch.utils": "scratchish.utils",
    "torch.utils.data": "scratchish.utils.data",
    "torch.utils.tensorboard": "scratchish.utils.tensorboard",
    "torch.autograd": "scratchish.autograd_api",
    "torch.cuda": "scratchish.cuda",
    "torch.accelerator": "scratchish.accelerator",
    "torch.linalg": "scratchish.linalg",
    "torch.special": "scratchish.special",
    "torch.backends": "scratchish.backends",
    "torch.backends.cuda": "scratchish.backends.cuda",
    "torch.backends.cudnn": "scratchish.backends.cudnn",
    "torch.backends.mps": "scratchish.backends.mps",
    # the part of torchvision beginner tutorials use: data sets and transforms
    "torchvision": "scratchish.vision",
    "torchvision.datasets": "scratchish.vision.datasets",
    "torchvision.transforms": "scratchish.vision.transforms",
    "torchvision.transforms.functional": "scratchish.vision.transforms.functional",
    "torchvision.transforms.v2": "scratchish.vision.transforms.v2",
    "torchvision.transforms.v2.functional": "scratchish.vision.transforms.v2.functional",
    "torchvision.utils": "scratchish.vision.utils",
    "torchvision.io": "scratchish.vision.io",
    "torchvision.ops": "scratchish.vision.ops",
    "torchvision.models": "scratchish.vision.models",
    "torch.hub": "scratchish.hub",
}

# Libraries built on top of PyTorch: they need the real thing, so while as_torch is on their
# import stops with advice instead of failing somewhere deep inside them.
COMPANIONS = (
    "torchvision",
    "torchaudio",
    "torchtext",
    "torchdata",
    "functorch",
    "lightning",
    "pytorch_lightning",
)

_MIXED_PRECISION = (
    "mixed precision (autocast, GradScaler) makes GPUs faster; scratchish computes in float32 "
    "on the CPU. Remove the `with autocast(...):` line (keep its body), and call "
    "loss.backward() and optimizer.step() yourself instead of through the scaler."
)
_HUB_CODE = (
    "torch.hub.load runs a model's code from a GitHub repository, and that code is written "
    "for PyTorch. torchvision's classifiers are in scratchish: torchvision.models.resnet18("
    "weights='DEFAULT') and the like; weight files load with "
    "torch.hub.load_state_dict_from_url(url)."
)
_ONE_PROCESS = (
    "scratchish trains in one process on the CPU. Use the model directly: drop the "
    "DistributedDataParallel wrapper and the process-group setup (nn.DataParallel works: "
    "without a GPU it calls the model, as PyTorch's does)."
)

# What to use instead of a PyTorch API scratchish does not have. A name is looked up here by its
# longest prefix: "torch.fft.rfft" finds "torch.fft".
ADVICE = {
    "torch.compile": "not needed: scratchish runs your code as it is (there is nothing to "
    "compile). Remove the call: use `model` where you had `torch.compile(model)`.",
    "torch.jit": "TorchScript (torch.jit.script, torch.jit.trace) prepares models for "
    "deployment; scratchish runs plain Python. Remove the decorator or the call and use the "
    "function or model itself; keep weights with model.state_dict().",
    "torch.fft": "Fourier transforms are not in scratchish. Without gradients, use NumPy: "
    "torch.from_numpy(numpy.fft.fft(t.detach().numpy())).",
    "torch.linalg": "scratchish's torch.linalg has inv, det, slogdet, solve, solve_triangular, "
    "lstsq, cholesky, qr, eigh, eigvalsh, svd, svdvals, pinv, matrix_power, matrix_exp, "
    "matrix_rank, cond, norm, vector_norm, matrix_norm, cross, vecdot and multi_dot; not eig or "
    "lu. For a symmetric matrix use eigh; without gradients, numpy.linalg on "
    "t.detach().numpy().",
    "torch.distributions": "probability distributions are not in scratchish. Sample with "
    "torch.randn, torch.rand or torch.multinomial and write the log-probability formula with "
    "tensor ops (it is a good exercise).",
    "torch.distributed": _ONE_PROCESS,
    "torch.multiprocessing": _ONE_PROCESS,
    "torch.nn.parallel.DistributedDataParallel": _ONE_PROCESS,
    "torch.nn.parallel.distributed": _ONE_PROCESS,
    "torch.cuda.amp": _MIXED_PRECISION,
    "torch.cpu.amp": _MIXED_PRECISION,
    "torch.amp": _MIXED_PRECISION,
    "torch.autocast": _MIXED_PRECISION,
    "torch.GradScaler": _MIXED_PRECISION,
    "torch.accelerator": "scratchish runs on the CPU only (it is NumPy underneath); there is "
    "no accelerator. torch.accelerator.is_available() answers False, so the tutorials' "
    "device line picks 'cpu'; remove other torch.accelerator calls.",
    "torch.cuda": "scratchish runs on the CPU only (it is NumPy underneath); there is no GPU. "
    "torch.cuda.is_available() answers False, so `device = 'cuda' if "
    "torch.cuda.is_available() else 'cpu'` picks the CPU; remove other torch.cuda calls.",
    "torch.mps": "Apple GPUs are not used: scratchish runs on the CPU. "
    "torch.backends.mps.is_available() answers False.",
    "torch.hub.load": _HUB_CODE,
    "torch.hub.list": _HUB_CODE,
    "torch.hub.help": _HUB_CODE,
    "torch.onnx": "exporting for deployment is not part of scratchish; keep the weights with "
    "model.state_dict().",
    "torch.export": "exporting for deployment is not part of scratchish; keep the weights with "
    "model.state_dict().",
    "torch.sparse": "sparse tensors are not in scratchish; use dense tensors.",
    "torch.quantization": "quantization targets deployment hardware and is not in scratchish.",
    "torch.ao": "quantization targets deployment hardware and is not in scratchish.",
    "torch.profiler": "PyTorch's profiler is not in scratchish; time code with "
    "time.perf_counter(), or see scratchish's benchmarks/.",
    "torch.autograd.profiler": "PyTorch's profiler is not in scratchish; time code with "
    "time.perf_counter().",
    "torch.autograd.functional": "jacobian and hessian are not in scratchish (gradients are "
    "first order); use torch.autograd.grad or loss.backward() for first derivatives.",
    "torch.func": "function transforms (vmap, grad, jacrev) are not in scratchish. Batch with "
    "an extra leading dimension, and use loss.backward() or torch.autograd.grad.",
    "torch.vmap": "vmap is not in scratchish: batch with an extra leading dimension instead.",
    "torch.utils.checkpoint": "gradient checkpointing saves GPU memory and is not needed here: "
    "call the function directly.",
    "torch.set_float32_matmul_precision": "a GPU speed setting: scratchish always multiplies "
    "float32 matrices at full precision. Remove the call.",
    "torch.use_deterministic_algorithms": "not needed: scratchish is always deterministic. "
    "Remove the call.",
    "torchvision": "scratchish's torchvision (scratchish.vision) has the data sets MNIST, "
    "FashionMNIST, CIFAR10 and ImageFolder; the transforms Compose, ToTensor, PILToTensor, "
    "ToPILImage, Normalize, Lambda, Resize, CenterCrop, RandomCrop, RandomResizedCrop, "
    "RandomHorizontalFlip, RandomVerticalFlip, Pad, ConvertImageDtype, ColorJitter, "
    "Grayscale, RandomGrayscale, GaussianBlur, RandomErasing, RandomApply, RandomOrder, "
    "RandomChoice, RandomRotation, RandomAffine, RandomPerspective, ElasticTransform, "
    "TrivialAugmentWide, RandAugment, RandomInvert, RandomPosterize, RandomSolarize, "
    "RandomAdjustSharpness, RandomAutocontrast and RandomEqualize, with their functions "
    "(transforms.functional), and transforms.v2 with ToImage and ToDtype for one image and "
    "its label; utils.make_grid and save_image, io.read_image, "
    "ops.box_convert, box_area, box_iou and nms, and models (ResNet, ResNeXt, Wide ResNet, "
    "VGG, AlexNet, MobileNetV2); not this one. Other "
    "images: make tensors with torch.tensor(numpy_array) and transform them with tensor "
    "operations; scratchish.datasets has more data sets (and the bundled digits, offline).",
    "torchvision.models": "scratchish's torchvision.models has ResNet (resnet18 to resnet152), "
    "ResNeXt, Wide ResNet, VGG (vgg11 to vgg19_bn), AlexNet and MobileNetV2, with their "
    "ImageNet weights (torchvision.models.list_models() names them); not this one. Build it "
    "from nn layers, or start from one of those.",
    "torchaudio": "scratchish does not include torchaudio: load audio with NumPy or SciPy and "
    "wrap the arrays in torch.utils.data.TensorDataset.",
    "torchtext": "scratchish does not include torchtext: read the text with Python, map "
    "characters or words to integers yourself, and wrap them in a TensorDataset.",
    "torchdata": "use torch.utils.data (Dataset, TensorDataset, DataLoader) instead.",
    "functorch": "function transforms (vmap, grad, jacrev) are not in scratchish; use "
    "loss.backward() or torch.autograd.grad.",
    "lightning": "Lightning needs real PyTorch. Write the training loop yourself (it is short), "
    "or use scratchish's Learner.",
    "pytorch_lightning": "Lightning needs real PyTorch. Write the training loop yourself (it is "
    "short), or use scratchish's Learner.",
}

# torch.special names scratchish lacks
_SPECIAL_MISSING = (
    "scratchish's torch.special has the gamma family (gammaln, digamma, polygamma, "
    "multigammaln, zeta, gammainc, gammaincc), i0, i0e, i1, i1e, the normal distribution "
    "(ndtr, ndtri, log_ndtr), "
    "erf, erfc, erfcx, erfinv, entr, xlogy, xlog1py and torch's aliases (expit, psi, ...); "
    "not the Bessel functions of other kinds (bessel_j0, bessel_y0, modified_bessel_k0, "
    "airy_ai, ...), nor the orthogonal polynomials "
    "(chebyshev_polynomial_t, legendre_polynomial_p, ...). Write the series or recurrence with "
    "tensor ops, or without gradients use SciPy: "
    "torch.from_numpy(scipy.special.j0(t.detach().numpy()))."
)
for _name in (
    "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 modified_bessel_k0 modified_bessel_k1 "
    "scaled_modified_bessel_k0 scaled_modified_bessel_k1 spherical_bessel_j0 "
    "chebyshev_polynomial_t chebyshev_polynomial_u chebyshev_polynomial_v "
    "chebyshev_polynomial_w shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u "
    "shifted_chebyshev_polynomial_v shifted_chebyshev_polynomial_w hermite_polynomial_h "
    "hermite_polynomial_he laguerre_polynomial_l legendre_polynomial_p"
).split():
    ADVICE[f"torch.special.{_name}"] = _SPECIAL_MISSING

_GENERIC = (
    "scratchish does not have this PyTorch API. It implements what beginner courses use; "
    "`scratchish run --check FILE` lists every torch name a script uses and whether scratchish "
    "supports it."
)


class UnsupportedAPIError(UnsupportedError, AttributeError):
    """A PyTorch name (torch.fft, torch.compile, ...) that scratchish does not have.

    It is also an AttributeError, so `hasattr(torch, "compile")` answers False and
    `getattr(torch, name, None)` works in code that probes for features.
    """


class UnsupportedModuleError(UnsupportedError, ModuleNotFoundError):
    """`import torch.something` for a module scratchish does not have (also an ImportError,
    so `try: import torchvision except ImportError:` in user code keeps working)."""


def advice(api: str) -> str | None:
    """The advice for a PyTorch name, found by its longest prefix in ADVICE, or None."""
    parts = api.split(".")
    for n in range(len(parts), 0, -1):
        found = ADVICE.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def unsupported_message(api: str, owner=None) -> str:
    """The message for a PyTorch name scratchish lacks: the name, then what to use instead.

    `owner` is the scratchish object that lacks it, for "did you mean" suggestions (by default
    the scratchish module standing in for the PyTorch module the name is in).
    """
    owner_name, _, name = api.rpartition(".")
    known = advice(api)
    if known is not None:
        return f"{api} is not available in scratchish: {known}"
    if owner is None:
        owner = sys.modules.get(MODULES.get(owner_name, ""))
    close = []
    if owner is not None and name:
        public = [n for n in dir(owner) if not n.startswith("_")]
        close = difflib.get_close_matches(name, public, n=3)
    hint = f" Did you mean {', '.join(f'{owner_name}.{c}' for c in close)}?" if close else ""
    return f"{api}: {_GENERIC}{hint}"


def unsupported_attribute(module_name: str, name: str, owner=None):
    """The body of a scratchish module's `__getattr__` (called only for names it lacks).

    `module_name` is the PyTorch name of the module ("torch", "torch.nn", ...). A submodule
    with a scratchish counterpart (`torch.nn.init`), or a subpackage of scratchish not yet
    imported (`sh.datasets`), is imported and returned; any other name raises
    UnsupportedAPIError naming the PyTorch API and what to use instead. `owner` is the object
    whose names are suggested when the name looks like a typo (a class, for `torch.Tensor`).

    Example, at the end of a package's __init__.py::

        def __getattr__(name):
            return compat.unsupported_attribute("torch.nn", name)
    """
    full = f"{module_name}.{name}"
    if full in MODULES:
        return importlib.import_module(MODULES[full])
    if name.startswith("__") and name.endswith("__"):
        # Python and tools probe for dunders (__wrapped__, __file__): a plain answer for them
        raise AttributeError(f"{module_name!r} has no attribute {name!r}")
    package = sys.modules.get(MODULES.get(module_name, ""))
    if package is not None and hasattr(package, "__path__") and package.__path__:
        if importlib.util.find_spec(f"{package.__name__}.{name}") is not None:
            return importlib.import_module(f"{package.__name__}.{name}")
    raise UnsupportedAPIError(unsupported_message(full, owner))


def unsupported_module_error(fullname: str) -> UnsupportedModuleError:
    known = advice(fullname)
    reason = known or (
        "scratchish does not provide this PyTorch module. The modules it has: "
        + ", ".join(MODULES)
        + "."
    )
    err = UnsupportedModuleError(f"import {fullname}: {reason}")
    err.name = fullname  # what ModuleNotFoundError carries
    return err


# ---------------------------------------------------------------------------------------------
# The module `import torch` gives
# ---------------------------------------------------------------------------------------------
_torch_module = None


def torch_module() -> types.ModuleType:
    """The stand-in for the `torch` module: scratchish's names, with torch.autograd,
    torch.cuda and torch.backends pointing at their scratchish counterparts.

    Why not the scratchish package itself: importing `torch.autograd` makes the import system
    set the attribute `autograd` on the parent module, and scratchish.autograd must stay the
    engine (whose Function works on arrays). A module of its own keeps scratchish untouched.
    """
    global _torch_module
    if _torch_module is None:
        module = types.ModuleType("torch", "scratchish, serving as torch (see scratchish.compat)")
        module.__path__ = []  # a package, so that `import torch.nn` reaches the finder
        module.__getattr__ = _torch_getattr  # PEP 562: called for names not on the module
        module.__dir__ = _torch_dir  # PEP 562: what dir(torch) and tab completion list
        _torch_module = module
    return _torch_module


def _torch_getattr(name: str):
    """`torch.<name>`: a submodule from MODULES, else scratchish's own name, else advice."""
    import scratchish

    target = MODULES.get(f"torch.{name}")
    if target is not None:
        value = importlib.import_module(target)
    elif hasattr(scratchish, name):
        value = getattr(scratchish, name)
    else:
        return unsupported_attribute("torch", name)
    # keep it on the module, so the next `torch.<name>` is a plain attribute read (ops are
    # called in tight loops)
    setattr(torch_module(), name, value)
    return value


def _torch_dir() -> list:
    import scratchish

    submodules = {name.split(".")[1] for name in MODULES if name.count(".") == 1}
    return sorted(set(dir(scratchish)) | submodules)


def resolve(api: str):
    """The scratchish object behind a PyTorch name ("torch.nn.functional.relu").

    Raises UnsupportedAPIError (or UnsupportedModuleError) with advice when there is none.
    """
    top = api.split(".")[0]
    if top in COMPANIONS and top not in MODULES:
        raise unsupported_module_error(api)
    if top != "torch" and top not in MODULES:
        raise ValueError(f"resolve: {api!r} is not a torch name")
    parts = api.split(".")
    # the longest prefix that is a module with a scratchish counterpart, then attributes
    n = max(i for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in MODULES)
    obj = _import_counterpart(".".join(parts[:n]))
    for i in range(n, len(parts)):
        try:
            obj = getattr(obj, parts[i])
        except AttributeError:
            name = ".".join(parts[: i + 1])
            raise UnsupportedAPIError(unsupported_message(name, owner=obj)) from None
    return obj


def _import_counterpart(torch_name: str):
    if torch_name == "torch":
        return torch_module()
    target = MODULES[torch_name]
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name is None or not target.startswith(e.name):
            raise
        err = UnsupportedModuleError(
            f"import {torch_name}: its scratchish counterpart {target} is not in this install "
            f"of scratchish yet."
        )
        err.name = torch_name
        raise err from None


# ---------------------------------------------------------------------------------------------
# The import hook
# ---------------------------------------------------------------------------------------------
def _is_torch_name(name: str) -> bool:
    top = name.partition(".")[0]
    return top == "torch" or top in COMPANIONS


class _ServeModule(importlib.abc.Loader):
    """A loader that hands the import system a module that already exists (no file is run)."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.own_spec = None

    def create_module(self, spec):
        self.own_spec = self.module.__dict__.get("__spec__")
        return self.module

    def exec_module(self, module) -> None:
        # The import system has just set module.__spec__ to the spec of the torch name; give a
        # scratchish module its own spec back (importlib.reload and pickle read it).
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class TorchFinder(importlib.abc.MetaPathFinder):
    """Answers `import torch...` (and torchvision & co) while as_torch is on.

    `saved` holds the torch modules sys.modules had before, to be put back on disable.
    """

    def __init__(self, saved: dict) -> None:
        self.saved = saved

    def find_spec(self, fullname, path=None, target=None):
        if not _is_torch_name(fullname):
            return None  # not ours: the normal finders look for it
        if fullname not in MODULES:
            raise unsupported_module_error(fullname)
        module = _import_counterpart(fullname)
        return importlib.util.spec_from_loader(
            fullname,
            _ServeModule(module),
            origin=f"served by {MODULES[fullname]}",  # shown in repr(torch)
            is_package=hasattr(module, "__path__"),
        )


_finder: TorchFinder | None = None  # the installed finder while as_torch is on


def _enable() -> bool:
    """Install the finder; False (with a warning) when it was already installed."""
    global _finder
    if _finder is not None:
        warnings.warn(
            "as_torch: already on (`import torch` already gives scratchish); nothing changed. "
            "Call sh.as_torch(False) to go back to PyTorch.",
            stacklevel=3,
        )
        return False
    # modules imported from real PyTorch step aside, to come back on disable
    saved = {name: mod for name, mod in sys.modules.items() if _is_torch_name(name)}
    for name in saved:
        del sys.modules[name]
    _finder = TorchFinder(saved)
    sys.meta_path.insert(0, _finder)
    return True


def _disable() -> bool:
    """Remove the finder and restore the torch entries of sys.modules; False if it was off."""
    global _finder
    if _finder is None:
        return False
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [name for name in sys.modules if _is_torch_name(name)]:
        del sys.modules[name]
    sys.modules.update(_finder.saved)
    _finder = None
    return True


def is_enabled() -> bool:
    """True while `import torch` gives scratchish."""
    return _finder is not None


class as_torch:  # noqa: N801 - used like a function, as no_grad is
    """Make every later `import torch` in this process give scratchish (undo with False).

    The scratchish modules stand in for torch, torch.nn, torch.nn.functional, torch.nn.init,
    torch.nn.utils, torch.nn.utils.rnn, torch.optim, torch.optim.lr_scheduler,
    torch.utils.data, torch.autograd, torch.cuda and torch.backends. As a context manager it
    is undone on leaving the block. A real PyTorch imported before is set aside and comes back
    when the hook is removed (modules that already hold a reference to it keep using it).

    Args:
        enable: True to install the hook, False to remove it.

    Example:
        >>> import scratchish as sh
        >>> with sh.as_torch():
        ...     import torch
        ...     torch.tensor([1.0, 2.0]) * 2
        tensor([2., 4.])
    """

    def __init__(self, enable: bool = True) -> None:
        self.enable = bool(enable)
        self.changed = _enable() if self.enable else _disable()

    def __enter__(self) -> types.ModuleType | None:
        """The module `import torch` gives inside the block."""
        return importlib.import_module("torch") if self.enable else None

    def __exit__(self, *exc) -> None:
        # undo only what this call did: a `with` inside an enabled region leaves it enabled
        if self.enable and self.changed:
            _disable()

    def __repr__(self) -> str:
        state = "on: `import torch` gives scratchish" if is_enabled() else "off"
        return f"as_torch({state})"


# ---------------------------------------------------------------------------------------------
# Jupyter: %load_ext scratchish
# ---------------------------------------------------------------------------------------------
def load_ipython_extension(ipython) -> None:
    """`%load_ext scratchish`: from now on `import torch` in the notebook gives scratchish."""
    from .tools.ipython import install

    _enable()
    install(ipython)  # scratchish errors render as a calm explanation
    print("scratchish: `import torch` now gives scratchish (undo: %unload_ext scratchish).")
    earlier = ipython.user_ns.get("torch")
    if isinstance(earlier, types.ModuleType) and earlier is not torch_module():
        print("scratchish: `torch` was imported before %load_ext; run `import torch` again.")


def unload_ipython_extension(ipython) -> None:
    """`%unload_ext scratchish`: `import torch` gives PyTorch again."""
    from .tools.ipython import uninstall

    _disable()
    uninstall(ipython)
