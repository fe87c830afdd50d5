"""The PRFN generator (paper §4, Figure 1): four parallel branches fused six stages long.

Data flow for a 256² input (C = ``width``; lists run high → low resolution):

    image·mask (B,3,256²) ─ stem: 2 × masked conv3×3 (2C) at full resolution
      └ transition → branches (B,C,256²) (B,2C,128²) (B,4C,64²) (B,8C,32²) + their masks
         stages 1–5: ``blocks_per_stage`` residual blocks per branch, then mask-aware fusion (eq. 9)
         attention-guided fusion (eq. 3, 4, 10)
         stage 6: residual blocks, no fusion
      ├ head: upsample to 256², concat (15C channels), conv3×3 → 2C, ReLU, conv3×3 → 3, tanh
      └ side outputs: conv3×3 → 3, tanh on branches 128², 64², 32²

Residual blocks on the 256², 128² and 64² branches use the texture priority (eq. 8) and those on
the 32² branch the structure priority (eq. 7). The ablations of Table 2 are constructor arguments:

    "HRNet"        partial_conv=False, priority=False, attention_fusion=False
    "w/o PConv"    partial_conv=False, priority=False
    "w/o ARF"      attention_fusion=False
    "w/o MRF k"    removed_fusions=k  (the fusions after stages 1..k are dropped)
    PConv without priority: priority=False

Without partial convs the network sees the mask as a fourth input channel, and fusions sum their
terms as HRNet does.

``centre_colours=True`` (our addition, off by default) subtracts each image's mean known colour μ
from the input and adds it back inside every output's tanh, ``tanh(z + atanh μ)``: the network
starts from the flat mean-colour fill and learns departures from it, whatever the palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn import AttentionFusion, DownsamplePath, MaskAwareFusion, MaskedBasicBlock, MaskedConvBN
from ..nn.hole_closing import close_holes
from ..nn.mask_fusion import mask_chain
from ..nn.priority import Priority

NUM_BRANCHES = 4
NUM_STAGES = 6
NUM_FUSIONS = NUM_STAGES - 1  # mask-aware fusion after stages 1–5
DIVISOR = 2 ** (NUM_BRANCHES - 1)  # input sides must be divisible by this (8)


@dataclass(frozen=True)
class GeneratorOutput:
    """``image``: (B, 3, H, W) in [-1, 1]; ``side``: images at (H/2, H/4, H/8), eq. 12;
    ``masks``: the four branch masks after the last stage, high → low resolution (1 = filled by
    the network's own layers; the head sees ``close_holes``' fill where they are 0)."""

    image: Tensor
    side: tuple[Tensor, ...]
    masks: tuple[Tensor, ...]


def check_inputs(image: Tensor, mask: Tensor) -> None:
    """Raise a one-line ``ValueError`` unless image is (B, 3, H, W) with H, W divisible by 8 and
    mask is (B, 1, H, W); mask values outside {0, 1} fail an asynchronous device-side assert (a
    ``RuntimeError``), so the check costs no host–device sync."""
    if image.dim() != 4 or image.shape[1] != 3:
        raise ValueError(f"image must have shape (B, 3, H, W), got {tuple(image.shape)}")
    batch, _, height, width = image.shape
    if height % DIVISOR or width % DIVISOR or height == 0 or width == 0:
        raise ValueError(
            f"image height and width must be positive multiples of {DIVISOR}, got {height}x{width}"
        )
    if tuple(mask.shape) != (batch, 1, height, width):
        raise ValueError(f"mask must have shape {(batch, 1, height, width)}, got {tuple(mask.shape)}")
    if torch.jit.is_tracing():
        return
    torch._assert_async(((mask == 0) | (mask == 1)).all(), "mask values must be 0 (hole) or 1 (known)")


def known_mean_colour(image: Tensor, mask: Tensor) -> Tensor:
    """(B, 3, 1, 1): the mean colour of each image's known pixels (0 where none is known)."""
    known = mask.sum(dim=(2, 3), keepdim=True)
    return (image * mask).sum(dim=(2, 3), keepdim=True) / known.clamp(min=1)


