"""pmrf-train end to end: every ablation, kill and resume, two-process DDP, and bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from pmrf_lightning.config import ConfigError, ablation_names, compose_config, is_user_error
from pmrf_lightning.data import DatasetLayoutError
from pmrf_lightning.inference import SHIPPED_CHECKPOINT
from pmrf_lightning.nn import AttentionFusion, PartialConv2d
from pmrf_lightning.train import build_callbacks, check_setup, cli, last_checkpoint, train

TINY = [
    "logger=csv",
    "model.generator.width=4",
    "model.generator.blocks_per_stage=1",
    "model.discriminator.width=4",
    "data.image_size=64",
    "data.batch_size=2",
    "data.num_workers=0",
    "trainer.enable_progress_bar=false",
]
TABLE2 = ["full", "hrnet", "wo_pconv", "wo_arf", "wo_mrf1", "wo_mrf3", "wo_mrf5"]


def run_cli(*arguments: str, timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``pmrf-train`` in a subprocess; flags such as ``-m`` may lead ``arguments``."""
    flags = [a for a in arguments if a.startswith("-")]
    overrides = [a for a in arguments if not a.startswith("-")]
    command = [sys.executable, "-m", "pmrf_lightning.train", *flags, *TINY, *overrides]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=cli_env(), cwd=cwd)


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "WANDB_MODE": "offline", "WANDB_SILENT": "true"}


@pytest.mark.parametrize("ablation", TABLE2)
def test_fast_dev_run_of_every_ablation(ablation: str, tmp_path: Path) -> None:
    cfg = compose_config("train", [*TINY, f"ablation={ablation}", "trainer.fast_dev_run=1"])
    trainer = train(cfg, tmp_path)
    net = trainer.lightning_module.net_g
    assert trainer.global_step == 1
    assert any(isinstance(m, PartialConv2d) for m in net.modules()) == (ablation not in ("hrnet", "wo_pconv"))
    assert any(isinstance(m, AttentionFusion) for m in net.modules()) == (ablation not in ("hrnet", "wo_arf"))


def test_a_misspelt_top_level_key_is_refused_before_anything_runs() -> None:
    cfg = compose_config("train", ["+chekpoint_every_n_steps=5"])
    with pytest.raises(ValueError, match=r"^unknown top-level key\(s\) chekpoint_every_n_steps; known: "):
        check_setup(cfg)
    check_setup(compose_config("train", ["experiment=photos_small"]))  # every shipped key is known


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_checkpoint_folder_stops_before_the_first_step(tmp_path: Path) -> None:
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints").chmod(0o500)
    cfg = compose_config("train", [*TINY, "trainer.max_steps=1"])
    with pytest.raises(ValueError, match=r"^cannot write checkpoints to .*checkpoints: Permission denied$"):
        train(cfg, tmp_path)


def test_a_checkpoint_folder_that_is_a_file_stops_before_the_first_step(tmp_path: Path) -> None:
    """The same check as a read-only folder, in a form that also fails for root."""
    (tmp_path / "checkpoints").write_text("not a folder")
    cfg = compose_config("train", [*TINY, "trainer.max_steps=1"])
    with pytest.raises(ValueError, match=r"^cannot write checkpoints to .*checkpoints: "):
        train(cfg, tmp_path)
    assert not list(tmp_path.glob("lightning_logs")) and not (tmp_path / "csv").exists()


def test_debug_fdr_runs_one_step_and_saves_nothing(tmp_path: Path) -> None:
    trainer = train(compose_config("train", [*TINY, "experiment=sample", "debug=fdr"]), tmp_path)
    assert trainer.fast_dev_run and trainer.global_step == 1
    assert not list(tmp_path.rglob("*.ckpt"))


@pytest.mark.parametrize("debug", ["overfit", "limit", "profiler"])
def test_every_debug_setting_composes_over_an_experiment(debug: str) -> None:
    cfg = compose_config("train", ["experiment=photos_small", f"debug={debug}"])
    assert cfg.ckpt_path is None  # a debug run never resumes the real run
    assert cfg.trainer.max_steps < 1000 and cfg.data.root == "data/photos"


