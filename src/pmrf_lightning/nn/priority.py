"""Multi-resolution inpainting priorities (paper §4.2.1, eq. 5–8).

A partial convolution with a priority does not fill every border pixel of the hole at once (eq. 1);
it fills only the border pixels whose priority ``q = sum(M_p) · ρ^l(x)`` (eq. 6) reaches
``δ · q_max`` (eq. 5). ``ρ^l`` is the contour-striking priority ``|n_p · ∇X_p^⊥|`` (eq. 7) on the
lowest-resolution branch ("structure") and the same quantity on the contextual residue
``X − X↓↑`` (eq. 8) on the other branches ("texture").

Conventions: masks are (B, 1, H, W) with 1 = known, 0 = hole. Everything here runs without
gradients: priorities only decide which mask pixels turn to 1.

Open choices (see DESIGN.md, §2), all ours because the paper leaves them unstated:

* the border normal ``n_p`` is the unit Sobel gradient of the mask;
* the isophote ``∇X^⊥ = (−∂_y X, ∂_x X)`` is taken on known pixels only (as in Criminisi et al.),
  after each hole pixel next to them is given the mean of its known neighbours, so the hole's own
  zeros never create fake edges; a border pixel takes the strongest ``|n_p · ∇X_q^⊥|`` over the
  known pixels ``q`` of its window ``p``;
* the residue's bilinear down/up-sampling is mask-normalised (holes do not darken the border);
* ``q_max`` is taken per image and per layer.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from kornia.filters import spatial_gradient
from kornia.geometry.transform import rescale, resize
from torch import Tensor

Priority = Literal["none", "structure", "texture"]
PRIORITIES: tuple[str, ...] = ("none", "structure", "texture")

_EPS = 1e-8


def window_sum(values: Tensor, kernel_size: int, stride: int = 1, padding: int = 0) -> Tensor:
    """Sum of a one-channel map over every window; on a mask, ``sum(M_p)`` of eq. 1, 2 and 6
    (zero padding counts as hole). (B, 1, H, W) -> (B, 1, H', W') as a conv of that geometry."""
    weight = values.new_ones(1, 1, kernel_size, kernel_size)
    return F.conv2d(values, weight, stride=stride, padding=padding)


def border_normal(mask: Tensor) -> Tensor:
    """Unit normal ``n_p`` of the hole border, (B, 1, H, W) -> (B, 2, H, W) as (x, y) components.

    The Sobel gradient of the mask points from the hole into the known region; it is zero away
    from the border.
    """
    gradient = spatial_gradient(mask, mode="sobel")[:, 0]
    length = gradient.square().sum(dim=1, keepdim=True).sqrt()  # faster than F.normalize on CPU
    return gradient / length.clamp_min(_EPS)


def isophote(feature: Tensor, mask: Tensor) -> Tensor:
    """Isophote ``∇X^⊥`` (eq. 7) of a one-channel map on its known pixels, zero in the hole.

    Before the Sobel filter, each hole pixel takes the mean of its known 3×3 neighbours, so the
    zeros of the hole never create a fake edge along the border.
    (B, 1, H, W), (B, 1, H, W) -> (B, 2, H, W) as (x, y) components.
    """
    neighbours = window_sum(mask, 3, padding=1)
    local_mean = window_sum(feature * mask, 3, padding=1) / neighbours.clamp_min(1.0)
    filled = torch.where(mask > 0.5, feature, local_mean)
    gradient = spatial_gradient(filled, mode="sobel")[:, 0]
    return torch.stack((-gradient[:, 1], gradient[:, 0]), dim=1) * mask


def contour_striking(feature: Tensor, mask: Tensor, kernel_size: int = 3) -> Tensor:
    """Contour-striking priority ``ρ = |n_p · ∇X_p^⊥|`` (eq. 7), (B, 1, H, W) -> (B, 1, H, W).

    The normal is the one at the window's centre; the isophote is the one of the window ``p``
    (of side ``kernel_size``) that strikes that normal hardest.
    """
    height, width = feature.shape[-2:]
    normal = border_normal(mask)
    radius = kernel_size // 2
    iso = F.pad(isophote(feature, mask), (radius, radius, radius, radius))
    strongest = torch.zeros_like(feature)
    for dy in range(kernel_size):  # the k² offsets of the window, each a whole-image operation
        for dx in range(kernel_size):
            shifted = iso[..., dy : dy + height, dx : dx + width]
            strike = (normal * shifted).sum(dim=1, keepdim=True).abs()
            strongest = torch.maximum(strongest, strike)
    return strongest


def contextual_residue(feature: Tensor, mask: Tensor) -> Tensor:
    """Contextual residue ``X − X↓↑`` (eq. 8): a map minus its bilinear half-resolution copy.

    Both resamplings are normalised by the mask, so the zeros of the hole do not leak into the
    known pixels; the residue is zero inside the hole. (B, 1, H, W) -> (B, 1, H, W).
    """
    size = feature.shape[-2:]
    low_sum = rescale(feature * mask, 0.5, interpolation="bilinear")
    low_weight = rescale(mask, 0.5, interpolation="bilinear")
    low_known = (low_weight > _EPS).to(feature.dtype)
    low = low_sum / low_weight.clamp_min(_EPS) * low_known
    up_sum = resize(low, size, interpolation="bilinear")
    up_weight = resize(low_known, size, interpolation="bilinear")
    return (feature - up_sum / up_weight.clamp_min(_EPS)) * mask


def resolution_priority(x: Tensor, mask: Tensor, kind: Priority, kernel_size: int = 3) -> Tensor:
    """Resolution-specific priority ``ρ^l`` of a layer input: eq. 7 ("structure") or eq. 8 ("texture").

    ``x`` is the layer's input (B, C, H, W); the priority is computed on its channel-wise mean over
    known pixels. Returns (B, 1, H, W).
    """
    mean = (x * mask).mean(dim=1, keepdim=True)
    if kind == "texture":
        mean = contextual_residue(mean, mask)
    elif kind != "structure":
        raise ValueError(f"priority must be 'structure' or 'texture', got {kind!r}")
    return contour_striking(mean, mask, kernel_size)


def priority_mask_update(mask: Tensor, known: Tensor, rho: Tensor, delta: float = 0.5) -> Tensor:
    """New mask of eq. 5 from the window counts ``known = sum(M_p)`` and the priority ``ρ``.

    Border pixels (``m = 0`` and ``sum(M_p) > 0``) get ``q = sum(M_p) · ρ`` (eq. 6); those with
    ``q ≥ δ · q_max`` (``q_max`` per image) become known. With δ = 0 this is eq. 1. At least one
    border pixel (the one of highest ``q``) is filled whenever a border exists.
    """
    border = (mask < 0.5) & (known > 0.5)
    q = torch.where(border, known * rho, torch.zeros_like(rho))
    q_max = q.amax(dim=(-2, -1), keepdim=True)
    fill = border & (q >= delta * q_max)
    return torch.where(fill, torch.ones_like(mask), mask)
