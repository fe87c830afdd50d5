"""TorchScript and ONNX exports of the generator (priority PConv included) match eager."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pmrf_lightning.cli.export import ExportableGenerator, example_inputs, export, main, max_difference
from pmrf_lightning.models import PRFNGenerator


@pytest.fixture(scope="module")
def generator(tiny_generator: PRFNGenerator) -> PRFNGenerator:
    return tiny_generator


@pytest.mark.slow
@pytest.mark.parametrize("centre_colours", [False, True])
@pytest.mark.parametrize(("fmt", "suffix"), [("torchscript", ".pt"), ("onnx", ".onnx")])
def test_export_matches_eager_on_a_new_holed_image(
    fmt: str, suffix: str, centre_colours: bool, generator, tmp_path: Path
) -> None:
    if centre_colours:
        torch.manual_seed(0)
        generator = PRFNGenerator(width=4, blocks_per_stage=1, centre_colours=True).eval()
    path = tmp_path / f"prfn{suffix}"
    export(generator, fmt, path, size=64)
    assert max_difference(generator, fmt, path, size=64, seed=3) <= 1e-4


def test_the_export_computes_priorities_and_outputs_every_image(generator) -> None:
    outputs = ExportableGenerator(generator)(*example_inputs(64))
    assert [tuple(o.shape) for o in outputs] == [(1, 3, 64, 64), (1, 3, 32, 32), (1, 3, 16, 16), (1, 3, 8, 8)]


@pytest.mark.slow
def test_cli_from_a_checkpoint_and_its_errors(
    generator, save_tiny_checkpoint, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    checkpoint = save_tiny_checkpoint(generator, tmp_path / "m.ckpt")
    out = tmp_path / "m.pt"
    assert (
        main(["--checkpoint", str(checkpoint), "--format", "torchscript", "--out", str(out), "--size", "64"])
        == 0
    )
    assert out.is_file() and "max |export − eager|" in capsys.readouterr().out
    assert main(["--checkpoint", str(tmp_path / "no.ckpt"), "--format", "onnx", "--out", str(out)]) == 1
    assert main(["--checkpoint", str(checkpoint), "--format", "onnx", "--out", str(out), "--size", "60"]) == 2
