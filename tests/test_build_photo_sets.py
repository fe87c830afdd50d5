"""tools/build_sample_set.py: crops are opaque, 256², never taken from an enlarged photo."""

import importlib.util
import random
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


def test_val_photos_exist_and_reserved_packages_are_never_read() -> None:
    names = {Path(entry).stem for entries in build.PHOTOS.values() for entry in entries}
    assert build.VAL_PHOTOS <= names  # the same held-out photographs in both sets
    packages = [*build.PHOTOS, *build.EXTRA_PHOTOS]
    assert not [p for p in packages if p.startswith(("lomiri-wallpapers", "opencv-doc", "python3-skimage"))]
