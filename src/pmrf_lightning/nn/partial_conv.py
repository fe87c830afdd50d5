"""Partial convolution (paper §3.1, eq. 1–2) with multi-resolution inpainting priority (eq. 5–8).

Every masked layer in this package has the signature ``forward(x, mask) -> (y, new_mask)`` with
``x`` (B, C, H, W) and ``mask`` (B, 1, H, W), 1 = known, 0 = hole; no layer keeps state between
calls. ``PlainConv2d`` is the same interface around an ordinary convolution, used by the paper's
"HRNet" and "w/o PConv" ablations.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .priority import PRIORITIES, Priority, ones_kernel, priority_filters, priority_update, window_sum


class PartialConv2d(nn.Conv2d):
    """Partial convolution, eq. 1–2, optionally with an inpainting priority, eq. 5–8.

    ``priority="none"`` fills every pixel whose window holds a known pixel (eq. 1). ``"structure"``
    (contour striking, eq. 7, the lowest branch) and ``"texture"`` (contextual residue, eq. 8, the
    other branches) fill only the border pixels with ``q ≥ δ·q_max`` (eq. 5–6); rejected border
    pixels stay holes and output 0. Priorities need stride 1 and "same" padding (odd kernel).

    The window ``p`` is the convolution window; zero padding counts as hole, so the image frame is
    re-weighted like any border (as NVIDIA's reference implementation does). ``x`` must be zero in
    its holes, as every masked layer's output is, so eq. 2's ``X ⊙ M`` is ``X`` itself. The mask
    arithmetic runs in fp32 whatever the autocast dtype, with no host–device sync.
    """

    mask_filters: Tensor

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        priority: Priority = "none",
        delta: float = 0.5,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, got {priority!r}")
        if priority != "none" and (stride != 1 or kernel_size % 2 == 0 or padding != kernel_size // 2):
            raise ValueError("a priority needs stride 1, an odd kernel and padding kernel_size // 2")
        if padding > kernel_size // 2:
            raise ValueError(f"padding must be at most kernel_size // 2, got {padding} for {kernel_size}")
        if not 0.0 <= delta <= 1.0:
            raise ValueError(f"delta must lie in [0, 1], got {delta}")
        self.priority = priority
        self.delta = delta
        # fixed filters, moved with the module and kept out of its state dict: eq. 1's window
        # count, or with a priority the count, normal and isophote of eq. 6–7 in one conv
        filters = ones_kernel(kernel_size) if priority == "none" else priority_filters(kernel_size)
        self.register_buffer("mask_filters", filters, persistent=False)

    def mask_update(self, x: Tensor | None, mask: Tensor) -> tuple[Tensor, Tensor]:
        """The new mask (eq. 1 or 5) and eq. 2's scale ``Ω_p / sum(M_p)`` (0 where the new mask is
        0), both (B, 1, H', W') in fp32. ``x`` (the layer input) is read by priorities only."""
        kernel_size, stride, padding = self.kernel_size[0], self.stride[0], self.padding[0]
        area = kernel_size * kernel_size
        with torch.no_grad(), torch.autocast(mask.device.type, enabled=False):
            mask, filters = mask.float(), self.mask_filters.float()  # fp32 whatever the module's dtype
            if self.priority == "none":
                known = window_sum(mask, filters, stride, padding)  # sum(M_p)
                new_mask = known.clamp_max(1.0)  # eq. 1 (window counts are whole numbers)
            else:
                new_mask, known = priority_update(x, mask, self.priority, filters, self.delta)
            return new_mask, new_mask * area / known.clamp_min(1.0)  # eq. 2

    def forward(
        self, x: Tensor, mask: Tensor, update: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        """(B, C_in, H, W), (B, 1, H, W) -> (B, C_out, H', W'), (B, 1, H', W').

        ``update``: this layer's ``mask_update`` when a shared mask chain already has it."""
        new_mask, scale = self.mask_update(x, mask) if update is None else update
        # in place on the conv's fresh output (its backward does not read it): no allocation, and
        # the output keeps the conv's memory format
        y = F.conv2d(x, self.weight, None, self.stride, self.padding)
        y = y.mul_(scale.to(y.dtype))
        if self.bias is not None:
            y = y.addcmul_(self.bias.view(1, -1, 1, 1), new_mask.to(y.dtype))
        return y, new_mask

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, priority={self.priority}, delta={self.delta}"


class PlainConv2d(nn.Conv2d):
    """An ordinary convolution with the masked-layer interface: it ignores the mask and reports
    every output pixel as known (the "HRNet" and "w/o PConv" ablations of Table 2)."""

    def forward(self, x: Tensor, mask: Tensor, update: object = None) -> tuple[Tensor, Tensor]:
        y = super().forward(x)
        return y, mask.new_ones(y.shape[0], 1, *y.shape[-2:])


def masked_conv3x3(
    in_channels: int,
    out_channels: int,
    stride: int = 1,
    *,
    partial: bool = True,
    priority: Priority = "none",
    delta: float = 0.5,
) -> PartialConv2d | PlainConv2d:
    """A bias-free 3×3 masked convolution (a BatchNorm follows it everywhere in the network)."""
    if partial:
        return PartialConv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False, priority=priority, delta=delta
        )
    return PlainConv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)


class MaskedConvBN(nn.Module):
    """3×3 masked convolution → BatchNorm → optional ReLU; the output is zero wherever the new
    mask is a hole (BatchNorm's shift is masked out), so every masked module hands on features
    that are zero in its holes. ``fold_batchnorm`` turns it into one partial convolution with a
    masked bias, which needs no mask multiply."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        relu: bool = True,
        *,
        partial: bool = True,
        priority: Priority = "none",
        delta: float = 0.5,
    ) -> None:
        super().__init__()
        self.conv = masked_conv3x3(
            in_channels, out_channels, stride, partial=partial, priority=priority, delta=delta
        )
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU(inplace=True) if relu else nn.Identity()
        self.mask_output = partial  # plain convs keep BatchNorm's shift everywhere (HRNet)

    def forward(
        self, x: Tensor, mask: Tensor, update: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        y, mask = self.conv(x, mask, update)
        y = self.bn(y)
        if self.mask_output:  # before the ReLU (the same for a 0/1 mask), in place: BatchNorm's
            y = y.mul_(mask.to(y.dtype))  # backward does not read its output
        return self.act(y), mask
