"""``pmrf-inpaint``: fill holes in photos from the command line.

    pmrf-inpaint --image photo.jpg --mask mask.png --out result.png [--checkpoint model.ckpt]
    pmrf-inpaint --images photos/ --masks masks/ --out results/ [--dilate 4]

Masks mark the hole in white (``--hole black`` flips it), any bit depth, thresholded at 50 %.
Folder mode pairs each image with the mask of the same file stem and writes ``<stem>.png``; two
images of one stem (``dup.jpg``, ``dup.png``) are written apart as ``dup.jpg.png`` and
``dup.png.png`` (names that would still clash are refused). A file that fails is reported on one
line and the others are still done. Outputs: PNG, TIFF, BMP, lossless WebP (faithful), or JPEG
(quality 95: lossy, so the known pixels change slightly).

Nothing is overwritten or half-written: the output format is checked before any work; ``--out``
may not be an input (file or folder); an output appears only when complete (written to
``.<name>.<random>.pmrf-partial``, then renamed; a later run removes partial files older than a
minute that a killed run left in its output folder), with the permissions the umask allows; the
output folder is checked to be writable before any work.
Exit status: 0 when every output was written, 1 otherwise (one line says why), 2 when the
arguments name neither mode.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image
from rich.progress import track

from ..blending import BLENDS
from ..imaging import (
    DEVICES,
    HOLES,
    IMAGE_SUFFIXES,
    PARTIAL,
    InpaintingInputError,
    partial_path,
    write_problem,
)
from ..inference import STRATEGIES, Inpainter

STALE_SECONDS = 60  # a partial file lives for one save: older ones were left by a killed run
# the formats a result may be written in, with the options that keep it faithful
OUTPUT_FORMATS = {".png": ("PNG", {}), ".tif": ("TIFF", {}), ".tiff": ("TIFF", {}), ".bmp": ("BMP", {}),
                  ".webp": ("WEBP", {"lossless": True}), ".jpg": ("JPEG", {"quality": 95}),
                  ".jpeg": ("JPEG", {"quality": 95})}  # fmt: skip


PROFILE_FORMATS = ("PNG", "TIFF", "WEBP", "JPEG")  # the OUTPUT_FORMATS that embed an ICC profile


def output_format(path: Path) -> tuple[str, dict]:
    """The Pillow format and save options for ``path``'s extension, or a one-line error."""
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise InpaintingInputError(f"cannot write {path.name}: use {', '.join(OUTPUT_FORMATS)}")
    return OUTPUT_FORMATS[path.suffix.lower()]


