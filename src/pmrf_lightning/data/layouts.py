"""Where each dataset keeps its images on disk: one function per standard layout.

Each function returns the sorted image files of a split (``train``, ``val`` or ``test``) or raises
``DatasetLayoutError`` with one line that names the layout it expected. Nothing is downloaded.

    celeba   ROOT/img_align_celeba/000001.jpg …  +  ROOT/list_eval_partition.txt
             (lines "000001.jpg 0"; 0 = train, 1 = val, 2 = test: the official partition)
    paris    ROOT/paris_train_original/*.JPG (train)  +  ROOT/paris_eval_gt/*.png (val and test)
    places2  Places365-Standard, 256² version:
             ROOT/data_256/a/airfield/00000001.jpg …  (train; ROOT/places365_train_standard.txt
                                                       restricts it when present)
             ROOT/val_256/Places365_val_00000001.jpg … (val; ROOT/places365_val.txt when present)
             ROOT/test_256/Places365_test_00000001.jpg … (test; ROOT/places365_test.txt when present)
    folder   ROOT/{train,val,test}/**/*.jpg when those folders exist; otherwise every image under
             ROOT, split by a hash of its path (5 % val, val = test); an optional list file
             (one path per line, relative to ROOT) restricts every split
    sample   the photographs shipped in this package (``folder`` layout with train/ and val/;
             test = val)
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Literal

from ..imaging import IMAGE_SUFFIXES

Split = Literal["train", "val", "test"]
SPLITS: tuple[str, ...] = ("train", "val", "test")
DATASETS: tuple[str, ...] = ("celeba", "paris", "places2", "folder", "sample")
SAMPLE_ROOT = Path(__file__).resolve().parent / "sample"
FOLDER_VAL_PERCENT = 5


class DatasetLayoutError(FileNotFoundError):
    """The dataset root does not hold the expected layout."""


def _images_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _require_dir(path: Path, layout: str) -> Path:
    if not path.is_dir():
        raise DatasetLayoutError(f"{path} is not a folder; expected {layout}")
    return path


def _nonempty(files: list[Path], where: Path, layout: str) -> list[Path]:
    if not files:
        raise DatasetLayoutError(f"no images found in {where}; expected {layout}")
    return files


def _read_list(list_file: Path) -> list[str]:
    """First column of every non-empty line, without a leading slash."""
    with open(list_file) as lines:
        return [line.split()[0].lstrip("/") for line in lines if line.strip()]


def celeba_files(root: Path, split: Split) -> list[Path]:
    layout = "ROOT/img_align_celeba/*.jpg and ROOT/list_eval_partition.txt (CelebA aligned)"
    images = _require_dir(root / "img_align_celeba", layout)
    partition = root / "list_eval_partition.txt"
    if not partition.is_file():
        raise DatasetLayoutError(f"{partition} is missing; expected {layout}")
    code = str(SPLITS.index(split))
    with open(partition) as lines:
        names = [
            parts[0] for parts in (line.split() for line in lines) if len(parts) == 2 and parts[1] == code
        ]
    files = [images / name for name in names if (images / name).is_file()]
    return _nonempty(files, images, layout)


def paris_files(root: Path, split: Split) -> list[Path]:
    layout = "ROOT/paris_train_original/ (train) and ROOT/paris_eval_gt/ (val, test) (Paris StreetView)"
    folder = root / ("paris_train_original" if split == "train" else "paris_eval_gt")
    return _nonempty(_images_under(_require_dir(folder, layout)), folder, layout)


def places2_files(root: Path, split: Split) -> list[Path]:
    layout = "ROOT/data_256/ (train), ROOT/val_256/ (val), ROOT/test_256/ (test) (Places365-Standard, 256²)"
    folder_name, list_name = {
        "train": ("data_256", "places365_train_standard.txt"),
        "val": ("val_256", "places365_val.txt"),
        "test": ("test_256", "places365_test.txt"),
    }[split]
    folder = _require_dir(root / folder_name, layout)
    list_file = root / list_name
    if list_file.is_file():
        files = [folder / name for name in _read_list(list_file)]
        files = [f for f in files if f.is_file()]
    else:
        files = _images_under(folder)
    return _nonempty(files, folder, layout)


def folder_files(root: Path, split: Split, list_file: Path | None = None) -> list[Path]:
    layout = "images under ROOT, or under ROOT/train, ROOT/val, ROOT/test"
    _require_dir(root, layout)
    if list_file is not None:
        if not list_file.is_file():
            raise DatasetLayoutError(f"list file {list_file} does not exist")
        allowed = {(root / name).resolve() for name in _read_list(list_file)}
    if (root / "train").is_dir() and (root / "val").is_dir():
        split_dir = root / split
        if split == "test" and not split_dir.is_dir():
            split_dir = root / "val"  # test = val when there is no test/
        files = _images_under(split_dir)
    else:
        wanted_val = split != "train"
        files = [
            f
            for f in _images_under(root)
            if (zlib.crc32(str(f.relative_to(root)).encode()) % 100 < FOLDER_VAL_PERCENT) == wanted_val
        ]
    if list_file is not None:
        files = [f for f in files if f.resolve() in allowed]
    return _nonempty(files, root, layout)


def dataset_files(
    name: str, root: str | Path | None, split: Split, list_file: str | Path | None = None
) -> list[Path]:
    """The image files of ``split`` of dataset ``name`` (one of ``DATASETS``) under ``root``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if name == "sample":
        return folder_files(SAMPLE_ROOT, split)
    if root is None:
        raise DatasetLayoutError(f"dataset {name!r} needs a root folder (data.root=/path/to/{name})")
    root = Path(root).expanduser()
    if name == "celeba":
        return celeba_files(root, split)
    if name == "paris":
        return paris_files(root, split)
    if name == "places2":
        return places2_files(root, split)
    if name == "folder":
        return folder_files(root, split, Path(list_file).expanduser() if list_file else None)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
