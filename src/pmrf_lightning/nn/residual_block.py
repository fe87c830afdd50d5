"""Residual block of every branch and stage (paper §4.1; HRNet's BasicBlock with masked convs)."""

from __future__ import annotations

from torch import Tensor, nn

from .partial_conv import MaskedConvBN
from .priority import Priority


class MaskedBasicBlock(nn.Module):
    """conv–BN–ReLU–conv–BN, identity shortcut, ReLU; the mask threads through both convs.

    Both convs are stride-1 masked convs carrying the branch's inpainting priority (eq. 5–8).
    Masks only grow, so wherever the final mask is a hole both the shortcut and the second conv's
    output are already zero: the sum needs no masking. (B, C, H, W), (B, 1, H, W) -> same shapes.
    """

    def __init__(
        self, channels: int, *, partial: bool = True, priority: Priority = "none", delta: float = 0.5
    ) -> None:
        super().__init__()
        options = dict(partial=partial, priority=priority, delta=delta)
        self.conv1 = MaskedConvBN(channels, channels, relu=True, **options)
        self.conv2 = MaskedConvBN(channels, channels, relu=False, **options)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        y, new_mask = self.conv1(x, mask)
        y, new_mask = self.conv2(y, new_mask)
        return self.act(y.add_(x)), new_mask  # y is conv2's fresh output
