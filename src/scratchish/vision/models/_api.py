"""How torchvision names pretrained weights, and finds models by name.

    weights = models.ResNet18_Weights.DEFAULT        # or "IMAGENET1K_V1", or "DEFAULT"
    model = models.resnet18(weights=weights)         # downloads once, then loads the file
    preprocess = weights.transforms()                # resize, crop, scale, normalize

A `Weights` is where the file is (its URL), the preprocessing its training used and facts
about it (`meta`: the number of parameters, the smallest input). The files are PyTorch's
own (.pth), read by scratchish.torchfile and kept in PyTorch's cache (scratchish.hub), so
one download serves both libraries. The 1000 ImageNet class names torchvision keeps in
meta["categories"] are not bundled here: index them from your own list.
"""

from __future__ import annotations

import enum
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import ArgumentError, UnsupportedError
from ...hub import load_state_dict_from_url

__all__ = [
    "Weights",
    "WeightsEnum",
    "get_model",
    "get_model_builder",
    "get_model_weights",
    "get_weight",
    "list_models",
]

_BUILDERS: dict[str, Callable] = {}  # "resnet18": resnet18, filled by @register_model
IMAGENET_CLASSES = 1000


class Meta(dict):
    """A Weights' facts: {"num_params": ..., "min_size": ...}; asking for "categories" (the
    ImageNet class names, not bundled here) says where to get them."""

    def __missing__(self, key):
        if key == "categories":
            raise UnsupportedError(
                "weights.meta['categories']: the names of the 1000 ImageNet classes are not "
                "bundled with scratchish. Read them from a list of ImageNet class names (one "
                "per line, in the usual order) into a Python list, and index it with the "
                "predicted class: categories[class_id]."
            )
        raise KeyError(key)


@dataclass
class Weights:
    """One set of pretrained weights: its file's URL, the transforms its training used (a
    class or partial to call) and facts about it."""

    url: str
    transforms: Callable
    meta: dict[str, Any]


class WeightsEnum(enum.Enum):
    """The weights one model has, as torchvision's: ResNet18_Weights.IMAGENET1K_V1 and its
    alias DEFAULT (the best of them)."""

    @classmethod
    def verify(cls, obj):
        """obj as a member of this enum: None stays None, a name such as "DEFAULT" or
        "ResNet18_Weights.DEFAULT" is looked up, a member of another model's enum raises."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.removeprefix(cls.__name__ + ".")
            if name in cls.__members__:
                return cls[name]
            raise ArgumentError(
                f"weights={obj!r}: {cls.__name__} has {sorted(cls.__members__)}; pass one of "
                f"them, e.g. weights={cls.__name__}.DEFAULT, or weights=None for a fresh model."
            )
        raise ArgumentError(
            f"weights={obj!r}: this model takes {cls.__name__} (such as "
            f"{cls.__name__}.DEFAULT), not {type(obj).__name__}."
        )

    def get_state_dict(self, *args, **kwargs) -> dict:
        """The weights as a state_dict, downloaded to PyTorch's cache the first time."""
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict:
        return self.value.meta


def imagenet_weights(enum_name: str, meta: dict, *files) -> type[WeightsEnum]:
    """A WeightsEnum of ImageNet-1K weights: `files` are (file name, resize size) pairs for
    IMAGENET1K_V1, V2, ...; DEFAULT is the last. All are hosted at download.pytorch.org and
    preprocessed with ImageClassification (crop 224)."""
    from ..transforms._presets import ImageClassification

    members = []
    for version, (file_name, resize) in enumerate(files, start=1):
        transforms = functools.partial(ImageClassification, crop_size=224, resize_size=resize)
        url = f"https://download.pytorch.org/models/{file_name}"
        members.append((f"IMAGENET1K_V{version}", Weights(url, transforms, Meta(meta))))
    members.append(("DEFAULT", members[-1][1]))  # the same value: an alias, as torchvision's
    return WeightsEnum(enum_name, members, module=__name__)


def register_model(weights_enum: type[WeightsEnum]):
    """Decorator of a model builder: list it under its function name for get_model, with
    the WeightsEnum its `weights=` takes."""

    def register(fn: Callable) -> Callable:
        fn.weights_enum = weights_enum
        _BUILDERS[fn.__name__] = fn
        return fn

    return register


def build(model_cls, weights, progress: bool, kwargs: dict, **config):
    """model_cls(**config, **kwargs), with `weights` (a WeightsEnum member or None) loaded
    into it. With weights, num_classes must be ImageNet's 1000."""
    if weights is not None:
        wanted = kwargs.setdefault("num_classes", IMAGENET_CLASSES)
        if wanted != IMAGENET_CLASSES:
            raise ArgumentError(
                f"num_classes={wanted} with {weights!r}: the pretrained weights classify "
                f"{IMAGENET_CLASSES} ImageNet classes. Load them with num_classes left out, "
                f"then replace the last layer (e.g. model.fc = nn.Linear(model.fc.in_features, "
                f"{wanted})) to train it on your classes."
            )
    model = model_cls(**config, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


def legacy_pretrained(weights_enum: type[WeightsEnum], weights, kwargs: dict):
    """torchvision's old `pretrained=True` (before 0.13) as weights=IMAGENET1K_V1, with its
    deprecation warning; `pretrained=False` as weights=None."""
    if "pretrained" not in kwargs:
        return weights_enum.verify(weights)
    pretrained = kwargs.pop("pretrained")
    legacy = weights_enum.IMAGENET1K_V1 if pretrained else None
    warnings.warn(
        f"'pretrained' is deprecated in torchvision since 0.13; use weights={legacy!r} instead.",
        UserWarning,
        stacklevel=3,
    )
    return legacy


def list_models(module=None, include=None, exclude=None) -> list[str]:
    """The names of the models get_model builds, sorted (torchvision's filters: `include`
    and `exclude` are fnmatch patterns such as "resnet*")."""
    import fnmatch

    names = sorted(_BUILDERS)
    if module is not None:
        names = [n for n in names if _BUILDERS[n].__module__.startswith(module.__name__)]
    if include is not None:
        patterns = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if exclude is not None:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)]
    return names


def get_model_builder(name: str) -> Callable:
    """The function that builds the model called `name` ("resnet18")."""
    key = name.lower()
    if key not in _BUILDERS:
        import difflib

        close = difflib.get_close_matches(key, _BUILDERS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ArgumentError(
            f"Unknown model {name!r}.{hint} The models here: {', '.join(sorted(_BUILDERS))}."
        )
    return _BUILDERS[key]


def get_model(name: str, **config):
    """The model called `name`, built with `config` (weights=..., num_classes=...)."""
    return get_model_builder(name)(**config)


def get_model_weights(name) -> type[WeightsEnum]:
    """The WeightsEnum of a model, by its name or its builder."""
    builder = get_model_builder(name) if isinstance(name, str) else name
    return builder.weights_enum


def get_weight(name: str) -> WeightsEnum:
    """The weights named like "ResNet50_Weights.IMAGENET1K_V2"."""
    enum_name, _, member = name.partition(".")
    for builder in _BUILDERS.values():
        if builder.weights_enum.__name__ == enum_name:
            return builder.weights_enum.verify(member)
    raise ArgumentError(
        f"get_weight({name!r}): no weights enum is called {enum_name!r}; names look like "
        f"'ResNet50_Weights.IMAGENET1K_V2'."
    )
