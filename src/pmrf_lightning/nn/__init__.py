"""Layers of PRFN: partial convolution with inpainting priorities and the two fusions."""

from .attention_fusion import AttentionFusion, apply_patch_attention
from .batchnorm_folding import fold_batchnorm
from .mask_fusion import DownsamplePath, MaskAwareFusion, UpsamplePath
from .partial_conv import MaskedConvBN, PartialConv2d, PlainConv2d, masked_conv3x3
from .residual_block import MaskedBasicBlock

__all__ = [
    "AttentionFusion",
    "DownsamplePath",
    "MaskAwareFusion",
    "MaskedBasicBlock",
    "MaskedConvBN",
    "PartialConv2d",
    "PlainConv2d",
    "UpsamplePath",
    "apply_patch_attention",
    "fold_batchnorm",
    "masked_conv3x3",
]