class ParallelStage(nn.Module):
    """One stage: residual blocks on every branch, then (stages 1–5) mask-aware fusion, eq. 9."""

    def __init__(
        self,
        channels: Sequence[int],
        num_blocks: int,
        priorities: Sequence[Priority],
        *,
        partial: bool,
        delta: float,
        fuse: bool,
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.ModuleList(
                MaskedBasicBlock(c, partial=partial, priority=priority, delta=delta)
                for _ in range(num_blocks)
            )
            for c, priority in zip(channels, priorities)
        )
        self.fusion = MaskAwareFusion(channels, mask_aware=partial) if fuse else None

    def forward(self, xs: Sequence[Tensor], masks: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        out_xs, out_masks = [], []
        for blocks, x, mask in zip(self.branches, xs, masks):
            for block in blocks:
                x, mask = block(x, mask)
            out_xs.append(x)
            out_masks.append(mask)
        if self.fusion is not None:
            return self.fusion(out_xs, out_masks)
        return out_xs, out_masks


class PRFNGenerator(nn.Module):
    """Parallel multi-resolution fusion network. ``forward(image, mask) -> GeneratorOutput``.

    ``image`` (B, 3, H, W) in [-1, 1], ``mask`` (B, 1, H, W) with 1 = known, 0 = hole, H and W
    multiples of 8. The generator masks its own input, so hole pixels never change the output.
    ``width`` is the channel count of the highest branch (branch l has ``width · 2^(3−l)``); the
    default 32 matches HRNet-W32, small values (4–8) make a CPU-sized model.
    """

    def __init__(
        self,
        width: int = 32,
        blocks_per_stage: int = 4,
        *,
        partial_conv: bool = True,
        priority: bool = True,
        delta: float = 0.5,
        attention_fusion: bool = True,
        removed_fusions: int = 0,
        centre_colours: bool = False,
    ) -> None:
        super().__init__()
        if width < 1 or blocks_per_stage < 1:
            raise ValueError(
                f"width and blocks_per_stage must be positive, got {width} and {blocks_per_stage}"
            )
        if priority and not partial_conv:
            raise ValueError("priority needs partial_conv=True (the plain-conv ablations have no priority)")
        if not 0 <= removed_fusions <= NUM_FUSIONS:
            raise ValueError(f"removed_fusions must lie in 0..{NUM_FUSIONS}, got {removed_fusions}")
        self.partial_conv = partial_conv
        self.centre_colours = centre_colours
        channels = [width * 2**i for i in range(NUM_BRANCHES)]
        stem_channels = 2 * width
        priorities: list[Priority] = (
            ["texture"] * (NUM_BRANCHES - 1) + ["structure"] if priority else ["none"] * NUM_BRANCHES
        )

        in_channels = 3 if partial_conv else 4  # plain convs see the mask as a channel
        self.stem = nn.ModuleList(
            [
                MaskedConvBN(in_channels, stem_channels, partial=partial_conv),
                MaskedConvBN(stem_channels, stem_channels, partial=partial_conv),
            ]
        )
        self.transition = nn.ModuleList(
            [MaskedConvBN(stem_channels, channels[0], partial=partial_conv)]
            + [
                DownsamplePath(stem_channels, c, steps, partial=partial_conv, final_relu=True)
                for steps, c in enumerate(channels[1:], start=1)
            ]
        )
        # after the attention fusion every mask is all known, where eq. 5 is eq. 1: stage 6 skips it
        last_priorities: list[Priority] = ["none"] * NUM_BRANCHES if attention_fusion else priorities
        self.stages = nn.ModuleList(
            ParallelStage(
                channels,
                blocks_per_stage,
                last_priorities if stage == NUM_STAGES - 1 else priorities,
                partial=partial_conv,
                delta=delta,
                fuse=removed_fusions <= stage < NUM_FUSIONS,
            )
            for stage in range(NUM_STAGES)
        )
        self.attention = AttentionFusion(channels) if attention_fusion else None
        self.head = nn.Sequential(
            nn.Conv2d(sum(channels), stem_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem_channels, 3, 3, padding=1),
        )
        self.side_heads = nn.ModuleList(nn.Conv2d(c, 3, 3, padding=1) for c in channels[1:])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming (fan-out) convolutions and unit BatchNorms in the body, as HRNet initialises.

        The head, the side outputs and the attention projections f, g have no BatchNorm after them
        and keep PyTorch's fan-in initialisation: with fan-out scaling the tanh outputs and the eq. 3
        softmax would start saturated (most pixels at ±1, one-hot attention rows) and barely learn.
        """
        for module in nn.ModuleList([self.stem, self.transition, self.stages]).modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, image: Tensor, mask: Tensor) -> GeneratorOutput:
        check_inputs(image, mask)
        offset = image.new_zeros(())
        if self.centre_colours:
            mean = known_mean_colour(image, mask)
            clamped = mean.clamp(-0.99, 0.99)
            offset = 0.5 * torch.log((1 + clamped) / (1 - clamped))  # atanh, which ONNX export lacks
            image = image - mean
        x = image * mask
        if not self.partial_conv:
            x = torch.cat([x, mask], dim=1)
        for layer in self.stem:
            x, mask = layer(x, mask)
        xs, masks = self.branch_out(x, mask)
        for index, stage in enumerate(self.stages):
            if index == NUM_STAGES - 1 and self.attention is not None:
                xs, masks = self.attention(xs, masks)
            xs, masks = stage(xs, masks)
        if self.partial_conv and self.attention is None:  # elsewhere every mask is all known
            xs = [close_holes(x, mask) for x, mask in zip(xs, masks)]

        size = xs[0].shape[-2:]
        upsampled = [F.interpolate(x, size=size, mode="bilinear", align_corners=False) for x in xs[1:]]
        image_out = torch.tanh(self.head(torch.cat([xs[0], *upsampled], dim=1)) + offset)
        side = tuple(torch.tanh(head(x) + offset) for head, x in zip(self.side_heads, xs[1:]))
        return GeneratorOutput(image=image_out, side=side, masks=tuple(masks))

    def branch_out(self, x: Tensor, mask: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        """The transition: the stem's output to the four branches, one stride-2 mask chain shared
        by the three down-sampling paths."""
        top, top_mask = self.transition[0](x, mask)
        steps = NUM_BRANCHES - 1
        if self.partial_conv:
            chain, updates = mask_chain(mask, steps, self.transition[1][0].conv)
        else:
            chain, updates = [mask] * steps, None
        xs, masks = [top], [top_mask]
        for path in self.transition[1:]:
            y, m = path(x, chain, updates)
            xs.append(y)
            masks.append(m)
        return xs, masks
