"""Saving and loading: `sh.save(obj, path)` and `sh.load(path)`, in two formats.

- safetensors (a path ending in .safetensors, or a file object): tensors go into a
  safetensors file and the rest (the nesting of dicts and lists, numbers such as an
  optimizer's learning rate) into its JSON metadata. A state_dict saved so loads in PyTorch
  with `safetensors.torch.load_file`.
- PyTorch's own (.pt, .pth, .bin, .ckpt, .tar: what tutorials write with torch.save), in
  torchfile.py: torch.load reads the file, and sh.load reads torch.save's files.
Either way, loading a file never runs code from it. Read nn/module.py's state_dict() next.

File layout: the tensors under names made from their path (`model.0.weight`, or `0.weight` for
a plain state_dict), and in `__metadata__` the key "scratchish.structure": the object as JSON,
each tensor replaced by {"__tensor__": name}, tuples by {"__tuple__": [...]}, and dicts whose
keys are not all strings (optimizer state: {0: {...}}) by {"__dict_items__": [[key, value]]}.
"""

from __future__ import annotations

import collections.abc
import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import dtypes, torchfile
from .errors import ArgumentError, DTypeError
from .tensor import Tensor, _check_device

__all__ = ["load", "save"]

_STRUCTURE = "scratchish.structure"  # the metadata key holding the JSON skeleton
_TENSOR, _TUPLE, _ITEMS = "__tensor__", "__tuple__", "__dict_items__"
_MARKERS = (_TENSOR, _TUPLE, _ITEMS)
_SUFFIX = ".safetensors"
# the suffixes PyTorch code gives torch.save's files; written in PyTorch's format
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar")
_CHUNK = 1 << 26  # write 64 MiB at a time
# safetensors dtype names -> NumPy, for the dtypes scratchish has (no bfloat16, no float8)
_FILE_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
    "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64,
}  # fmt: skip

FileLike = str | os.PathLike | IO[bytes]


def _safetensors_numpy():
    """The safetensors package's NumPy API, or an ImportError that says how to install it."""
    try:
        from safetensors import numpy as safetensors_numpy
    except ImportError:
        raise ImportError(
            "sh.save / sh.load need the optional package safetensors (the file format, which "
            "never runs code when loading): pip install scratchish[weights] "
            "(or pip install safetensors)."
        ) from None
    return safetensors_numpy


# ----------------------------------------------------------------------------------------------
# save
# ----------------------------------------------------------------------------------------------


def save(obj: Any, f: FileLike, pickle_module=None, pickle_protocol=None) -> None:
    """Save tensors, and the dicts and lists holding them, to a safetensors file, or to a
    PyTorch file (torch.save's format) when the path ends in .pt, .pth, .bin, .ckpt or .tar.

    `obj` is usually a state_dict ({name: tensor}) or a checkpoint such as
    {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}. It may hold
    tensors, NumPy arrays, dicts, lists, tuples, str, int, float, bool and None. The write is
    atomic: the bytes go to a temporary file in the same directory, which is flushed, synced
    to disk and then renamed over the target, so a crash never leaves a half-written file.

    Differences from torch.save: other Python objects (a whole model) cannot be saved: save
    its state_dict(); a file object gets safetensors; NumPy arrays and scalars come back from
    load() as Tensors and Python numbers; in a .safetensors file a tensor stored twice (tied
    weights) is stored as two copies. pickle_module and pickle_protocol are ignored.

    Args:
        obj: what to save (see above).
        f: a path ending in ".safetensors" or in a PyTorch suffix (".pth", ...), or a binary
            file object (written directly, not atomically).

    Example:
        >>> import os, tempfile
        >>> import scratchish as sh
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> save({"weight": sh.ones(2, 2), "step": 10}, path)  # sh.save
        >>> load(path)
        {'weight': tensor([[1., 1.],
                [1., 1.]]), 'step': 10}
    """
    path = None if hasattr(f, "write") else _save_path(f)
    if path is not None and path.suffix in TORCH_SUFFIXES:
        _write_atomic(path, torchfile.save_torch(obj))
        return
    safetensors_numpy = _safetensors_numpy()
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, (), arrays)
    metadata = {"format": "pt", _STRUCTURE: json.dumps(structure)}
    payload = safetensors_numpy.save(arrays, metadata=metadata)
    if path is None:
        f.write(payload)
        return
    _write_atomic(path, payload)


