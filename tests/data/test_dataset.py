"""Dataset items, bad images, the DataModule and its Hydra configs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from PIL import Image

from pmrf_lightning.config import compose_config
from pmrf_lightning.data import (
    DatasetLayoutError,
    InpaintingDataModule,
    InpaintingDataset,
    ProceduralMasks,
    SkippedImagesReport,
    UnreadableImageError,
    load_rgb,
    mask_ratio_bucket,
)


def dataset(files: list[Path], train: bool = False, size: int = 64) -> InpaintingDataset:
    return InpaintingDataset(files, ProceduralMasks((0.1, 0.2)), image_size=size, train=train)


@pytest.mark.parametrize("train", [True, False])
def test_items_have_the_documented_shapes_and_ranges(folder_root: Path, train: bool) -> None:
    item = dataset(sorted(folder_root.rglob("*.png")), train)[3]
    assert item["image"].shape == (3, 64, 64) and item["image"].dtype == torch.float32
    assert -1 <= item["image"].min() < item["image"].max() <= 1
    assert item["mask"].shape == (1, 64, 64) and set(item["mask"].unique().tolist()) <= {0.0, 1.0}
    assert mask_ratio_bucket(item["mask"]) == 1
    assert item["index"] == 3 and item["skipped"] == 0


def test_evaluation_items_repeat_exactly_training_items_do_not(folder_root: Path) -> None:
    files = sorted(folder_root.rglob("*.png"))
    first, second = dataset(files)[5], dataset(files)[5]
    assert torch.equal(first["image"], second["image"]) and torch.equal(first["mask"], second["mask"])
    train = dataset(files, train=True)
    masks = {train[5]["mask"].numpy().tobytes() for _ in range(4)}
    assert len(masks) > 1


def test_small_images_are_resized_up(tmp_path: Path, write_photo) -> None:
    item = dataset([write_photo(tmp_path / "tiny.png", (50, 40))], train=True, size=128)[0]
    assert item["image"].shape == (3, 128, 128)


def test_corrupt_images_are_skipped_counted_and_logged(
    folder_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = sorted(folder_root.rglob("*.png"))[:2]
    truncated = tmp_path / "truncated.jpg"
    Image.new("RGB", (200, 200), "red").save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:300])
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("hello")
    data = dataset([good[0], truncated, not_an_image, good[1]])
    with caplog.at_level(logging.WARNING):
        item = data[1]
    assert item["skipped"] == 2
    torch.testing.assert_close(item["image"], data[3]["image"])
    assert "truncated.jpg" in caplog.text and "notes.jpg" in caplog.text
    with pytest.raises(UnreadableImageError, match="in a row"):
        InpaintingDataset([truncated, not_an_image], ProceduralMasks(), max_skips=1)[0]


def test_skipped_images_report_counts_files_across_batches_and_resets() -> None:
    """Items 1 and 2 of [ok, bad, bad, ok] skip 2 and 1 files: two unreadable files, not three."""
    report = SkippedImagesReport()
    for skipped in ([0, 2], [1, 0]):
        report.on_train_batch_end(None, None, None, {"skipped": torch.tensor(skipped)}, 0)
    with pytest.warns(UserWarning, match="skipped 2 unreadable train"):
        assert report.report("train", 0) is not None
    assert report.report("train", 1) is None


@pytest.mark.parametrize(
    ("name", "array", "expected"),
    [
        ("grey", np.full((20, 30), 128, np.uint8), 128),
        ("rgba", np.dstack([np.zeros((20, 30, 3), np.uint8), np.zeros((20, 30), np.uint8)]), 255),  # on white
        ("grey16", np.full((20, 30), 32768, np.uint16), 128),  # 16 bits scaled, not clipped to 255
    ],
)
def test_greyscale_rgba_and_16_bit_images_become_8_bit_rgb(
    tmp_path: Path, name: str, array: np.ndarray, expected: int
) -> None:
    path = tmp_path / f"{name}.png"
    Image.fromarray(array).save(path)
    image = load_rgb(path)
    assert image.mode == "RGB" and image.size == (30, 20)
    assert np.asarray(image)[0, 0].tolist() == [expected] * 3


@pytest.mark.parametrize("num_workers", [0, 2])
def test_datamodule_batches(folder_root: Path, num_workers: int) -> None:
    module = InpaintingDataModule(
        "folder", str(folder_root), image_size=64, batch_size=4, num_workers=num_workers
    )
    module.setup("fit")
    batch = next(iter(module.train_dataloader()))
    assert batch["image"].shape == (4, 3, 64, 64) and batch["mask"].shape == (4, 1, 64, 64)
    val = next(iter(module.val_dataloader()))
    assert val["image"].shape[1:] == (3, 64, 64)
    assert len(module.datasets["train"]) + len(module.datasets["val"]) == 40


def test_datamodule_rejects_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        InpaintingDataModule("imagenet")
    with pytest.raises(ValueError, match="multiple of 8"):
        InpaintingDataModule(image_size=100)
    with pytest.raises(DatasetLayoutError, match="expected"):
        InpaintingDataModule("celeba", str(tmp_path)).setup("fit")
    for setting in [{"batch_size": 0}, {"batch_size": True}, {"batch_size": 2.5}, {"eval_batch_size": 0}]:
        with pytest.raises(ValueError, match=f"{next(iter(setting))} must be a whole number of at least 1"):
            InpaintingDataModule(**setting)
    with pytest.raises(ValueError, match="num_workers must be a whole number of at least 0, got -1"):
        InpaintingDataModule(num_workers=-1)
    InpaintingDataModule(batch_size=1, eval_batch_size=None, num_workers=0)  # the least that loads


@pytest.mark.parametrize("name", ["sample", "celeba", "paris", "places2", "folder"])
def test_every_data_config_builds_its_datamodule(name: str) -> None:
    cfg = compose_config("train", [f"data={name}", "data.root=/datasets/x"])
    module = instantiate(cfg.data)
    assert isinstance(module, InpaintingDataModule) and module.dataset == name
    assert isinstance(module.train_masks, ProceduralMasks)
    with pytest.raises(Exception, match="unexpected keyword argument"):
        instantiate(compose_config("train", [f"data={name}", "data.root=/x", "+data.batchsize=8"]).data)


def test_sample_config_serves_the_embedded_photos() -> None:
    module = instantiate(compose_config("train", ["data.num_workers=0", "data.batch_size=2"]).data)
    module.setup("validate")
    batch = next(iter(module.val_dataloader()))
    assert batch["image"].shape == (2, 3, 128, 128)


def test_colour_augmentation_varies_hues_and_keeps_greys_grey(tmp_path: Path) -> None:
    photo = Image.new("RGB", (64, 64), (128, 128, 128))
    photo.paste((200, 30, 30), (0, 0, 64, 32))  # top half red, bottom half grey
    photo.save(tmp_path / "red_grey.png")
    files, masks = [tmp_path / "red_grey.png"], ProceduralMasks((0.1, 0.2))
    augmented = InpaintingDataset(files, masks, image_size=64, train=True, colour_augment=True)
    reds = set()
    for _ in range(8):
        image = augmented[0]["image"]
        grey = image[:, 32:]
        assert (grey - grey[0]).abs().max() < 2 / 255  # R = G = B survives hue and channel order
        reds.add(tuple(round(v, 1) for v in image[:, :32].mean(dim=(1, 2)).tolist()))
    assert len(reds) > 2
    plain = dataset([tmp_path / "red_grey.png"], train=True)[0]["image"]
    assert plain[0, :32].mean() > 0.5 > plain[1, :32].mean()  # off by default: red stays red


def test_the_datamodule_augments_colours_of_the_training_split_only(folder_root: Path) -> None:
    module = InpaintingDataModule("folder", root=str(folder_root), image_size=64, colour_augment=True)
    assert module.make_dataset("train").colour_augment
    assert not module.make_dataset("val").colour_augment
