"""tools/build_sample_set.py: crops are opaque, 256², never taken from an enlarged photo; the sets'
photo tables (read without downloading anything) hold out whole val photos and never read reserved data."""

import importlib.util
import random
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

TOOL = Path(__file__).resolve().parents[1] / "tools" / "build_sample_set.py"
spec = importlib.util.spec_from_file_location("build_sample_set", TOOL)
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_crops_avoid_transparent_pixels(tmp_path: Path) -> None:
    rgba = np.zeros((800, 800, 4), np.uint8)
    rgba[..., :3] = np.random.default_rng(0).integers(1, 256, (800, 800, 3))
    rgba[100:, :, 3] = 255  # a transparent black sky strip, as in Stellarium's panoramas
    rgba[:100, :, :3] = 0
    Image.fromarray(rgba).save(tmp_path / "panorama.png")
    crops = build.crops(tmp_path / "panorama.png", 12, random.Random(0))
    # at short side 256 every crop would touch the sky, so those three are dropped, not faked
    assert len(crops) == 9
    for crop in crops:
        assert crop.size == (build.CROP, build.CROP) and crop.mode == "RGB"
        assert (np.asarray(crop).max(axis=2) > 0).all()  # not one pixel of the black sky


def test_small_photos_are_cut_at_their_own_scale(tmp_path: Path) -> None:
    Image.new("RGB", (300, 280), (10, 200, 30)).save(tmp_path / "small.png")
    crops = build.crops(tmp_path / "small.png", 5, random.Random(0))
    assert len(crops) == 5 and all(c.getextrema() == ((10, 10), (200, 200), (30, 30)) for c in crops)


def test_photos_smaller_than_a_crop_are_skipped_not_enlarged(tmp_path: Path) -> None:
    Image.new("RGB", (400, 255), (10, 200, 30)).save(tmp_path / "thin.png")
    rng = random.Random(0)
    assert build.crops(tmp_path / "thin.png", 5, rng) == []
    assert rng.random() == random.Random(0).random()  # and the seed order of the next photos is kept


RESERVED = ("lomiri-wallpapers", "opencv-doc", "python3-skimage", "python-skimage", "scikit-image")


def test_val_photos_exist_and_reserved_packages_are_never_read() -> None:
    names = {Path(entry).stem for entries in build.PHOTOS.values() for entry in entries}
    assert build.VAL_PHOTOS <= names  # the same held-out photographs in every set
    packages = [*build.PHOTOS, *build.EXTRA_PHOTOS, *build.LARGE_PHOTOS]
    assert not [p for p in packages if p.startswith(RESERVED)]
    for photo_set in build.SETS.values():
        photos = build.photo_list(photo_set)
        assert not [p for p in photos if p.package.startswith(RESERVED) or "skimage" in p.entry]
        assert {p.name for p in photos if p.split == "val"} == photo_set.val  # each val photo is there
        assert len({p.name for p in photos}) == len(photos)  # crop names never collide


def test_photos_set_is_unchanged() -> None:
    """`--set photos` reads the same 40 photographs in the same order (so the same seed order) and cuts
    the same crops as before photos_large: 3,230 train / 120 val in data/photos/."""
    photo_set = build.SETS["photos"]
    photos = build.photo_list(photo_set)
    assert [p.package for p in photos] == [
        *["mate-backgrounds"] * 12, *["plasma-workspace-wallpapers"] * 11,
        *["stellarium-data"] * 13, *["libjxl-testdata"] * 4,
    ]  # fmt: skip
    tables = [*build.PHOTOS.values(), *(entries for entries, _ in build.EXTRA_PHOTOS.values())]
    assert [p.entry for p in photos] == [entry for entries in tables for entry in entries]  # none skipped
    assert [p.name for p in photos][:3] == ["Aqua", "Blinds", "Dune"]
    assert [p.name for p in photos][-2:] == ["u76c0g_bliznaca_srgb8", "flower"]
    assert (photo_set.train_crops, photo_set.val_crops, photo_set.out.name) == (120, 40, "photos")
    assert [p.name for p in photos if p.split == "val"] == ["Storm", "ColorfulCups", "Path"]
    assert build.SEED == 2021 and build.SHORT_SIDES == (256, 384, 512, 768)
    sample = build.SETS["sample"]
    assert (sample.train_crops, sample.val_crops, sample.tables) == (13, 13, (build.PHOTOS,))


