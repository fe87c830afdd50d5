"""BatchNorm folded into the convolution before it, for inference (eval-mode BatchNorm is an
affine map per channel, ``a·y + b``, so ``a·(W ∗ x) + b`` is one convolution with weights ``a·W``
and bias ``b``).

In a partial convolution the folded bias is masked like eq. 2's bias (``+ b·m'``), so the output
stays zero in the holes and ``MaskedConvBN`` drops its mask multiply. The folded network computes
the same function up to rounding; it has no BatchNorm left, so it cannot be trained again.
"""

from __future__ import annotations

import torch
from torch import nn

from .mask_fusion import UpsamplePath
from .partial_conv import MaskedConvBN


def fold_into(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold the eval-mode ``bn`` into ``conv`` in place (``conv`` gains a bias)."""
    with torch.no_grad():
        a = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - a * bn.running_mean
        if conv.bias is not None:
            bias = bias + a * conv.bias
        conv.weight.mul_(a.view(-1, 1, 1, 1))
        conv.bias = nn.Parameter(bias)


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm of ``module`` (a generator in eval mode) into its convolution, in
    place; returns ``module``. Raises ``ValueError`` in training mode (BatchNorm would then use
    batch statistics, which no fixed weights reproduce)."""
    if module.training:
        raise ValueError("fold_batchnorm needs a module in eval mode")
    for child in module.modules():
        if isinstance(child, (MaskedConvBN, UpsamplePath)) and isinstance(child.bn, nn.BatchNorm2d):
            fold_into(child.conv, child.bn)
            child.bn = nn.Identity()
            if isinstance(child, MaskedConvBN):
                child.mask_output = False  # the folded bias is masked by the conv itself
    return module
