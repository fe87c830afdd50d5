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

* the border normal ``n_p`` is the unit Sobel gradient of the mask;
* a border pixel whose Sobel normal vanishes (known pixels in symmetric positions around it: an
  isolated hole pixel, a one-pixel line) has no front to order; it is filled at once, the limit of
  its priority (Criminisi's data term is undefined there and its confidence is the highest);
* the isophote ``∇X^⊥ = (−∂_y X, ∂_x X)`` is taken on known pixels only (as in Criminisi et al.),
  after each hole pixel next to them is given the mean of the known pixels of its window, so the
  hole's own zeros never create fake edges; a border pixel takes the strongest
  ``|n_p · ∇X_q^⊥|`` over the known pixels ``q`` of its window ``p``;
* the residue's bilinear down/up-sampling is mask-normalised (holes do not darken the border);
* ``q_max`` is taken per image and per layer; where it is below ``PRIORITY_FLOOR`` times the
  largest magnitude of the layer's input map (a flat map, whose ρ is rounding noise), eq. 5 falls
  back to eq. 1.
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
# eq. 5 orders a border only where q_max exceeds this fraction of the map's largest magnitude;
# fp32 rounding leaves ρ ≈ 1e-7 of it on a flat map, real structure 1e-2 and more.
PRIORITY_FLOOR = 1e-3
_EPS = 1e-8


def sobel_kernel() -> Tensor:
    """The fixed filters of eq. 7 for one grouped conv over (mask, feature): kornia's normalised
    Sobel ∂x, ∂y of the mask, then −∂y, ∂x of the feature (the isophote ∇X^⊥). (4, 1, 3, 3)."""
    dx, dy = normalize_kernel2d(get_spatial_gradient_kernel2d("sobel", 1))
    return torch.stack((dx, dy, -dy, dx)).unsqueeze(1)


def window_sum(values: Tensor, kernel_size: int, stride: int = 1, padding: int = 0) -> Tensor:
    """Sum of a one-channel map over every window; on a mask, ``sum(M_p)`` of eq. 1, 2 and 6
    (zero padding counts as hole). (B, 1, H, W) -> (B, 1, H', W') as a conv of that geometry, in
    the map's dtype whatever the autocast (window counts stay exact under bf16-mixed).

    A conv with a ones kernel rather than ``avg_pool2d(divisor_override=1)``, which ONNX export
    turns into a mean."""
    with torch.autocast(values.device.type, enabled=False):
        return F.conv2d(
            values, values.new_ones(1, 1, kernel_size, kernel_size), stride=stride, padding=padding
        )


def normal_and_isophote(
    feature: Tensor, mask: Tensor, known: Tensor, sobel: Tensor, kernel_size: int = 3
) -> tuple[Tensor, Tensor]:
    """Sobel gradients of the mask and of the feature in one grouped conv (replicate border, as
    kornia's ``spatial_gradient``): the border normal ``n_p`` (B, 2, H, W), not unit length, and
    the isophote ``∇X^⊥`` (B, 2, H, W) on known pixels (zero in the hole), as (x, y) components.

    ``feature`` is zero in the hole; ``known`` is ``sum(M_p)`` over the layer's window (side
    ``kernel_size``). Before filtering, each hole pixel takes the mean of the known pixels of its
    window, so the hole's zeros make no fake edge. ``sobel`` is ``sobel_kernel()``.
    """
    local_mean = window_sum(feature, kernel_size, padding=kernel_size // 2) / known.clamp_min(1.0)
    filled = torch.where(mask.bool(), feature, local_mean)
    padded = F.pad(torch.cat((mask, filled), dim=1), (1, 1, 1, 1), mode="replicate")
    normal, iso = F.conv2d(padded, sobel, groups=2).split(2, dim=1)
    return normal, iso * mask


def window_shift_kernel(kernel_size: int = 3) -> Tensor:
    """One-hot filters that copy each of the k² pixels of a window to its centre, for both
    components of a two-channel map in one grouped conv: (2·k², 1, k, k)."""
    offsets = torch.eye(kernel_size * kernel_size).view(-1, 1, kernel_size, kernel_size)
    return offsets.repeat(2, 1, 1, 1)


def contour_striking(normal: Tensor, iso: Tensor, shifts: Tensor) -> tuple[Tensor, Tensor]:
    """Contour-striking priority ``ρ = max_q |n_p · ∇X_q^⊥|`` over the window ``p`` (eq. 7).

    ``normal`` (B, 2, H, W) need not be unit length (it is normalised here where it exists);
    ``iso`` (B, 2, H, W); ``shifts`` is ``window_shift_kernel(k)``. The normal is the one at the
    window's centre; the isophote is the one of the window's pixel that strikes it hardest.
    Returns ρ (B, 1, H, W), 0 where the normal vanishes, and those pixels (B, 1, H, W) bool.
    """
    kernel_size = shifts.shape[-1]
    nx, ny = normal.split(1, dim=1)
    inverse_length = torch.addcmul(nx * nx, ny, ny).clamp_min(NO_NORMAL**2).rsqrt()
    # (B, 2·k², H, W): the isophote of every window pixel, moved to the window's centre
    windows = F.conv2d(iso, shifts, padding=kernel_size // 2, groups=2)
    wx, wy = windows.split(kernel_size * kernel_size, dim=1)
    strike = torch.addcmul(wx * nx, wy, ny).abs()  # (B, k², H, W), not yet divided by |n|
    no_normal = inverse_length > 0.75 / NO_NORMAL  # 1 / NO_NORMAL = 16 there, ≤ 8 elsewhere
    return strike.amax(dim=1, keepdim=True) * inverse_length, no_normal


def contextual_residue(feature: Tensor, mask: Tensor) -> Tensor:
    """Contextual residue ``X − X↓↑`` (eq. 8): a map minus its bilinear half-resolution copy.

    Down-sampling by ½ is the 2×2 block mean (what bilinear ×½ computes on even sides), up-sampling
    is bilinear; both are normalised by the mask, so the zeros of the hole do not leak into the
    known pixels; the residue is zero inside the hole. ``feature`` is zero in the hole.
    (B, 1, H, W) -> (B, 1, H, W).
    """
    low_sum, low_weight = F.avg_pool2d(torch.cat((feature, mask), dim=1), 2).split(1, dim=1)
    # a block with a known pixel has weight ≥ ¼; one without has sum 0
    low = torch.cat((low_sum / low_weight.clamp_min(0.25), low_weight.ceil()), dim=1)
    up_sum, up_weight = F.interpolate(low, size=feature.shape[-2:], mode="bilinear").split(1, dim=1)
    return (feature - up_sum / up_weight.clamp_min(_EPS)) * mask


def priority_mask_update(
    mask: Tensor,
    known: Tensor,
    rho: Tensor,
    delta: float = 0.5,
    *,
    no_normal: Tensor | None = None,
    floor: Tensor | float = 0.0,
) -> Tensor:
    """New mask of eq. 5 from the window counts ``known = sum(M_p)`` and the priority ``ρ``.

    Border pixels (``m = 0`` and ``sum(M_p) > 0``) get ``q = sum(M_p) · ρ`` (eq. 6); those with
    ``q ≥ δ · q_max`` (``q_max`` per image) become known. With δ = 0 this is eq. 1. Border pixels
    flagged in ``no_normal`` are filled at once (their ρ is 0: no normal to strike); an image whose
    ``q_max`` is not above ``floor`` (a number or (B, 1, 1, 1)) fills its whole border (eq. 1).
    """
    eq1 = known.clamp_max(1.0)  # window counts are whole numbers
    q = (eq1 - mask) * known * rho  # zero off the border
    q_max = q.amax(dim=(-2, -1), keepdim=True)
    fill = (q >= delta * q_max) | (q_max <= floor)
    if no_normal is not None:
        fill = fill | no_normal
    return torch.where(fill, eq1, mask)  # eq. 1's value where filled: 1 on the border, else unchanged


def priority_update(
    x: Tensor,
    mask: Tensor,
    known: Tensor,
    kind: Priority,
    sobel: Tensor,
    shifts: Tensor,
    delta: float = 0.5,
) -> Tensor:
    """Eq. 5–8 for one layer: the new mask after a priority partial convolution.

    ``x`` (B, C, H, W) is the layer's input, zero in its holes; the priority is computed on its
    channel mean (fp32). ``known`` is ``sum(M_p)`` over the layer's (odd, stride-1, same-padded)
    window; ``sobel`` and ``shifts`` are ``sobel_kernel()`` and ``window_shift_kernel(k)``.
    Returns (B, 1, H, W).
    """
    if kind not in ("structure", "texture"):
        raise ValueError(f"priority must be 'structure' or 'texture', got {kind!r}")
    mean = x.mean(dim=1, keepdim=True, dtype=torch.float32)
    feature = contextual_residue(mean, mask) if kind == "texture" else mean
    normal, iso = normal_and_isophote(feature, mask, known, sobel, shifts.shape[-1])
    rho, no_normal = contour_striking(normal, iso, shifts)
    floor = PRIORITY_FLOOR * mean.abs().amax(dim=(-2, -1), keepdim=True)
    return priority_mask_update(mask, known, rho, delta, no_normal=no_normal, floor=floor)
