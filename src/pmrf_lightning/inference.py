"""Remove objects from photos of any size: ``Inpainter`` (model loaded once) and ``inpaint()``.

The network needs sides divisible by 8 and works best at the scale it was trained at (the paper's
256², the shipped model's 128², recorded in the checkpoint as ``image_size``). Three strategies
bring any photo to it (the names people know from IOPaint):

* ``original``: pad to a multiple of 8 (reflection) and run at full resolution;
* ``resize``: shrink so the long side is at most ``resize_limit``, run, scale the result back up;
* ``crop``: every hole (8-connected) gets a window ``crop_margin`` of its size wider on each side,
  at least the training size, at most the photo. The window is shrunk so that its short side is
  the training size (never enlarged), run, and its fill pasted back. A window longer than
  ``MAX_WINDOW_RATIO`` training sizes once shrunk (a long scratch, a panorama's power line) is
  tiled by windows of that length overlapping by half, filled one after another: each tile sees
  the hole pixels the previous ones filled as known. Every hole pixel is filled, for any aspect
  ratio; the work grows with the holes, not the photo.

In every strategy the pixels outside the hole are the input's own, bit for bit: the network only
decides what goes into the hole. By default (``blend="poisson"``) its fill is then Poisson-blended
into the photo (``blending.blend_holes``), which removes colour seams; ``blend="none"`` pastes the
raw fill. Images and masks are read by ``imaging`` (one hole convention: white = hole by default,
any bit depth, thresholded at 50 %). ``dilate`` grows the hole by that many pixels (a negative
value shrinks it), which removes the halo a tight mask leaves around an object.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .blending import BLENDS, blend_holes
from .imaging import (
    MULTIPLE,
    Hole,
    ImageLike,
    InpaintingInputError,
    free_memory,
    known_mask,
    pick_device,
    read_hole,
    read_rgb,
    rgb_profile,
    to_tensor,
    to_uint8,
)
from .lit.checkpoint import CheckpointError, load_checkpoint
from .models import PRFNGenerator

STRATEGIES: tuple[str, ...] = ("crop", "resize", "original")
SHIPPED_CHECKPOINT = Path(__file__).resolve().parent / "weights" / "prfn_small.ckpt"
DEFAULT_SIZE = 256  # the paper's training side, for generators and checkpoints that record none
MAX_WINDOW_RATIO = 4  # a crop window, once shrunk, is at most this many training sizes long
NO_HOLE = "the mask has no hole; the image is returned unchanged"
ALL_HOLE = "the mask covers the whole image: with nothing known, the fill is the network's guess"
ATTENTION_COPIES = 3  # eq. 3's (N, N) scores, their softmax and its transpose in eq. 10


@dataclass(frozen=True)
class Result:
    """An inpainted photo and what its user should know."""

    image: Image.Image  # RGB, the input's size
    note: str | None  # one line (no hole, all hole), or None
    strategy: str | None  # the strategy that ran; None when nothing needed to run
    hole_fraction: float  # of the photo, after ``dilate``


def _positive_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InpaintingInputError(f"{name} must be an integer of at least {low}, got {value!r}")
    return int(value)


def grow_hole(hole: np.ndarray, pixels: int) -> np.ndarray:
    """The hole grown by ``pixels`` (a disk), or shrunk for a negative value."""
    if pixels == 0 or not hole.any() or hole.all():
        return hole
    radius = min(abs(pixels), sum(hole.shape))  # farther than the photo changes nothing
    outside = ~hole if pixels > 0 else hole  # grow: pixels near the hole; shrink: near the known
    distance = cv2.distanceTransform(outside.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    near = distance <= radius
    return (hole | near) if pixels > 0 else (hole & ~near)


def _window_starts(start: int, extent: int, length: int, limit: int, size: int) -> list[int]:
    """Starts of windows of ``length`` covering [start, start + extent) inside [0, limit). A hole of
    at most half a training-size window gets the window of a grid with a step of ``size // 2`` that
    holds it (so dust shares windows: at most about 4 · area / size² runs); a bigger hole that fits
    gets a centred window; a longer one windows from one end to the other, overlapping by half."""
    half = size // 2
    if length == size and 0 < extent <= half:
        return [int(np.clip(((start + extent) // half - 1) * half, 0, limit - length))]
    if extent <= length:
        return [int(np.clip(start + extent // 2 - length // 2, 0, limit - length))]
    count = math.ceil((extent - length) / (length // 2)) + 1
    first, last = start, start + extent - length
    return [round(first + (last - first) * i / (count - 1)) for i in range(count)]


def hole_box(hole: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of every hole pixel."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def crop_windows(hole: np.ndarray, size: int, margin: float) -> list[tuple[int, int, int, int, float]]:
    """``(top, left, height, width, scale)`` windows that together cover every hole pixel; ``scale``
    is how many photo pixels one network pixel spans (module docstring)."""
    rows, cols = hole_box(hole)
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole[rows, cols].view(np.uint8), connectivity=8)
    height, width = hole.shape
    windows = []
    for left, top, box_w, box_h, _ in stats[1:count]:
        top, left = top + rows.start, left + cols.start
        sides = [min(max(math.ceil(extent * (1 + 2 * margin)) + 2, size), limit)  # + 2: the ring
                 for extent, limit in ((box_h, height), (box_w, width))]  # fmt: skip
        scale = max(1.0, min(sides) / size)
        longest = int(MAX_WINDOW_RATIO * size * scale)
        side_h, side_w = (min(side, longest) for side in sides)
        for y in _window_starts(top, box_h, side_h, height, size):
            for x in _window_starts(left, box_w, side_w, width, size):
                windows.append((y, x, side_h, side_w, scale))
    return list(dict.fromkeys(windows))  # small holes on one grid cell share its window


def window_clusters(
    windows: list[tuple[int, int, int, int, float]], shape: tuple[int, int], cell: int = 8
) -> list[list[tuple[int, int, int, int, float]]]:
    """The windows grouped by overlap (on a grid of ``cell`` pixels, so near ones may join), each
    group in its original order. Every hole (8-connected) lies in the windows of one group: a
    hole's windows overlap each other, and a window holding a pixel of another group's hole would
    overlap that group's."""
    grid = np.zeros((-(-shape[0] // cell) + 1, -(-shape[1] // cell) + 1), np.uint8)
    for top, left, height, width, _ in windows:
        grid[top // cell : -(-(top + height) // cell), left // cell : -(-(left + width) // cell)] = 1
    _, labels = cv2.connectedComponents(grid, connectivity=8)
    groups: dict[int, list] = {}
    for window in windows:
        groups.setdefault(int(labels[window[0] // cell, window[1] // cell]), []).append(window)
    return list(groups.values())


def covers(windows: list[tuple[int, int, int, int, float]], region: tuple[slice, slice]) -> np.ndarray:
    """(h, w) bool over ``region``: the pixels inside one of ``windows``."""
    inside = np.zeros((region[0].stop - region[0].start, region[1].stop - region[1].start), bool)
    for top, left, height, width, _ in windows:
        inside[top - region[0].start : top - region[0].start + height,
               left - region[1].start : left - region[1].start + width] = True  # fmt: skip
    return inside


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (H, W[, 3]) to (height, width) = size with area (down) or cubic (up) interpolation."""
    height, width = size
    shrink = height * width < array.shape[0] * array.shape[1]
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _shrink_hole(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a hole mask so that every low-resolution pixel touching the hole stays a hole."""
    area = cv2.resize(hole.astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return area > 0


def check_attention_fits(
    model: PRFNGenerator, height: int, width: int, device: torch.device, what: str, advice: str
) -> None:
    """Refuse, before running, a pass at ``height × width`` whose eq. 3 attention map cannot fit
    in the memory free on ``device``: one line naming ``what`` ran at that size, and ``advice``."""
    if model.attention is None:
        return
    tokens = math.ceil(height / MULTIPLE) * math.ceil(width / MULTIPLE)
    needed, free = ATTENTION_COPIES * 4 * tokens**2, free_memory(device)
    if needed > free:
        raise InpaintingInputError(
            f"{what} at {width}×{height} needs about {needed / 2**30:.1f} GiB for the attention map "
            f"of eq. 3, more than the {free / 2**30:.1f} GiB free on {device}; {advice}"
        )


class Inpainter:
    """A generator on a device, loaded once, with the training size it learnt at.

    ``model``: a ``pmrf-train`` checkpoint path, None for the shipped model, or a
    ``PRFNGenerator`` (then ``size`` or ``DEFAULT_SIZE``). ``size`` overrides the checkpoint's
    training size for the ``crop`` strategy. Bad checkpoints (not one, unknown or invalid
    generator arguments, weights that do not fit or are not finite) raise a one-line
    ``InpaintingInputError``.
    """

    def __init__(
        self,
        model: PRFNGenerator | str | Path | None = None,
        device: str | torch.device = "auto",
        size: int | None = None,
    ) -> None:
        self.device = pick_device(device)
        trained = None
        if isinstance(model, PRFNGenerator):
            generator = model
        elif model is None and not SHIPPED_CHECKPOINT.is_file():
            raise InpaintingInputError(
                "no shipped model in this version; train one with pmrf-train and pass its checkpoint"
            )
        elif model is None or isinstance(model, (str, Path)):
            generator, trained = self._load(Path(model) if model is not None else SHIPPED_CHECKPOINT)
        else:
            raise InpaintingInputError(
                f"model must be a checkpoint path, None (the shipped model) or a PRFNGenerator, "
                f"got {type(model).__name__}"
            )
        self.size = _positive_int(size if size is not None else trained or DEFAULT_SIZE, "size", MULTIPLE)
        self.model = generator.to(self.device).eval()

    @staticmethod
    def _load(path: Path) -> tuple[PRFNGenerator, int | None]:
        try:
            generator, hyper_parameters = load_checkpoint(path)
        except CheckpointError as error:
            raise InpaintingInputError(str(error)) from None
        return generator, hyper_parameters.get("image_size")

    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        """The network's output for a batch: (B, 3, H, W) in [-1, 1] and (B, 1, H, W) masks with
        1 = known, sides multiples of 8; on the inpainter's device."""
        with torch.no_grad():
            return self.model(image.to(self.device), mask.to(self.device)).image

    # ------------------------------------------------------------------ one photo

    def _run(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """Reflect-pad to multiples of 8 (the hole is padded alike: a mirrored object stays hole), run,
        crop back: uint8 (H, W, 3)."""
        height, width = hole.shape
        pad_h, pad_w = -height % MULTIPLE, -width % MULTIPLE
        mode = "reflect" if height > pad_h and width > pad_w else "edge"
        padded = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
        padded_hole = np.pad(hole, ((0, pad_h), (0, pad_w)), mode=mode)
        try:
            output = self.fill(to_tensor(padded), known_mask(padded_hole))
        except torch.OutOfMemoryError:
            raise InpaintingInputError(
                f"out of memory running the network at {width}×{height} on {self.device}; "
                "use strategy crop or resize"
            ) from None
        return to_uint8(output)[:height, :width]

    def _at_scale(self, rgb: np.ndarray, hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Run at ``size`` (height, width) and return a result of the input's size."""
        if size == hole.shape:
            return self._run(rgb, hole)
        return _resize(self._run(_resize(rgb, size), _shrink_hole(hole, size)), hole.shape)

    def _fill_crops(
        self, rgb: np.ndarray, hole: np.ndarray, windows: list[tuple[int, int, int, int, float]]
    ) -> tuple[np.ndarray, tuple[slice, slice]]:
        """The ``crop`` strategy for one cluster of windows: the network's fill in every hole pixel
        of the windows and on the ring around it, over the region they span (one pixel wider), and
        that region."""
        top = max(min(w[0] for w in windows) - 1, 0)
        left = max(min(w[1] for w in windows) - 1, 0)
        bottom = min(max(w[0] + w[2] for w in windows) + 1, hole.shape[0])
        right = min(max(w[1] + w[3] for w in windows) + 1, hole.shape[1])
        region, origin = (slice(top, bottom), slice(left, right)), (top, left)
        rgb, hole = rgb[region], hole[region]
        fill, remaining = rgb.copy(), hole.copy()
        ring = grow_hole(hole, 1) & ~hole
        for top, left, height, width, scale in windows:
            window = (slice(top - origin[0], top - origin[0] + height),
                      slice(left - origin[1], left - origin[1] + width))  # fmt: skip
            todo = remaining[window]
            if not todo.any():
                continue
            filled = (hole[window] & ~todo)[..., None]
            context = np.where(filled, fill[window], rgb[window])
            target = (max(MULTIPLE, round(height / scale)), max(MULTIPLE, round(width / scale)))
            patch = self._at_scale(context, todo, target)
            write = (todo | ring[window])[..., None]
            fill[window] = np.where(write, patch, fill[window])
            remaining[window] = False
        return fill, region

    def __call__(
        self,
        image: ImageLike,
        mask: ImageLike,
        strategy: str = "crop",
        blend: str = "poisson",
        hole: Hole = "white",
        dilate: int = 0,
        resize_limit: int = 512,
        crop_margin: float = 0.5,
    ) -> Result:
        """Fill the hole of ``mask`` in ``image`` (a path, PIL image or array; ``imaging``).

        One-line ``InpaintingInputError`` for unknown options, sizes that differ and images under
        8 pixels a side; a mask without hole returns the image with a note, as does an all-hole
        mask (the fill then has nothing to start from).
        """
        if strategy not in STRATEGIES:
            raise InpaintingInputError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
        if blend not in BLENDS:
            raise InpaintingInputError(f"blend must be one of {', '.join(BLENDS)}, got {blend!r}")
        if isinstance(dilate, bool) or not isinstance(dilate, (int, np.integer)):
            raise InpaintingInputError(f"dilate must be an integer number of pixels, got {dilate!r}")
        resize_limit = _positive_int(resize_limit, "resize_limit", MULTIPLE)
        if isinstance(crop_margin, bool) or not (
            isinstance(crop_margin, (int, float, np.number)) and 0 <= crop_margin <= 10
        ):
            raise InpaintingInputError(f"crop_margin must be a number in [0, 10], got {crop_margin!r}")
        rgb, holes = read_rgb(image), read_hole(mask, hole)
        profile = rgb_profile(image)
        if holes.shape != rgb.shape[:2]:
            raise InpaintingInputError(
                f"mask is {holes.shape[1]}×{holes.shape[0]} but image is {rgb.shape[1]}×{rgb.shape[0]}"
            )
        height, width = holes.shape
        if min(height, width) < MULTIPLE:
            raise InpaintingInputError(f"image is {width}×{height}; both sides need {MULTIPLE}+ pixels")
        had_hole = bool(holes.any())
        holes = grow_hole(holes, int(dilate))
        fraction = float(holes.mean())
        if fraction == 0:
            note = (
                NO_HOLE
                if not had_hole
                else f"dilate={dilate} shrank the hole away; the image is returned unchanged"
            )
            return Result(with_profile(Image.fromarray(rgb), profile), note, None, 0.0)
        note = ALL_HOLE if fraction == 1 else None
        everything = (slice(0, height), slice(0, width))
        if strategy == "original":
            check_attention_fits(
                self.model, height, width, self.device, "strategy original", "use strategy crop or resize"
            )
            parts = [(self._run(rgb, holes), everything, holes)]
        elif strategy == "resize":
            scale = min(1.0, resize_limit / max(height, width))
            target = (max(MULTIPLE, round(height * scale)), max(MULTIPLE, round(width * scale)))
            parts = [(self._at_scale(rgb, holes, target), everything, holes)]
        else:  # one cluster of overlapping windows at a time: memory follows each cluster's box
            parts = (
                (fill, region, holes[region] & covers(group, region))
                for group in window_clusters(crop_windows(holes, self.size, crop_margin), holes.shape)
                for fill, region in [self._fill_crops(rgb, holes, group)]
            )
        pieces = []  # (blended region, where, its holes): each cluster's, small for crop
        for fill, region, own in parts:
            known = rgb[region]
            blended = (
                blend_holes(known, fill, own) if blend == "poisson" else np.where(own[..., None], fill, known)
            )
            pieces.append((blended, region, own))
            del fill
        result = Image.fromarray(rgb)  # the one photo-sized copy, made once the network is done
        for blended, region, own in pieces:
            result.paste(Image.fromarray(blended), (region[1].start, region[0].start), Image.fromarray(own))
        return Result(with_profile(result, profile), note, strategy, fraction)


def with_profile(image: Image.Image, profile: bytes | None) -> Image.Image:
    """``image`` carrying the input photo's ICC profile (``imaging.rgb_profile``), which savers keep."""
    if profile is not None:
        image.info["icc_profile"] = profile
    return image


def inpaint(
    image: ImageLike,
    mask: ImageLike,
    model: PRFNGenerator | str | Path | None = None,
    strategy: str = "crop",
    device: str = "auto",
    hole: Hole = "white",
    size: int | None = None,
    resize_limit: int = 512,
    crop_margin: float = 0.5,
    blend: str = "poisson",
    dilate: int = 0,
) -> Image.Image:
    """One photo through a fresh ``Inpainter(model, device, size)``: the RGB result of the input's size.

    A note (no hole, all hole) is issued as a ``UserWarning``; keep an ``Inpainter`` for many photos.
    """
    result = Inpainter(model, device, size)(
        image, mask, strategy, blend, hole, dilate, resize_limit, crop_margin
    )
    if result.note:
        warnings.warn(result.note, stacklevel=2)
    return result.image