def write_atomically(image: Image.Image, out: Path) -> str | None:
    """Write to a hidden partial file beside ``out`` (created with the umask's permissions), then
    rename. The image's ICC profile goes with it; returns a note when the format cannot keep one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    format_name, options = output_format(out)
    profile, note = image.info.get("icc_profile"), None
    if profile is not None and format_name in PROFILE_FORMATS:
        options = {**options, "icc_profile": profile}
    elif profile is not None:
        note = f"{format_name} keeps no colour profile: the photo's ICC profile is not in {out.name}"
    partial = partial_path(out)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            image.save(handle, format=format_name, **options)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return note


def remove_partials(folder: Path) -> int:
    """Delete the partial files that a killed run left in ``folder`` (older than ``STALE_SECONDS``,
    so a run still writing there keeps its own); returns how many."""
    if not folder.is_dir():
        return 0
    now = time.time()
    stale = [
        p for p in folder.glob(f".*{PARTIAL}") if p.is_file() and now - p.stat().st_mtime > STALE_SECONDS
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def check_output_folder(folder: Path) -> None:
    """``folder`` exists or can be made, and takes a file: else one line before any work."""
    if folder.exists() and not folder.is_dir():
        raise InpaintingInputError(f"--out {folder} is a file, not a folder")
    problem = write_problem(folder)
    if problem is not None:
        raise InpaintingInputError(f"cannot write to {folder}: {problem}")


def _same(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def folder_jobs(images: Path, masks: Path, out: Path) -> list[tuple[Path, Path | None, Path]]:
    """(image, mask or None, output) for every image of ``images``, matched by file stem."""
    for folder in (images, masks):
        if not folder.is_dir():
            raise InpaintingInputError(f"{folder} is not a folder")
    if _same(images, masks):
        raise InpaintingInputError(
            f"--images and --masks are both {images}: every photo would be its own mask"
        )
    if _same(out, images) or _same(out, masks):
        raise InpaintingInputError(f"--out {out} is an input folder; results would overwrite inputs")
    files = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InpaintingInputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {images}")
    mask_files: dict[str, list[Path]] = {}
    for path in sorted(masks.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            mask_files.setdefault(path.stem, []).append(path)
    stems = Counter(p.stem for p in files)
    jobs = []
    for path in files:
        name = f"{path.stem}.png" if stems[path.stem] == 1 else f"{path.name}.png"
        candidates = mask_files.get(path.stem, [])
        jobs.append((path, candidates[0] if len(candidates) == 1 else None, out / name))
    names = Counter(job[2].name.casefold() for job in jobs)
    clashes = sorted(job[0].name for job in jobs if names[job[2].name.casefold()] > 1)
    if clashes:
        raise InpaintingInputError(f"{', '.join(clashes)} would write one output name; rename one of them")
    return jobs


def _missing_mask(image: Path, masks: Path) -> str:
    found = sorted(p.name for p in masks.iterdir() if p.stem == image.stem)
    if found:
        return f"{len(found)} masks named {image.stem}.* in {masks} ({', '.join(found)}); keep one"
    return f"no mask named {image.stem}.* in {masks}"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace | None:
    """The arguments, or None (after one line on stderr) when neither mode is given completely."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", type=Path)
    parser.add_argument("--mask", type=Path)
    parser.add_argument("--images", type=Path, help="folder of images (folder mode)")
    parser.add_argument("--masks", type=Path, help="folder of masks, same file stems (folder mode)")
    parser.add_argument("--out", type=Path, required=True, help="output file, or folder in folder mode")
    parser.add_argument(
        "--checkpoint", type=Path, default=None, help="a pmrf-train checkpoint (default: shipped)"
    )
    parser.add_argument("--strategy", choices=STRATEGIES, default="crop")
    parser.add_argument("--blend", choices=BLENDS, default="poisson", help="Poisson-blend the fill, or not")
    parser.add_argument("--device", default="auto", choices=DEVICES)
    parser.add_argument("--hole", choices=HOLES, default="white", help="colour of the hole in masks")
    parser.add_argument("--dilate", type=int, default=0, help="grow the hole by N pixels (negative: shrink)")
    args = parser.parse_args(argv)
    single = args.image is not None or args.mask is not None
    folder = args.images is not None or args.masks is not None
    if (
        single == folder
        or (single and not (args.image and args.mask))
        or (folder and not (args.images and args.masks))
    ):
        print("error: give --image and --mask, or --images and --masks", file=sys.stderr)
        return None
    args.single = single
    return args


def plan(args: argparse.Namespace) -> list[tuple[Path, Path | None, Path]]:
    """Every (image, mask, output) to do, refused before any work when it would lose a file."""
    if not args.single:
        jobs = folder_jobs(args.images, args.masks, args.out)
        check_output_folder(args.out)
        return jobs
    if args.out.is_dir():
        raise InpaintingInputError(f"--out {args.out} is a folder; give a file name such as result.png")
    output_format(args.out)
    if _same(args.image, args.mask):
        raise InpaintingInputError(
            f"--image and --mask are both {args.image}: the photo would be its own mask"
        )
    for given in (args.image, args.mask):
        if _same(args.out, given):
            raise InpaintingInputError(f"--out {args.out} is an input; the result would overwrite it")
    check_output_folder(args.out.parent)
    return [(args.image, args.mask, args.out)]


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args is None:
        return 2
    try:
        jobs = plan(args)
        inpainter = Inpainter(args.checkpoint, args.device)
    except InpaintingInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    folders = {out.parent for _, _, out in jobs}
    removed = sum(remove_partials(folder) for folder in folders)
    if removed:
        print(f"note: removed {removed} partial files an interrupted run left", file=sys.stderr)
    written = 0
    for image, mask, out in track(jobs, description="inpainting", disable=args.single):
        try:
            if mask is None:
                raise InpaintingInputError(_missing_mask(image, args.masks))
            result = inpainter(image, mask, args.strategy, args.blend, args.hole, args.dilate)
            profile_note = write_atomically(result.image, out)
            written += out.is_file()
            for note in (result.note, profile_note):
                if note:
                    print(f"note: {image.name}: {note}", file=sys.stderr)
        except (InpaintingInputError, OSError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            print(f"error: {image.name}: {reason}", file=sys.stderr)
    if not args.single:
        print(f"wrote {written} of {len(jobs)} images to {args.out}")
    return 0 if written == len(jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
