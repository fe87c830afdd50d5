"""TorchScript and ONNX exports of the generator (priority PConv included) match eager."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from pmrf_lightning.cli.export import (
    ExportableGenerator,
    example_inputs,
    export,
    largest,
    main,
    max_difference,
)
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


def test_cli_writes_only_an_export_that_agrees_and_refuses_what_it_cannot_write(
    generator, save_tiny_checkpoint, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    checkpoint = save_tiny_checkpoint(generator, tmp_path / "m.ckpt")

    def run(out: Path, size: int = 64) -> tuple[int, str]:
        argv = ["--checkpoint", str(checkpoint), "--format", "torchscript", "--out", str(out)]
        code = main([*argv, "--size", str(size)])
        return code, capsys.readouterr().err

    out = tmp_path / "m.pt"
    out.write_text("an earlier export")
    assert run(out)[0] == 0 and out.read_bytes() != b"an earlier export"  # replaced whole
    assert {p.name for p in tmp_path.iterdir()} == {"m.ckpt", "m.pt"}  # no partial file left

    for difference, shown in [(0.5, "5.00e-01"), (float("nan"), "nan")]:
        monkeypatch.setattr("pmrf_lightning.cli.export.max_difference", lambda *args, d=difference: d)
        code, err = run(tmp_path / "wrong.pt")
        assert code == 1 and err.startswith(f"error: the export differs from the eager model by {shown}")
        assert {p.name for p in tmp_path.iterdir()} == {"m.ckpt", "m.pt"}  # neither it nor its partial

    code, err = run(tmp_path)
    assert code == 2 and err == f"error: --out {tmp_path} is a folder; give the export's file name\n"
    code, err = run(tmp_path / "m.pt" / "sub" / "x.pt")
    assert code == 1 and err == f"error: cannot write {out / 'sub' / 'x.pt'}: {out} is a file, not a folder\n"
    monkeypatch.setattr("pmrf_lightning.inference.free_memory", lambda device: 2**20)
    code, err = run(tmp_path / "big.pt", size=512)
    assert code == 1 and "--size at 512×512 needs about" in err and err.count("\n") == 1
    assert not (tmp_path / "big.pt").exists()


def test_a_nan_in_any_output_is_the_largest_difference() -> None:
    assert largest([1e-7, 2e-7]) == 2e-7
    assert math.isnan(largest([1e-7, math.nan, 2e-7]))  # max() would return 2e-7
