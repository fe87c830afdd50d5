"""Pixels in and out, one rule each: reading photos and masks, uint8 ↔ tensor, the size multiple, the device.

Training data, ``pmrf-inpaint``, ``inpaint()``, the app and ``pmrf-eval`` all call these.

* **Images** become (H, W, 3) uint8 RGB: any PIL mode (16-bit and float grey rescaled by their
  range, transparency composited on white), uint8 / uint16 / float-in-[0, 1] arrays.
* **Masks** become (H, W) bool, True in the hole. A mask's grey level (PIL's luma for a colour
  mask, alpha ignored) is scaled by its mode's range (8-bit 255, 16-bit 65535, float 1) and
  thresholded at 50 %; ``hole="white"`` (the default, as IOPaint and the NVIDIA irregular masks)
  makes the bright half the hole, ``"black"`` the dark half.
* **Files** larger than ``MAX_PIXELS`` are refused before they are decoded (decompression bombs);
  an EXIF orientation is applied, so a photo is read the way viewers show it (and its mask is
  drawn on).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MULTIPLE = 8  # the generator halves its input three times: sides must be multiples of 8
MAX_PIXELS = Image.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb threshold, about 89 MP
Hole = Literal["white", "black"]
HOLES: tuple[str, ...] = ("white", "black")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601, the weights of PIL's convert("L")


class InpaintingInputError(ValueError):
    """An image, mask or option that cannot be used, with a one-line reason."""


class UnreadableImageError(InpaintingInputError):
    """An image file that is missing, truncated, corrupt, too large or not an image."""


# --------------------------------------------------------------------------- files


def open_image(path: str | Path, what: str = "image") -> Image.Image:
    """Decode a file fully (truncated files fail here, not later in a worker); one-line errors.

    Files above ``MAX_PIXELS`` are refused from their header, before decoding.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:  # leaving closes the file; the decoded pixels stay
            image.load()
            upright = ImageOps.exif_transpose(image)  # as viewers show it (a phone's rotated JPEG)
        return upright
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImageError(
            f"{what} {path} is larger than the {MAX_PIXELS / 1e6:.0f} MP limit against decompression bombs"
        ) from None
    except UnidentifiedImageError:
        raise UnreadableImageError(
            f"cannot read {what} {path}: not an image file Pillow can decode"
        ) from None
    except (OSError, ValueError, SyntaxError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UnreadableImageError(f"cannot read {what} {path}: {reason}") from None


def load_rgb(path: str | Path) -> Image.Image:
    """An image file as 8-bit RGB PIL image (``to_rgb``); ``UnreadableImageError`` with one line."""
    return to_rgb(open_image(path))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode as 8-bit RGB: 16-bit and 32-bit integer grey by 65535, float grey by [0, 1],
    transparency composited on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        top = 1.0 if image.mode == "F" else 65535.0
        array = np.asarray(image, dtype=np.float64) / top
        image = Image.fromarray((array.clip(0, 1) * 255).round().astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("RGB")


PARTIAL = ".pmrf-partial"  # the suffix of a file written beside its output before the rename


def partial_path(out: Path) -> Path:
    """A hidden file of its own beside ``out``, to write in full before renaming it onto ``out``."""
    return out.with_name(f".{out.name}.{secrets.token_hex(4)}{PARTIAL}")


def write_problem(folder: Path) -> str | None:
    """Why no file can be written in ``folder`` (created if missing), or None when one can."""
    try:
        blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a folder"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as error:
        return str(error.strerror or error)
    return None


# --------------------------------------------------------------------------- images and masks

ImageLike = Image.Image | np.ndarray | str | Path


def _reject_other_types(value: object, what: str) -> None:
    if isinstance(value, Tensor):
        raise InpaintingInputError(
            f"{what} is a torch tensor; pass a PIL image, a file path or an (H, W[, C]) numpy array "
            "(e.g. tensor.permute(1, 2, 0).cpu().numpy())"
        )
    if not isinstance(value, (Image.Image, np.ndarray, str, Path)):
        raise InpaintingInputError(
            f"{what} must be a PIL image, a file path or a numpy array, got {type(value).__name__}"
        )


def _unit_floats(array: np.ndarray, what: str) -> np.ndarray:
    """A float array checked to lie in [0, 1] (the convention of float images and masks)."""
    if array.size == 0:
        raise InpaintingInputError(f"{what} is empty ({array.shape})")
    if not np.isfinite(array).all():
        raise InpaintingInputError(f"{what} has NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise InpaintingInputError(
            f"float {what} must lie in [0, 1], this one spans [{low:g}, {high:g}] (divide 0–255 by 255)"
        )
    return array


def rgb_profile(image: ImageLike) -> bytes | None:
    """The ICC colour profile an RGB result of ``image`` should carry: the input's own when it
    describes RGB (colour space ``RGB `` at byte 16 of the ICC header); None for arrays, files
    without one and grey or CMYK profiles, which would misdescribe RGB pixels. Call after
    ``read_rgb`` (a path is then known to open)."""
    if isinstance(image, (str, Path)):
        with Image.open(image) as opened:  # the header only
            profile = opened.info.get("icc_profile")
    else:
        profile = image.info.get("icc_profile") if isinstance(image, Image.Image) else None
    return profile if isinstance(profile, bytes) and profile[16:20] == b"RGB " else None


def read_rgb(image: ImageLike) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a file path, a PIL image (any mode) or an array: (H, W), (H, W, 1),
    (H, W, 3) or (H, W, 4) of uint8, uint16 (scaled by 65535) or float in [0, 1]."""
    _reject_other_types(image, "image")
    if isinstance(image, (str, Path)):
        return np.asarray(load_rgb(image))
    if isinstance(image, Image.Image):
        return np.asarray(to_rgb(image))
    array = image
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InpaintingInputError(f"image array must be (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype == np.uint16:
        array = (array / 257).round().astype(np.uint8)
    elif array.dtype.kind == "f":
        array = (_unit_floats(array, "image") * 255).round().astype(np.uint8)
    elif array.dtype != np.uint8:
        raise InpaintingInputError(
            f"image arrays must be uint8, uint16 or float in [0, 1], got {array.dtype}"
        )
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)  # already RGB: no copy (callers never write into it)
    return np.asarray(to_rgb(Image.fromarray(np.ascontiguousarray(array))))


def _is_white(mask: Image.Image | np.ndarray) -> np.ndarray:
    """(H, W) bool: the mask's grey level is at least half its mode's range (module docstring).
    Integer levels are compared as integers (128 of 255, 32768 of 65535): no float copy of the mask."""
    if isinstance(mask, Image.Image):
        if mask.mode == "1":
            return np.asarray(mask)
        if mask.mode in ("I;16", "I;16B", "I;16L", "I"):
            return np.asarray(mask) >= 32768
        if mask.mode == "F":
            return _unit_floats(np.asarray(mask), "mask") >= 0.5
        try:
            return np.asarray(mask.convert("L")) >= 128
        except ValueError as error:  # modes Pillow cannot turn grey (LAB)
            raise InpaintingInputError(f"cannot read a {mask.mode} mask: {error}") from None
    array = mask
    if array.ndim == 3:
        if array.shape[2] not in (1, 3, 4):
            raise InpaintingInputError(
                f"mask array must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}"
            )
        if array.shape[2] == 1:
            array = array[..., 0]
        elif array.dtype == np.uint8:
            return _is_white(Image.fromarray(np.ascontiguousarray(array[..., :3])))
        elif array.dtype in (np.uint16, np.bool_) or array.dtype.kind == "f":
            array = (array[..., :3] @ LUMA).astype(np.float32) / (65535 if array.dtype == np.uint16 else 1)
    if array.ndim != 2:
        raise InpaintingInputError(f"mask must be a 2-D image, got shape {mask.shape}")
    if array.dtype == np.bool_:
        return array
    if array.dtype == np.uint8:
        return array >= 128
    if array.dtype == np.uint16:
        return array >= 32768
    if array.dtype.kind == "f":
        return _unit_floats(array, "mask") >= 0.5
    raise InpaintingInputError(
        f"mask arrays must be bool, uint8, uint16 or float in [0, 1], got {array.dtype}"
    )


def read_hole(mask: ImageLike, hole: Hole = "white") -> np.ndarray:
    """(H, W) bool, True in the hole, from a mask file, PIL image or array (module docstring)."""
    if hole not in HOLES:
        raise InpaintingInputError(f"hole must be 'white' or 'black', got {hole!r}")
    _reject_other_types(mask, "mask")
    if isinstance(mask, (str, Path)):
        mask = open_image(mask, "mask")
    white = _is_white(mask)
    return white if hole == "white" else ~white


# --------------------------------------------------------------------------- tensors


def to_tensor(rgb: np.ndarray) -> Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float in [-1, 1], the network's range."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float().div(127.5).sub(1)


def to_uint8(image: Tensor) -> np.ndarray:
    """(3, H, W) or (1, 3, H, W) in [-1, 1] -> (H, W, 3) uint8 (clamped, rounded)."""
    image = image.detach().reshape(image.shape[-3:])
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


def known_mask(hole: np.ndarray) -> Tensor:
    """(H, W) bool hole -> (1, 1, H, W) float mask with 1 = known, the package's tensor convention."""
    return torch.from_numpy(~hole)[None, None].float()


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` takes CUDA, then Apple's MPS, then the CPU; a named device must be there."""
    if isinstance(device, torch.device):
        return device
    if device not in DEVICES:
        raise InpaintingInputError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InpaintingInputError("device cuda requested but no CUDA GPU is visible")
    if device == "mps" and not torch.backends.mps.is_available():
        raise InpaintingInputError("device mps requested but MPS is not available")
    return torch.device(device)


def free_memory(device: torch.device) -> int:
    """Bytes the device can still give: CUDA's free memory, else the host's available memory."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
