"""``pmrf-inpaint``: fill holes in photos from the command line.

    pmrf-inpaint --image photo.jpg --mask mask.png --out result.png --checkpoint model.ckpt
    pmrf-inpaint --images photos/ --masks masks/ --out results/ --checkpoint model.ckpt

Masks mark the hole in white (``--hole black`` flips it) and are thresholded at 50 %. In folder
mode, each image is paired with the mask of the same file stem; a file that fails is reported on
one line and the others are still done. Outputs appear only when complete (written to a
temporary file, then renamed). Exit status: 0 when everything was written, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from PIL import Image
from rich.progress import track

from ..data.image_io import IMAGE_SUFFIXES, UnreadableImageError, load_rgb
from ..inference import (
    BLENDS,
    STRATEGIES,
    InpaintingInputError,
    as_hole_array,
    inpaint,
    load_model,
    pick_device,
)


def write_atomically(image: Image.Image, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=out.suffix or ".png", dir=out.parent)
    os.close(handle)
    try:
        image.save(temporary)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def inpaint_file(image_path: Path, mask_path: Path, out: Path, model, args: argparse.Namespace) -> str | None:
    """Inpaint one pair; returns a note for the user, or None."""
    image = load_rgb(image_path)
    try:
        with Image.open(mask_path) as mask_file:
            mask = mask_file.convert("L")
    except OSError as error:
        raise UnreadableImageError(f"cannot read mask {mask_path}: {error}") from None
    result = inpaint(image, mask, model, args.strategy, args.device, args.hole, blend=args.blend)
    write_atomically(result, out)
    if not as_hole_array(mask, args.hole).any():
        return f"{mask_path} has no hole; wrote {image_path} unchanged"
    return None


def pairs(images: Path, masks: Path, out: Path) -> list[tuple[Path, Path | None, Path]]:
    """(image, mask or None, output) for every image of the folder, matched by file stem."""
    mask_by_stem = {p.stem: p for p in masks.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    files = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [(p, mask_by_stem.get(p.stem), out / f"{p.stem}.png") for p in files]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", type=Path)
    parser.add_argument("--mask", type=Path)
    parser.add_argument("--images", type=Path, help="folder of images (folder mode)")
    parser.add_argument("--masks", type=Path, help="folder of masks, same file stems (folder mode)")
    parser.add_argument("--out", type=Path, required=True, help="output file, or folder in folder mode")
    parser.add_argument("--checkpoint", type=Path, default=None, help="a pmrf-train checkpoint")
    parser.add_argument("--strategy", choices=STRATEGIES, default="crop")
    parser.add_argument(
        "--blend", choices=BLENDS, default="poisson", help="Poisson-blend the fill into the photo, or not"
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument(
        "--hole", choices=["white", "black"], default="white", help="colour of the hole in masks"
    )
    args = parser.parse_args(argv)
    single = args.image is not None or args.mask is not None
    folder = args.images is not None or args.masks is not None
    if (
        single == folder
        or (single and not (args.image and args.mask))
        or (folder and not (args.images and args.masks))
    ):
        print("error: give --image and --mask, or --images and --masks", file=sys.stderr)
        return 2
    try:
        model = load_model(args.checkpoint, pick_device(args.device))
    except (FileNotFoundError, InpaintingInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if single:
        jobs = [(args.image, args.mask, args.out)]
    elif not args.images.is_dir() or not args.masks.is_dir():
        print(f"error: {args.images} and {args.masks} must both be folders", file=sys.stderr)
        return 1
    else:
        jobs = pairs(args.images, args.masks, args.out)
    failures = 0
    for image_path, mask_path, out in track(jobs, description="inpainting", disable=single):
        try:
            if mask_path is None:
                raise InpaintingInputError(f"no mask named {image_path.stem}.* in {args.masks}")
            note = inpaint_file(image_path, mask_path, out, model, args)
            if note:
                print(f"note: {note}", file=sys.stderr)
        except (InpaintingInputError, UnreadableImageError, OSError) as error:
            failures += 1
            print(f"error: {image_path.name}: {error}", file=sys.stderr)
    if not single:
        print(f"wrote {len(jobs) - failures} of {len(jobs)} images to {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
