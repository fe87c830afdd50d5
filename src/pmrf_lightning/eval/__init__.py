"""Evaluation: image-quality metrics of the paper's tables."""

from .metrics import RelativeL1, composite, quantize, relative_l1

__all__ = ["RelativeL1", "composite", "quantize", "relative_l1"]
