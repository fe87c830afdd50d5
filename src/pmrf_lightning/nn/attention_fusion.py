"""Attention-guided representation fusion (paper §3.2 and §4.3, eq. 3, 4, 10).

One attention map ``a`` (N × N, N = pixels of the lowest branch) is computed from all branches
average-pooled to the lowest resolution and concatenated (eq. 3). It is then applied to every
branch patch-wise (eq. 10): branch ``l`` is cut into N non-overlapping patches of side
``H_l / H_low`` (8, 4, 2, 1 for a 256² input), and patch ``i`` becomes ``Σ_j a_ij p_j + p_i``.

Open choices (ours): pooling is the mean of each eq. 10 patch; f and g are 1×1 convs to
``ΣC / 8`` channels as in SAGAN; no value conv and no learned γ, as the paper writes eq. 4 and 10.
Every patch of the output mixes patches from the whole image, so every pixel now carries content
and the masks become all known: stage 6 refines the attention fill instead of masking it out.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def apply_patch_attention(attention: Tensor, x: Tensor, patch: int) -> Tensor:
    """Eq. 10 for one branch: ``y_i = Σ_j a_ij p_j + p_i`` over non-overlapping ``patch``² patches.

    attention (B, N, N) with rows summing to 1; x (B, C, H, W) with (H / patch) · (W / patch) = N.
    """
    batch, channels, height, width = x.shape
    rows, columns = height // patch, width // patch
    # non-overlapping patches as columns (B, C·patch², N), ordered as F.unfold would order them
    patches = x.reshape(batch, channels, rows, patch, columns, patch).permute(0, 1, 3, 5, 2, 4)
    patches = patches.reshape(batch, channels * patch * patch, rows * columns)
    mixed = torch.bmm(patches, attention.transpose(1, 2))  # column i = Σ_j a_ij p_j
    mixed = mixed.reshape(batch, channels, patch, patch, rows, columns).permute(0, 1, 4, 2, 5, 3)
    # added onto x's own (B, C, rows, patch, columns, patch) view: one pass, in x's memory format
    x_patches = x.reshape(batch, channels, rows, patch, columns, patch)
    return (x_patches + mixed).reshape(batch, channels, height, width)


class AttentionFusion(nn.Module):
    """Shared multi-resolution self-attention, eq. 3 and 10. Branches ordered high → low resolution."""

    def __init__(self, channels: Sequence[int], key_channels: int | None = None) -> None:
        super().__init__()
        total = sum(channels)
        key_channels = key_channels or max(total // 8, 1)
        self.query = nn.Conv2d(total, key_channels, 1)  # f
        self.key = nn.Conv2d(total, key_channels, 1)  # g

    def attention(self, xs: Sequence[Tensor]) -> Tensor:
        """Eq. 3 on the concatenated, pooled branches: (B, N, N), row i is softmax_j f(x_i)ᵀ g(x_j)."""
        low_size = xs[-1].shape[-1]
        pooled = torch.cat([F.avg_pool2d(x, x.shape[-1] // low_size) for x in xs], dim=1)
        f = self.query(pooled).flatten(2)  # (B, K, N)
        g = self.key(pooled).flatten(2)
        return torch.softmax(torch.bmm(f.transpose(1, 2), g), dim=-1)

    def forward(self, xs: Sequence[Tensor], masks: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        attention = self.attention(xs)
        low_size = xs[-1].shape[-1]
        out = [apply_patch_attention(attention, x, x.shape[-1] // low_size) for x in xs]
        return out, [torch.ones_like(mask) for mask in masks]
