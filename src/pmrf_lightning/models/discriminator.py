"""Discriminator for the adversarial losses (paper §4.4, eq. 13–14).

The paper cites only the original GAN. We use a spectral-norm PatchGAN (70×70 receptive field),
as EdgeConnect (one of the paper's baselines) does: five 4×4 convs with strides 2, 2, 2, 1, 1,
LeakyReLU(0.2) between them, spectral norm on every conv, weights drawn from N(0, 0.02).
It returns one logit per patch; eq. 13–14 apply the sigmoid through BCE-with-logits.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

MIN_SIDE = 32  # the five 4×4 convs leave a 2×2 logit map at 32²; a smaller image leaves none


class Discriminator(nn.Module):
    """SN-PatchGAN: (B, in_channels, H, W) in [-1, 1] -> logits (B, 1, H/8 − 2, W/8 − 2).

    At 256² the output is (B, 1, 30, 30), one logit per overlapping 70×70 patch.
    """

    def __init__(self, in_channels: int = 3, width: int = 64) -> None:
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be positive, got {width}")
        channels = [in_channels, width, 2 * width, 4 * width, 8 * width, 1]
        strides = [2, 2, 2, 1, 1]
        layers: list[nn.Module] = []
        for index, stride in enumerate(strides):
            conv = nn.Conv2d(channels[index], channels[index + 1], 4, stride, padding=1, bias=False)
            nn.init.normal_(conv.weight, 0.0, 0.02)
            layers.append(spectral_norm(conv))
            if index < len(strides) - 1:
                layers.append(nn.LeakyReLU(0.2, inplace=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, image: Tensor) -> Tensor:
        if image.dim() != 4 or image.shape[1] != self.layers[0].in_channels:
            raise ValueError(
                f"image must have shape (B, {self.layers[0].in_channels}, H, W), got {tuple(image.shape)}"
            )
        if min(image.shape[-2:]) < MIN_SIDE:
            raise ValueError(f"image sides must be at least {MIN_SIDE} pixels, got {tuple(image.shape[-2:])}")
        return self.layers(image)
