"""Mask-aware representation fusion (paper §4.2.2, eq. 9), HRNet's exchange unit with masks.

Branches are ordered high → low resolution, each half the size of the previous one. For every
target branch ``i`` and source branch ``j`` (HRNet's ``_make_fuse_layers`` loop):

* ``j == i``: identity;
* ``j > i`` (lower resolution): 1×1 conv + BN, nearest upsampling by ``2^(j−i)``; the mask is
  upsampled the same way. Nearest upsampling composes exactly, so a target's lower-resolution
  terms are summed nested from the lowest, ``up2(y_{i+1} + up2(y_{i+2} + …))`` (``upsampled_sum``):
  one map per target reaches its resolution;
* ``j < i`` (higher resolution): ``i − j`` stride-2 masked 3×3 convs + BN, ReLU between them and
  none after the last; the mask follows eq. 1.

Each term is zero in its own holes (masked convs zero them; the up-path masks BatchNorm's shift at
the low resolution); features and masks are summed, then eq. 9 turns the sum into
the average of the valid terms, ``(x / m, 1)`` where ``m > 0`` and ``(0, 0)`` elsewhere, and a ReLU
follows (HRNet). Each source's stride-2 mask chain is computed once (``mask_chain``) and shared by
all the paths that start from it. With ``mask_aware=False`` (the "HRNet" / "w/o PConv" ablations)
the convs are plain and the terms are simply summed, as in HRNet.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from .partial_conv import MaskedConvBN, PartialConv2d


def mask_chain(
    mask: Tensor, steps: int, conv: PartialConv2d | None
) -> tuple[list[Tensor], list[tuple[Tensor, Tensor]]]:
    """Eq. 1 and 2 through ``steps`` stride-2 layers, computed once for every path that needs it.

    ``conv`` is one of those layers (all share one geometry and have no priority, so their mask
    update depends on the mask alone; ``None`` only when ``steps`` is 0). Returns the masks
    ``[m_0 = mask, m_1, …, m_steps]`` and, for each step, ``conv.mask_update`` on ``m_k``:
    ``(m_{k+1}, scale_k)``, fp32.
    """
    masks, updates = [mask.float()], []
    for _ in range(steps):
        updates.append(conv.mask_update(None, masks[-1]))
        masks.append(updates[-1][0])
    return masks, updates


class UpsamplePath(nn.Module):
    """Lower → higher resolution: 1×1 conv + BN at the source resolution; the fusion up-samples
    (``upsampled_sum``). With ``masked=True`` BatchNorm's shift is removed from the holes, so the
    output is zero in them. (B, C_in, h, w), (B, 1, h, w) -> (B, C_out, h, w)."""

    def __init__(self, in_channels: int, out_channels: int, *, masked: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.masked = masked

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        y = self.bn(self.conv(x))
        if self.masked:
            y = y.mul_(mask.to(y.dtype))  # in place: neither BatchNorm's nor the conv's backward reads y
        return y


def upsample2(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


def upsampled_sum(
    terms: Sequence[Tensor], masks: Sequence[Tensor] | None = None
) -> tuple[Tensor, Tensor | None]:
    """``Σ_k up_{2^(k+1)}(terms[k])`` for terms ordered high → low resolution, each half the side
    of the one before, nested from the lowest (``up2(t_0 + up2(t_1 + …))``, exact for nearest
    up-sampling), and the same sum of ``masks`` (eq. 9's count) when given. Accumulates in place
    into the terms (fresh path outputs)."""
    total, count = terms[-1], None if masks is None else masks[-1]
    for k in range(len(terms) - 2, -1, -1):
        total = terms[k].add_(upsample2(total))
        if masks is not None:
            count = masks[k] + upsample2(count)
    return upsample2(total), None if count is None else upsample2(count)


class DownsamplePath(nn.Sequential):
    """Higher → lower resolution: ``steps`` stride-2 masked 3×3 convs + BN, ReLU between them.

    Intermediate convs keep ``in_channels`` (HRNet); the last maps to ``out_channels``.
    ``final_relu`` adds a ReLU after the last conv (the generator's transition uses it).
    ``forward(x, masks, updates)`` takes the step inputs' masks and mask updates from ``mask_chain``
    (``updates`` may be ``None`` for plain convs, which ignore both).
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

    def forward(
        self, x: Tensor, masks: Sequence[Tensor], updates: Sequence[tuple[Tensor, Tensor]] | None = None
    ) -> tuple[Tensor, Tensor]:
        mask = masks[0]
        for step, layer in enumerate(self):
            x, mask = layer(x, masks[step], None if updates is None else updates[step])
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
                    row.append(UpsamplePath(source, target, masked=mask_aware))
                else:
                    row.append(DownsamplePath(source, target, i - j, partial=mask_aware))
            self.paths.append(row)
        self.act = nn.ReLU(inplace=True)

    def forward(self, xs: Sequence[Tensor], masks: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        if not self.mask_aware:  # HRNet: the terms are summed, the masks pass through
            out = []
            for i, row in enumerate(self.paths):
                terms = [path(xs[j], [masks[j]] * (i - j))[0] for j, path in enumerate(row[:i])]
                if i + 1 < len(xs):
                    ups = [path(xs[j], masks[j]) for j, path in enumerate(row) if j > i]
                    terms.append(upsampled_sum(ups)[0])
                out.append(self.act(sum_terms(terms, xs[i])))
            return out, list(masks)
        # every term is zero in its own holes, so the sum needs no masking
        stride_two = self.paths[1][0][0].conv if len(xs) > 1 else None  # any down-path layer
        chains = [mask_chain(mask, len(xs) - 1 - j, stride_two) for j, mask in enumerate(masks)]
        out_xs, out_masks = [], []
        for i, row in enumerate(self.paths):
            terms, count = [], chains[i][0][0]
            for j, path in enumerate(row[:i]):
                chain_masks, chain_updates = chains[j]
                y, m = path(xs[j], chain_masks[: i - j], chain_updates[: i - j])
                terms.append(y)
                count = count + m
            if i + 1 < len(xs):
                lower = [chains[j][0][0] for j in range(i + 1, len(xs))]
                y, m = upsampled_sum(
                    [path(xs[j], lower[j - i - 1]) for j, path in enumerate(row) if j > i], lower
                )
                terms.append(y)
                count = count + m
            new_mask = count.clamp_max(1.0)  # eq. 9
            # the sum is 0 wherever count is 0
            total = sum_terms(terms, xs[i]).div_(count.clamp_min(1.0).to(xs[i].dtype))
            out_xs.append(self.act(total))
            out_masks.append(new_mask)
        return out_xs, out_masks


def sum_terms(terms: Sequence[Tensor], own: Tensor) -> Tensor:
    """``own + Σ terms``, accumulated in place into the first term (a path's fresh output, which
    no backward pass needs), so a fusion allocates one map per branch; ``own`` is left intact."""
    if not terms:  # a single branch
        return own.clone()
    total = terms[0].add_(own)
    for term in terms[1:]:
        total = total.add_(term)
    return total
