"""FID with torchmetrics, from Inception weights on local disk (nothing is downloaded).

The standard FID Inception-v3 weights (the TF 2015-12-05 graph ported to PyTorch, as in
pytorch-fid and torch-fidelity) live in one file; fetch it once where downloads work:

    curl -L -o ~/.cache/pmrf-lightning/weights-inception-2015-12-05-6726825d.pth \\
      https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance, NoTrainInceptionV3

from ..config import ConfigError

DEFAULT_WEIGHTS = Path("~/.cache/pmrf-lightning/weights-inception-2015-12-05-6726825d.pth")
WEIGHTS_URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"


class InceptionFeatures(nn.Module):
    """Pool-3 features (2048) of FID's Inception-v3 for images in [0, 1]."""

    num_features = 2048

    def __init__(self, weights: str | Path) -> None:
        super().__init__()
        self.inception = NoTrainInceptionV3(
            name="inception-v3-compat", features_list=["2048"], feature_extractor_weights_path=str(weights)
        )

    def forward(self, images: Tensor) -> Tensor:
        return self.inception((images * 255).round().to(torch.uint8))


def inception_features(weights: str | Path | None = None) -> InceptionFeatures:
    """The feature extractor, or a one-line ``FileNotFoundError`` saying where to get the weights."""
    path = Path(weights or DEFAULT_WEIGHTS).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"FID needs the Inception weights at {path}: download {WEIGHTS_URL} there "
            "(or pass fid.weights=/path/to/file), or skip FID with fid=false"
        )
    return InceptionFeatures(path)


def new_fid(features: nn.Module) -> FrechetInceptionDistance:
    """An empty FID accumulator over ``features`` (shared, not copied, between accumulators)."""
    return FrechetInceptionDistance(feature=features, normalize=True, reset_real_features=True)