def test_a_truncated_last_checkpoint_stops_with_one_line_and_is_kept(tmp_path: Path) -> None:
    train(compose_config("train", [*TINY, "trainer.max_steps=1", "trainer.limit_val_batches=1"]), tmp_path)
    last = tmp_path / "checkpoints" / "last.ckpt"
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])  # a kill in the middle of a write
    with pytest.raises(
        ValueError, match=r"^cannot resume from .*last.ckpt: the file is damaged or truncated"
    ):
        last_checkpoint(tmp_path, "last")
    assert last.stat().st_size == len(data) // 2  # nothing was overwritten
    flipped = bytearray(data)  # whole file, index intact, but a stored tensor damaged (CRC check)
    middle = len(data) // 2
    flipped[middle : middle + 64] = bytes(255 - b for b in flipped[middle : middle + 64])
    last.write_bytes(bytes(flipped))
    with pytest.raises(
        ValueError, match=r"^cannot resume from .*last.ckpt: the file is damaged or truncated"
    ):
        last_checkpoint(tmp_path, "last")
    assert last_checkpoint(tmp_path, None) is None
    with pytest.raises(ConfigError, match="does not exist"):
        last_checkpoint(tmp_path, str(tmp_path / "nowhere.ckpt"))


def test_the_sweep_composes_all_seven_table2_ablations() -> None:
    assert set(TABLE2) <= set(ablation_names())
    removed = {
        name: compose_config("train", [f"ablation={name}"]).model.generator.removed_fusions for name in TABLE2
    }
    assert removed == {
        "full": 0,
        "hrnet": 0,
        "wo_pconv": 0,
        "wo_arf": 0,
        "wo_mrf1": 1,
        "wo_mrf3": 3,
        "wo_mrf5": 5,
    }


def checkpoint_step(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=False)["global_step"]


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    run = ["checkpoint_every_n_steps=2", "trainer.val_check_interval=1000", "trainer.limit_val_batches=1",
           f"hydra.run.dir={tmp_path}"]  # fmt: skip
    command = [sys.executable, "-m", "pmrf_lightning.train", *TINY, *run, "trainer.max_steps=1000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env())
    last = tmp_path / "checkpoints" / "last.ckpt"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            if last.is_file() and checkpoint_step(last) >= 4:
                break
            time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    killed_at = checkpoint_step(last)
    assert killed_at >= 4
    saved = torch.load(last, map_location="cpu", weights_only=False)
    assert len(saved["optimizer_states"]) == 2  # generator and discriminator Adam states

    result = run_cli(*run, f"trainer.max_steps={killed_at + 4}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert checkpoint_step(last) == killed_at + 4
    assert f"training steps:  {killed_at + 4}" in result.stdout


@pytest.mark.slow
def test_two_process_cpu_ddp(tmp_path: Path) -> None:
    result = run_cli(
        "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.precision=32-true",
        "trainer.max_steps=3", "trainer.val_check_interval=3", "trainer.limit_val_batches=1",
        f"hydra.run.dir={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert checkpoint_step(tmp_path / "checkpoints" / "last.ckpt") == 3
    assert "training steps:  3" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["experiment=imagenet"], "experiment"),
        (["ablation=wo_everything"], "ablation"),
        (["data=celeba"], "data.root"),
        (["data=celeba", "data.root=/nonexistent/celeba"], "img_align_celeba"),
        (["trainer=gpu"], "no CUDA GPU"),
        (["trainer.precision=16-mixed"], "precision 16-mixed is not supported"),
        (["+model.generator.atention=false"], "unexpected keyword argument"),
        (["data.batch_size=0"], "error: data: batch_size must be a whole number of at least 1, got 0"),
        (["init_weights=/nonexistent/prfn.ckpt"], "does not exist"),
        ([f"init_weights={SHIPPED_CHECKPOINT}"], "but this run builds"),  # width 16, not 4
        (["+chekpoint_every_n_steps=5"], "unknown top-level key(s) chekpoint_every_n_steps"),
    ],
)
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(
    overrides: list[str], message: str, tmp_path: Path
) -> None:
    if overrides == ["trainer=gpu"] and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_cli(*overrides, f"hydra.run.dir={tmp_path}", timeout=120)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_bf16_autocast_and_channels_last_train_a_step(tmp_path: Path) -> None:
    overrides = [*TINY, "trainer.fast_dev_run=1", "trainer.precision=bf16-mixed", "model.channels_last=true"]
    trainer = train(compose_config("train", overrides), tmp_path)
    assert trainer.global_step == 1 and trainer.precision == "bf16-mixed"


def test_a_resume_with_other_checkpoint_settings_still_writes_last_ckpt(tmp_path: Path) -> None:
    steps = [*TINY, "trainer.val_check_interval=100", "trainer.num_sanity_val_steps=0"]
    train(compose_config("train", [*steps, "trainer.max_steps=2", "checkpoint_every_n_steps=2"]), tmp_path)
    cfg = compose_config("train", [*steps, "trainer.max_steps=4", "checkpoint_every_n_steps=3"])
    assert train(cfg, tmp_path).global_step == 4
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["last.ckpt"]
    assert torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4


