"""TorchScript and ONNX exports of the generator (priority PConv included) match eager."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pmrf_lightning.cli.export import ExportableGenerator, example_inputs, export, main, max_difference
from pmrf_lightning.models import PRFNGenerator


@pytest.fixture(scope="module")
def generator() -> PRFNGenerator:
    torch.manual_seed(0)
    return PRFNGenerator(width=4, blocks_per_stage=1).eval()


@pytest.mark.parametrize(("fmt", "suffix"), [("torchscript", ".pt"), ("onnx", ".onnx")])
def test_export_matches_eager_on_a_new_holed_image(fmt: str, suffix: str, generator, tmp_path: Path) -> None:
    path = tmp_path / f"prfn{suffix}"
    export(generator, fmt, path, size=64)
    assert max_difference(generator, fmt, path, size=64, seed=3) <= 1e-4


def test_the_export_computes_priorities_and_outputs_every_image(generator) -> None:
    outputs = ExportableGenerator(generator)(*example_inputs(64))
    assert [tuple(o.shape) for o in outputs] == [(1, 3, 64, 64), (1, 3, 32, 32), (1, 3, 16, 16), (1, 3, 8, 8)]


def test_cli_from_a_checkpoint_and_its_errors(
    generator, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    checkpoint = tmp_path / "m.ckpt"
    state = {f"net_g.{k}": v for k, v in generator.state_dict().items()}
    torch.save(
        {"hyper_parameters": {"generator": {"width": 4, "blocks_per_stage": 1}}, "state_dict": state},
        checkpoint,
    )
    out = tmp_path / "m.pt"
    assert (
        main(["--checkpoint", str(checkpoint), "--format", "torchscript", "--out", str(out), "--size", "64"])
        == 0
    )
    assert out.is_file() and "max |export − eager|" in capsys.readouterr().out
    assert main(["--checkpoint", str(tmp_path / "no.ckpt"), "--format", "onnx", "--out", str(out)]) == 1
    assert main(["--checkpoint", str(checkpoint), "--format", "onnx", "--out", str(out), "--size", "60"]) == 2