def test_photos_large_is_large_and_holds_out_whole_photos() -> None:
    photo_set = build.SETS["photos_large"]
    photos = build.photo_list(photo_set)
    train = [p for p in photos if p.split == "train"]
    val = [p for p in photos if p.split == "val"]
    assert len(photos) >= 150
    new = [p for p in photos if p.package not in {*build.PHOTOS, *build.EXTRA_PHOTOS}]
    assert len(new) >= 110 and len({p.package for p in new}) >= 10
    assert len(train) * photo_set.train_crops >= 10_000
    assert build.VAL_PHOTOS <= photo_set.val  # today's val photographs stay val, so scores compare
    assert {p.name for p in val} == photo_set.val and not {p.name for p in train} & photo_set.val
    assert {p.package for p in val} - {*build.PHOTOS} == {p.package for p in new if p.name in photo_set.val}
    assert not {p.entry for p in train} & {p.entry for p in val}  # whole photographs, never split
    assert not [p for p in photos if p.name in build.NO_OPAQUE_CROP]  # none that gives no crop


def rcc(files: dict[str, bytes]) -> bytes:
    """A version-2 Qt resource file holding `files` (path -> bytes) under one folder, zlib-compressed."""
    folder = {path.split("/")[1] for path in files}.pop()
    names, offsets = b"", {}
    for name in ["", folder, *[path.rsplit("/", 1)[1] for path in files]]:
        offsets[name] = len(names)
        names += struct.pack(">HI", len(name), 0) + name.encode("utf-16-be")
    payload, nodes = b"", []
    for path, blob in files.items():
        packed = struct.pack(">I", len(blob)) + zlib.compress(blob)
        nodes.append(struct.pack(">IHHHIQ", offsets[path.rsplit("/", 1)[1]], 1, 0, 0, len(payload), 0))
        payload += struct.pack(">I", len(packed)) + packed
    tree = struct.pack(">IHIIQ", 0, 2, 1, 1, 0) + struct.pack(">IHIIQ", offsets[folder], 2, len(files), 2, 0)
    tree += b"".join(nodes)
    header = 20
    return (
        b"qres"
        + struct.pack(">4I", 2, header, header + len(tree), header + len(tree) + len(payload))
        + (tree + payload + names)
    )


def test_images_and_credits_are_read_from_qt_resource_files(tmp_path: Path) -> None:
    """GCompris keeps its photos in .rcc files, with a README naming each photo's author and licence."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (300, 280), (1, 2, 3)).save(photo)
    readme = b"Copyright: Someone\nLicense: CC0-1.0\nSource: https://example.org/a\nFiles:\nbee.webp\n"
    files = {"/act/bee.webp": photo.read_bytes(), "/act/README": readme}
    (tmp_path / "usr").mkdir()
    (tmp_path / "usr" / "act.rcc").write_bytes(rcc(files))
    assert build.rcc_files(tmp_path / "usr" / "act.rcc") == files
    path, credit = build.photo_file(tmp_path, "usr/act.rcc:/act/bee.webp", "fallback")
    assert path.read_bytes() == photo.read_bytes() and path.is_relative_to(tmp_path)
    assert credit == "fallback"  # a README is only looked for inside /gcompris/src/activities/ACTIVITY
    nested = {"/gcompris/src/activities/erase/resource/README": readme}
    inner = "/gcompris/src/activities/erase/resource/bee.webp"
    assert build.readme_credit(nested, inner) == "Someone (CC0-1.0, https://example.org/a)"
    assert build.readme_credit(nested, inner.replace("bee", "cat")) is None
