"""Mask-aware representation fusion (paper §4.2.2, eq. 9), HRNet's exchange unit with masks.

Branches are ordered high → low resolution, each half the size of the previous one. For every
target branch ``i`` and source branch ``j`` (HRNet's ``_make_fuse_layers`` loop):

* ``j == i``: identity;
* ``j > i`` (lower resolution): 1×1 conv + BN, nearest upsampling by ``2^(j−i)``; the mask is
  upsampled the same way;
* ``j < i`` (higher resolution): ``i − j`` stride-2 masked 3×3 convs + BN, ReLU between them and
  none after the last; the mask follows eq. 1.

Each term is multiplied by its mask; features and masks are summed, then eq. 9 turns the sum into
the average of the valid terms, ``(x / m, 1)`` where ``m > 0`` and ``(0, 0)`` elsewhere, and a ReLU
follows (HRNet). With ``mask_aware=False`` (the "HRNet" / "w/o PConv" ablations) the convs are plain
and the terms are simply summed, as in HRNet.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from .partial_conv import MaskedConvBN


class UpsamplePath(nn.Module):
    """Lower → higher resolution: 1×1 conv + BN, then nearest upsampling of features and mask."""

    def __init__(self, in_channels: int, out_channels: int, scale: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.scale = scale

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        y = F.interpolate(self.bn(self.conv(x)), scale_factor=self.scale, mode="nearest")
        return y, F.interpolate(mask, scale_factor=self.scale, mode="nearest")


class DownsamplePath(nn.Sequential):
    """Higher → lower resolution: ``steps`` stride-2 masked 3×3 convs + BN, ReLU between them.

    Intermediate convs keep ``in_channels`` (HRNet); the last maps to ``out_channels``.
    ``final_relu`` adds a ReLU after the last conv (the generator's transition uses it).
    """

    def __init__(
        self, in_channels: int, out_channels: int, steps: int, *, partial: bool, final_relu: bool = False
    ) -> None:
        layers = [
            MaskedConvBN(
                in_channels,
                out_channels if step == steps - 1 else in_channels,
                stride=2,
                relu=final_relu or step < steps - 1,
                partial=partial,
            )
            for step in range(steps)
        ]
        super().__init__(*layers)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        for layer in self:
            x, mask = layer(x, mask)
        return x, mask


class MaskAwareFusion(nn.Module):
    """Exchange information across all branches (eq. 9). Lists of (B, C_i, H_i, W_i) features and
    (B, 1, H_i, W_i) masks in, the same shapes out."""

    def __init__(self, channels: Sequence[int], *, mask_aware: bool = True) -> None:
        super().__init__()
        self.mask_aware = mask_aware
        self.paths = nn.ModuleList()
        for i, target in enumerate(channels):
            row = nn.ModuleList()
            for j, source in enumerate(channels):
                if j == i:
                    row.append(nn.Identity())
                elif j > i:
                    row.append(UpsamplePath(source, target, 2 ** (j - i)))
                else:
                    row.append(DownsamplePath(source, target, i - j, partial=mask_aware))
            self.paths.append(row)
        self.act = nn.ReLU(inplace=True)

    def forward(self, xs: Sequence[Tensor], masks: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        out_xs, out_masks = [], []
        for i, row in enumerate(self.paths):
            total, count = 0, 0
            for j, path in enumerate(row):
                y, m = (xs[j], masks[j]) if i == j else path(xs[j], masks[j])
                total = total + y * m if self.mask_aware else total + y
                count = count + m
            if self.mask_aware:  # eq. 9
                new_mask = (count > 0.5).to(count.dtype)
                total = total / count.clamp_min(1.0)  # the sum is already 0 wherever count is 0
            else:
                new_mask = masks[i]
            out_xs.append(self.act(total))
            out_masks.append(new_mask)
        return out_xs, out_masks
