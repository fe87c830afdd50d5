"""Mask buckets at their edges, seeded procedural masks, mask files and the frozen set command."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from pmrf_lightning.cli.masks import main as masks_main
from pmrf_lightning.data import MaskFiles, ProceduralMasks, mask_ratio_bucket
from pmrf_lightning.data.masks import NO_HOLE, OVER_60, bucket_range, read_mask, write_mask


def mask_with_holes(holes: int, total: int = 10_000) -> torch.Tensor:
    mask = torch.ones(total)
    mask[:holes] = 0
    return mask.view(1, 100, total // 100)


@pytest.mark.parametrize(
    ("holes", "bucket"),
    [
        (0, NO_HOLE),
        (1, 0),
        (1000, 0),
        (1001, 1),
        (2000, 1),
        (2001, 2),
        (5000, 4),
        (6000, 5),
        (6001, OVER_60),
        (10_000, OVER_60),
    ],
)
def test_bucket_edges(holes: int, bucket: int) -> None:
    assert mask_ratio_bucket(mask_with_holes(holes)) == bucket


def test_bucket_range_rejects_buckets_outside_the_table() -> None:
    assert bucket_range(5) == (0.5, 0.6)
    with pytest.raises(ValueError):
        bucket_range(6)


@pytest.mark.parametrize("bucket", range(6))
def test_procedural_masks_land_in_their_bucket(bucket: int) -> None:
    generator = ProceduralMasks(bucket_range(bucket))
    for seed in range(8):
        mask = generator.get(0, (128, 96), random.Random(seed))
        assert mask.shape == (1, 128, 96)
        assert set(mask.unique().tolist()) <= {0.0, 1.0}
        assert mask_ratio_bucket(mask) == bucket


@pytest.mark.parametrize("shape", ["strokes", "rectangles", "mixed"])
def test_same_seed_same_mask_other_seed_other_mask(shape: str) -> None:
    generator = ProceduralMasks((0.1, 0.5), shape)
    first = generator.get(0, (64, 64), random.Random(7))
    assert torch.equal(first, generator.get(3, (64, 64), random.Random(7)))
    assert not torch.equal(first, generator.get(0, (64, 64), random.Random(8)))


def boundary_share(mask: torch.Tensor) -> float:
    """Hole pixels with a known 4-neighbour, per hole pixel: about 2 / stroke width for strokes."""
    hole = torch.nn.functional.pad(mask[0] < 0.5, (1, 1, 1, 1), value=False)
    inner = hole[1:-1, 1:-1]
    edge = inner & ~(hole[:-2, 1:-1] & hole[2:, 1:-1] & hole[1:-1, :-2] & hole[1:-1, 2:])
    return float(edge.sum()) / float(inner.sum())


def test_thin_strokes_are_thinner_than_thick_ones() -> None:
    shares = {}
    for thickness in ("thin", "thick"):
        generator = ProceduralMasks((0.2, 0.3), "strokes", [thickness])
        shares[thickness] = sum(
            boundary_share(generator.get(0, (128, 128), random.Random(s))) for s in range(10)
        )
    assert shares["thin"] > 2 * shares["thick"]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(ratio_range=(0.5, 0.4)),
        dict(ratio_range=(-0.1, 0.4)),
        dict(shape="circles"),
        dict(thickness=["huge"]),
    ],
)
def test_bad_generator_settings_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        ProceduralMasks(**kwargs)


@pytest.mark.parametrize("hole", ["white", "black"])
def test_mask_files_round_trip_in_both_polarities(tmp_path: Path, hole: str) -> None:
    mask = ProceduralMasks((0.2, 0.3)).get(0, (32, 48), random.Random(0))
    write_mask(mask, tmp_path / "m.png", hole)
    assert torch.equal(read_mask(tmp_path / "m.png", hole=hole), mask)
    assert torch.equal(read_mask(tmp_path / "m.png", hole="black" if hole == "white" else "white"), 1 - mask)
    resized = read_mask(tmp_path / "m.png", (64, 96), hole)
    assert resized.shape == (1, 64, 96) and set(resized.unique().tolist()) <= {0.0, 1.0}


def test_unreadable_mask_file_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read mask") as error:
        read_mask(tmp_path / "bad.png")
    assert "\n" not in str(error.value)


def test_mask_files_pair_fixed_in_eval_and_augment_in_training(tmp_path: Path) -> None:
    for i in range(3):
        write_mask(ProceduralMasks((0.1, 0.2)).get(0, (40, 40), random.Random(i)), tmp_path / f"{i}.png")
    frozen = MaskFiles(tmp_path)
    assert torch.equal(frozen.get(4, (40, 40), random.Random(0)), read_mask(tmp_path / "1.png"))
    train = MaskFiles(tmp_path, augment=True)
    masks = [train.get(0, (80, 80), random.Random(seed)) for seed in range(12)]
    assert all(m.shape == (1, 80, 80) for m in masks)
    assert len({m.numpy().tobytes() for m in masks}) > 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no mask images"):
        MaskFiles(tmp_path / "empty")


def test_frozen_mask_set_is_bucketed_and_repeatable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert masks_main(["--out", str(tmp_path / "a"), "--size", "64", "--per-bucket", "3", "--seed", "5"]) == 0
    assert masks_main(["--out", str(tmp_path / "b"), "--size", "64", "--per-bucket", "3", "--seed", "5"]) == 0
    files = sorted((tmp_path / "a").rglob("*.png"))
    assert len(files) == 18
    for path in files:
        low = int(path.parent.name[:2])
        assert mask_ratio_bucket(read_mask(path)) == low // 10
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["files"]) == 18
    assert masks_main(["--out", str(tmp_path / "a"), "--per-bucket", "1"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_mask_file_without_hole_or_of_another_size_is_handled(tmp_path: Path) -> None:
    write_mask(torch.ones(1, 30, 20), tmp_path / "full.png")
    mask = MaskFiles(tmp_path).get(0, (64, 64), random.Random(0))
    assert mask.shape == (1, 64, 64) and mask_ratio_bucket(mask) == NO_HOLE
