"""Datasets, masks and the LightningDataModule.

Tensor convention: ``image`` float (B, 3, H, W) in [-1, 1]; ``mask`` float (B, 1, H, W) with
1 = known and 0 = hole.
"""

from ..imaging import UnreadableImageError, load_rgb
from .datamodule import InpaintingDataModule
from .dataset import InpaintingDataset
from .layouts import DATASETS, DatasetLayoutError, dataset_files
from .masks import MaskFiles, ProceduralMasks, mask_ratio_bucket
from .skip_report import SkippedImagesReport

__all__ = [
    "DATASETS",
    "DatasetLayoutError",
    "InpaintingDataModule",
    "InpaintingDataset",
    "MaskFiles",
    "ProceduralMasks",
    "SkippedImagesReport",
    "UnreadableImageError",
    "dataset_files",
    "load_rgb",
    "mask_ratio_bucket",
]
