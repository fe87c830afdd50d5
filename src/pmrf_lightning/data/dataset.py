"""Image + hole pairs for training and evaluation.

Every item is a dict: ``image`` float (3, S, S) in [-1, 1], ``mask`` float (1, S, S) with
1 = known, 0 = hole, ``index`` (int) and ``skipped`` (how many unreadable files were passed over
to produce this item). A corrupt or truncated file is logged on one line and replaced by the next
readable file, never a crash mid-epoch; the ``skipped`` counts let a callback sum them per epoch.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from ..imaging import UnreadableImageError, load_rgb
from .layouts import DatasetLayoutError

log = logging.getLogger(__name__)


class MaskSource(Protocol):
    """Anything that gives the mask of item ``index``: ``ProceduralMasks`` or ``MaskFiles``."""

    def get(self, index: int, size: tuple[int, int], rng: random.Random) -> Tensor: ...


class InpaintingDataset(Dataset):
    """Photos resized and cropped to ``image_size``², each paired with a mask.

    Training (``train=True``): the short side is resized to ``image_size`` (when ``resize``; images
    smaller than the crop are always resized up), then a random crop and a random horizontal flip,
    and with ``colour_augment`` a random hue rotation and a random order of the RGB channels (so a
    network trained on a few photographs learns to carry any colour into the hole, not a palette);
    masks are drawn at random (from the DataLoader worker's seeded torch RNG). Evaluation: the same
    resize and a centre crop; item ``i`` always gets the mask drawn from seed ``(seed, i)``, so
    validation and test sets are identical from run to run and machine to machine.
    """

    def __init__(
        self,
        files: Sequence[Path],
        masks: MaskSource,
        image_size: int = 256,
        train: bool = False,
        resize: bool = True,
        seed: int = 0,
        max_skips: int = 16,
        colour_augment: bool = False,
    ) -> None:
        if not files:
            raise DatasetLayoutError("no image files to serve")
        self.files = list(files)
        self.masks = masks
        self.image_size = image_size
        self.train = train
        self.resize = resize
        self.seed = seed
        self.max_skips = max_skips
        self.colour_augment = colour_augment

    def __len__(self) -> int:
        return len(self.files)

    def _rng(self, index: int) -> random.Random:
        if self.train:
            return random.Random(int(torch.randint(0, 2**62, (1,)).item()))
        return random.Random(self.seed * 1_000_000_007 + index)

    def _read(self, index: int) -> tuple[Image.Image, int]:
        for skipped in range(self.max_skips + 1):
            path = self.files[(index + skipped) % len(self.files)]
            try:
                return load_rgb(path), skipped
            except UnreadableImageError as error:
                log.warning("skipped: %s", error)
        raise UnreadableImageError(
            f"{self.max_skips + 1} unreadable images in a row from {self.files[index]}; "
            "is the dataset corrupt?"
        )

    def _crop(self, image: Image.Image, rng: random.Random) -> Tensor:
        size = self.image_size
        tensor = TF.to_image(image)
        if self.resize or min(tensor.shape[-2:]) < size:
            tensor = TF.resize(tensor, size, antialias=True)  # short side → size
        height, width = tensor.shape[-2:]
        if self.train:
            top, left = rng.randint(0, height - size), rng.randint(0, width - size)
            tensor = TF.crop(tensor, top, left, size, size)
            if rng.random() < 0.5:
                tensor = TF.horizontal_flip(tensor)
            if self.colour_augment:
                tensor = TF.adjust_hue(tensor, rng.uniform(-0.5, 0.5))[rng.sample(range(3), 3)]
        else:
            tensor = TF.center_crop(tensor, [size, size])
        return TF.to_dtype(tensor, torch.float32, scale=True) * 2 - 1

    def __getitem__(self, index: int) -> dict:
        rng = self._rng(index)
        image, skipped = self._read(index)
        size = (self.image_size, self.image_size)
        return {
            "image": self._crop(image, rng),
            "mask": self.masks.get(index, size, rng),
            "index": index,
            "skipped": skipped,
        }
