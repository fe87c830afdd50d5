"""Standard on-disk layouts, on tiny fake trees; the embedded sample set."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pmrf_lightning.data import DatasetLayoutError, dataset_files
from pmrf_lightning.data.layouts import SAMPLE_ROOT


def test_celeba_follows_the_official_partition(celeba_root: Path) -> None:
    sizes = [len(dataset_files("celeba", celeba_root, split)) for split in ("train", "val", "test")]
    assert sizes == [3, 2, 1]
    assert dataset_files("celeba", celeba_root, "test")[0].name == "000006.jpg"


def test_celeba_without_partition_file_names_the_layout(celeba_root: Path) -> None:
    (celeba_root / "list_eval_partition.txt").unlink()
    with pytest.raises(DatasetLayoutError, match="list_eval_partition.txt") as error:
        dataset_files("celeba", celeba_root, "train")
    assert "img_align_celeba" in str(error.value) and "\n" not in str(error.value)


def test_paris_train_and_eval_folders(paris_root: Path) -> None:
    assert len(dataset_files("paris", paris_root, "train")) == 3
    assert len(dataset_files("paris", paris_root, "val")) == 2
    assert dataset_files("paris", paris_root, "test") == dataset_files("paris", paris_root, "val")


def test_places2_scans_category_folders_or_follows_the_list_files(places2_root: Path) -> None:
    assert len(dataset_files("places2", places2_root, "train")) == 4
    assert len(dataset_files("places2", places2_root, "val")) == 3
    (places2_root / "places365_train_standard.txt").write_text(
        "/a/airfield/00000000.jpg 0\n/c/canyon/00000003.jpg 61\n"
    )
    (places2_root / "places365_val.txt").write_text("Places365_val_00000002.jpg 5\n")
    assert [f.name for f in dataset_files("places2", places2_root, "train")] == [
        "00000000.jpg",
        "00000003.jpg",
    ]
    assert [f.name for f in dataset_files("places2", places2_root, "val")] == ["Places365_val_00000002.jpg"]
    with pytest.raises(DatasetLayoutError, match="test_256"):
        dataset_files("places2", places2_root, "test")


def test_folder_hash_split_is_disjoint_and_complete(folder_root: Path) -> None:
    train = set(dataset_files("folder", folder_root, "train"))
    val = set(dataset_files("folder", folder_root, "val"))
    assert train and val and not train & val
    assert len(train | val) == 40
    assert set(dataset_files("folder", folder_root, "test")) == val


def test_folder_split_subfolders_and_list_file(tmp_path: Path, write_photo) -> None:
    for split, count in (("train", 4), ("val", 2)):
        for i in range(count):
            write_photo(tmp_path / split / f"{i}.jpg", seed=i)
    assert len(dataset_files("folder", tmp_path, "train")) == 4
    assert len(dataset_files("folder", tmp_path, "test")) == 2  # test = val without test/
    (tmp_path / "keep.txt").write_text("train/1.jpg\ntrain/3.jpg\n")
    kept = dataset_files("folder", tmp_path, "train", tmp_path / "keep.txt")
    assert [f.name for f in kept] == ["1.jpg", "3.jpg"]


@pytest.mark.parametrize("name", ["celeba", "paris", "places2", "folder"])
def test_wrong_root_is_a_one_line_error_naming_the_layout(name: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError) as error:
        dataset_files(name, tmp_path / "empty", "train")
    assert "expected" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(DatasetLayoutError, match="needs a root"):
        dataset_files(name, None, "train")


def test_never_an_empty_split(tmp_path: Path) -> None:
    (tmp_path / "paris_train_original").mkdir()
    (tmp_path / "paris_train_original" / "notes.txt").write_text("no images here")
    with pytest.raises(DatasetLayoutError, match="no images found"):
        dataset_files("paris", tmp_path, "train")


def test_embedded_sample_set_loads_with_its_licences() -> None:
    train, val = dataset_files("sample", None, "train"), dataset_files("sample", None, "val")
    assert len(train) >= 200 and len(val) >= 30
    assert not {f.name.split("_")[0] for f in train} & {f.name.split("_")[0] for f in val}  # held-out photos
    for name in ("SOURCES.md", "copyright-mate-backgrounds.txt", "copyright-plasma-workspace-wallpapers.txt"):
        assert (SAMPLE_ROOT / name).is_file()
    sources = (SAMPLE_ROOT / "SOURCES.md").read_text()
    assert all(f.name.rsplit("_", 1)[0] in sources for f in train + val)
    with Image.open(train[0]) as image:
        assert image.size == (256, 256) and image.mode == "RGB"
    assert sum(f.stat().st_size for f in SAMPLE_ROOT.rglob("*")) < 15 * 2**20
