"""``pmrf-export``: the generator (priority PConv included) as TorchScript or ONNX.

    pmrf-export --checkpoint model.ckpt --format torchscript --out prfn.pt
    pmrf-export --checkpoint model.ckpt --format onnx --out prfn.onnx --size 512

The exported graph takes ``image`` (1, 3, S, S) in [-1, 1] and ``mask`` (1, 1, S, S), 1 = known,
at the fixed ``--size`` S, and returns the image and the three side outputs. The priorities are
computed in every layer (no data-dependent shortcut), so exported and eager outputs agree.
The export is written to a hidden partial file beside ``--out``, run once on a new random holed
image and compared with the eager model; only an export that agrees (within ``TOLERANCE``) is
renamed to ``--out``, so a failed or interrupted export never leaves a file under that name.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ..imaging import MULTIPLE, partial_path, write_problem
from ..inference import check_attention_fits
from ..lit import load_generator
from ..models import PRFNGenerator

FORMATS = ("torchscript", "onnx")
TOLERANCE = 1e-4  # largest |export − eager| accepted (float32 kernels differ by ~1e-6)


class ExportableGenerator(nn.Module):
    """A generator with tuple outputs: (image, side H/2, side H/4, side H/8)."""

    def __init__(self, generator: PRFNGenerator) -> None:
        super().__init__()
        self.generator = generator.eval()

    def forward(self, image: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        output = self.generator(image, mask)
        return (output.image, *output.side)


def example_inputs(size: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(1, 3, size, size, generator=generator) * 2 - 1
    mask = torch.ones(1, 1, size, size)
    mask[..., size // 4 : size // 2, size // 3 : 3 * size // 4] = 0
    return image, mask


def onnx_hypot(g: object, x: object, y: object) -> object:
    """ONNX has no Hypot (the priorities' normal length): sqrt(x² + y²)."""
    return g.op("Sqrt", g.op("Add", g.op("Mul", x, x), g.op("Mul", y, y)))


def export(generator: PRFNGenerator, fmt: str, out: Path, size: int = 256) -> None:
    """Write the exported generator to ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    model = ExportableGenerator(generator)
    inputs = example_inputs(size)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # tracing warns about every Python-side shape check; the export is verified against eager below
        warnings.simplefilter("ignore")
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(model, inputs, check_trace=False), str(out))
        else:
            torch.onnx.register_custom_op_symbolic("aten::hypot", onnx_hypot, 17)
            torch.onnx.export(
                model, inputs, str(out), input_names=["image", "mask"],
                output_names=["output", "side_2", "side_4", "side_8"], opset_version=17, dynamo=False,
            )  # fmt: skip


def largest(differences: list[float]) -> float:
    """The largest difference, NaN when any is NaN (``max`` would pass over one after the first)."""
    return math.nan if any(math.isnan(d) for d in differences) else max(differences)


def max_difference(generator: PRFNGenerator, fmt: str, path: Path, size: int, seed: int = 1) -> float:
    """Largest absolute difference between the export and the eager model on a new holed image."""
    image, mask = example_inputs(size, seed)
    with torch.no_grad():
        expected = ExportableGenerator(generator)(image, mask)
    if fmt == "torchscript":
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", FutureWarning
            )  # torch.jit is deprecated in favour of torch.export
            got = torch.jit.load(str(path))(image, mask)
        return largest([float((a - b).abs().max()) for a, b in zip(expected, got)])
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": image.numpy(), "mask": mask.numpy()})
    return largest([float(np.abs(a.numpy() - b).max()) for a, b in zip(expected, got)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--size", type=int, default=256, help=f"side of the fixed input size (multiple of {MULTIPLE})"
    )
    args = parser.parse_args(argv)
    if args.size % MULTIPLE or args.size < MULTIPLE:
        print(f"error: --size must be a positive multiple of {MULTIPLE}, got {args.size}", file=sys.stderr)
        return 2
    problem = write_problem(args.out.parent)
    if problem is not None:
        print(f"error: cannot write {args.out}: {problem}", file=sys.stderr)
        return 1
    if args.out.is_dir():
        print(f"error: --out {args.out} is a folder; give the export's file name", file=sys.stderr)
        return 2
    try:
        generator = load_generator(args.checkpoint)
        check_attention_fits(
            generator, args.size, args.size, torch.device("cpu"), "--size", "export at a smaller --size"
        )
    except ValueError as error:  # CheckpointError, InpaintingInputError
        print(f"error: {error}", file=sys.stderr)
        return 1
    partial = partial_path(args.out)
    try:
        export(generator, args.format, partial, args.size)
        difference = max_difference(generator, args.format, partial, args.size)
        if not difference <= TOLERANCE:  # NaN too
            print(
                f"error: the export differs from the eager model by {difference:.2e} (more than "
                f"{TOLERANCE:.0e}) on a new holed image; {args.out} not written",
                file=sys.stderr,
            )
            return 1
        partial.replace(args.out)
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {args.out}; max |export − eager| = {difference:.2e} on a new holed image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
