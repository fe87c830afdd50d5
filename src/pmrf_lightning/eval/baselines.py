"""Classical inpainting in the same harness: the floor every learned model must clear.

Each baseline maps ``image`` (B, 3, H, W) in [-1, 1] and ``mask`` (B, 1, H, W), 1 = known, to an
output of the image's shape; pixels under the hole are never read.

* ``telea``: OpenCV's fast marching method (Telea 2004), radius 3;
* ``ns``: OpenCV's Navier–Stokes method (Bertalmio et al. 2001), radius 3;
* ``biharmonic``: scikit-image's biharmonic inpainting;
* ``mean``: the mean colour of the known pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
from skimage.restoration import inpaint_biharmonic
from torch import Tensor

from ..imaging import to_tensor, to_uint8
from ..models.generator import known_mean_colour

FillFunction = Callable[[Tensor, Tensor], Tensor]  # (B, 3, H, W) images, (B, 1, H, W) masks -> outputs
RADIUS = 3


def _per_image(fill: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> FillFunction:
    def inpaint(image: Tensor, mask: Tensor) -> Tensor:
        outputs = []
        for one_image, one_mask in zip(image, mask):
            hole = (one_mask[0] < 0.5).cpu().numpy()
            pixels = to_uint8(torch.where(one_mask > 0.5, one_image, torch.zeros_like(one_image)))
            outputs.append(to_tensor(fill(pixels, hole))[0].to(image) if hole.any() else one_image)
        return torch.stack(outputs)

    return inpaint


def _opencv(flag: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return lambda pixels, hole: cv2.inpaint(pixels, hole.astype(np.uint8) * 255, RADIUS, flag)


def _biharmonic(pixels: np.ndarray, hole: np.ndarray) -> np.ndarray:
    filled = inpaint_biharmonic(pixels.astype(np.float64) / 255, hole, channel_axis=-1)
    return (filled.clip(0, 1) * 255).round().astype(np.uint8)


def mean_fill(image: Tensor, mask: Tensor) -> Tensor:
    """Every hole pixel takes the mean colour of its image's known pixels (grey if none is known)."""
    return torch.where(mask > 0.5, image, known_mean_colour(image, mask).expand_as(image))


BASELINES: dict[str, FillFunction] = {
    "telea": _per_image(_opencv(cv2.INPAINT_TELEA)),
    "ns": _per_image(_opencv(cv2.INPAINT_NS)),
    "biharmonic": _per_image(_biharmonic),
    "mean": mean_fill,
}
