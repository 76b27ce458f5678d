"""Saving and loading: `sh.save(obj, path)` and `sh.load(path)`, in the safetensors format.

Unlike torch.save, nothing is pickled: tensors go into a safetensors file and the rest (the
nesting of dicts and lists, numbers such as an optimizer's learning rate) into its JSON
metadata, so loading a file never runs code from it. A state_dict saved here loads in PyTorch
with `safetensors.torch.load_file`. Read nn/module.py's state_dict() next.

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

from . import dtypes
from .errors import ArgumentError, DTypeError
from .tensor import Tensor, _check_device

__all__ = ["load", "save"]

_STRUCTURE = "scratchish.structure"  # the metadata key holding the JSON skeleton
_TENSOR, _TUPLE, _ITEMS = "__tensor__", "__tuple__", "__dict_items__"
_MARKERS = (_TENSOR, _TUPLE, _ITEMS)
_SUFFIX = ".safetensors"
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
    """Save tensors, and the dicts and lists holding them, to a safetensors file.

    `obj` is usually a state_dict ({name: tensor}) or a checkpoint such as
    {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}. It may hold
    tensors, NumPy arrays, dicts, lists, tuples, str, int, float, bool and None. The write is
    atomic: the bytes go to a temporary file in the same directory, which is flushed, synced
    to disk and then renamed over the target, so a crash never leaves a half-written file.

    Differences from torch.save: the format is safetensors, not pickle, so other Python
    objects cannot be saved; a path must end in ".safetensors"; NumPy arrays and scalars come
    back from load() as Tensors and Python numbers; a tensor stored twice (tied weights) is
    stored as two copies. pickle_module and pickle_protocol are accepted and ignored.

    Args:
        obj: what to save (see above).
        f: a path ending in ".safetensors", or a binary file object (written directly, not
            atomically).

    Example:
        >>> import os, tempfile
        >>> import scratchish as sh
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> save({"weight": sh.ones(2, 2), "step": 10}, path)  # sh.save
        >>> load(path)
        {'weight': tensor([[1., 1.],
                [1., 1.]]), 'step': 10}
    """
    safetensors_numpy = _safetensors_numpy()
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, (), arrays)
    metadata = {"format": "pt", _STRUCTURE: json.dumps(structure)}
    payload = safetensors_numpy.save(arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(payload)
        return
    path = _save_path(f)
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
    if path.suffix != _SUFFIX:
        raise ArgumentError(
            f"save: {str(path)!r} does not end in {_SUFFIX}; scratchish writes the safetensors "
            f"format (not torch.save's pickle), so name the file for it, e.g. "
            f"{str(path.with_suffix(_SUFFIX))!r}."
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
    """Load what `save` wrote (or any safetensors file) as Tensors; never unpickles.

    A file saved by scratchish comes back with its dicts, lists and numbers; a plain
    safetensors file (e.g. from `safetensors.torch.save_file`) comes back as {name: Tensor}.
    A file made by torch.save (a pickle, which could run any code when loaded) is refused.

    Differences from torch.load: only safetensors files; map_location may be None, "cpu", a
    dict or a function (everything lives on the CPU; other devices raise); weights_only,
    mmap, pickle_module and other pickle arguments are accepted and change nothing, since
    nothing is ever unpickled.

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
    safetensors_numpy = _safetensors_numpy()
    if hasattr(f, "read"):
        where, data = "the file object", f.read()
    else:
        where = repr(os.fspath(f))
        data = _read_path(os.fspath(f))
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
    if data[:2] == b"PK":
        looks_like = " (it is a zip archive, the format torch.save writes)"
    elif data[:1] == b"\x80":
        looks_like = " (it is a Python pickle)"
    else:
        looks_like = ""
    raise ArgumentError(
        f"load: {where} is not a safetensors file{looks_like}. scratchish only reads "
        f"safetensors and never unpickles, because unpickling a file can run any code in it. "
        f"To convert a torch.save checkpoint you trust, run in PyTorch: "
        f"safetensors.torch.save_file(torch.load(path, weights_only=True), 'model{_SUFFIX}')."
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
