"""PyTorch's own file format (what torch.save writes to "model.pth"), written and read without
PyTorch, and without ever running code from a file.

The format: a zip archive (stored, not compressed) whose entries sit in one folder, here
"archive/":
    data.pkl              a pickle (protocol 2) of the saved object, in which each tensor is
                          torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                          requires_grad, OrderedDict()), and each storage a "persistent id"
                          ('storage', torch.FloatStorage, key, 'cpu', numel)
    data/<key>            each storage's raw bytes, little-endian, aligned to 64 bytes
    version, byteorder, .format_version, .storage_alignment, .data/serialization_id
                          small text records torch.load reads

Writing: a pickler that emits those references by name (PyTorch need not be installed).
Reading: an unpickler that resolves names from an allowlist only (OrderedDict, the tensor
builders, the storage types), as torch.load(weights_only=True) does, so a file can give back
dicts, lists, numbers, strings and tensors, but cannot call anything else: a checkpoint of a
whole model (torch.save(model)) or of other objects is refused with the reason.

Read serialization.py first; it calls `save_torch` and `load_torch` for .pt and .pth files.
"""

from __future__ import annotations

import io
import pickle
import secrets
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from .errors import ArgumentError, DTypeError, ScratchishError
from .tensor import Tensor

PREFIX = "archive"  # the folder inside the zip (torch.load accepts any one folder)
ALIGNMENT = 64  # each storage's bytes start at a multiple of this offset in the file

# NumPy dtype <-> the name of PyTorch's storage class for it
STORAGE_NAMES = {
    np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float64): "DoubleStorage",
    np.dtype(np.float16): "HalfStorage",
    np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage",
    np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage",
    np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage",
    np.dtype(np.complex64): "ComplexFloatStorage",
    np.dtype(np.complex128): "ComplexDoubleStorage",
}
STORAGE_DTYPES = {name: dtype for dtype, name in STORAGE_NAMES.items()}


# ------------------------------------------------------------------------------ writing


class _Global:
    """A name in the pickle (module, name) that the reader looks up: PyTorch's builders."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # the pickler wants a callable; this one is only written
        raise TypeError(f"{self.module}.{self.name} is only a name in a pickle")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_STORAGE_TYPES = {dtype: _Global("torch", name) for dtype, name in STORAGE_NAMES.items()}


class _Storage:
    """One tensor's bytes, to become data/<key> and a persistent id in the pickle."""

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


