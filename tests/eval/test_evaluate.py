"""The evaluation harness end to end: baselines, checkpoints, FID, repeatability, bad input."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image
from torch import nn

from pmrf_lightning.cli.eval import fill_function, run
from pmrf_lightning.cli.masks import main as masks_main
from pmrf_lightning.config import compose_config
from pmrf_lightning.data import InpaintingDataModule, MaskFiles, ProceduralMasks, mask_ratio_bucket
from pmrf_lightning.eval.baselines import BASELINES, mean_fill
from pmrf_lightning.eval.evaluate import evaluate
from pmrf_lightning.lit import PRFNModule, load_generator


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    for i in range(12):
        coarse = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
        (tmp_path / "photos" / "val").mkdir(parents=True, exist_ok=True)
        (tmp_path / "photos" / "train").mkdir(parents=True, exist_ok=True)
        coarse.resize((80, 72), Image.BICUBIC).save(tmp_path / "photos" / "val" / f"{i:02d}.png")
    coarse.save(tmp_path / "photos" / "train" / "x.png")
    return tmp_path / "photos"


def loader(folder: Path, masks=None) -> tuple[list, list[Path]]:
    module = InpaintingDataModule("folder", str(folder), image_size=64, batch_size=4, num_workers=0,
                                  eval_masks=masks or ProceduralMasks((0.0, 0.6)))  # fmt: skip
    module.setup("validate")
    return list(module.val_dataloader()), module.files("val")


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_fill_the_hole_and_ignore_its_content(name: str) -> None:
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = torch.ones(2, 1, 32, 32)
    mask[..., 8:20, 10:24] = 0
    other = torch.where(mask > 0.5, image, torch.rand_like(image))
    output = BASELINES[name](image, mask)
    assert output.shape == image.shape and torch.isfinite(output).all()
    torch.testing.assert_close(output, BASELINES[name](other, mask))
    hole = output[:, :, 8:20, 10:24]
    assert hole.std() > 0 or name == "mean"


def test_mean_fill_on_hand_numbers() -> None:
    image = torch.tensor([0.2, 0.4, 0.9]).view(1, 1, 1, 3)
    mask = torch.tensor([1.0, 1.0, 0.0]).view(1, 1, 1, 3)
    torch.testing.assert_close(mean_fill(image, mask), torch.tensor([0.2, 0.4, 0.3]).view(1, 1, 1, 3))


def test_same_data_and_seed_give_identical_numbers(photo_folder: Path) -> None:
    runs = []
    for _ in range(2):
        batches, files = loader(photo_folder)
        runs.append(evaluate(BASELINES["telea"], batches, files, torch.device("cpu")))
    assert json.dumps(runs[0]) == json.dumps(runs[1])
    records, summary = runs[0]
    assert len(records) == 12 and summary["Ave"]["n"] + summary["outside"]["n"] == 12
    assert (
        set(summary["edge_error"]) <= {"1", "2", "3", "4", "6", "10", "20"} and summary["edge_error"]["1"] > 0
    )


def test_unreadable_files_are_listed_and_never_scored_under_their_name(photo_folder: Path) -> None:
    """The loader hands over the next readable image for an unreadable one; scoring it would put
    05.png's fill under 03.png's name (and score 05.png twice)."""
    for name in ("03.png", "04.png"):
        (photo_folder / "val" / name).write_bytes(b"not a PNG")
    batches, files = loader(photo_folder)
    records, summary = evaluate(BASELINES["mean"], batches, files, torch.device("cpu"))
    scored = [Path(r["file"]).name for r in records]
    assert sorted(scored) == [f"{i:02d}.png" for i in range(12) if i not in (3, 4)]
    assert summary["skipped"] == {
        "n": 2,
        "files": [str(photo_folder / "val" / n) for n in ("03.png", "04.png")],
    }
    assert summary["Ave"]["n"] + summary["outside"]["n"] == 10


class TinyFeatures(nn.Module):
    """A small random feature extractor standing in for Inception in tests."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images.float())


