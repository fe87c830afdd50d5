"""Rebuild the embedded ``sample`` dataset: 256² crops of photographs from Debian wallpaper packages.

    python tools/build_sample_set.py                      # writes src/pmrf_lightning/data/sample/
    python tools/build_sample_set.py --crops 40 --out /data/photos   # a bigger set, same photos

Needs ``apt-get download`` and ``dpkg -x`` (Debian). Only the photographs listed in ``PHOTOS`` are
used (the packages also hold drawings and abstract art). Whole photographs are held out for
validation (``VAL_PHOTOS``), so no val crop shares a scene with a train crop. Crops are cut at
several scales (short side resized to 256–768 px) with a fixed seed; the same packages give the
same files. ``SOURCES.md`` and the packages' copyright files are written beside the images.

Never add Debian's ``opencv-doc`` or ``lomiri-wallpapers*`` photos or scikit-image's data here:
they are reserved for independent evaluation.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "pmrf_lightning" / "data" / "sample"
CROP = 256
SHORT_SIDES = (256, 384, 512, 768)
SEED = 2021

# package -> photographs (paths inside the package); everything else in them is artwork
PHOTOS = {
    "mate-backgrounds": [
        f"usr/share/backgrounds/mate/nature/{name}.jpg"
        for name in (
            "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow",
            "LadyBird", "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower",
        )
    ],
    "plasma-workspace-wallpapers": [
        f"usr/share/wallpapers/{name}"
        for name in (
            "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
            "Grey", "Kite", "OneStandsOut", "Path", "summer_1am",
        )
    ],
}  # fmt: skip
VAL_PHOTOS = {"Storm", "Path", "ColorfulCups"}


def download(package: str, workdir: Path) -> tuple[Path, str]:
    """apt-get download + dpkg -x; returns the extracted tree and the package version."""
    subprocess.run(["apt-get", "download", package], cwd=workdir, check=True, capture_output=True)
    deb = next(workdir.glob(f"{package}_*.deb"))
    tree = workdir / package
    subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True)
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return tree, version


def photo_file(tree: Path, entry: str) -> tuple[Path, str, str]:
    """The largest image of an entry, its name, and its author/licence line."""
    path = tree / entry
    if path.is_file():
        return path, path.stem, "see copyright-mate-backgrounds.txt (GPL-2+)"
    images = sorted((path / "contents" / "images").iterdir(), key=lambda p: p.stat().st_size)
    metadata = json.loads((path / "metadata.json").read_text())["KPlugin"]
    authors = ", ".join(a.get("Name", "?") for a in metadata.get("Authors", []))
    return images[-1], path.name, f"{authors} ({metadata.get('License', '?')})"


def crops(photo: Path, count: int, rng: random.Random) -> list[Image.Image]:
    with Image.open(photo) as image:
        image = image.convert("RGB")
    out = []
    for k in range(count):
        short = SHORT_SIDES[k % len(SHORT_SIDES)]
        scale = short / min(image.size)
        resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        left = rng.randint(0, resized.width - CROP)
        top = rng.randint(0, resized.height - CROP)
        out.append(resized.crop((left, top, left + CROP, top + CROP)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--crops", type=int, default=13, help="crops per photograph")
    parser.add_argument("--quality", type=int, default=88, help="JPEG quality")
    args = parser.parse_args()

    rng = random.Random(SEED)
    for split in ("train", "val"):
        shutil.rmtree(args.out / split, ignore_errors=True)
        (args.out / split).mkdir(parents=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, entries in PHOTOS.items():
            tree, version = download(package, Path(tmp))
            copyright_file = tree / "usr" / "share" / "doc" / package / "copyright"
            shutil.copy(copyright_file, args.out / f"copyright-{package}.txt")
            for entry in entries:
                photo, name, credit = photo_file(tree, entry)
                split = "val" if name in VAL_PHOTOS else "train"
                for k, crop in enumerate(crops(photo, args.crops, rng)):
                    crop.save(args.out / split / f"{name}_{k:02d}.jpg", quality=args.quality)
                rows.append(
                    f"| {name} | {split} | {args.crops} | {package} {version} | /{entry} | {credit} |"
                )

    sources = [
        "# Sources of the embedded sample set",
        "",
        f"{CROP}² JPEG crops (quality {args.quality}) of photographs from Debian packages, cut at short",
        f"sides {', '.join(map(str, SHORT_SIDES))} px with seed {SEED} by `tools/build_sample_set.py`.",
        "The photographs keep their licences (GPL-2+ for mate-backgrounds, LGPL-3 for the Plasma",
        "wallpapers); the packages' copyright files are beside this file.",
        "",
        "| photo | split | crops | package | path in package | author (licence) |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    (args.out / "SOURCES.md").write_text("\n".join(sources))
    total = sum(1 for _ in args.out.rglob("*.jpg"))
    size = sum(p.stat().st_size for p in args.out.rglob("*.jpg")) / 2**20
    print(f"wrote {total} crops ({size:.1f} MiB) to {args.out}")


if __name__ == "__main__":
    main()
