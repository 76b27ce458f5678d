"""Rotations, affine, perspective and elastic maps of images (torchvision's rotate, affine,
perspective, elastic_transform, RandomRotation, RandomAffine, RandomPerspective and
ElasticTransform).

An affine map moves each pixel: rotate by `angle` degrees, scale, shear, then translate, all
about a centre (the image's by default). To fill the output, each output pixel asks where it
came from, through the inverse map (inverse_affine_matrix), and reads the input there.
Pillow does that for its images (Image.transform, Image.rotate); tensors are read with
nn.functional.grid_sample, as torchvision does, so the results match torchvision's.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ...autograd import no_grad
from ...creation import rand, randint
from ...errors import ArgumentError, UnsupportedError
from ...nn.functional import grid_sample
from ...tensor import Tensor
from . import functional as F


def inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    """The 2x3 matrix (row-major, six numbers) that sends an output pixel (x, y) back to the
    input point it shows, for the map: about `center` (cx, cy), rotate by `angle` degrees,
    scale by `scale`, shear by `shear` (sx, sy) degrees, then move by `translate` (tx, ty).

    The forward map is M = T C RSS C^-1, with RSS = R(angle) S(scale) SHy(sy) SHx(sx); its
    inverse is C RSS^-1 C^-1 T^-1. The rotation and the shears have determinant 1, so
    RSS^-1 is the adjugate of RSS divided by the scale.
    """
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # RSS without the scale: [[a, b], [c, d]]
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]  # RSS^-1
    # then C^-1 T^-1 before it and C after it: subtract centre and shift, add the centre back
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _pil_fill(fill, img, who: str) -> dict:
    """Pillow's fillcolor: one value per band, whole numbers unless the image holds floats."""
    bands = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = list(fill) * bands
        elif len(fill) != bands:
            raise ArgumentError(
                f"{who}: fill has {len(fill)} values and the image {bands} channels; give one "
                f"value, or one per channel."
            )
        fill = tuple(fill) if img.mode == "F" else tuple(int(v) for v in fill)
        return {"fillcolor": fill[0] if bands == 1 else fill}
    if bands > 1:
        fill = tuple([fill] * bands)
        return {"fillcolor": fill if img.mode == "F" else tuple(int(v) for v in fill)}
    return {"fillcolor": fill if img.mode == "F" else int(fill)}


def _output_size(matrix, w: int, h: int) -> tuple[int, int]:
    """(width, height) that holds the whole image after the map (expand=True): the box
    around the four corners' images, as Pillow computes it, in float32 as torchvision (with
    the digits past 1e-4 cut, so that 3.00000001 does not round up to 4)."""
    corners = np.array(
        [
            [-0.5 * w, -0.5 * h, 1.0],
            [-0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, 0.5 * h, 1.0],
            [0.5 * w, -0.5 * h, 1.0],
        ],
        dtype=np.float32,
    )
    moved = corners @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    low = moved.min(axis=0) + np.float32([w * 0.5, h * 0.5])
    high = moved.max(axis=0) + np.float32([w * 0.5, h * 0.5])
    tol = np.float32(1e-4)
    size = np.ceil(np.trunc(high / tol) * tol) - np.floor(np.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def _pixel_centres(dtype, ow: int, oh: int, origin: float) -> np.ndarray:
    """(oh * ow, 3): (x, y, 1) of every output pixel's centre, x and y measured from `origin`
    times the size (0.5: from the middle, as affine's grid; 0: from the corner)."""
    base = np.empty((oh, ow, 3), dtype=dtype)
    base[..., 0] = np.linspace(0.5 - origin * ow, ow * (1 - origin) - 0.5, ow, dtype=dtype)
    base[..., 1] = np.linspace(0.5 - origin * oh, oh * (1 - origin) - 0.5, oh, dtype=dtype)[:, None]
    base[..., 2] = 1
    return base.reshape(oh * ow, 3)


def _affine_grid_of(matrix):
    """The grid of an inverse affine map (pixel coordinates about the image's middle): the
    output pixel centres go through `matrix`, then are scaled to [-1, 1] by the input's half
    sizes, as one product in this order, as torchvision (on a turn by 90 degrees points fall
    exactly between two pixels, and another order of the float32 arithmetic picks the
    other pixel)."""

    def grid_of(dtype, w, h, ow, oh):
        theta = np.asarray(matrix, dtype=dtype).reshape(2, 3)
        scaled = theta.T / np.asarray([0.5 * w, 0.5 * h], dtype=dtype)  # (3, 2)
        return (_pixel_centres(dtype, ow, oh, 0.5) @ scaled).reshape(1, oh, ow, 2)

    return grid_of


def _perspective_grid_of(coeffs):
    """The grid of a perspective map (a b c d e f g h): the output pixel (x, y), from the
    top-left corner, reads the input at ((a x + b y + c), (d x + e y + f)) / (g x + h y + 1),
    scaled to [-1, 1] (Pillow's formula, torchvision's arithmetic)."""

    def grid_of(dtype, w, h, ow, oh):
        a, b, c, d, e, f, g, k = coeffs
        top = np.asarray([[a, b, c], [d, e, f]], dtype=dtype)
        scaled = top.T / np.asarray([0.5 * ow, 0.5 * oh], dtype=dtype)  # (3, 2)
        below = np.asarray([[g, k, 1.0], [g, k, 1.0]], dtype=dtype).T
        base = _pixel_centres(dtype, ow, oh, 0.0)
        return ((base @ scaled) / (base @ below) - 1.0).reshape(1, oh, ow, 2)

    return grid_of


def _sample_tensor(img: Tensor, grid_of, mode: str, fill, out_size=None) -> Tensor:
    """img (..., C, H, W) read by grid_sample at the points grid_of(dtype, w, h, ow, oh)
    gives for each output pixel, as torchvision does. With a fill, a channel of ones is
    sampled alongside and tells how much of each output pixel came from inside the image."""
    if mode not in ("nearest", "bilinear"):
        raise UnsupportedError(
            f"rotate/affine/perspective of a tensor image: interpolation {mode!r}; use NEAREST or "
            f"BILINEAR (or a Pillow image for the others)."
        )
    *lead, c, h, w = img.shape if img.ndim >= 3 else (1, *img.shape)
    ow, oh = out_size or (w, h)
    floating = img.is_floating_point()
    x = img.array if floating else img.array.astype(np.float32)
    x = x.reshape(-1, c, h, w)
    grid = grid_of(x.dtype, w, h, ow, oh)  # (1, oh, ow, 2) in [-1, 1] coordinates
    grid = np.broadcast_to(grid, (x.shape[0], oh, ow, 2))
    if fill is not None:
        x = np.concatenate([x, np.ones_like(x[:, :1])], axis=1)
    with no_grad():
        out = grid_sample(
            Tensor._make(x),
            Tensor._make(np.ascontiguousarray(grid)),
            mode=mode,
            padding_mode="zeros",
            align_corners=False,
        ).array
    if fill is not None:
        out, inside = out[:, :-1], out[:, -1:]
        values = np.asarray(fill if isinstance(fill, (list, tuple)) else [fill], x.dtype)
        fill_image = np.broadcast_to(values.reshape(1, -1, 1, 1), out.shape)
        if mode == "nearest":
            out = np.where(inside < 0.5, fill_image, out)
        else:
            out = out * inside + (1.0 - inside) * fill_image
    if not floating:
        out = np.round(out)
    out = out.reshape(*lead, c, oh, ow) if img.ndim >= 3 else out.reshape(oh, ow)
    return Tensor._make(out.astype(img.array.dtype, copy=False))


def rotate(
    img,
    angle: float,
    interpolation=F.InterpolationMode.NEAREST,
    expand: bool = False,
    center=None,
    fill=None,
):
    """The image turned `angle` degrees counter-clockwise about `center` (x, y) (its middle by
    default). expand=True makes the output large enough for all of it; what the turned image
    does not cover is `fill` (0). Pillow images turn with Image.rotate, tensors through
    grid_sample (NEAREST or BILINEAR), as torchvision."""
    F._check_image(img, "rotate")
    if not isinstance(angle, numbers.Real):
        raise ArgumentError(f"rotate: angle must be a number of degrees, got {angle!r}.")
    mode = F._interpolation_mode(interpolation, "rotate", "nearest")
    if F._is_pil(img):
        return img.rotate(
            angle, F._PIL_RESAMPLE[mode.value], expand, center, **_pil_fill(fill, img, "rotate")
        )
    _, h, w = F.get_dimensions(img)
    centre = [0.0, 0.0]  # about the image's middle, in pixels from it
    if center is not None:
        centre = [float(c) - s * 0.5 for c, s in zip(center, (w, h))]
    # the inverse map of a turn by -angle: torchvision's tensors turn the other way round
    # in affine's convention, so rotate asks for -angle to match Pillow's direction
    matrix = inverse_affine_matrix(centre, -float(angle), [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = _output_size(matrix, w, h) if expand else None
    return _sample_tensor(img, _affine_grid_of(matrix), mode.value, fill, out_size)


def affine(
    img,
    angle: float,
    translate,
    scale: float,
    shear,
    interpolation=F.InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """The image rotated by `angle` degrees (clockwise, as torchvision's affine), scaled by
    `scale`, sheared by `shear` degrees (one number: along x; or (sx, sy)) and moved by
    `translate` (tx, ty) pixels, about `center` (the middle by default); uncovered pixels are
    `fill`."""
    F._check_image(img, "affine")
    mode = F._interpolation_mode(interpolation, "affine", "nearest")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ArgumentError(f"affine: translate must be (tx, ty) in pixels, got {translate!r}.")
    if not scale > 0:
        raise ArgumentError(f"affine: scale must be positive, got {scale!r}.")
    if isinstance(shear, numbers.Real):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ArgumentError(f"affine: shear must be one number or (sx, sy), got {shear!r}.")
    _, h, w = F.get_dimensions(img)
    if F._is_pil(img):
        centre = center if center is not None else [w * 0.5, h * 0.5]
        matrix = inverse_affine_matrix(centre, float(angle), translate, float(scale), shear)
        fill_opts = _pil_fill(fill, img, "affine")
        return img.transform((w, h), 0, matrix, F._PIL_RESAMPLE[mode.value], **fill_opts)
    centre = [0.0, 0.0]
    if center is not None:
        centre = [float(c) - s * 0.5 for c, s in zip(center, (w, h))]
    translate = [float(t) for t in translate]
    matrix = inverse_affine_matrix(centre, float(angle), translate, float(scale), shear)
    return _sample_tensor(img, _affine_grid_of(matrix), mode.value, fill)


def perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The eight numbers (a b c d e f g h) of the perspective map that sends the four corners
    `endpoints` back to `startpoints` (each [top-left, top-right, bottom-right, bottom-left]
    as (x, y)): the output pixel (x, y) reads the input at ((a x + b y + c), (d x + e y + f))
    / (g x + h y + 1). Two equations per corner, solved in float64 and rounded to float32,
    as torchvision does, but exactly (LU) rather than by least squares: torchvision's
    least-squares solution leaves noise of ~1e-15 where a coefficient is 0 (a corner that
    stays at (0, 0)), and on a Pillow image that noise can put the edge pixel inside or
    outside the image, so the two can differ there."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ArgumentError(
            f"perspective: give exactly four corners [top-left, top-right, bottom-right, "
            f"bottom-left], got {len(startpoints)} startpoints and {len(endpoints)} endpoints."
        )
    rows, targets = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])  # u (g x + h y + 1) = a x + b y + c
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])  # v (g x + h y + 1) = d x + e y + f
        targets += [u, v]
    system, values = np.asarray(rows, np.float64), np.asarray(targets, np.float64)
    try:
        solution = np.linalg.solve(system, values)
    except np.linalg.LinAlgError:  # corners on a line: the best fit, as torchvision's
        solution = np.linalg.lstsq(system, values)[0]
    return solution.astype(np.float32).tolist()


