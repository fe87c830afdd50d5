"""Evaluation: image-quality metrics of the paper's tables."""

from .metrics import MeanImageScores, composite, quantize, relative_l1

__all__ = ["MeanImageScores", "composite", "quantize", "relative_l1"]
