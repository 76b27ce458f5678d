"""Blurring and erasing (torchvision's gaussian_blur and erase, and the transforms
GaussianBlur and RandomErasing).

A Gaussian blur replaces each pixel by a weighted mean of its neighbours, the weights
exp(-x^2 / (2 sigma^2)) normalised to sum to 1, with the image mirrored at its borders
('reflect' padding) so that the output keeps its size. Random erasing (Zhong et al., 2017,
arXiv:1708.04896) overwrites a random rectangle of a tensor image. Pillow images are blurred
as torchvision blurs them: as a uint8 tensor, then back. functional.py re-exports the
functions; _color.py holds the colour transforms.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import dtypes
from ...creation import empty, rand, randint, tensor
from ...errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from ...tensor import Tensor
from . import functional as F


def _gaussian_kernel1d(size: int, sigma: float, float_type) -> np.ndarray:
    """size weights exp(-0.5 (x / sigma)^2) at x = -(size - 1)/2 .. (size - 1)/2, divided by
    their sum, computed in float_type as torchvision does."""
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=float_type)
    pdf = np.exp(-0.5 * (x / float_type(sigma)) ** 2)
    return pdf / pdf.sum()


def _kernel_size_pair(kernel_size) -> list[int]:
    if isinstance(kernel_size, numbers.Integral) and not isinstance(kernel_size, bool):
        kernel_size = [int(kernel_size)] * 2
    if not isinstance(kernel_size, (list, tuple)) or len(kernel_size) != 2:
        raise ArgumentError(
            f"gaussian_blur: kernel_size should be an int or a sequence of 2 ints (kx, ky), "
            f"got {kernel_size!r}."
        )
    for size in kernel_size:
        if not isinstance(size, numbers.Integral) or size % 2 == 0 or size < 0:
            raise ArgumentError(
                f"gaussian_blur: kernel_size should have odd and positive integers, got "
                f"{list(kernel_size)}; try {[int(s) // 2 * 2 + 1 for s in kernel_size]}."
            )
    return [int(s) for s in kernel_size]


def _sigma_pair(sigma, kernel_size) -> list[float]:
    if sigma is None:  # torchvision's default, from the kernel size
        return [size * 0.15 + 0.35 for size in kernel_size]
    if isinstance(sigma, numbers.Real):
        sigma = [float(sigma)] * 2
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if not isinstance(sigma, (list, tuple)) or len(sigma) != 2:
        raise ArgumentError(
            f"gaussian_blur: sigma should be a number or a sequence of 1 or 2 numbers "
            f"(sigma_x, sigma_y), got {sigma!r}."
        )
    if any(s <= 0.0 for s in sigma):
        raise ArgumentError(f"gaussian_blur: sigma should have positive values, got {sigma}.")
    return [float(s) for s in sigma]


def _blur_array(x: np.ndarray, kernel_size, sigma) -> np.ndarray:
    """Blur the last two dims of x; integer images in float32, rounded back, as torchvision."""
    floating = np.issubdtype(x.dtype, np.floating)
    float_type = x.dtype.type if floating else np.float32
    kx, ky = kernel_size
    height, width = x.shape[-2:]
    if ky // 2 >= height or kx // 2 >= width:
        raise ShapeError(
            f"gaussian_blur: reflect padding needs kernel_size // 2 below the image size: kernel "
            f"(kx, ky) = ({kx}, {ky}) for an image of (H, W) = ({height}, {width}); use a "
            f"smaller kernel_size."
        )
    widths = [(0, 0)] * (x.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
    padded = np.pad(x.astype(float_type), widths, mode="reflect")
    # out[y, x] = sum over the kernel of k[dy, dx] * padded[y + dy, x + dx] (a correlation,
    # the same as a convolution for this symmetric kernel). The kernel is the outer product
    # of a column and a row, so the sum is taken in two passes, down the columns and then
    # along the rows: ky + kx products a pixel instead of ky * kx (23x23: 46, not 529).
    # Summed in float64 and rounded once, so the result is torchvision's to float32 rounding.
    column = _gaussian_kernel1d(kernel_size[1], sigma[1], float_type).astype(np.float64)
    row = _gaussian_kernel1d(kernel_size[0], sigma[0], float_type).astype(np.float64)
    rows_done = np.zeros((*x.shape[:-2], height, padded.shape[-1]), dtype=np.float64)
    for dy in range(ky):
        rows_done += column[dy] * padded[..., dy : dy + height, :]
    total = np.zeros(x.shape, dtype=np.float64)
    for dx in range(kx):
        total += row[dx] * rows_done[..., dx : dx + width]
    out = total.astype(float_type)
    return out if floating else np.round(out).astype(x.dtype)


def gaussian_blur(img, kernel_size, sigma=None):
    """The image blurred by a Gaussian of `kernel_size` (kx, ky) pixels (odd; one int for a
    square) and standard deviation `sigma` (sigma_x, sigma_y), the borders mirrored.

    Args:
        img: a Pillow image, or a tensor (..., C, H, W) (any number of leading dims here;
            torchvision allows at most one).
        kernel_size: an odd int, or (kx, ky): the width first.
        sigma: a number or (sigma_x, sigma_y); None takes 0.15 * kernel_size + 0.35.

    Returns:
        The same kind of image, the same size. uint8 images are blurred in float32 and
        rounded; a Pillow image is blurred as its uint8 tensor, as torchvision does.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.vision.transforms import functional as F
        >>> F.gaussian_blur(sh.tensor([[[0.0, 0.0, 3.0, 0.0, 0.0]]]), [3, 1], 1.0)
        tensor([[[0.0000, 0.8222, 1.3556, 0.8222, 0.0000]]])
    """
    kernel_size = _kernel_size_pair(kernel_size)
    sigma = _sigma_pair(sigma, kernel_size)
    F._check_image(img, "gaussian_blur")
    if F._is_pil(img):
        if img.mode in ("1", "P"):
            raise UnsupportedError(
                f"gaussian_blur: a Pillow image of mode {img.mode!r} holds no intensities to "
                f"blur; convert it first: img.convert('RGB') or img.convert('L')."
            )
        blurred = _blur_array(F.pil_to_tensor(img).numpy(), kernel_size, sigma)  # (C, H, W)
        data = np.ascontiguousarray(np.moveaxis(blurred, 0, -1))  # Pillow's (H, W, C) bytes
        return F._pil_image().frombytes(img.mode, img.size, data.tobytes())
    return Tensor._make(_blur_array(img.array, kernel_size, sigma))


def _need_tensor(img, who: str) -> None:
    if not isinstance(img, Tensor):
        raise DTypeError(
            f"{who}: img should be a tensor image, got {type(img).__name__}. Put ToTensor() "
            f"(or PILToTensor()) before RandomErasing in Compose([...])."
        )
    F._check_image(img, who)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """The tensor image with the h x w region at (i, j) (top, left) set to `v`: a number, or a
    tensor that broadcasts to (..., C, h, w), such as one value per channel (C, 1, 1).
    A copy unless inplace=True. Float values written into a uint8 image are truncated.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.vision.transforms import functional as F
        >>> F.erase(sh.ones(1, 3, 3), 0, 1, 2, 2, sh.tensor(0.0))
        tensor([[[1., 0., 0.],
                 [1., 0., 0.],
                 [1., 1., 1.]]])
    """
    _need_tensor(img, "erase")
    out = img if inplace else img.clone()
    out[..., i : i + h, j : j + w] = v
    return out


# ---------------------------------------------------------------------------- the transforms


class GaussianBlur:
    """A Gaussian blur whose sigma is drawn for each image: uniformly from sigma=(min, max)
    with torch.empty(1).uniform_(min, max), as torchvision (a single number: that sigma).

    Args:
        kernel_size: an odd int, or (kx, ky).
        sigma: a positive number, or (min, max) with 0 < min <= max.
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        if isinstance(kernel_size, numbers.Integral):
            kernel_size = (int(kernel_size), int(kernel_size))
        elif isinstance(kernel_size, (list, tuple)) and len(kernel_size) == 1:
            kernel_size = (kernel_size[0], kernel_size[0])
        if not isinstance(kernel_size, (list, tuple)) or len(kernel_size) != 2:
            raise ArgumentError(
                f"GaussianBlur: kernel size should be an int or a tuple/list of two integers, "
                f"got {kernel_size!r}."
            )
        if any(size <= 0 or size % 2 == 0 for size in kernel_size):
            raise ArgumentError(
                f"GaussianBlur: kernel size value should be an odd and positive number, got "
                f"{tuple(kernel_size)}."
            )
        if isinstance(sigma, numbers.Real):
            if sigma <= 0:
                raise ArgumentError(
                    f"GaussianBlur: if sigma is a single number, it must be positive, got {sigma}."
                )
            sigma = (sigma, sigma)
        elif isinstance(sigma, (list, tuple)) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ArgumentError(
                    f"GaussianBlur: sigma values should be positive and of the form (min, max), "
                    f"got {tuple(sigma)}."
                )
        else:
            raise ArgumentError(
                f"GaussianBlur: sigma should be a single number or a list/tuple with length 2, "
                f"got {sigma!r}."
            )
        self.kernel_size, self.sigma = kernel_size, sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """The sigma for one image: torch.empty(1).uniform_(sigma_min, sigma_max)."""
        return F._uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"GaussianBlur(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """Erase a random rectangle of a tensor image with probability p (Zhong et al., 2017):
    its area a fraction `scale` of the image's, its aspect ratio h / w in `ratio`, filled
    with `value` (a number, one per channel, or 'random' for standard normal noise).

    The draws are torchvision's: torch.rand(1) < p decides; then up to 10 tries of
    torch.empty(1).uniform_ for the area and for the log of the ratio, and, for the first
    rectangle that fits, the noise (torch.empty(C, h, w).normal_(), for 'random') and
    torch.randint for its top and left. If no try fits, the image is returned unchanged.
    Tensors only: put it after ToTensor().

    Args:
        p: the probability of erasing.
        scale: (min, max) area of the rectangle, as a fraction of the image's.
        ratio: (min, max) aspect ratio h / w of the rectangle.
        value: the fill: a number, a sequence of one per channel, or 'random'.
        inplace: write into the image itself instead of a copy.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False) -> None:
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise ArgumentError(
                f"RandomErasing: value should be a number, a sequence or 'random', got "
                f"{type(value).__name__}."
            )
        if isinstance(value, str) and value != "random":
            raise ArgumentError(
                f"RandomErasing: if value is str, it should be 'random', got {value!r}."
            )
        if not isinstance(scale, (list, tuple)) or not isinstance(ratio, (list, tuple)):
            raise ArgumentError(
                f"RandomErasing: scale and ratio should be (min, max) sequences, got "
                f"scale={scale!r}, ratio={ratio!r}."
            )
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ArgumentError(f"RandomErasing: scale should be between 0 and 1, got {scale}.")
        if p < 0 or p > 1:
            raise ArgumentError(
                f"RandomErasing: random erasing probability should be between 0 and 1, got {p}."
            )
        self.p, self.scale, self.ratio = p, scale, ratio
        self.value, self.inplace = value, inplace

    @staticmethod
    def get_params(img: Tensor, scale, ratio, value=None):
        """(top, left, h, w, v) of a random rectangle and its fill: v the (C, h, w) noise when
        value is None, else value as a (len(value), 1, 1) tensor. If no try fits:
        (0, 0, H, W, img), which erases nothing."""
        channels, height, width = img.shape[-3], img.shape[-2], img.shape[-1]
        for _ in range(10):
            erase_area, aspect_ratio = F._random_rectangle(height * width, scale, ratio)
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < height and w < width):
                continue
            if value is None:
                v = empty(channels, h, w, dtype=dtypes.float32).normal_()
            else:
                v = tensor(value)[:, None, None]
            top = int(randint(0, height - h + 1, size=(1,)).item())
            left = int(randint(0, width - w + 1, size=(1,)).item())
            return top, left, h, w, v
        return 0, 0, height, width, img

    def __call__(self, img):
        if not rand(1) < self.p:
            return img
        if isinstance(self.value, str):
            value = None  # 'random'
        elif isinstance(self.value, (list, tuple)):
            value = [float(v) for v in self.value]
        else:
            value = [float(self.value)]
        _need_tensor(img, "RandomErasing")
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ArgumentError(
                f"RandomErasing: if value is a sequence, it should have either a single value "
                f"or {img.shape[-3]} (number of input channels), got {len(value)}: {value}."
            )
        top, left, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
        return erase(img, top, left, h, w, v, self.inplace)

    def __repr__(self) -> str:
        return (
            f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )
