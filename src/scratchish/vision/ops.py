"""Boxes for object detection (torchvision.ops), as d2l.ai's detection chapters use them:
`box_convert` between corner and centre formats, `box_area`, `box_iou` (intersection over
union of every pair) and `nms` (non-maximum suppression).

A box is four numbers per row: 'xyxy' (x1, y1, x2, y2: two corners), 'xywh' (x1, y1, width,
height) or 'cxcywh' (centre x, centre y, width, height). box_convert, box_area and box_iou are
tensor operations, so gradients flow through them; nms picks indices and has none.
"""

from __future__ import annotations

import numpy as np

from .. import compat
from ..creation import stack
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, _need_tensor

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _boxes(who: str, name: str, boxes) -> None:
    _need_tensor(who, name, boxes)
    if boxes.ndim < 1 or boxes.shape[-1] != 4:
        raise ShapeError(
            f"{who}: {name} must hold four numbers per box, shape (N, 4); got shape "
            f"{tuple(boxes.shape)}."
        )


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """The boxes in another format: 'xyxy', 'xywh' or 'cxcywh' (see the module docstring).

    Example:
        >>> import scratchish as sh
        >>> box_convert(sh.tensor([[10.0, 20.0, 30.0, 60.0]]), "xyxy", "cxcywh").tolist()
        [[20.0, 40.0, 20.0, 40.0]]
    """
    _boxes("box_convert", "boxes", boxes)
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in _FORMATS:
            raise ArgumentError(
                f"box_convert: {name} must be one of {', '.join(_FORMATS)}; got {fmt!r}."
            )
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":  # to corners first
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":  # from corners
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return stack((a, b, c, d), dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    """The area of each 'xyxy' box: (x2 - x1) * (y2 - y1)."""
    _boxes("box_area", "boxes", boxes)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union of every pair of 'xyxy' boxes: (N, M) for N and M boxes; 0 for
    boxes that do not overlap, 1 for equal ones."""
    _boxes("box_iou", "boxes1", boxes1)
    _boxes("box_iou", "boxes2", boxes2)
    if not boxes1.is_floating_point():  # as torchvision: integer corners give float IoUs
        boxes1, boxes2 = boxes1.float(), boxes2.float()
    area1, area2 = box_area(boxes1), box_area(boxes2)
    top_left = boxes1[:, None, :2].maximum(boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = boxes1[:, None, 2:].minimum(boxes2[None, :, 2:])
    size = (bottom_right - top_left).clamp(min=0)  # no overlap: a side of 0
    inter = size[..., 0] * size[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    return inter / union


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: the indices (int64) of the boxes kept, highest score first.
    Going down the scores, a box is dropped if its IoU with a box already kept is above
    iou_threshold."""
    _boxes("nms", "boxes", boxes)
    _need_tensor("nms", "scores", scores)
    if scores.ndim != 1 or scores.shape[0] != boxes.shape[0]:
        raise ShapeError(
            f"nms: scores must hold one number per box, shape ({boxes.shape[0]},); got shape "
            f"{tuple(scores.shape)}."
        )
    order = np.argsort(-scores.detach().numpy(), kind="stable")
    ious = box_iou(boxes.detach(), boxes.detach()).numpy()
    kept: list[int] = []
    suppressed = np.zeros(len(order), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        kept.append(int(i))
        suppressed |= ious[i] > iou_threshold
    return Tensor._make(np.array(kept, dtype=np.int64))


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.ops", name)