def perspective(
    img,
    startpoints,
    endpoints,
    interpolation=F.InterpolationMode.BILINEAR,
    fill=None,
):
    """The image seen at a slant: the corners `startpoints` move to `endpoints` (four
    (x, y) points each, [top-left, top-right, bottom-right, bottom-left]) and straight lines
    stay straight. Uncovered pixels are `fill` (0)."""
    F._check_image(img, "perspective")
    mode = F._interpolation_mode(interpolation, "perspective", "nearest")
    coeffs = perspective_coeffs(startpoints, endpoints)
    if F._is_pil(img):
        fill_opts = _pil_fill(fill, img, "perspective")
        return img.transform(img.size, 2, coeffs, F._PIL_RESAMPLE[mode.value], **fill_opts)
    return _sample_tensor(img, _perspective_grid_of(coeffs), mode.value, fill)


def elastic_transform(
    img, displacement: Tensor, interpolation=F.InterpolationMode.BILINEAR, fill=None
):
    """The image with each output pixel read from its own place moved by `displacement`
    (1, H, W, 2): (dx, dy) in grid_sample's [-1, 1] units. A Pillow image goes through its
    uint8 tensor and back, as torchvision's."""
    F._check_image(img, "elastic_transform")
    if not isinstance(displacement, Tensor) or tuple(displacement.shape[-1:]) != (2,):
        raise ArgumentError(
            "elastic_transform: displacement must be a (1, H, W, 2) tensor of moves in [-1, 1] "
            "units; ElasticTransform.get_params(alpha, sigma, [H, W]) makes one."
        )
    mode = F._interpolation_mode(interpolation, "elastic_transform", "nearest")
    pillow = F._is_pil(img)
    tensor = F.pil_to_tensor(img) if pillow else img
    _, h, w = F.get_dimensions(tensor)

    def grid_of(dtype, w, h, ow, oh):
        # the identity grid: each pixel's centre, (2i + 1) / n - 1 along each axis
        xs = np.linspace((1 - w) / w, (w - 1) / w, w, dtype=np.float32)
        ys = np.linspace((1 - h) / h, (h - 1) / h, h, dtype=np.float32)
        identity = np.stack(np.meshgrid(xs, ys), axis=-1)[None]  # (1, H, W, 2): (x, y)
        return (identity + displacement.array).astype(dtype)

    out = _sample_tensor(tensor, grid_of, mode.value, fill)
    return F.to_pil_image(out, mode=img.mode) if pillow else out


