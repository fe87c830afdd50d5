"""Throughput of the training loader on the embedded photos, next to one CPU training step.

    python benchmarks/bench_data.py                # 256², batch 4, 0 and 2 workers
    python benchmarks/bench_data.py --batches 50

The loader decodes JPEGs, resizes, crops, flips and draws a procedural mask per image. The last
row times one generator + discriminator step (eq. 11–15) of the small CPU model on the same batch
size, to show whether the loader could hold training back.
"""

from __future__ import annotations

import argparse
import time

import torch
from rich.progress import track

from pmrf_lightning import losses
from pmrf_lightning.data import InpaintingDataModule
from pmrf_lightning.models import Discriminator, PRFNGenerator


def loader_rate(workers: int, args: argparse.Namespace) -> float:
    module = InpaintingDataModule("sample", image_size=args.size, batch_size=args.batch, num_workers=workers)
    module.setup("fit")
    batches = iter(module.train_dataloader())
    next(batches)  # worker start-up is not throughput
    start = time.perf_counter()
    for _ in track(range(args.batches), description=f"{workers} workers"):
        next(batches)
    return args.batches / (time.perf_counter() - start)


def train_step_seconds(args: argparse.Namespace) -> float:
    net_g, net_d = PRFNGenerator(width=8, blocks_per_stage=1), Discriminator(width=16)
    image = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    mask = torch.ones(args.batch, 1, args.size, args.size)
    mask[..., args.size // 4 : args.size // 2, :] = 0
    times = []
    for _ in range(3):
        start = time.perf_counter()
        out = net_g(image, mask)
        losses.discriminator_adversarial_loss(net_d(image), net_d(out.image.detach())).backward()
        loss = losses.generator_total_loss(
            losses.reconstruction_loss(image, out.image),
            losses.multiscale_reconstruction_loss(image, out.side),
            losses.generator_adversarial_loss(net_d(out.image)),
        )
        loss.backward()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()
    rates = {workers: loader_rate(workers, args) for workers in (0, 2)}
    step = train_step_seconds(args)
    print(
        f"\n{args.size}², batch {args.batch}, embedded sample set, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads\n"
    )
    print("| what | batches / s | ms / batch |\n|---|---|---|")
    for workers, rate in rates.items():
        print(f"| loader, {workers} workers | {rate:.1f} | {1000 / rate:.0f} |")
    print(f"| G + D step, width 8 (for comparison) | {1 / step:.2f} | {1000 * step:.0f} |")


if __name__ == "__main__":
    main()
