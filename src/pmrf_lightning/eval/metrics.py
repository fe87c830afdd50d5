"""Metrics of Table 1 on images in [0, 1], as a saved 8-bit PNG would hold them.

Relative ℓ1 is not defined in the paper. The default is EdgeConnect's script (the paper's
baselines were most likely scored with it): ``100 · Σ|gt − pred| / Σ(gt + pred)``;
``denominator="gt"`` gives ``100 · Σ|gt − pred| / Σ|gt|``. PSNR and SSIM come from torchmetrics
(data range 1, SSIM with an 11×11 Gaussian window, σ = 1.5), averaged per image.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.image import structural_similarity_index_measure

Denominator = Literal["sum", "gt"]


def composite(mask: Tensor, target: Tensor, output: Tensor) -> Tensor:
    """``M ⊙ I_gt + (1 − M) ⊙ I_g``: known pixels are copied exactly from the target."""
    return torch.where(mask > 0.5, target, output)


def quantize(image: Tensor) -> Tensor:
    """[-1, 1] → [0, 1] on the 8-bit grid (what saving to PNG and reading back gives)."""
    return torch.round((image.clamp(-1, 1) + 1) * 127.5) / 255


def relative_l1(target: Tensor, output: Tensor, denominator: Denominator = "sum") -> Tensor:
    """Relative ℓ1 in % per image, images (B, C, H, W) in [0, 1] -> (B,)."""
    error = (target - output).abs().flatten(1).sum(1)
    scale = (target + output) if denominator == "sum" else target.abs()
    return 100 * error / scale.flatten(1).sum(1).clamp_min(1e-12)


def per_image_scores(target: Tensor, result: Tensor) -> dict[str, Tensor]:
    """Every Table 1 metric per image, (B, 3, H, W) in [0, 1] -> dict of (B,) tensors:
    ``rel_l1`` (EdgeConnect's), ``rel_l1_gt``, ``psnr`` (data range 1), ``ssim`` (Gaussian 11, σ 1.5)."""
    mse = (target - result).square().flatten(1).mean(1)
    psnr = 10 * torch.log10(1.0 / mse.clamp_min(1e-10))  # identical images: 100 dB, not inf
    ssim = structural_similarity_index_measure(
        result, target, gaussian_kernel=True, sigma=1.5, kernel_size=11, data_range=1.0, reduction="none"
    )
    return {
        "rel_l1": relative_l1(target, result, "sum"),
        "rel_l1_gt": relative_l1(target, result, "gt"),
        "psnr": psnr,
        "ssim": ssim,
    }


class MeanImageScores(Metric):
    """The mean over images of ``per_image_scores`` across batches and processes: validation's
    ℓ1, PSNR and SSIM, computed by the very function ``pmrf-eval`` uses. ``compute()`` returns a
    dict keyed as ``per_image_scores``."""

    full_state_update = False
    KEYS = ("rel_l1", "psnr", "ssim")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for key in self.KEYS:
            self.add_state(key, torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, target: Tensor, result: Tensor) -> None:
        scores = per_image_scores(target, result)
        for key in self.KEYS:
            setattr(self, key, getattr(self, key) + scores[key].double().sum())
        self.count += len(target)

    def compute(self) -> dict[str, Tensor]:
        return {key: (getattr(self, key) / self.count.clamp_min(1)).float() for key in self.KEYS}


EDGE_DISTANCES = (1, 2, 3, 4, 6, 10, 20)  # the columns of the edge-error table
MAX_EDGE_DISTANCE = 20


def edge_error_sums(target: Tensor, result: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Where in the hole is the error? (B, 3, H, W) in [0, 1], ``mask`` 1 = known.

    Returns (sums, counts), both (MAX_EDGE_DISTANCE + 1,) float64: the channel-mean absolute error
    in 8-bit levels, summed over the hole pixels at each Euclidean distance to the nearest known
    pixel (rounded; farther pixels count at MAX_EDGE_DISTANCE), and how many pixels that is.
    Images without a hole or without a known pixel add nothing.
    """
    sums = torch.zeros(MAX_EDGE_DISTANCE + 1, dtype=torch.float64)
    counts = torch.zeros_like(sums)
    errors = ((target - result).abs().mean(1) * 255).double().cpu()
    for error, one_mask in zip(errors, mask):
        hole = (one_mask[0] < 0.5).cpu().numpy()
        if not hole.any() or hole.all():
            continue
        distance = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        bins = torch.from_numpy(np.clip(np.rint(distance[hole]), 1, MAX_EDGE_DISTANCE).astype(np.int64))
        sums.index_add_(0, bins, error[torch.from_numpy(hole)])
        counts.index_add_(0, bins, torch.ones_like(bins, dtype=torch.float64))
    return sums, counts
