"""Build the photo datasets: 256² crops of photographs from Debian packages.

    python tools/build_sample_set.py                # the embedded set, src/pmrf_lightning/data/sample/
    python tools/build_sample_set.py --set photos   # `make data-photos`: 3,350 crops in data/photos/

Needs ``apt-get download`` and ``dpkg -x`` (Debian). Only the photographs listed in ``PHOTOS`` are
used (the packages also hold drawings and abstract art); the ``photos`` set cuts more crops from
them and adds ``EXTRA_PHOTOS`` (Stellarium's photographic landscape panoramas, libjxl's test
photographs). Whole photographs are held out for validation (``VAL_PHOTOS``, the same in both
sets), so no val crop shares a scene with a train crop. Crops are cut at several scales (short side
resized to 256–768 px, never enlarged past the original) with a fixed seed, and only where the photo
is fully opaque; the same packages give the same files. ``SOURCES.md`` and the packages' copyright
files are written beside the images.

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
# only in the bigger `photos` set: package -> (photographs, licence line)
EXTRA_PHOTOS = {
    "stellarium-data": (
        [f"usr/share/stellarium/landscapes/garching/garching-gl{k}.png" for k in range(1, 5)]
        + [f"usr/share/stellarium/landscapes/hurricane/hurricane{k}.png" for k in range(1, 9)]
        + ["usr/share/stellarium/landscapes/mars/mars.png"],
        "see the landscape's landscape.ini author (GPL-2+, copyright-stellarium-data.txt)",
    ),
    "libjxl-testdata": (
        [
            f"usr/share/libjxl-testdata/external/wesaturate/500px/{name}_srgb8.png"
            for name in ("cvo9xd_keong_macan", "tmshre_riaphotographs", "u76c0g_bliznaca")
        ]
        + ["usr/share/libjxl-testdata/jxl/flower/flower.png"],
        "wesaturate: CC0; flower: the JPEG XL Project Authors (BSD-3-clause)",
    ),
}
VAL_PHOTOS = {"Storm", "Path", "ColorfulCups"}
# --set: default output folder, crops per train photograph, crops per val photograph, extra packages
SETS = {
    "sample": (DEFAULT_OUT, 13, 13, False),
    "photos": (REPO / "data" / "photos", 120, 40, True),
}


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


def photo_file(tree: Path, entry: str, licence: str) -> tuple[Path, str, str]:
    """The largest image of an entry, its name, and its author/licence line."""
    path = tree / entry
    if path.is_file():
        return path, path.stem, licence
    images = sorted((path / "contents" / "images").iterdir(), key=lambda p: p.stat().st_size)
    metadata = json.loads((path / "metadata.json").read_text())["KPlugin"]
    authors = ", ".join(a.get("Name", "?") for a in metadata.get("Authors", []))
    return images[-1], path.name, f"{authors} ({metadata.get('License', '?')})"


def crops(photo: Path, count: int, rng: random.Random) -> list[Image.Image]:
    """``count`` random crops at the scales of ``SHORT_SIDES`` (never enlarging a photo past its
    original size unless it is smaller than a crop); crops touching transparent pixels are redrawn."""
    with Image.open(photo) as image:
        image = image.convert("RGBA")
    sides = [s for s in SHORT_SIDES if s <= min(image.size)] or [CROP]
    scaled = {}
    for side in sides:
        scale = side / min(image.size)
        scaled[side] = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    out = []
    for k in range(count):
        resized = scaled[sides[k % len(sides)]]
        for _ in range(100):
            left = rng.randint(0, resized.width - CROP)
            top = rng.randint(0, resized.height - CROP)
            crop = resized.crop((left, top, left + CROP, top + CROP))
            if crop.getchannel("A").getextrema()[0] == 255:
                out.append(crop.convert("RGB"))
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=sorted(SETS), default="sample", help="which dataset to build")
    parser.add_argument("--out", type=Path, help="output folder (default: the set's folder)")
    parser.add_argument("--crops", type=int, help="crops per train photograph (default: the set's)")
    parser.add_argument("--quality", type=int, default=88, help="JPEG quality")
    args = parser.parse_args()
    default_out, train_crops, val_crops, extra = SETS[args.set]
    args.out = args.out or default_out
    train_crops = args.crops or train_crops
    # a Plasma wallpaper names its author and licence in its metadata; mate-backgrounds does not
    mate_licence = "see copyright-mate-backgrounds.txt (GPL-2+)"
    packages = {package: (entries, mate_licence) for package, entries in PHOTOS.items()}
    if extra:
        packages.update(EXTRA_PHOTOS)
    digits = len(str(max(train_crops, val_crops) - 1))

    rng = random.Random(SEED)
    for split in ("train", "val"):
        shutil.rmtree(args.out / split, ignore_errors=True)
        (args.out / split).mkdir(parents=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, (entries, licence) in packages.items():
            tree, version = download(package, Path(tmp))
            copyright_file = tree / "usr" / "share" / "doc" / package / "copyright"
            shutil.copy(copyright_file, args.out / f"copyright-{package}.txt")
            for entry in entries:
                photo, name, credit = photo_file(tree, entry, licence)
                split = "val" if name in VAL_PHOTOS else "train"
                cut = crops(photo, val_crops if split == "val" else train_crops, rng)
                for k, crop in enumerate(cut):
                    crop.save(args.out / split / f"{name}_{k:0{digits}d}.jpg", quality=args.quality)
                rows.append(f"| {name} | {split} | {len(cut)} | {package} {version} | /{entry} | {credit} |")

    sources = [
        f"# Sources of the `{args.set}` photo set",
        "",
        f"{CROP}² JPEG crops (quality {args.quality}) of photographs from Debian packages, cut at short",
        f"sides {', '.join(map(str, SHORT_SIDES))} px with seed {SEED} by `tools/build_sample_set.py`.",
        "The photographs keep their licences (GPL-2+ for mate-backgrounds and Stellarium, LGPL-3 for the",
        "Plasma wallpapers, CC0 / BSD-3-clause for libjxl's test photos); the packages' copyright files",
        "are beside this file.",
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
