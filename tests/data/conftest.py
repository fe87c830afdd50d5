"""Tiny fake dataset trees in the standard layouts, built per test in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _write_photo(path: Path, size: tuple[int, int] = (300, 200), seed: int = 0) -> Path:
    """A smooth random colour image (width, height) saved at ``path``."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    coarse.resize(size, Image.BICUBIC).save(path)
    return path


@pytest.fixture
def write_photo():
    """``write_photo(path, size=(w, h), seed=0)`` saves a smooth random colour image."""
    return _write_photo


@pytest.fixture
def celeba_root(tmp_path: Path) -> Path:
    root = tmp_path / "celeba"
    names = [f"{i:06d}.jpg" for i in range(1, 7)]
    for i, name in enumerate(names):
        _write_photo(root / "img_align_celeba" / name, (178, 218), seed=i)
    codes = [0, 0, 0, 1, 1, 2]
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {c}\n" for n, c in zip(names, codes)))
    return root


@pytest.fixture
def paris_root(tmp_path: Path) -> Path:
    root = tmp_path / "paris"
    for i in range(3):
        _write_photo(root / "paris_train_original" / f"{i}.JPG", (936, 537), seed=i)
    for i in range(2):
        _write_photo(root / "paris_eval_gt" / f"{i:03d}_im.png", (227, 227), seed=10 + i)
    return root


@pytest.fixture
def places2_root(tmp_path: Path) -> Path:
    root = tmp_path / "places2"
    for i, category in enumerate(["a/airfield", "a/airfield", "b/bakery/shop", "c/canyon"]):
        _write_photo(root / "data_256" / category / f"{i:08d}.jpg", (256, 256), seed=i)
    for i in range(1, 4):
        _write_photo(root / "val_256" / f"Places365_val_{i:08d}.jpg", (256, 256), seed=20 + i)
    return root


@pytest.fixture
def folder_root(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for i in range(40):
        _write_photo(root / f"group{i % 3}" / f"img{i:03d}.png", (160, 120), seed=i)
    return root