class _TorchPickler(pickle._Pickler):
    """The standard library's Python pickler, with tensors written as PyTorch writes them.

    Python's pickler looks a global up by importing its module, which would need PyTorch;
    `_Global` names are written out directly instead (the GLOBAL opcode: module, newline,
    name, newline)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file) -> None:
        super().__init__(file, protocol=2)
        self.storages: list[_Storage] = []

    def save_torch_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_Global] = save_torch_global

    def reducer_override(self, obj):
        if isinstance(obj, np.ndarray):
            obj = Tensor._make(obj)
        if not isinstance(obj, Tensor):
            return NotImplemented
        array = obj.array
        if array.dtype not in STORAGE_NAMES:
            raise DTypeError(
                f"save: a tensor of dtype {array.dtype} has no PyTorch storage type; convert "
                f"it (t.float()) or save to a .safetensors file."
            )
        # C order, little-endian (np.ascontiguousarray would make a 0-d array 1-d)
        array = np.asarray(array, order="C", dtype=array.dtype.newbyteorder("<"))
        storage = _Storage(str(len(self.storages)), array)
        self.storages.append(storage)
        # contiguous strides, in elements
        strides = tuple(int(np.prod(array.shape[i + 1 :])) for i in range(array.ndim))
        args = (storage, 0, tuple(array.shape), strides, bool(obj.requires_grad), OrderedDict())
        return (_REBUILD_TENSOR, args)

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _STORAGE_TYPES[obj.array.dtype.newbyteorder("=")], obj.key,
                    "cpu", obj.array.size)  # fmt: skip
        return None


def save_torch(obj) -> bytes:
    """The bytes of `obj` in torch.save's format (see the module docstring)."""
    pickled = io.BytesIO()
    pickler = _TorchPickler(pickled)
    pickler.dump(_plain(obj, ()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{PREFIX}/data.pkl", pickled.getvalue())
        archive.writestr(f"{PREFIX}/.format_version", "1")
        archive.writestr(f"{PREFIX}/.storage_alignment", str(ALIGNMENT))
        archive.writestr(f"{PREFIX}/byteorder", "little")
        for storage in pickler.storages:
            _write_aligned(archive, out, f"{PREFIX}/data/{storage.key}", storage.array)
        archive.writestr(f"{PREFIX}/version", "3\n")
        archive.writestr(f"{PREFIX}/.data/serialization_id", secrets.token_hex(20))
    return out.getvalue()


def _plain(obj, path: tuple):
    """obj with NumPy scalars as Python numbers, checked to hold only what torch.load's
    weights_only mode reads back: tensors, arrays, dicts, lists, tuples, str, numbers, None."""
    if isinstance(obj, (Tensor, np.ndarray)) or obj is None:
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        items = [(k, _plain(v, (*path, k))) for k, v in obj.items()]
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, (list, tuple)):
        values = [_plain(v, (*path, i)) for i, v in enumerate(obj)]
        return values if isinstance(obj, list) else tuple(values)
    where = "obj" + "".join(f"[{p!r}]" for p in path)
    hint = " Save its state_dict() instead." if hasattr(obj, "state_dict") else ""
    raise ArgumentError(
        f"save: {where} is a {type(obj).__name__}; a .pt/.pth file holds tensors and the "
        f"dicts, lists, tuples, numbers and strings around them (what "
        f"torch.load(weights_only=True) reads back).{hint}"
    )


def _write_aligned(archive: zipfile.ZipFile, out: io.BytesIO, name: str, array) -> None:
    """An entry whose bytes start at a multiple of ALIGNMENT, as PyTorch's writer places them
    (torch.load(mmap=True) maps them in place): the local header's extra field is padded,
    with PyTorch's field id "FB"."""
    header = 30 + len(name.encode()) + 4  # the fixed header, the name, the field's own 4 bytes
    pad = -(out.tell() + header) % ALIGNMENT
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    archive.writestr(info, array.tobytes())


# ------------------------------------------------------------------------------ reading


def _rebuild_tensor(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    """torch._utils._rebuild_tensor_v2: the tensor of `size` and `stride` (in elements) that
    starts `offset` elements into the storage, as a new contiguous array."""
    itemsize = storage.itemsize
    needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if needed > storage.size or offset < 0 or any(s < 0 for s in stride):
        raise ArgumentError(
            f"load: a tensor of size {tuple(size)} reaches past its storage of {storage.size} "
            f"values; the file is damaged."
        )
    if len(size) == 0:  # a 0-d tensor (an optimizer's step): as_strided would keep 1-d
        view = storage[offset : offset + 1].reshape(())
    else:
        view = np.lib.stride_tricks.as_strided(
            storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
        )
    t = Tensor._make(np.array(view))  # a copy: writable, and free of the storage
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, hooks, *args):
    """torch._utils._rebuild_parameter: a saved nn.Parameter, loaded as a tensor."""
    return data.requires_grad_(requires_grad) if data.is_floating_point() else data


class _StorageType:
    """What the pickle's torch.FloatStorage (etc.) stands for: its NumPy dtype."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype


_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _WeightsUnpickler(pickle.Unpickler):
    """Resolves names from _ALLOWED only, and storages from the archive's data/ entries."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, where: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.where = archive, prefix, where
        self.storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise ArgumentError(
                f"load: {self.where} holds a {module}.{name}, which scratchish does not load: "
                f"it loads tensors and the dicts, lists, numbers and strings around them (what "
                f"torch.load(weights_only=True) loads), and never runs code from a file. A "
                f"whole model saved with torch.save(model) needs PyTorch: save "
                f"model.state_dict() instead, and load it into the model you build."
            )
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise ArgumentError(f"load: {self.where} has an unknown reference {pid!r}.")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise DTypeError(f"load: {self.where} has a storage of unknown type {storage_type}.")
        if key not in self.storages:
            data = self.archive.read(f"{self.prefix}/data/{key}")
            array = np.frombuffer(data, storage_type.dtype.newbyteorder("<"))
            self.storages[key] = array.astype(storage_type.dtype, copy=False)[:numel]
        return self.storages[key]


def load_torch(data: bytes, where: str):
    """The object in `data`, a file torch.save wrote (or save_torch), with scratchish tensors."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    except zipfile.BadZipFile as e:
        raise ArgumentError(f"load: {where} is a damaged zip archive ({e}).") from None
    if len(pickles) != 1:
        raise ArgumentError(
            f"load: {where} is a zip archive but not one torch.save wrote (it has no "
            f"<folder>/data.pkl)."
        )
    prefix = pickles[0].rsplit("/", 1)[0]
    byteorder = f"{prefix}/byteorder"
    if byteorder in archive.namelist() and archive.read(byteorder) != b"little":
        raise ArgumentError(f"load: {where} was written big-endian, which is not supported.")
    unpickler = _WeightsUnpickler(archive.read(pickles[0]), archive, prefix, where)
    try:
        return unpickler.load()
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError) as e:
        if isinstance(e, ScratchishError):
            raise
        raise ArgumentError(f"load: {where} could not be read ({type(e).__name__}: {e}).") from None