def test_fid_per_bucket_with_a_small_feature_extractor(photo_folder: Path, tmp_path: Path) -> None:
    masks_main(["--out", str(tmp_path / "masks"), "--size", "64", "--per-bucket", "2", "--seed", "1"])
    batches, files = loader(photo_folder, MaskFiles(tmp_path / "masks"))
    assert sorted({mask_ratio_bucket(m) for b in batches for m in b["mask"]}) == [0, 1, 2, 3, 4, 5]

    def perfect(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image

    _, exact = evaluate(perfect, batches, files, torch.device("cpu"), TinyFeatures())
    _, mean = evaluate(mean_fill, batches, files, torch.device("cpu"), TinyFeatures())
    assert all(exact[label]["n"] == 2 for label in ("0-10%", "50-60%"))
    assert abs(exact["Ave"]["fid"]) < 1e-3
    assert mean["Ave"]["fid"] > 10 * abs(exact["Ave"]["fid"]) and np.isfinite(mean["50-60%"]["fid"])


def trained_checkpoint(tmp_path: Path, width: int = 4) -> Path:
    module = PRFNModule(dict(width=width, blocks_per_stage=1), dict(width=4))
    trainer = L.Trainer(
        accelerator="cpu", max_steps=1, limit_val_batches=0, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
    )  # fmt: skip
    trainer.fit(module, datamodule=InpaintingDataModule("sample", image_size=64, batch_size=2, num_workers=0))
    path = tmp_path / f"w{width}.ckpt"
    trainer.save_checkpoint(path)
    return path


def test_a_checkpoint_loads_with_weights_only_and_scores(tmp_path: Path, photo_folder: Path) -> None:
    generator = load_generator(trained_checkpoint(tmp_path))
    batches, files = loader(photo_folder)
    records, summary = evaluate(lambda i, m: generator(i, m).image, batches, files, torch.device("cpu"))
    assert len(records) == 12 and summary["Ave"]["rel_l1"] > 0


def test_an_exact_fill_has_zero_edge_error_at_every_distance(photo_folder: Path) -> None:
    batches, files = loader(photo_folder)
    _, summary = evaluate(lambda image, mask: image, batches, files, torch.device("cpu"))
    assert {"1", "2", "3"} <= set(summary["edge_error"]) and set(summary["edge_error"].values()) == {0.0}


def test_poisson_blending_rescores_a_network_and_leaves_a_classical_fill_alone(
    tmp_path: Path, photo_folder: Path
) -> None:
    checkpoint = str(trained_checkpoint(tmp_path))
    batches, files = loader(photo_folder)
    cpu = torch.device("cpu")
    for baseline, path, changes in ((None, checkpoint, True), ("telea", None, False)):
        raw, poisson = (
            evaluate(
                fill_function(OmegaConf.create({"blend": b, "baseline": baseline}), cpu, path),
                batches,
                files,
                cpu,
            )[0]
            for b in ("none", "poisson")
        )
        assert (raw != poisson) == changes  # a classical fill keeps the known pixels: nothing to blend


def test_bad_checkpoints_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_generator(tmp_path / "missing.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a pmrf-train checkpoint"):
        load_generator(tmp_path / "junk.ckpt")
    path = trained_checkpoint(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["hyper_parameters"]["generator"]["width"] = 6
    torch.save(checkpoint, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match="do not fit the generator"):
        load_generator(tmp_path / "other.ckpt")


def pmrf_eval(*overrides: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pmrf_lightning.cli.eval", *overrides]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip


@pytest.mark.slow
def test_a_baseline_end_to_end_on_a_tiny_folder(photo_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = pmrf_eval("baseline=telea", "data=folder", f"data.root={photo_folder}", "data.image_size=64",
                       "fid=false", "save_images=true", f"hydra.run.dir={out}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    table = (out / "table.md").read_text()
    assert "| Ave |" in table and "0-10%" in table
    assert len((out / "scores.csv").read_text().strip().splitlines()) == 13
    assert len(list((out / "composites").glob("*.png"))) == 12
    assert json.loads((out / "scores.json").read_text())["summary"]["Ave"]["rel_l1"] > 0


@pytest.mark.slow
def test_two_runs_compared_end_to_end(photo_folder: Path, tmp_path: Path) -> None:
    data = ["data=folder", f"data.root={photo_folder}", "data.image_size=64", "fid=false"]
    for name in ("telea", "mean"):
        assert pmrf_eval(f"baseline={name}", *data, f"hydra.run.dir={tmp_path / name}").returncode == 0
    result = pmrf_eval(
        f"compare=[{tmp_path / 'telea'},{tmp_path / 'mean'}]", f"hydra.run.dir={tmp_path / 'c'}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = (tmp_path / "c" / "compare.md").read_text()
    assert text.count("| Ave |") == 3 and "A better on" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["checkpoint=/nonexistent.ckpt", "fid=false"], "does not exist"),
        (["baseline=photoshop", "fid=false"], "unknown baseline"),
        (["baseline=telea", "fid.weights=/nonexistent/inception.pth"], "download"),
        (["baseline=telea", "fid=false", "data=folder", "data.root=EMPTY"], "no images found"),
        (["fid=false"], "exactly one of"),
        (["baseline=telea", "fid=false", "blend=seamless"], "blend must be one of poisson, none"),
        (["compare=EMPTY"], "compare takes two pmrf-eval run folders"),
        (["compare=[EMPTY,EMPTY]"], "has no scores.json"),
        (["baseline=telea", "fid=false", "limit=0"], "limit must be a positive number of images"),
        (["baseline=telea", "fid=false", "data.batch_size=0"], "data: batch_size must be a whole number"),
        (["sweep=/nonexistent", "fid=false"], "sweep=/nonexistent is not a folder"),
        (
            ["baseline=telea", "fid=false", "masks@data.eval_masks=frozen", "data.eval_masks.root=/none"],
            "data.eval_masks: mask folder /none does not exist",
        ),
        (["baseline=telea", "fid=false", "data.image_size=13"], "data: image_size must be a positive"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(overrides: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "empty" / "val").mkdir(parents=True)
    (tmp_path / "empty" / "train").mkdir(parents=True)
    overrides = [o.replace("EMPTY", str(tmp_path / "empty")) for o in overrides]
    result = pmrf_eval(*overrides, f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_frozen_sets_spread_small_datasets_over_all_buckets(tmp_path: Path) -> None:
    masks_main(["--out", str(tmp_path / "m"), "--size", "32", "--per-bucket", "3"])
    frozen = MaskFiles(tmp_path / "m")
    buckets = [mask_ratio_bucket(frozen.get(i, (32, 32), random.Random(0))) for i in range(6)]
    assert buckets == [0, 1, 2, 3, 4, 5]


def test_a_sweep_gives_table2_beside_the_paper(tmp_path: Path, photo_folder: Path) -> None:
    from pmrf_lightning.cli.eval import run
    from pmrf_lightning.config import compose_config

    for name in ("full", "hrnet"):
        (tmp_path / "sweep" / name / "checkpoints").mkdir(parents=True)
        trained_checkpoint(tmp_path).rename(tmp_path / "sweep" / name / "checkpoints" / "best.ckpt")
    overrides = [f"sweep={tmp_path / 'sweep'}", "fid=false", "data=folder", f"data.root={photo_folder}",
                 "data.image_size=64", "data.num_workers=0"]  # fmt: skip
    text = run(compose_config("eval", overrides), tmp_path / "out")
    assert "| full |" in text and "3.54 / 0.841 / 25.475 / 6.98" in text
    assert "| hrnet |" in text and "3.81 / 0.831 / 24.866 / 10.49" in text
    assert (tmp_path / "out" / "full" / "table.md").is_file() and (tmp_path / "out" / "table.md").is_file()


@pytest.mark.parametrize("limit", [0, -5, 2.5])
def test_a_limit_that_is_not_a_positive_count_is_refused(limit: float, tmp_path: Path) -> None:
    """Before: an empty table and exit 0."""
    cfg = compose_config("eval", ["baseline=telea", "data=sample", "fid=false", f"limit={limit}"])
    with pytest.raises(ValueError, match="limit must be a positive number of images"):
        run(cfg, tmp_path)


@pytest.mark.parametrize(
    "raised", [ValueError("batch_size must be positive"), AttributeError("a bug inside")]
)
def test_pmrf_eval_makes_a_refused_value_one_line_and_keeps_a_constructors_bug(
    raised: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from pmrf_lightning.cli import eval as eval_cli

    def refuse(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr("pmrf_lightning.data.InpaintingDataModule.__init__", refuse)
    monkeypatch.setattr(
        sys, "argv", ["pmrf-eval", "baseline=telea", "fid=false", f"hydra.run.dir={tmp_path}"]
    )
    with pytest.raises(SystemExit) as stop:
        eval_cli.main()
    assert stop.value.code == 1
    err = capsys.readouterr().err
    if isinstance(raised, ValueError):
        assert err.startswith("error: ") and "batch_size must be positive" in err and "Traceback" not in err
    else:  # Hydra prints the bug's traceback (HYDRA_FULL_ERROR=1 for the whole of it)
        assert "AttributeError" in err and "a bug inside" in err and not err.startswith("error: ")
