"""``InpaintingDataModule``: train / val / test loaders for every dataset layout, with masks."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch.utils.data import DataLoader

from ..imaging import MULTIPLE
from .dataset import InpaintingDataset, MaskSource
from .layouts import DATASETS, Split, dataset_files
from .masks import ProceduralMasks


class InpaintingDataModule(L.LightningDataModule):
    """Photos of ``dataset`` (``celeba``, ``paris``, ``places2``, ``folder`` or the embedded
    ``sample``) under ``root`` (see ``layouts``), at ``image_size``², with ``train_masks`` for
    training and ``eval_masks`` (seeded per item) for validation and test. Batches are dicts of
    ``image`` (B, 3, S, S) in [-1, 1], ``mask`` (B, 1, S, S) with 1 = known, ``index``, ``skipped``.
    ``colour_augment`` turns on hue and channel-order augmentation of the training split.
    """

    def __init__(
        self,
        dataset: str = "sample",
        root: str | None = None,
        list_file: str | None = None,
        image_size: int = 256,
        batch_size: int = 4,
        eval_batch_size: int | None = None,
        num_workers: int = 2,
        resize: bool = True,
        train_masks: MaskSource | None = None,
        eval_masks: MaskSource | None = None,
        seed: int = 0,
        colour_augment: bool = False,
    ) -> None:
        super().__init__()
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
        if (
            isinstance(image_size, bool)
            or not isinstance(image_size, int)
            or image_size % MULTIPLE
            or image_size <= 0
        ):
            raise ValueError(f"image_size must be a positive multiple of {MULTIPLE}, got {image_size}")
        eval_batch_size = batch_size if eval_batch_size is None else eval_batch_size
        for name, value, least in [
            ("batch_size", batch_size, 1),
            ("eval_batch_size", eval_batch_size, 1),
            ("num_workers", num_workers, 0),
        ]:
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be a whole number of at least {least}, got {value}")
        self.dataset = dataset
        self.root = root
        self.list_file = list_file
        self.image_size = image_size
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self.resize = resize
        self.train_masks = train_masks or ProceduralMasks((0.0, 0.6))
        self.eval_masks = eval_masks or ProceduralMasks((0.0, 0.6))
        self.seed = seed
        self.colour_augment = colour_augment
        self.datasets: dict[str, InpaintingDataset] = {}

    def files(self, split: Split) -> list[Path]:
        """The image files of a split (raises ``DatasetLayoutError`` with the expected layout)."""
        return dataset_files(self.dataset, self.root, split, self.list_file)

    def make_dataset(self, split: Split) -> InpaintingDataset:
        """The dataset of one split: training crops and masks for "train", fixed ones otherwise."""
        train = split == "train"
        return InpaintingDataset(
            self.files(split),
            self.train_masks if train else self.eval_masks,
            image_size=self.image_size,
            train=train,
            resize=self.resize,
            seed=self.seed,
            colour_augment=train and self.colour_augment,
        )

    def setup(self, stage: str) -> None:
        splits = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), "predict": ("test",)}[
            stage
        ]
        for split in splits:
            if split not in self.datasets:
                self.datasets[split] = self.make_dataset(split)
        train = self.datasets.get("train")
        if train is not None and len(train) < self.batch_size:
            rank_zero_warn(f"{len(train)} training images is fewer than one batch of {self.batch_size}")

    def _loader(self, split: Split, batch_size: int, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[split],
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=shuffle and len(self.datasets[split]) >= batch_size,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()
