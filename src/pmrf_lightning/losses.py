"""Training objectives of the paper, §4.4, eq. 11–15.

Reductions are means over pixels and batch (the paper writes ‖·‖₁; the mean is our choice, so the
λ = 20 weights do not depend on the image size). The adversarial terms are the binary
cross-entropy forms of eq. 13–14 on discriminator logits, with the non-saturating generator loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

LAMBDA_REC = 20.0  # λ_rec of eq. 15 (paper)
LAMBDA_MREC = 20.0  # λ_mrec of eq. 15 (paper)
EDGE_BAND = 4  # px of the hole beside known pixels that ``edge_weight`` weighs (at 128²: the raw
# fill's error exceeds Navier–Stokes' up to 4 px in, weights/MODEL_CARD.md)


def hole_edge(mask: Tensor, band: int) -> Tensor:
    """1 on the hole pixels (``mask`` = 0) within ``band`` px (chessboard distance) of a known one."""
    near_known = F.max_pool2d(mask, 2 * band + 1, stride=1, padding=band)
    return near_known * (1 - mask)


def reconstruction_loss(
    target: Tensor,
    output: Tensor,
    mask: Tensor | None = None,
    hole_weight: float = 1.0,
    edge_weight: float = 0.0,
) -> Tensor:
    """Eq. 11: ``mean |I_gt − I_g|`` over the whole image (known pixels and hole).

    Our options, per-pixel weights of the error (1 and 0 give the paper's loss): ``hole_weight``
    for hole pixels (``mask`` = 0) against 1 for known ones, as Liu et al.'s hole loss;
    ``edge_weight`` added to the hole pixels within ``EDGE_BAND`` px of a known pixel, where the
    composite meets the photo and a colour shift of the fill shows as a seam.
    """
    error = (output - target).abs()
    if hole_weight == 1.0 and edge_weight == 0.0:
        return error.mean()
    if mask is None:
        raise ValueError("hole_weight and edge_weight need the mask")
    weight = 1 + (hole_weight - 1) * (1 - mask)
    if edge_weight != 0.0:
        weight = weight + edge_weight * hole_edge(mask, EDGE_BAND)
    return (error * weight).mean()


def downsample_target(target: Tensor, size: Sequence[int]) -> Tensor:
    """``I_gt^l``: the ground truth resized to a side output's resolution (antialiased bilinear)."""
    return F.interpolate(target, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)


def multiscale_reconstruction_loss(target: Tensor, side_outputs: Sequence[Tensor]) -> Tensor:
    """Eq. 12: ``Σ_l mean |I_gt^l − I_g^l|`` over the side outputs ``l = 0, 1, 2``."""
    return sum(
        (F.l1_loss(side, downsample_target(target, side.shape[-2:])) for side in side_outputs),
        start=target.new_zeros(()),
    )


def discriminator_adversarial_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Eq. 13: ``−E[log D(I_gt)] − E[log(1 − D(I_g))]``."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_adversarial_loss(fake_logits: Tensor) -> Tensor:
    """Eq. 14: ``−E[log D(I_g)]``."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def generator_total_loss(
    rec: Tensor,
    mrec: Tensor,
    adv: Tensor,
    lambda_rec: float = LAMBDA_REC,
    lambda_mrec: float = LAMBDA_MREC,
    lambda_adv: float = 1.0,
) -> Tensor:
    """Eq. 15 for the generator: ``λ_mrec L_mrec + λ_rec L_rec + λ_adv L_adv^G`` (the paper's
    adversarial weight is 1; ``lambda_adv`` is our knob for the small settings)."""
    return lambda_mrec * mrec + lambda_rec * rec + lambda_adv * adv
