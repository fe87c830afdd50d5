"""Build the photo datasets: 256² crops of photographs from Debian packages.

    python tools/build_sample_set.py                     # the embedded set, src/pmrf_lightning/data/sample/
    python tools/build_sample_set.py --set photos        # `make data-photos`: 3,350 crops in data/photos/
    python tools/build_sample_set.py --set photos_large  # 10,897 crops of 175 photos, data/photos_large/

Needs ``apt-get download`` and ``dpkg -x`` (Debian). Only the photographs listed in ``PHOTOS`` are
used (the packages also hold drawings and abstract art); the ``photos`` set cuts more crops from
them and adds ``EXTRA_PHOTOS`` (Stellarium's photographic landscape panoramas, libjxl's test
photographs); ``photos_large`` adds ``LARGE_PHOTOS`` too, 135 photographs from 13 more packages
(GCompris's Wikimedia Commons photos, LXQt's wallpapers, Palapeli's puzzles, ...). Whole
photographs are held out for validation (``VAL_PHOTOS`` in every set, plus ``LARGE_VAL_PHOTOS`` in
``photos_large``), so no val crop shares a scene with a train crop. Crops are cut at several scales
(short side resized to 256–768 px, never enlarged past the original; photos under 256 px are
skipped) with a fixed seed, and only where the photo is fully opaque; the same packages give the same
files. ``SOURCES.md`` and the packages' copyright files are written beside the images.

Never add Debian's ``opencv-doc`` or ``lomiri-wallpapers*`` photos or scikit-image's data here:
they are reserved for independent evaluation.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import NamedTuple

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
# a Plasma wallpaper names its author and licence in its metadata; mate-backgrounds does not
MATE_LICENCE = "see copyright-mate-backgrounds.txt (GPL-2+)"
# only in `photos_large`: package -> (photographs, licence line). An entry `FILE.rcc:/PATH` is an image
# inside a Qt resource file (GCompris keeps each activity's data so, with a README naming every photo's
# author, licence and source); a KDE puzzle's .desktop file names its photo's author and licence.
GCOMPRIS = "usr/share/gcompris-qt/rcc/{0}.rcc:/gcompris/src/activities/{0}/resource/{1}.webp"
LARGE_PHOTOS = {
    "lxqt-themes": (
        [
            f"usr/share/lxqt/wallpapers/{name}"
            for name in (
                "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
                "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
                "this-is-not-windows.jpg",
            )
        ],
        "stefonarch and the LXQt team (CC-BY-SA-3.0, /usr/share/lxqt/wallpapers/License)",
    ),
    "palapeli-data": (
        [
            f"usr/share/palapeli/collection/{name}.jpg"
            for name in (
                "cincinnati-bridge", "citrus-fruits", "european-honey-bee",  # not the two GFDL ones
            )
        ],
        "see the puzzle's .desktop file",
    ),
    "scribus-template": (
        [
            f"usr/share/scribus/templates/{name}"
            for name in (
                "br2/halfmoon.jpg", "br2/moon.jpg", "br2/nature.jpg", "br2/sunset.jpg", "cal2/moon.jpg",
                "menu2/pizza.jpg", "nl1-bw/kites-bw.png",
            )
        ],
        "Riku Leino (public domain)",
    ),
    "python3-sklearn": (
        [f"usr/lib/python3/dist-packages/sklearn/datasets/images/{n}.jpg" for n in ("china", "flower")],
        "danielbuechele, vultilion on Flickr (CC-BY-2.0, sklearn/datasets/images/README.txt)",
    ),
    "python-matplotlib-data": (
        ["usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"],
        "James S. Davis, US Navy (public domain)",
    ),
    "golang-golang-x-image-dev": (  # not yellow_rose.png: its background is transparent
        [
            f"usr/share/gocode/src/golang.org/x/image/testdata/{name}"
            for name in ("blue-purple-pink-large.png", "go-turns-two-280x360.jpeg")
        ],
        "The Go Authors (BSD-3-clause)",
    ),
    "golang-github-disintegration-imaging-dev": (
        [
            f"usr/share/gocode/src/github.com/disintegration/imaging/testdata/{name}.png"
            for name in ("branches", "flowers")
        ],
        "Grigory Dryapak (Expat)",
    ),
    "hugin-data": (
        [f"usr/share/hugin/xrc/data/help_en_EN/{name}.jpg" for name in ("CA_fringes00", "CA_tCA00")],
        "the Hugin authors (GPL-2+)",
    ),
    "sddm-theme-maldives": (
        ["usr/share/sddm/themes/maldives/background.jpg"],
        "Nevit Dilmen (CC-BY-3.0)",
    ),
    "digikam-data": (["usr/share/digikam/about/images/body-background.jpg"], "the digiKam team (GPL-2+)"),
    "afterstep-data": (["usr/share/afterstep/desktop/tiles/rose512.jpg"], "Sasha Vasko, AfterStep (GPL-2+)"),
    "tuxtype-data": (
        ["usr/share/tuxtype/images/hidden.jpg"],
        "NOAA / US Fish and Wildlife Service (public domain, tuxtype's README_IMAGES.TXT)",
    ),
    "gcompris-qt-data": (  # not redPyramid, scarlet_macaw, cat, duck, owl, middleeast: too compressed
        [
            GCOMPRIS.format("explore_monuments", name)
            for name in (
                "egypt/bentPyramid", "egypt/greatPyramidOfGiza", "egypt/meidumPyramid",
                "france/arlesAmphitheater", "france/chateaudeChambord", "france/chateaudeChenonceau",
                "france/citedeCarcassonne", "france/eiffelTower", "france/montStMichel",
                "france/palaisdesPapes", "france/pontduGard", "france/reimsCathedral", "france/rocamadour",
                "germany/aulaPalatina", "germany/berlinCathedral", "germany/brandenburgGate",
                "germany/neuschwansteinCastle", "germany/schwerinPalace", "germany/trierImperialBaths",
                "germany/wormsCathedral", "india/ajantaCave", "india/charminar", "india/gatewayofIndia",
                "india/goldenTemple", "india/greatStupa", "india/hawaMahal", "india/konarkSunTemple",
                "india/mysorePalace", "india/qutubMinar", "india/rangGhar", "india/victoriaMemorial",
                "usa/cabrillo", "usa/canyondeChelly", "usa/castillodeSanMarcos", "usa/castleClinton",
                "usa/fortSumter", "usa/georgeWashingtonBirthplace", "usa/lincolnMemorial",
                "usa/mountRushmore", "usa/navajo", "usa/statueofLiberty", "wonders/chichenItza",
                "wonders/christTheRedeemer", "wonders/colosseum", "wonders/greatWallofChina",
                "wonders/machuPicchu", "wonders/petra", "wonders/tajMahal",
            )
        ]
        + [
            GCOMPRIS.format("explore_world_animals", f"animals/{name}")
            for name in (
                "bison", "chameleon", "crocodile", "dragon", "giraffe", "hedgehog", "jaguar", "kangaroo",
                "koala", "lemur", "moose", "narwhal", "panda", "polar_bear",
            )
        ]
        + [
            GCOMPRIS.format("explore_farm_animals", f"animals/{name}")
            for name in ("chicken", "cow", "dog", "horse", "pig", "sheep")
        ]
        + [
            GCOMPRIS.format("explore_world_music", f"music/{name}")
            for name in ("africa", "america", "australia", "ireland", "italy", "japan", "mexico", "orchestra")
        ]
        + [
            GCOMPRIS.format("erase", name)
            for name in (
                "alpaca", "bee", "butterfly", "calf", "camels", "caterpillar", "chamaeleon", "cheetah",
                "crab", "dolphin", "flying_fox", "gibbon", "giraffe", "goat", "gorilla", "gosling", "heron",
                "horse", "kingfisher", "kitten", "long_nosed_monkey", "macaque", "meerkats",
                "northern_harrier", "nubian_ibex", "penguin", "pika", "red_panda", "rhinoceros",
                "spoonbills", "squirrel", "swans", "toucan",
            )
        ],
        "see the activity's resource README (credits-gcompris-qt-data.txt)",
    ),
}  # fmt: skip
VAL_PHOTOS = {"Storm", "Path", "ColorfulCups"}
# held out too in `photos_large`: whole photographs of five of its new packages, none like a train photo
LARGE_VAL_PHOTOS = {"after-the-rain", "citrus-fruits", "hawaMahal", "hedgehog"}
# Stellarium's Hurricane Ridge panels have a transparent sky in every 256² window: no crop, so not counted
NO_OPAQUE_CROP = {f"hurricane{k}" for k in range(1, 9)}


class PhotoSet(NamedTuple):
    out: Path  # default output folder
    train_crops: int  # crops per train photograph
    val_crops: int  # crops per val photograph
    tables: tuple[dict, ...]  # package tables, read in this order
    val: frozenset[str] = frozenset(VAL_PHOTOS)  # whole photographs held out for validation
    skip: frozenset[str] = frozenset()  # photographs of those tables that this set leaves out


SETS = {
    "sample": PhotoSet(DEFAULT_OUT, 13, 13, (PHOTOS,)),
    "photos": PhotoSet(REPO / "data" / "photos", 120, 40, (PHOTOS, EXTRA_PHOTOS)),
    "photos_large": PhotoSet(
        REPO / "data" / "photos_large",
        64,
        40,
        (PHOTOS, EXTRA_PHOTOS, LARGE_PHOTOS),
        frozenset(VAL_PHOTOS | LARGE_VAL_PHOTOS),
        frozenset(NO_OPAQUE_CROP),
    ),
}


class Photo(NamedTuple):
    package: str
    entry: str  # path in the package (see LARGE_PHOTOS)
    licence: str  # the table's author/licence line
    name: str  # unique in its set: names the crops
    split: str  # "train" or "val"


def photo_list(photo_set: PhotoSet) -> list[Photo]:
    """The photographs of a set, in build order; needs no download. A name already taken in the set
    is prefixed with its folder (its activity, inside a .rcc file)."""
    photos, names = [], set()
    for table in photo_set.tables:
        for package, value in table.items():
            entries, licence = (value, MATE_LICENCE) if isinstance(value, list) else value
            for entry in entries:
                inside = entry.split(".rcc:", 1)
                name = Path(inside[-1]).stem
                if name in photo_set.skip:
                    continue
                if name in names:
                    folder = Path(inside[0]).stem if len(inside) == 2 else Path(entry).parent.name
                    name = f"{folder}-{name}"
                if name in names:
                    raise ValueError(f"two photographs named {name} in one set")
                names.add(name)
                split = "val" if name in photo_set.val else "train"
                photos.append(Photo(package, entry, licence, name, split))
    return photos


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


@functools.lru_cache(maxsize=4)
def rcc_files(path: Path) -> dict[str, bytes]:
    """The files of a Qt resource file (.rcc, formats 1-3, stored plain or zlib-compressed) by path."""
    data = path.read_bytes()
    if data[:4] != b"qres":
        raise ValueError(f"{path} is not a Qt resource file")
    version, tree, payload, names = struct.unpack(">4I", data[4:20])
    size = 14 if version == 1 else 22  # a tree node; version 2 adds the modification time

    def name(offset: int) -> str:
        (length,) = struct.unpack(">H", data[names + offset : names + offset + 2])
        return data[names + offset + 6 : names + offset + 6 + 2 * length].decode("utf-16-be")

    files = {}

    def walk(node: int, prefix: str) -> None:
        offset, flags = struct.unpack(">IH", data[tree + node * size : tree + node * size + 6])
        path = f"{prefix}/{name(offset)}" if node else ""
        if flags & 2:  # a directory: its children are consecutive nodes
            count, first = struct.unpack(">II", data[tree + node * size + 6 : tree + node * size + 14])
            for child in range(first, first + count):
                walk(child, path)
            return
        (start,) = struct.unpack(">I", data[tree + node * size + 10 : tree + node * size + 14])
        (length,) = struct.unpack(">I", data[payload + start : payload + start + 4])
        blob = data[payload + start + 4 : payload + start + 4 + length]
        if flags & 4:
            raise ValueError(f"{path} is zstd-compressed: not read here")
        files[path] = zlib.decompress(blob[4:]) if flags & 1 else blob

    walk(0, "")
    return files


def readme_credit(files: dict[str, bytes], inner: str) -> str | None:
    """A GCompris image's "author (licence, source)" from the nearest resource README naming it."""
    folder = inner.rsplit("/", 1)[0]
    while folder.count("/") > 3:  # up to /gcompris/src/activities/ACTIVITY
        for block in files.get(f"{folder}/README", b"").decode().split("\n\n"):
            fields, listed = {}, []
            for line in block.splitlines():
                key, colon, value = line.partition(":")
                if colon and key in ("Copyright", "License", "Source", "Comments", "Files"):
                    fields[key] = value.strip()
                    listed += [value.strip()] if key == "Files" and value.strip() else []
                elif line.strip():
                    listed.append(line.strip())
            if inner[len(folder) + 1 :] in listed:
                author, licence = fields.get("Copyright", "?"), fields.get("License", "?")
                return f"{author} ({licence}, {fields.get('Source', '')})"
        folder = folder.rsplit("/", 1)[0]
    return None


