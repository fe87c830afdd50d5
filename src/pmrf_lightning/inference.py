"""Remove objects from photos of any size: ``inpaint(image, mask)`` and its strategies.

The network needs sides divisible by 8 and works best at the scale it was trained at (the paper's
256², the shipped model's 128²). Three strategies bring any photo to it (the names people know
from IOPaint):

* ``original``: pad to a multiple of 8 (reflection) and run at full resolution;
* ``resize``: shrink so the long side is at most ``resize_limit``, run, scale the result back up;
* ``crop``: for every hole (connected component), cut a square around it with a margin, bring it
  to the model's ``size``, run, and paste the result back.

In every strategy the pixels outside the hole are the input's own, bit for bit: the network only
decides what goes into the hole. By default (``blend="poisson"``) its fill is then Poisson-blended
into the photo (``blending.py``: the fill's gradients, the known pixels at the hole's edge), which
removes colour seams; ``blend="none"`` pastes the raw fill. Masks mark the hole in white by
default (``hole="white"``, as IOPaint); a greyscale mask is thresholded at 50 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import torch
from PIL import Image

from .blending import BLENDS, poisson_blend
from .data.image_io import to_rgb
from .lit.checkpoint import load_generator
from .models import PRFNGenerator

Strategy = Literal["crop", "resize", "original"]
STRATEGIES: tuple[str, ...] = ("crop", "resize", "original")
Blend = Literal["poisson", "none"]
SHIPPED_CHECKPOINT = Path(__file__).resolve().parent / "weights" / "prfn_small.ckpt"
SHIPPED_SIZE = 128  # the shipped model's training resolution (weights/MODEL_CARD.md)
DEFAULT_SIZE = 256  # the paper's, for checkpoints of the paper's setting
MULTIPLE = 8


class InpaintingInputError(ValueError):
    """An image or mask that cannot be inpainted, with a one-line reason."""


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` takes CUDA, then Apple's MPS, then the CPU."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InpaintingInputError("device cuda requested but no CUDA GPU is visible")
    if device == "mps" and not torch.backends.mps.is_available():
        raise InpaintingInputError("device mps requested but MPS is not available")
    if device not in ("cpu", "cuda", "mps"):
        raise InpaintingInputError(f"device must be auto, cpu, cuda or mps, got {device!r}")
    return torch.device(device)


def load_model(model: PRFNGenerator | str | Path | None, device: torch.device) -> PRFNGenerator:
    """A generator, a checkpoint path, or None for the shipped checkpoint."""
    if isinstance(model, PRFNGenerator):
        return model.to(device).eval()
    path = Path(model) if model is not None else SHIPPED_CHECKPOINT
    if model is None and not path.is_file():
        raise FileNotFoundError(
            "no shipped model in this version yet; train one with pmrf-train and pass its checkpoint"
        )
    try:
        return load_generator(path).to(device)
    except ValueError as error:
        raise FileNotFoundError(str(error)) from None


def as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 from a PIL image (any mode) or an array (grey, RGB, RGBA; uint8, uint16 or float)."""
    if isinstance(image, np.ndarray):
        array = image
        if array.dtype == np.uint16:
            array = (array / 257).round().astype(np.uint8)
        elif array.dtype.kind == "f":
            array = (array.clip(0, 1) * 255).round().astype(np.uint8)
        elif array.dtype != np.uint8:
            raise InpaintingInputError(f"image arrays must be uint8, uint16 or float, got {array.dtype}")
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=2)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise InpaintingInputError(
                f"image array must be (H, W), (H, W, 3) or (H, W, 4), got {array.shape}"
            )
        image = Image.fromarray(np.ascontiguousarray(array))
    return np.asarray(to_rgb(image))


def as_hole_array(mask: Image.Image | np.ndarray, hole: Literal["white", "black"] = "white") -> np.ndarray:
    """(H, W) bool, True where the hole is. Grey values are thresholded at 50 % of their range."""
    if hole not in ("white", "black"):
        raise InpaintingInputError(f"hole must be 'white' or 'black', got {hole!r}")
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"))
    mask = np.asarray(mask)
    if mask.ndim == 3:
        mask = mask[..., :3].max(axis=2) if mask.shape[2] > 1 else mask[..., 0]
    if mask.ndim != 2:
        raise InpaintingInputError(f"mask must be a 2-D image, got shape {mask.shape}")
    top = 1.0 if mask.dtype.kind in "fb" else float(np.iinfo(mask.dtype).max)
    white = mask.astype(np.float64) >= top / 2
    return white if hole == "white" else ~white