def _angle_range(value, name: str, sizes=(2,)) -> list[float]:
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ArgumentError(f"{name}: one number must be >= 0 (the range -x..x), got {value}.")
        return [-float(value), float(value)]
    if not isinstance(value, (list, tuple)) or len(value) not in sizes:
        raise ArgumentError(
            f"{name} must be a number or a sequence of {' or '.join(map(str, sizes))} numbers, "
            f"got {value!r}."
        )
    return [float(v) for v in value]


def _tensor_fill(fill, img):
    """torchvision's random transforms hand a tensor one fill value per channel (None stays
    None: no fill)."""
    if not isinstance(img, Tensor) or fill is None:
        return fill
    channels = F.get_dimensions(img)[0]
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


class RandomRotation:
    """Rotate by an angle drawn uniformly from `degrees` (a number d: -d..d, or (min, max)),
    torchvision's draw: torch.empty(1).uniform_(min, max)."""

    def __init__(
        self, degrees, interpolation=F.InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ) -> None:
        if fill is None or not isinstance(fill, (numbers.Real, list, tuple)):
            raise ArgumentError(
                f"RandomRotation: fill must be a number or a sequence, got {fill!r}."
            )
        self.degrees = _angle_range(degrees, "RandomRotation: degrees")
        self.interpolation = F._interpolation_mode(interpolation, "RandomRotation", "nearest")
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return F._uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        angle = self.get_params(self.degrees)
        return rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        text = f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation.value}"
        text += f", expand={self.expand}"
        text += f", center={self.center}" if self.center is not None else ""
        return text + f", fill={self.fill})"