def rcc_credits(rcc: Path) -> str:
    """What a GCompris activity credits: its resource READMEs and its ActivityInfo credit list."""
    out = []
    for path, blob in rcc_files(rcc).items():
        if path.endswith("/README"):
            out += [f"## {path}", "", blob.decode().strip(), ""]
        elif path.endswith("/ActivityInfo.qml") and "credit:" in (text := blob.decode()):
            items = re.findall(r"\('(.+?)'\)", text.split("credit:", 1)[1].split("\n  section:")[0])
            out += [f"## {path}", "", *items, ""] if items else []
    return "\n".join(out)


def photo_file(tree: Path, entry: str, licence: str) -> tuple[Path, str]:
    """The largest image of an entry, and its author/licence line."""
    if ".rcc:" in entry:  # an image inside a Qt resource file: extracted beside the package's tree
        rcc, inner = entry.split(":", 1)
        files = rcc_files(tree / rcc)
        path = tree / "rcc-files" / inner.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[inner])
        return path, readme_credit(files, inner) or licence
    path = tree / entry
    desktop = path.with_suffix(".desktop")
    if path.is_file() and desktop.is_file():  # a KDE puzzle: X-KDE-PluginInfo-Author=..., -License=...
        info = dict(re.findall(r"^X-KDE-PluginInfo-(\w+)=(.*)$", desktop.read_text(), re.M))
        return path, f"{info.get('Author', '?')} ({info.get('License', '?')}, {info.get('Website', '')})"
    if path.is_file():
        return path, licence
    images = sorted((path / "contents" / "images").iterdir(), key=lambda p: p.stat().st_size)
    metadata = json.loads((path / "metadata.json").read_text())["KPlugin"]
    authors = ", ".join(a.get("Name", "?") for a in metadata.get("Authors", []))
    return images[-1], f"{authors} ({metadata.get('License', '?')})"