def _encode(obj, path: tuple, arrays: dict[str, np.ndarray]):
    """obj as JSON-able values; each tensor moves into `arrays` and leaves a placeholder."""
    if isinstance(obj, (Tensor, np.ndarray)):
        return {_TENSOR: _store(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return obj.item()  # a NumPy scalar becomes the Python number
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, collections.abc.Mapping):
        plain = all(isinstance(k, str) and k not in _MARKERS for k in obj)
        if plain:
            return {k: _encode(v, (*path, k), arrays) for k, v in obj.items()}
        items = [[_encode_key(k, path), _encode(v, (*path, k), arrays)] for k, v in obj.items()]
        return {_ITEMS: items}
    if isinstance(obj, tuple):
        return {_TUPLE: [_encode(v, (*path, i), arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, (*path, i), arrays) for i, v in enumerate(obj)]
    raise DTypeError(
        f"save: cannot save the {type(obj).__name__} at {_show_path(path)}; scratchish saves "
        f"tensors, NumPy arrays, dicts, lists, tuples, str, int, float, bool and None (no "
        f"pickle, so that loading never runs code). Save its state_dict() or plain values."
    )


def _encode_key(key, path: tuple):
    """A dict key that is not a plain string: an int (optimizer state), a float, a tuple..."""
    if isinstance(key, np.generic):
        key = key.item()
    if key is None or isinstance(key, (bool, int, float, str)):
        return key
    if isinstance(key, tuple):
        return {_TUPLE: [_encode_key(k, path) for k in key]}
    raise DTypeError(
        f"save: the dict at {_show_path(path)} has a key of type {type(key).__name__} "
        f"({key!r}); keys must be str, int, float, bool, None or tuples of these."
    )


def _store(x, path: tuple, arrays: dict[str, np.ndarray]) -> str:
    """Put x's values in `arrays` under a unique name made from its path; return the name."""
    array = x.array if isinstance(x, Tensor) else x
    if array.dtype not in dtypes.FROM_NUMPY:
        raise DTypeError(
            f"save: the array at {_show_path(path)} has dtype {array.dtype}, which scratchish "
            f"cannot store; convert it to one of "
            f"{', '.join(str(d) for d in dtypes.FROM_NUMPY)}."
        )
    # safetensors writes the raw buffer: it needs C order and little-endian bytes (NOTE: not
    # np.ascontiguousarray, which turns a 0-d array into a 1-d one)
    array = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")
    base = ".".join(str(p) for p in path) or "tensor"
    name, copy_number = base, 0
    while name in arrays:
        copy_number += 1
        name = f"{base}#{copy_number}"
    arrays[name] = array
    return name


def _show_path(path: tuple) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in path)


def _save_path(f) -> Path:
    path = Path(os.fspath(f))
    if path.is_dir():
        raise IsADirectoryError(
            f"save: {str(path)!r} is a directory; give a file path such as "
            f"{str(path / ('model' + _SUFFIX))!r}."
        )
    if path.suffix != _SUFFIX and path.suffix not in TORCH_SUFFIXES:
        raise ArgumentError(
            f"save: {str(path)!r} does not end in {_SUFFIX} or a PyTorch suffix "
            f"({', '.join(TORCH_SUFFIXES)}); the suffix chooses the format: safetensors, or "
            f"PyTorch's own. Name the file e.g. {str(path.with_suffix(_SUFFIX))!r} or "
            f"{str(path.with_suffix('.pth'))!r}."
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"save: the directory {str(path.parent)!r} of {str(path)!r} does not exist. "
            f"Create it first: os.makedirs({str(path.parent)!r}, exist_ok=True)."
        )
    return path


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write to a temporary file next to `path`, sync it, then rename it over `path`.

    os.replace is atomic on POSIX and Windows: a reader sees the old file or the new one,
    never a mix. If anything fails (even KeyboardInterrupt) the temporary file is removed.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never reuse an existing file; mode 0o666 lets the umask decide, as open() would
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            _write_all(file, payload)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them live
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def _write_all(file, payload: bytes) -> None:
    view = memoryview(payload)
    for start in range(0, len(view), _CHUNK):
        file.write(view[start : start + _CHUNK])


def _sync_directory(directory: Path) -> None:
    """Sync the directory entry too, so the rename survives a power cut (POSIX only)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the data itself is synced
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------------


def load(
    f: FileLike,
    map_location=None,
    pickle_module=None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args,
) -> Any:
    """Load what `save` wrote, any safetensors file, or a file torch.save wrote, as Tensors.

    A file saved by scratchish comes back with its dicts, lists and numbers; a plain
    safetensors file (e.g. from `safetensors.torch.save_file`) comes back as {name: Tensor}.
    A file of torch.save's (a zip holding a pickle) is read as torch.load(weights_only=True)
    reads it: tensors and the dicts, lists, numbers and strings around them; anything else in
    it (a whole model) is refused, since unpickling it could run any code (torchfile.py).

    Differences from torch.load: weights_only=False changes nothing (code in a file is never
    run); map_location may be None, "cpu", a dict or a function (everything lives on the
    CPU; other devices raise); mmap, pickle_module and other pickle arguments are ignored.

    Args:
        f: a path, or a binary file object.
        map_location: where tensors go; CPU only.

    Returns:
        The saved object, with every tensor a scratchish Tensor.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> save({"step": 3, "betas": (0.9, 0.999)}, buffer)  # sh.save
        >>> load(io.BytesIO(buffer.getvalue()))
        {'step': 3, 'betas': (0.9, 0.999)}
    """
    if isinstance(map_location, str) or hasattr(map_location, "type"):
        _check_device(map_location)
    if hasattr(f, "read"):
        where, data = "the file object", f.read()
    else:
        where = repr(os.fspath(f))
        data = _read_path(os.fspath(f))
    if data[:2] == b"PK":  # a zip archive: torch.save's format
        return torchfile.load_torch(data, where)
    safetensors_numpy = _safetensors_numpy()
    header = _check_header(data, where)
    try:
        arrays = safetensors_numpy.load(data)
    except Exception as e:  # safetensors raises its own error type for malformed files
        raise ArgumentError(f"load: {where} is not a valid safetensors file ({e}).") from None
    tensors = {name: Tensor._make(_writable(a)) for name, a in arrays.items()}
    structure = (header.get("__metadata__") or {}).get(_STRUCTURE)
    if structure is None:  # a plain safetensors file: {name: tensor} in the file's order
        return {name: tensors[name] for name in header if name != "__metadata__"}
    return _decode(json.loads(structure), tensors, where)


def _read_path(path: str) -> bytes:
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"load: {path!r} is a directory; give the path of a {_SUFFIX} file inside it."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no file at {path!r} (looked from {os.getcwd()!r}). Check the path and the "
            f"extension, e.g. 'model{_SUFFIX}'."
        )
    with open(path, "rb") as file:
        return file.read()


def _check_header(data: bytes, where: str) -> dict:
    """The file's JSON header, or an error saying why this is not a safetensors file.

    A safetensors file is: 8 bytes (little-endian header length n), n bytes of JSON starting
    with "{", then the raw tensor bytes. torch.save writes a zip archive ("PK...") holding a
    pickle, and older torch.save or pickle.dump write a bare pickle (b"\\x80...").
    """
    n = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if 2 <= n <= len(data) - 8 and data[8:9] == b"{":
        try:
            header = json.loads(data[8 : 8 + n])
        except (UnicodeDecodeError, ValueError):
            header = None
        if isinstance(header, dict):
            _check_dtypes(header, where)
            return header
    if data[:1] == b"\x80":
        raise ArgumentError(
            f"load: {where} is a bare Python pickle (written by pickle.dump, or by torch.save "
            f"before PyTorch 1.6). scratchish reads safetensors files and torch.save's zip "
            f"files, and never unpickles anything else, because unpickling a file can run any "
            f"code in it. To convert a file you trust, run in PyTorch: "
            f"torch.save(torch.load(path, weights_only=True), 'model.pth')."
        )
    raise ArgumentError(
        f"load: {where} is neither a safetensors file nor a file torch.save wrote. Was it "
        f"saved by sh.save or torch.save? Check the path."
    )


def _check_dtypes(header: dict, where: str) -> None:
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype") if isinstance(info, dict) else None
        if dtype not in _FILE_DTYPES:
            raise DTypeError(
                f"load: tensor {name!r} in {where} has dtype {dtype}, which scratchish has no "
                f"dtype for (it has {', '.join(_FILE_DTYPES)}). Convert it before saving, e.g. "
                f"in PyTorch: {{k: v.float() for k, v in state_dict.items()}}."
            )


def _writable(array: np.ndarray) -> np.ndarray:
    """Loaded weights are trained further in place, so they must be writable."""
    return array if array.flags.writeable else array.copy()


def _decode(value, tensors: dict[str, Tensor], where: str):
    """The inverse of _encode: placeholders back to tensors, tuples and non-string keys."""
    if isinstance(value, list):
        return [_decode(v, tensors, where) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and _TENSOR in value:
        name = value[_TENSOR]
        if name not in tensors:
            raise ArgumentError(
                f"load: {where} is damaged: its structure names a tensor {name!r} that the "
                f"file does not hold."
            )
        return tensors[name]
    if len(value) == 1 and _TUPLE in value:
        return tuple(_decode(v, tensors, where) for v in value[_TUPLE])
    if len(value) == 1 and _ITEMS in value:
        return {_decode(k, tensors, where): _decode(v, tensors, where) for k, v in value[_ITEMS]}
    return {k: _decode(v, tensors, where) for k, v in value.items()}
