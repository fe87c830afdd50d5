"""Reading photographs: any mode PIL opens (greyscale, palette, RGBA, 16-bit, CMYK) becomes 8-bit RGB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class UnreadableImageError(ValueError):
    """An image file that is missing, truncated, corrupt or not an image."""


def load_rgb(path: str | Path) -> Image.Image:
    """Decode a file fully into an 8-bit RGB image; raise ``UnreadableImageError`` with one line.

    16-bit and float greyscale are rescaled to 8 bits by their full range (65535 or [0, 1]);
    transparency is composited on white.
    """
    try:
        with Image.open(path) as image:
            image.load()  # decode now: truncated files fail here, not later in a worker
            return to_rgb(image)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as error:
        raise UnreadableImageError(f"cannot read image {path}: {error}") from None


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64) / 65535.0
        image = Image.fromarray((array.clip(0, 1) * 255).round().astype(np.uint8), mode="L")
    elif image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        image = Image.fromarray((array.clip(0, 1) * 255).round().astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("RGB")
