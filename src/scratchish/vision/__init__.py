"""scratchish.vision: the part of torchvision that PyTorch's beginner tutorials use, so that
they run unchanged under `scratchish run` (`import torchvision` gives this package):

    datasets    MNIST, FashionMNIST, CIFAR10, ImageFolder (datasets.py)
    transforms  Compose, ToTensor, Normalize, Resize, RandomCrop, RandomHorizontalFlip, ...
    utils       make_grid, save_image
    io          read_image, decode_image, read_file
    ops         box_convert, box_area, box_iou, nms (boxes for object detection)
    models      ResNet, ResNeXt, Wide ResNet, VGG, AlexNet, MobileNetV2 (and their weights)

Images are Pillow images (install scratchish[datasets]). Detection models and ops, and video, are
not here. scratchish's own loaders, which give tensors directly, are in
scratchish.datasets. Read next: transforms/__init__.py.
"""

from .. import compat
from . import datasets, io, models, ops, transforms, utils

__all__ = ["datasets", "io", "models", "ops", "transforms", "utils"]


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision", name)