@pytest.mark.slow
def test_a_multirun_sweep_starts_and_files_each_run_by_experiment_and_ablation(tmp_path: Path) -> None:
    result = run_cli("-m", "ablation=full,hrnet", "trainer.fast_dev_run=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "multirun" / "sample").iterdir()) == ["full", "hrnet"]


@pytest.mark.slow
def test_the_optuna_search_runs_two_trials_and_reports_the_best(tmp_path: Path) -> None:
    result = run_cli(
        "-m", "experiment=sample", "hparams_search=photos_small_optuna", "debug=fdr",
        "hydra.sweeper.n_trials=2", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    best = OmegaConf.load(tmp_path / "multirun" / "optimization_results.yaml")
    assert set(best.best_params) == {"model.lr", "model.lambda_adv", "model.hole_weight"}
    assert 0 < best.best_value < 100  # a val rel-ℓ1 in %
    assert sorted(p.name for p in (tmp_path / "multirun" / "sample" / "optuna").iterdir()) == ["0", "1"]


@pytest.mark.slow
def test_a_run_returns_its_optimized_metric_and_refuses_one_never_logged(tmp_path: Path) -> None:
    cfg = compose_config("train", [*TINY, "debug=fdr", "optimized_metric=val/rel_l1"])
    trainer = train(cfg, tmp_path)
    assert "val/rel_l1" in trainer.callback_metrics
    result = run_cli("debug=fdr", "optimized_metric=val/fid", f"hydra.run.dir={tmp_path / 'b'}")
    assert result.returncode == 1 and "optimized_metric val/fid was never logged" in result.stderr


def test_the_callbacks_group_builds_every_callback_inside_the_run_folder(tmp_path: Path) -> None:
    callbacks = build_callbacks(compose_config("train"), tmp_path)
    names = [type(c).__name__ for c in callbacks]
    assert names[:4] == ["ModelCheckpoint", "ModelCheckpoint", "SampleGrid", "SkippedImagesReport"]
    assert names[4] in ("RichProgressBar", "TQDMProgressBar")
    assert {c.dirpath for c in callbacks[:2]} == {str(tmp_path / "checkpoints")}
    assert callbacks[0].save_last and callbacks[1].monitor == "val/rel_l1"
    without = build_callbacks(compose_config("train", ["callbacks.sample_grid=null"]), tmp_path)
    assert "SampleGrid" not in [type(c).__name__ for c in without] and len(without) == 4
    assert build_callbacks(compose_config("train", ["callbacks=none"]), tmp_path) == []
    assert compose_config("train", ["debug=fdr"]).callbacks.last_checkpoint is None


def test_an_unwritable_run_folder_is_one_line_before_hydra_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "file").write_text("a file where the run folder's parent should be")
    monkeypatch.setattr(
        sys, "argv", ["pmrf-train", "debug=fdr", f"hydra.run.dir={tmp_path / 'file' / 'run'}"]
    )
    with pytest.raises(SystemExit) as stop:
        cli()
    assert stop.value.code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: cannot write the run's files to") and "file/run" in line


@pytest.mark.parametrize("error", [ConfigError("a setting"), ValueError("a bug deep inside")])
def test_only_user_errors_become_one_line(
    error: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def failing(cfg, run_dir):
        raise error

    monkeypatch.setattr("pmrf_lightning.train.train", failing)
    monkeypatch.setattr(sys, "argv", ["pmrf-train", f"hydra.run.dir={tmp_path}"])
    with pytest.raises(SystemExit) as stop:
        cli()
    assert stop.value.code == 1
    err = capsys.readouterr().err
    if isinstance(error, ConfigError):
        assert err == "error: a setting\n"
    else:  # a bug keeps its traceback
        assert "Traceback" in err and "ValueError: a bug deep inside" in err


def test_fast_dev_run_and_callbacks_none_write_no_checkpoint(tmp_path: Path) -> None:
    train(compose_config("train", [*TINY, "trainer.fast_dev_run=1"]), tmp_path / "fdr")
    steps = [*TINY, "trainer.max_steps=1", "trainer.limit_val_batches=1", "callbacks=none"]
    train(compose_config("train", steps), tmp_path / "none")
    assert not list(tmp_path.rglob("*.ckpt"))


def test_a_constructor_refusing_a_value_is_a_user_error_and_its_bugs_are_not() -> None:
    assert is_user_error(ValueError("image_size must be a positive multiple of 8"))
    assert is_user_error(TypeError("__init__() got an unexpected keyword argument 'widht'"))
    assert is_user_error(DatasetLayoutError("mask folder /nonexistent does not exist"))
    assert not is_user_error(TypeError("not all arguments converted during string formatting"))
    assert not is_user_error(AttributeError("'NoneType' object has no attribute 'shape'"))