class RandomAffine:
    """A random affine map about the centre: an angle from `degrees`, a shift of up to
    translate=(fx, fy) of the width and height, a scale from scale=(min, max), shears from
    `shear` (a number s: x-shear in -s..s; two numbers: x-shear range; four: x and y
    ranges). Drawn in that order with torch.empty(1).uniform_ calls, as torchvision (the
    shift rounded to whole pixels)."""

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=F.InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ) -> None:
        self.degrees = _angle_range(degrees, "RandomAffine: degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ArgumentError(
                    f"RandomAffine: translate must be two fractions of the size in [0, 1], "
                    f"such as (0.1, 0.1); got {translate!r}."
                )
        if scale is not None and (len(scale) != 2 or min(scale) <= 0):
            raise ArgumentError(
                f"RandomAffine: scale must be (min, max), both positive, such as (0.9, 1.1); "
                f"got {scale!r}."
            )
        self.translate, self.scale = translate, scale
        self.shear = None if shear is None else _angle_range(shear, "RandomAffine: shear", (2, 4))
        self.interpolation = F._interpolation_mode(interpolation, "RandomAffine", "nearest")
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) for an image of img_size (w, h)."""
        angle = F._uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (
                int(round(F._uniform(-max_dx, max_dx))),
                int(round(F._uniform(-max_dy, max_dy))),
            )
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else F._uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = F._uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = F._uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self) -> str:
        text = f"RandomAffine(degrees={self.degrees}"
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                text += f", {name}={getattr(self, name)}"
        if self.interpolation != F.InterpolationMode.NEAREST:
            text += f", interpolation={self.interpolation.value}"
        text += f", fill={self.fill}" if self.fill != 0 else ""
        text += f", center={self.center}" if self.center is not None else ""
        return text + ")"


class RandomPerspective:
    """With probability p (if torch.rand(1) < p), pull each corner inwards by up to
    distortion_scale of half the width and height, drawn as torchvision draws them
    (torch.randint per coordinate: top-left, top-right, bottom-right, bottom-left), and
    warp the image to match (perspective)."""

    def __init__(
        self, distortion_scale=0.5, p=0.5, interpolation=F.InterpolationMode.BILINEAR, fill=0
    ) -> None:
        if fill is None or not isinstance(fill, (numbers.Real, list, tuple)):
            raise ArgumentError(
                f"RandomPerspective: fill must be a number or a sequence, got {fill!r}."
            )
        self.distortion_scale, self.p = distortion_scale, p
        self.interpolation = F._interpolation_mode(interpolation, "RandomPerspective", "nearest")
        self.fill = fill

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        """(startpoints, endpoints): the image's corners and where they go."""
        dx, dy = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))

        def draw(low: int, high: int) -> int:
            return int(randint(low, high, size=(1,)).item())

        topleft = [draw(0, dx + 1), draw(0, dy + 1)]
        topright = [draw(width - dx - 1, width), draw(0, dy + 1)]
        botright = [draw(width - dx - 1, width), draw(height - dy - 1, height)]
        botleft = [draw(0, dx + 1), draw(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        if rand(1).item() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"RandomPerspective(p={self.p})"


class ElasticTransform:
    """Move every pixel by a random smooth displacement, like a picture on rubber: uniform
    noise in [-1, 1] per pixel and axis, blurred by a Gaussian of `sigma` (kernel
    8 sigma + 1, odd), scaled by alpha / width across and alpha / height down
    (torchvision's draws: torch.rand for the x noise, then for the y noise)."""

    def __init__(
        self, alpha=50.0, sigma=5.0, interpolation=F.InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.alpha = _pair_of(alpha, "alpha")
        self.sigma = _pair_of(sigma, "sigma")
        self.interpolation = F._interpolation_mode(interpolation, "ElasticTransform", "nearest")
        self.fill = [float(fill)] if isinstance(fill, numbers.Real) else fill  # torchvision's

    @staticmethod
    def get_params(alpha, sigma, size) -> Tensor:
        """The (1, H, W, 2) displacement for an image of size [H, W]."""
        moves = []
        for axis in (0, 1):
            noise = rand(1, 1, *size) * 2 - 1
            if sigma[axis] > 0.0:
                k = int(8 * sigma[axis] + 1)
                k += 1 - k % 2  # odd
                noise = F.gaussian_blur(noise, [k, k], list(sigma))
            moves.append(noise * alpha[axis] / size[1 - axis])  # x by the width, y by the height
        return Tensor._make(np.concatenate([m.array for m in moves], axis=1).transpose(0, 2, 3, 1))

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return elastic_transform(img, displacement, self.interpolation, fill)

    def __repr__(self) -> str:
        return (
            f"ElasticTransform(alpha={self.alpha}, sigma={self.sigma}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


def _pair_of(value, name: str) -> list[float]:
    if isinstance(value, numbers.Real):
        return [float(value), float(value)]
    if isinstance(value, (list, tuple)) and len(value) in (1, 2):
        return [float(value[0]), float(value[-1])]
    raise ArgumentError(
        f"ElasticTransform: {name} should be a number or a sequence of 1 or 2 numbers, got "
        f"{value!r}."
    )
