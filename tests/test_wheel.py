"""A non-editable install trains and evaluates from any directory: conf/ travels in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "logger=csv", "model.generator.width=4", "model.generator.blocks_per_stage=1",
    "model.discriminator.width=4", "data.image_size=64", "data.batch_size=2", "data.num_workers=0",
    "trainer.enable_progress_bar=false",
]  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel and installed (without its dependencies) into a fresh folder.

    Built from a copy of the sources: setuptools leaves build/ and *.egg-info beside what it builds."""
    source, wheels = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    target = tmp_path_factory.mktemp("site")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("src", "conf"):  # conf beside src keeps the package's conf link valid
        shutil.copytree(
            ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("*.egg-info")
        )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source], check=True)
    (wheel,) = wheels.glob("*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)
    return target


def run(module: str, arguments: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONWARNINGS": "ignore", "WANDB_MODE": "offline"}
    command = [sys.executable, "-m", module, *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)


@pytest.mark.slow
def test_the_wheel_ships_the_configs(installed: Path) -> None:
    package = installed / "pmrf_lightning"
    assert (package / "conf" / "train.yaml").is_file() and not (package / "conf").is_symlink()
    assert {p.stem for p in (package / "conf" / "ablation").glob("*.yaml")} >= {"full", "hrnet", "wo_arf"}


@pytest.mark.slow
def test_train_and_eval_run_from_another_directory(installed: Path, tmp_path: Path) -> None:
    train = run("pmrf_lightning.train", ["experiment=sample", "debug=fdr", *TINY], installed, tmp_path)
    assert train.returncode == 0, train.stderr[-2000:]
    assert "training steps:  1" in train.stdout
    assert (tmp_path / "outputs" / "debug" / "fdr" / "sample" / "full" / ".hydra" / "config.yaml").is_file()
    where = subprocess.run(
        [sys.executable, "-c", "import pmrf_lightning.config as c; print(c.CONFIG_DIR)"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(installed)}, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.strip() == str(installed / "pmrf_lightning" / "conf")
    evaluate = run(
        "pmrf_lightning.cli.eval",
        ["baseline=telea", "data=sample", "fid=false", "limit=4"],
        installed,
        tmp_path,
    )
    assert evaluate.returncode == 0, evaluate.stderr[-2000:]
    assert "| Ave |" in evaluate.stdout


def test_the_package_data_globs_cover_every_config_file() -> None:
    """A config in a deeper folder would be missing from the wheel without a failing test."""
    configs = {p.relative_to(ROOT / "conf") for p in (ROOT / "conf").rglob("*.yaml")}
    assert configs and all(len(p.parts) <= 2 for p in configs)
    assert (ROOT / "src" / "pmrf_lightning" / "conf").resolve() == (ROOT / "conf").resolve()