def _run(model: PRFNGenerator, rgb: np.ndarray, hole: np.ndarray, device: torch.device) -> np.ndarray:
    """The network on one array whose sides are multiples of 8: (H, W, 3) uint8 -> same."""
    image = torch.tensor(rgb).permute(2, 0, 1)[None].float().div(127.5).sub(1).to(device)
    mask = torch.from_numpy(~hole)[None, None].float().to(device)
    with torch.no_grad():
        output = model(image, mask).image
    return ((output[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


def _run_padded(model: PRFNGenerator, rgb: np.ndarray, hole: np.ndarray, device: torch.device) -> np.ndarray:
    """Reflect-pad to multiples of 8 (the padding counts as known), run, crop back."""
    height, width = hole.shape
    pad_h, pad_w = -height % MULTIPLE, -width % MULTIPLE
    mode = "reflect" if height > pad_h and width > pad_w else "edge"
    padded = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    padded_hole = np.pad(hole, ((0, pad_h), (0, pad_w)), constant_values=False)
    return _run(model, padded, padded_hole, device)[:height, :width]


def _resize(array: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    """Resize (H, W[, 3]) to (height, width) = size with area (down) / cubic (up) or nearest."""
    height, width = size
    if nearest:
        interpolation = cv2.INTER_NEAREST
    else:
        interpolation = (
            cv2.INTER_AREA if height * width < array.shape[0] * array.shape[1] else cv2.INTER_CUBIC
        )
    return cv2.resize(array, (width, height), interpolation=interpolation)


def _shrink_hole(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a hole mask so that every low-resolution pixel touching the hole stays a hole."""
    area = cv2.resize(hole.astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return area > 0


def _at_scale(model, rgb, hole, device, size: tuple[int, int]) -> np.ndarray:
    """Run at ``size`` (height, width) and return a full-resolution result."""
    if size == hole.shape:
        return _run_padded(model, rgb, hole, device)
    small = _run_padded(model, _resize(rgb, size), _shrink_hole(hole, size), device)
    return _resize(small, hole.shape)


def _crop_boxes(hole: np.ndarray, size: int, margin: float) -> list[tuple[int, int, int, int]]:
    """A square (top, left, side, side) around every connected hole, ``margin`` of its size wider."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    height, width = hole.shape
    boxes = []
    for left, top, box_w, box_h, _ in stats[1:count]:
        side = int(max(box_w, box_h) * (1 + 2 * margin))
        side = min(max(side, size), height, width)
        centre_y, centre_x = top + box_h // 2, left + box_w // 2
        y0 = int(np.clip(centre_y - side // 2, 0, height - side))
        x0 = int(np.clip(centre_x - side // 2, 0, width - side))
        boxes.append((y0, x0, side, side))
    return boxes


def _fill_crops(model, rgb, hole, device, size: int, margin: float) -> np.ndarray:
    """The ``crop`` strategy: the network's output in every hole and on the ring of pixels around it."""
    fill = rgb.copy()
    near_hole = cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    for top, left, side, _ in _crop_boxes(hole, size, margin):
        window = (slice(top, top + side), slice(left, left + side))
        target = (min(side, size), min(side, size))
        patch = _at_scale(model, rgb[window], hole[window], device, target)
        fill[window] = np.where(near_hole[window][..., None], patch, fill[window])
    return fill


def inpaint(
    image: Image.Image | np.ndarray,
    mask: Image.Image | np.ndarray,
    model: PRFNGenerator | str | Path | None = None,
    strategy: Strategy = "crop",
    device: str = "auto",
    hole: Literal["white", "black"] = "white",
    size: int | None = None,
    resize_limit: int = 512,
    crop_margin: float = 0.5,
    blend: Blend = "poisson",
) -> Image.Image:
    """Fill the hole of ``mask`` in ``image``; returns an RGB PIL image of the input's size.

    ``model``: a ``PRFNGenerator``, a ``pmrf-train`` checkpoint path, or None for the shipped model.
    ``size``: the side the ``crop`` strategy brings each hole's square to; by default the shipped
    model's training size (128) with ``model=None``, else 256. ``blend``: ``poisson`` (default)
    or ``none`` (the raw fill).
    A mask without any hole returns the image unchanged. Raises ``InpaintingInputError`` (one line)
    for sizes that differ, images smaller than 8 pixels a side, or unknown options.
    """
    if strategy not in STRATEGIES:
        raise InpaintingInputError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if blend not in BLENDS:
        raise InpaintingInputError(f"blend must be one of {', '.join(BLENDS)}, got {blend!r}")
    rgb = as_rgb_array(image)
    hole_map = as_hole_array(mask, hole)
    if hole_map.shape != rgb.shape[:2]:
        raise InpaintingInputError(
            f"mask is {hole_map.shape[1]}x{hole_map.shape[0]} but image is {rgb.shape[1]}x{rgb.shape[0]}"
        )
    if min(rgb.shape[:2]) < MULTIPLE:
        raise InpaintingInputError(
            f"image is {rgb.shape[1]}x{rgb.shape[0]}; both sides need {MULTIPLE}+ pixels"
        )
    if not hole_map.any():
        return Image.fromarray(rgb)
    size = size or (SHIPPED_SIZE if model is None else DEFAULT_SIZE)
    torch_device = pick_device(device)
    net = load_model(model, torch_device)
    height, width = hole_map.shape
    if strategy == "original":
        fill = _run_padded(net, rgb, hole_map, torch_device)
    elif strategy == "resize":
        scale = min(1.0, resize_limit / max(height, width))
        target = (max(MULTIPLE, round(height * scale)), max(MULTIPLE, round(width * scale)))
        fill = _at_scale(net, rgb, hole_map, torch_device, target)
    else:
        fill = _fill_crops(net, rgb, hole_map, torch_device, size, crop_margin)
    if blend == "poisson":
        return Image.fromarray(poisson_blend(rgb, fill, hole_map).clip(0, 255).round().astype(np.uint8))
    return Image.fromarray(np.where(hole_map[..., None], fill, rgb))
