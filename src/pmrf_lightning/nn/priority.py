"""Multi-resolution inpainting priorities (paper §4.2.1, eq. 5–8).

A partial convolution with a priority does not fill every border pixel of the hole at once (eq. 1);
it fills only the border pixels whose priority ``q = sum(M_p) · ρ^l(x)`` (eq. 6) reaches
``δ · q_max`` (eq. 5). ``ρ^l`` is the contour-striking priority ``|n_p · ∇X_p^⊥|`` (eq. 7) on the
lowest-resolution branch ("structure") and the same quantity on the contextual residue
``X − X↓↑`` (eq. 8) on the other branches ("texture").

Conventions: masks are (B, 1, H, W) with 1 = known, 0 = hole; feature maps are zero in their holes
(every masked layer of this package hands on such maps). Everything here runs without gradients
and in fp32: priorities only decide which mask pixels turn to 1.

Open choices (see docs/design.md), all ours because the paper leaves them unstated:

* everything is read over the layer's window ``p`` with zero padding, so the image frame counts
  as hole for eq. 1, 2 and 7 alike;
* the border normal ``n_p`` is the Sobel gradient of the mask over ``p``, made unit length;
* the isophote ``∇X_p^⊥ = (−∂_y X, ∂_x X)`` is the Sobel of the channel mean over ``p``, whose hole
  pixels are zero. Filling them with any constant ``c`` instead would add ``−c·∇M``, a multiple
  of the normal, which ``n_p · ∇X^⊥`` cannot see: the product reads the known pixels' structure
  only, never the step the hole makes;
* a border pixel whose Sobel normal vanishes (known pixels in symmetric positions around it: an
  isolated hole pixel, a one-pixel line) has no front to order; it is filled at once, the limit of
  its priority (Criminisi's data term is undefined there and its confidence is the highest);
* ``X↓↑`` is the normalised convolution of the map with bilinear up-sampling of 2×2 means
  (holes do not darken the border);
* ``q_max`` is taken per image and per layer and is read above a noise floor ``ε``,
  ``PRIORITY_FLOOR`` times the largest magnitude of the layer's channel-mean input: a border pixel
  is filled when ``q ≥ δ · (q_max − ε)``. On a flat map (ρ is rounding noise, q_max < ε) that is
  every border pixel, eq. 1.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from kornia.filters import get_spatial_gradient_kernel2d
from kornia.filters.kernels import normalize_kernel2d
from torch import Tensor

Priority = Literal["none", "structure", "texture"]
PRIORITIES: tuple[str, ...] = ("none", "structure", "texture")

# Sobel of a 0/1 mask is a multiple of 1/8 (kornia's normalised kernel), so a normal shorter than
# 1/16 is an exact cancellation: the pixel has no normal.
NO_NORMAL = 1.0 / 16
# eq. 5 reads q_max above this fraction of the map's largest magnitude; fp32 rounding leaves
# ρ ≈ 1e-7 of it on a flat map, real structure 1e-2 and more.
PRIORITY_FLOOR = 1e-3
_EPS = 1e-8


def ones_kernel(kernel_size: int) -> Tensor:
    """The (1, 1, k, k) kernel of ``window_sum``."""
    return torch.ones(1, 1, kernel_size, kernel_size)


def window_sum(values: Tensor, ones: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    """Sum of a one-channel map over every window of ``ones`` (``ones_kernel(k)``); on a mask,
    ``sum(M_p)`` of eq. 1 and 2 (zero padding counts as hole). (B, 1, H, W) -> (B, 1, H', W') as a
    conv of that geometry, in fp32 whatever the autocast (window counts stay exact under bf16-mixed).

    A conv with a ones kernel rather than ``avg_pool2d(divisor_override=1)``, which ONNX export
    turns into a mean."""
    with torch.autocast(values.device.type, enabled=False):
        return F.conv2d(values, ones, stride=stride, padding=padding)


def priority_filters(kernel_size: int = 3) -> Tensor:
    """The fixed filters of one conv over ``cat(mask, feature)``: the window count ``sum(M_p)``
    (eq. 1, 2, 6), kornia's normalised Sobel ∂x, ∂y of the mask (the normal), then −∂y, ∂x of the
    feature (the isophote ∇X^⊥), each 3×3 Sobel centred in the k × k window. (5, 2, k, k)."""
    if kernel_size % 2 == 0:
        raise ValueError(f"a priority needs an odd kernel, got {kernel_size}")
    dx, dy = normalize_kernel2d(get_spatial_gradient_kernel2d("sobel", 1))
    centre = kernel_size // 2
    filters = torch.zeros(5, 2, kernel_size, kernel_size)
    filters[0, 0] = 1.0
    for out, (channel, kernel) in enumerate([(0, dx), (0, dy), (1, -dy), (1, dx)], start=1):
        filters[out, channel, centre - 1 : centre + 2, centre - 1 : centre + 2] = kernel
    return filters


Vector = tuple[Tensor, Tensor]  # (x, y) components of a vector field, each (B, 1, H, W)


def border_statistics(mask: Tensor, feature: Tensor, filters: Tensor) -> tuple[Tensor, Vector, Vector]:
    """``sum(M_p)`` (B, 1, H, W), the mask's Sobel normal ``n_p`` (not unit length) and the
    isophote ``∇X_p^⊥`` over every window ``p`` of ``filters`` (``priority_filters(k)``), "same"
    zero padding, in one conv. ``feature`` (B, 1, H, W) is zero in the hole."""
    padding = filters.shape[-1] // 2
    known, nx, ny, ix, iy = F.conv2d(torch.cat((mask, feature), dim=1), filters, padding=padding).split(1, 1)
    return known, (nx, ny), (ix, iy)


def contour_striking(normal: Vector, iso: Vector) -> tuple[Tensor, Tensor]:
    """Contour-striking priority ``ρ = |n_p · ∇X_p^⊥|`` with the unit normal (eq. 7).

    The normal need not be unit length (it is normalised here where it exists). Returns ρ
    (B, 1, H, W), 0 where the normal vanishes, and those pixels (B, 1, H, W) bool."""
    (nx, ny), (ix, iy) = normal, iso
    length = torch.hypot(nx, ny)
    strike = torch.addcmul(nx * ix, ny, iy).abs()
    return strike / length.clamp_min(NO_NORMAL), length < NO_NORMAL


def contextual_residue(feature: Tensor, mask: Tensor) -> Tensor:
    """Contextual residue ``X − X↓↑`` (eq. 8): a map minus its bilinear half-resolution copy.

    ``X↓↑ = K(X) / K(M)`` with ``K`` = 2×2 block mean (what bilinear ×½ computes on even sides)
    then bilinear up-sampling: a normalised convolution, so the zeros of the hole do not leak into
    the known pixels. Zero inside the hole; ``feature`` is zero there. (B, 1, H, W) -> same.
    """
    low = F.avg_pool2d(torch.cat((feature, mask), dim=1), 2)
    up_sum, up_weight = F.interpolate(low, size=feature.shape[-2:], mode="bilinear").split(1, dim=1)
    return torch.addcmul(feature, mask, up_sum / up_weight.clamp_min(_EPS), value=-1.0)


def priority_mask_update(
    mask: Tensor,
    known: Tensor,
    rho: Tensor,
    delta: float = 0.5,
    *,
    no_normal: Tensor | None = None,
    magnitude: Tensor | float = 0.0,
) -> Tensor:
    """New mask of eq. 5 from the window counts ``known = sum(M_p)`` and the priority ``ρ``.

    Border pixels (``m = 0`` and ``sum(M_p) > 0``) get ``q = sum(M_p) · ρ`` (eq. 6); those with
    ``q ≥ δ · (q_max − ε)`` become known, ``q_max`` per image, ``ε = PRIORITY_FLOOR · magnitude``
    (a number or (B, 1, 1, 1): the largest magnitude of the map ρ was read on). With δ = 0, or
    where ``q_max`` is not above ε, this is eq. 1. Border pixels flagged in ``no_normal`` are
    filled at once (their ρ is 0: no normal to strike).
    """
    q = rho * torch.addcmul(known, known, mask, value=-1.0)  # sum(M_p) · ρ where m = 0
    threshold = delta * q.amax(dim=(-2, -1), keepdim=True)
    fill = torch.add(q, magnitude, alpha=delta * PRIORITY_FLOOR) >= threshold
    if no_normal is not None:
        fill = fill | no_normal
    # eq. 1's value where filled: 1 on the border; elsewhere it equals the mask (window counts
    # are whole numbers)
    return torch.where(fill, known.clamp_max(1.0), mask)


def priority_update(
    x: Tensor, mask: Tensor, kind: Priority, filters: Tensor, delta: float = 0.5
) -> tuple[Tensor, Tensor]:
    """Eq. 5–8 for one layer: the new mask after a priority partial convolution and ``sum(M_p)``.

    ``x`` (B, C, H, W) is the layer's input, zero in its holes; the priority is computed on its
    channel mean (fp32). ``mask`` (B, 1, H, W) fp32; ``filters`` is ``priority_filters(k)`` of the
    layer's (odd, stride-1, same-padded) window. Returns two (B, 1, H, W) maps.
    """
    if kind not in ("structure", "texture"):
        raise ValueError(f"priority must be 'structure' or 'texture', got {kind!r}")
    mean = x.mean(dim=1, keepdim=True, dtype=torch.float32)
    feature = contextual_residue(mean, mask) if kind == "texture" else mean
    known, normal, iso = border_statistics(mask, feature, filters)
    rho, no_normal = contour_striking(normal, iso)
    magnitude = mean.abs().amax(dim=(-2, -1), keepdim=True)
    new_mask = priority_mask_update(mask, known, rho, delta, no_normal=no_normal, magnitude=magnitude)
    return new_mask, known