def crops(photo: Path, count: int, rng: random.Random) -> list[Image.Image]:
    """``count`` random crops at the scales of ``SHORT_SIDES`` (never enlarging a photo past its
    original size; none from a photo smaller than a crop); crops touching transparent pixels are redrawn."""
    with Image.open(photo) as image:
        image = image.convert("RGBA")
    if min(image.size) < CROP:
        return []
    sides = [s for s in SHORT_SIDES if s <= min(image.size)]
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
    photo_set = SETS[args.set]
    args.out = args.out or photo_set.out
    train_crops = args.crops or photo_set.train_crops
    val_crops = photo_set.val_crops
    by_package: dict[str, list[Photo]] = {}
    for photo in photo_list(photo_set):
        by_package.setdefault(photo.package, []).append(photo)
    digits = len(str(max(train_crops, val_crops) - 1))

    rng = random.Random(SEED)
    for split in ("train", "val"):
        shutil.rmtree(args.out / split, ignore_errors=True)
        (args.out / split).mkdir(parents=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, photos in by_package.items():
            tree, version = download(package, Path(tmp))
            copyright_file = tree / "usr" / "share" / "doc" / package / "copyright"
            shutil.copy(copyright_file, args.out / f"copyright-{package}.txt")
            rccs = sorted({tree / p.entry.split(":", 1)[0] for p in photos if ".rcc:" in p.entry})
            if rccs:  # GCompris credits each photo in its activity's data, not in the copyright file
                text = "\n".join(rcc_credits(rcc) for rcc in rccs)
                (args.out / f"credits-{package}.txt").write_text(
                    f"# Credits in {package} {version}\n\n{text}"
                )
            for photo in photos:
                path, credit = photo_file(tree, photo.entry, photo.licence)
                cut = crops(path, val_crops if photo.split == "val" else train_crops, rng)
                if not cut:
                    print(f"no opaque {CROP}² crop in {photo.name} ({package}): skipped")
                for k, crop in enumerate(cut):
                    crop.save(
                        args.out / photo.split / f"{photo.name}_{k:0{digits}d}.jpg", quality=args.quality
                    )
                cells = (photo.name, photo.split, len(cut), f"{package} {version}", f"/{photo.entry}", credit)
                rows.append("| " + " | ".join(map(str, cells)) + " |")
            rcc_files.cache_clear()
            shutil.rmtree(tree)  # the packages are read one at a time: keep the temporary folder small
            for deb in Path(tmp).glob(f"{package}_*.deb"):
                deb.unlink()

    others = sorted({p for t in photo_set.tables for p in t} - {*PHOTOS, *EXTRA_PHOTOS})
    sources = [
        f"# Sources of the `{args.set}` photo set",
        "",
        f"{CROP}² JPEG crops (quality {args.quality}) of photographs from Debian packages, cut at short",
        f"sides {', '.join(map(str, SHORT_SIDES))} px with seed {SEED} by `tools/build_sample_set.py`.",
        "The photographs keep their licences (GPL-2+ for mate-backgrounds and Stellarium, LGPL-3 for the",
        "Plasma wallpapers, CC0 / BSD-3-clause for libjxl's test photos); the packages' copyright files",
        "are beside this file.",
        *(
            [
                "Photographs from the other packages keep theirs too, named per photo in the last column;",
                "`credits-*.txt` hold the credits that a package keeps outside its copyright file.",
            ]
            if others
            else []
        ),
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
