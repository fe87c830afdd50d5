"""Slim a ``pmrf-train`` checkpoint to the generator and ship it as the default model.

    python tools/ship_model.py outputs/photos_small/full/checkpoints/best.ckpt

Writes ``src/pmrf_lightning/weights/prfn_small.ckpt`` (or ``--out``): the generator's weights,
its architecture, its training size and the training step, in the layout ``load_generator`` reads
(no optimiser states, no discriminator). ``inpaint(model=None)``, ``pmrf-inpaint`` and
``pmrf-app`` load it by default.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from pmrf_lightning.inference import SHIPPED_CHECKPOINT
from pmrf_lightning.lit.checkpoint import load_generator


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=SHIPPED_CHECKPOINT)
    parser.add_argument("--image-size", type=int, help="the training side, for checkpoints that record none")
    args = parser.parse_args()
    try:
        load_generator(args.checkpoint)  # refuses anything that is not a loadable pmrf-train checkpoint
    except ValueError as error:
        sys.exit(f"error: {error}")
    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    hyper_parameters = checkpoint["hyper_parameters"]
    image_size = args.image_size or hyper_parameters.get("image_size")
    if image_size is None:
        sys.exit("error: the checkpoint records no image_size; give --image-size")
    slim = {
        "hyper_parameters": {"generator": hyper_parameters["generator"], "image_size": image_size},
        "state_dict": {k: v for k, v in checkpoint["state_dict"].items() if k.startswith("net_g.")},
        "global_step": checkpoint["global_step"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(slim, args.out)
    load_generator(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB, step {slim['global_step']})")


if __name__ == "__main__":
    main()
