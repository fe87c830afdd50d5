"""Closing what the masked layers left open, before the head (our addition; docs/design.md).

A stack of L 3×3 partial convolutions closes only holes of radius ≤ L, and priorities (eq. 5) fill
more slowly still, so without the attention fusion's reset (eq. 10) a large hole can reach the head
with zero features. ``close_holes`` gives every remaining hole pixel the mask-normalised mean of the
features of the smallest pyramid block around it that holds a known pixel (push-pull, Gortler et
al. 1996): parameter-free, exact on known pixels, and the same step in every configuration.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def close_holes(x: Tensor, mask: Tensor) -> Tensor:
    """(B, C, H, W) features, zero in the holes of ``mask`` (B, 1, H, W) -> (B, C, H, W) with every
    hole pixel filled. Known pixels keep their value; an image with no known pixel stays zero.

    Down: means of features and of the mask over 2×2 blocks (their ratio is the mean of the known
    features), until one pixel is left. Up: each level keeps its own mean where its block holds a
    known pixel and takes the coarser one (nearest upsampling) elsewhere. The level count follows
    from the shape alone (no host sync).
    """
    mask = mask.to(x.dtype)
    levels = [(x, mask)]  # (mean features, mean mask) per level; their ratio is the known mean
    while max(levels[-1][0].shape[-2:]) > 1:
        total, weight = levels[-1]
        levels.append(tuple(F.avg_pool2d(t, 2, ceil_mode=True) for t in (total, weight)))
    total, weight = levels.pop()
    filled = total / weight.clamp_min(1e-8)
    for total, weight in reversed(levels):
        coarse = F.interpolate(filled, size=total.shape[-2:], mode="nearest")
        filled = torch.where(weight > 0, total / weight.clamp_min(1e-8), coarse)
    return filled
