"""Cost of the generator and each Table 2 ablation: parameters, GFLOPs, ms per forward, peak memory.

    python benchmarks/bench_model.py                       # paper width, 256² and 512², CPU
    python benchmarks/bench_model.py --width 8 --blocks 1  # a quick look at the small model
    python benchmarks/bench_model.py --device cuda

Each ablation runs in its own process (so its peak memory is its own), in eval mode without
gradients, batch 1, on an image with a fixed hole of 27 % (three rectangles). Time is the fastest
of ``--repeats`` forwards after one warm-up; the "× HRNet" columns divide by the HRNet row of the
same run. FLOPs are counted by ``torch.utils.flop_counter`` (multiply-add = 2 FLOPs; the
element-wise priority maths is not counted).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import torch
from rich.progress import track
from torch.utils.flop_counter import FlopCounterMode

from pmrf_lightning.config import ablation_arguments, ablation_names
from pmrf_lightning.models import PRFNGenerator


def holed_input(size: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, size, size, generator=generator) * 2 - 1
    mask = torch.ones(1, 1, size, size)
    for top, left, height, width in [
        (0.10, 0.15, 0.30, 0.40),
        (0.50, 0.45, 0.35, 0.30),
        (0.20, 0.70, 0.50, 0.12),
    ]:
        mask[
            ..., int(top * size) : int((top + height) * size), int(left * size) : int((left + width) * size)
        ] = 0
    return image.to(device), mask.to(device)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def measure(name: str, args: argparse.Namespace) -> dict:
    """Runs in a child process: everything about one ablation."""
    torch.manual_seed(0)
    net = PRFNGenerator(args.width, args.blocks, **ablation_arguments(name)).to(args.device).eval()
    row = {"name": name, "params": sum(p.numel() for p in net.parameters()) / 1e6}
    before = rss_mb()
    with torch.no_grad():
        for size in args.sizes:
            image, mask = holed_input(size, args.device)
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            net(image, mask)  # warm-up
            times = []
            for _ in range(args.repeats):
                if args.device == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                net(image, mask)
                if args.device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - start)
            row[f"ms{size}"] = 1000 * min(times)
            if args.device == "cuda":
                row[f"mem{size}"] = torch.cuda.max_memory_allocated() / 2**20
            else:  # high-water mark of the process minus what it held before the first forward
                row[f"mem{size}"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
        with FlopCounterMode(display=False) as counter:
            net(*holed_input(256, args.device))
        row["gflops"] = counter.get_total_flops() / 1e9
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ablations", nargs="+", default=ablation_names())
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    names = ["hrnet"] + [name for name in args.ablations if name != "hrnet"]

    context = mp.get_context("spawn")
    rows = []
    for name in track(names, description="ablations"):
        with context.Pool(1) as pool:
            rows.append(pool.apply(measure, (name, args)))
    baseline = rows[0]

    device = (
        torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    )
    memory = "peak CUDA MiB" if args.device == "cuda" else "peak RSS growth MiB"
    print(f"\nwidth {args.width}, {args.blocks} blocks/stage, batch 1, {device}, torch {torch.__version__}\n")
    header = ["ablation", "params (M)", "GFLOPs @256²"]
    for size in args.sizes:
        header += [f"ms @{size}²", f"× HRNet @{size}²", f"{memory} @{size}²"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [row["name"], f"{row['params']:.2f}", f"{row['gflops']:.1f}"]
        for size in args.sizes:
            cells += [
                f"{row[f'ms{size}']:.0f}",
                f"{row[f'ms{size}'] / baseline[f'ms{size}']:.2f}",
                f"{row[f'mem{size}']:.0f}",
            ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
