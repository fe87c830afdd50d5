"""Hole masks: the one hole-ratio bucketing, seeded procedural masks, and mask files on disk.

Convention (the whole package): a mask is float (1, H, W) — (B, 1, H, W) in a batch — with
1 = known pixel and 0 = hole. Mask *files* are 8-bit PNGs; which colour is the hole is the
``hole`` setting of the reader (``"white"`` by default, as in the NVIDIA irregular mask set as
EdgeConnect and LaMa use it, and in IOPaint); files are binarised at 50 % grey.

Buckets follow the paper's Table 1: hole ratios (0, 10 %], (10, 20 %], …, (50, 60 %] are buckets
0–5. A mask with no hole is ``NO_HOLE`` (−1) and one with more than 60 % hole is ``OVER_60`` (6);
neither belongs to the paper's six groups, so the evaluation counts them apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import Tensor

from ..imaging import Hole, read_hole
from .layouts import DatasetLayoutError

NUM_BUCKETS = 6
NO_HOLE = -1
OVER_60 = NUM_BUCKETS
BUCKET_LABELS = tuple(f"{10 * b}-{10 * (b + 1)}%" for b in range(NUM_BUCKETS))
MASK_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".webp")


def hole_ratio(mask: Tensor) -> float:
    """Fraction of hole pixels of one (1, H, W) or (H, W) mask with 1 = known."""
    return float((mask < 0.5).sum()) / mask.numel()


def mask_ratio_bucket(mask: Tensor) -> int:
    """Table 1 bucket of one mask: 0–5 for hole ratios (0, 10 %] … (50, 60 %]; ``NO_HOLE`` (−1)
    for a mask without hole, ``OVER_60`` (6) above 60 %. Exact integer arithmetic at the edges:
    exactly 10 % is bucket 0, one more hole pixel is bucket 1."""
    holes, total = int((mask < 0.5).sum()), mask.numel()
    if holes == 0:
        return NO_HOLE
    bucket = -(-10 * holes // total) - 1  # ceil(10 · holes / total) − 1
    return min(bucket, OVER_60)


def bucket_range(bucket: int) -> tuple[float, float]:
    """The (low, high] hole-ratio interval of a bucket 0–5."""
    if not 0 <= bucket < NUM_BUCKETS:
        raise ValueError(f"bucket must lie in 0..{NUM_BUCKETS - 1}, got {bucket}")
    return bucket / 10, (bucket + 1) / 10


# --------------------------------------------------------------------------- procedural masks

Shape = Literal["strokes", "rectangles", "mixed"]
STROKE_WIDTHS = {"thin": (0.02, 0.05), "medium": (0.05, 0.10), "thick": (0.10, 0.18)}  # of the short side


class ProceduralMasks:
    """Seeded free-form strokes and rectangles with a hole ratio inside ``ratio_range``.

    ``get(index, size, rng)`` draws one mask from ``rng`` (``index`` is unused); the same
    ``random.Random`` state gives the same mask on every machine (pure Python RNG, PIL drawing).
    Strokes are random walks drawn with round joints; ``thickness`` picks their width relative to
    the short side. Shapes that would push the hole past the upper bound are skipped, so the
    result always lands inside the range.
    """

    def __init__(
        self,
        ratio_range: Sequence[float] = (0.0, 0.6),
        shape: Shape = "mixed",
        thickness: Sequence[str] = ("thin", "medium", "thick"),
        max_shapes: int = 400,
    ) -> None:
        low, high = float(ratio_range[0]), float(ratio_range[1])
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"ratio_range must satisfy 0 <= low < high <= 1, got {tuple(ratio_range)}")
        if shape not in ("strokes", "rectangles", "mixed"):
            raise ValueError(f"shape must be strokes, rectangles or mixed, got {shape!r}")
        unknown = set(thickness) - set(STROKE_WIDTHS)
        if unknown or not thickness:
            raise ValueError(
                f"thickness must be a non-empty subset of {sorted(STROKE_WIDTHS)}, got {thickness}"
            )
        self.low, self.high = low, high
        self.shape = shape
        self.thickness = tuple(thickness)
        self.max_shapes = max_shapes

    def get(self, index: int, size: tuple[int, int], rng: random.Random) -> Tensor:
        """One (1, H, W) mask, 1 = known, with ``low < hole ratio <= high`` (any hole if low = 0)."""
        height, width = size
        target = rng.uniform(self.low, self.high)
        hole = np.zeros((height, width), dtype=bool)
        for _ in range(self.max_shapes):
            layer = Image.new("L", (width, height), 0)
            self._draw_shape(ImageDraw.Draw(layer), width, height, rng)
            candidate = hole | (np.asarray(layer) > 127)
            ratio = candidate.mean()
            if ratio > self.high:
                continue
            hole = candidate
            if ratio > max(target, self.low) and ratio > 0:
                break
        ratio = hole.mean()
        if not (self.low < ratio <= self.high):
            raise RuntimeError(
                f"no mask with hole ratio in ({self.low}, {self.high}] after {self.max_shapes} shapes"
            )
        return torch.from_numpy(~hole).float().unsqueeze(0)

    def _draw_shape(self, draw: ImageDraw.ImageDraw, width: int, height: int, rng: random.Random) -> None:
        short = min(width, height)
        use_strokes = self.shape == "strokes" or (self.shape == "mixed" and rng.random() < 0.7)
        if not use_strokes:
            box_w = rng.uniform(0.05, 0.4) * width
            box_h = rng.uniform(0.05, 0.4) * height
            left, top = rng.uniform(0, width - box_w), rng.uniform(0, height - box_h)
            draw.rectangle((left, top, left + box_w, top + box_h), fill=255)
            return
        low, high = STROKE_WIDTHS[rng.choice(self.thickness)]
        stroke = max(1, round(rng.uniform(low, high) * short))
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        angle = rng.uniform(0, 2 * math.pi)
        points = [(x, y)]
        for _ in range(rng.randint(2, 6)):
            angle += rng.uniform(-math.pi / 2, math.pi / 2)
            step = rng.uniform(0.05, 0.25) * short
            x = min(max(x + step * math.cos(angle), 0), width - 1)
            y = min(max(y + step * math.sin(angle), 0), height - 1)
            points.append((x, y))
        draw.line(points, fill=255, width=stroke, joint="curve")
        radius = stroke / 2
        for px, py in (points[0], points[-1]):
            draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=255)


# --------------------------------------------------------------------------- mask files


def read_mask(path: str | Path, size: tuple[int, int] | None = None, hole: Hole = "white") -> Tensor:
    """Read a mask file as (1, H, W), 1 = known (``imaging.read_hole``: any bit depth, binarised at
    50 %, ``hole`` the hole's colour); ``size`` resizes with nearest neighbour."""
    known = ~read_hole(path, hole)
    if size is not None and known.shape != tuple(size):
        known = np.array(Image.fromarray(known).resize((size[1], size[0]), Image.NEAREST))
    return torch.from_numpy(known).float()[None]


def write_mask(mask: Tensor, path: str | Path, hole: Hole = "white") -> None:
    """Write a (1, H, W) mask (1 = known) as an 8-bit PNG with the hole in the ``hole`` colour."""
    known = mask[0].numpy() > 0.5
    white = ~known if hole == "white" else known
    Image.fromarray((white * 255).astype(np.uint8), mode="L").save(path)


def list_mask_files(root: str | Path) -> list[Path]:
    """Every mask image under ``root``, sorted, or a one-line error if there is none."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetLayoutError(f"mask folder {root} does not exist")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in MASK_SUFFIXES)
    if not files:
        raise DatasetLayoutError(f"no mask images ({', '.join(MASK_SUFFIXES)}) under {root}")
    return files


class MaskFiles:
    """Masks read from files: the NVIDIA irregular mask set, or a frozen set written by ``pmrf-masks``.

    Without ``augment`` (evaluation) image ``i`` gets file ``i mod n``, so the pairing is fixed;
    files are taken in turn from each sub-folder (first file of every folder, then the second …),
    so a ``pmrf-masks`` set spreads even a small dataset over all six buckets. With ``augment``
    (training) a file is drawn from ``rng`` and flipped / rotated by a multiple of 90°.
    A file whose size differs from the image is resized with nearest neighbour; a file without
    hole is returned as it is (the image then trains only on its reconstruction terms).
    """

    def __init__(self, root: str | Path, hole: Hole = "white", augment: bool = False) -> None:
        files = list_mask_files(root)
        rank = {path: i for folder in {p.parent for p in files}
                for i, path in enumerate(sorted(p for p in files if p.parent == folder))}  # fmt: skip
        self.files = sorted(files, key=lambda path: (rank[path], str(path.parent)))
        self.hole = hole
        self.augment = augment

    def __len__(self) -> int:
        return len(self.files)

    def get(self, index: int, size: tuple[int, int], rng: random.Random) -> Tensor:
        if not self.augment:
            return read_mask(self.files[index % len(self.files)], size, self.hole)
        mask = read_mask(rng.choice(self.files), None, self.hole)
        if rng.random() < 0.5:
            mask = mask.flip(-1)
        mask = torch.rot90(mask, rng.randrange(4), dims=(-2, -1))
        if tuple(mask.shape[-2:]) != tuple(size):
            mask = torch.nn.functional.interpolate(mask[None], size=size, mode="nearest")[0]
        return mask
