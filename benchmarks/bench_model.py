"""Cost of the generator and its Table 2 ablations: parameters, GFLOPs, aten ops and host syncs per
forward, ms per forward, peak memory; optionally against another checkout of the code, in one run.

    python benchmarks/bench_model.py                                    # paper width, 256² and 512², CPU
    python benchmarks/bench_model.py --width 16 --blocks 2 --centre-colours   # the shipped model
    python benchmarks/bench_model.py --width 16 --blocks 2 --centre-colours --ablations hrnet full \\
        --formats contiguous channels_last --baseline-src ../old/src     # against an older commit
    python benchmarks/bench_model.py --device cuda

Each row runs in its own process (so its peak memory is its own), in eval mode without
gradients, batch 1, on an image with a fixed hole of 27 % (three rectangles). Time is the fastest
of ``--repeats`` forwards after one warm-up; the "× HRNet" columns divide by the HRNet row of the
same code and memory format in the same run. FLOPs are counted by ``torch.utils.flop_counter``
(multiply-add = 2 FLOPs; the element-wise priority maths is not counted); aten ops and host syncs
(``aten._local_scalar_dense``) under a ``TorchDispatchMode`` at the first size. ``--baseline-src``
adds the same rows for the package found in that ``src`` folder (e.g. an old commit checked out
with ``git worktree add``); a channels-last row converts the weights and the input
(``load_generator`` does the same for inference); ``--folded`` adds rows of this code with
BatchNorm folded into the convolutions (``nn.fold_batchnorm``, as ``load_generator`` returns it).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time

import torch
from rich.progress import track
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode


class OpCounter(TorchDispatchMode):
    """Counts every aten op dispatched, and the host–device syncs among them."""

    def __init__(self) -> None:
        super().__init__()
        self.ops = 0
        self.syncs = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.ops += 1
        self.syncs += func is torch.ops.aten._local_scalar_dense.default
        return func(*args, **(kwargs or {}))


def holed_input(
    size: int, device: str, memory_format: torch.memory_format
) -> tuple[torch.Tensor, torch.Tensor]:
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
    return image.to(device, memory_format=memory_format), mask.to(device)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def measure(
    code: str, source: str | None, name: str, memory: str, folded: bool, args: argparse.Namespace
) -> dict:
    """Runs in a child process: everything about one row."""
    if source is not None:
        sys.path.insert(0, source)
    from pmrf_lightning.config import ablation_arguments
    from pmrf_lightning.models import PRFNGenerator

    memory_format = torch.channels_last if memory == "channels_last" else torch.contiguous_format
    torch.manual_seed(0)
    net = PRFNGenerator(
        args.width, args.blocks, centre_colours=args.centre_colours, **ablation_arguments(name)
    )
    net = net.to(args.device, memory_format=memory_format).eval()
    if folded:
        from pmrf_lightning.nn import fold_batchnorm

        fold_batchnorm(net)
    row = {
        "code": code,
        "name": name,
        "memory": memory + (", BN folded" if folded else ""),
        "params": sum(p.numel() for p in net.parameters()) / 1e6,
    }
    before = rss_mb()
    with torch.no_grad():
        for size in args.sizes:
            image, mask = holed_input(size, args.device, memory_format)
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
        inputs = holed_input(args.sizes[0], args.device, memory_format)
        with FlopCounterMode(display=False) as counter:
            net(*inputs)
        row["gflops"] = counter.get_total_flops() / 1e9
        with OpCounter() as ops:
            net(*inputs)
        row["ops"], row["syncs"] = ops.ops, ops.syncs
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--centre-colours", action="store_true", help="as the shipped model")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ablations", nargs="+", default=None, help="default: all of conf/ablation")
    parser.add_argument(
        "--formats", nargs="+", default=["contiguous"], choices=["contiguous", "channels_last"]
    )
    parser.add_argument(
        "--folded", action="store_true", help="add rows with BatchNorm folded (as load_generator runs)"
    )
    parser.add_argument("--baseline-src", default=None, help="a src/ folder of other code to measure too")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    if args.ablations is None:
        from pmrf_lightning.config import ablation_names

        args.ablations = ablation_names()
    names = ["hrnet"] + [name for name in args.ablations if name != "hrnet"]
    codes = [("this", None)] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    folds = [False, True] if args.folded else [False]
    jobs = [
        (code, source, name, memory, folded)
        for code, source in codes
        for folded in folds
        for memory in args.formats
        for name in names
        if code == "this" or not folded
    ]
    if args.baseline_src:  # the old code as it shipped: contiguous tensors only
        jobs = [job for job in jobs if job[0] == "this" or job[3] == "contiguous"]

    context = mp.get_context("spawn")
    rows = []
    for job in track(jobs, description="rows"):
        with context.Pool(1) as pool:
            rows.append(pool.apply(measure, (*job, args)))
    hrnet = {(r["code"], r["memory"]): r for r in rows if r["name"] == "hrnet"}

    device = (
        torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    )
    memory = "peak CUDA MiB" if args.device == "cuda" else "peak RSS growth MiB"
    print(
        f"\nwidth {args.width}, {args.blocks} blocks/stage, centre_colours={args.centre_colours}, batch 1, "
        f"{device}, torch {torch.__version__}\n"
    )
    header = [
        "code",
        "ablation",
        "memory format",
        "params (M)",
        f"GFLOPs @{args.sizes[0]}²",
        "aten ops",
        "host syncs",
    ]
    for size in args.sizes:
        header += [f"ms @{size}²", f"× HRNet @{size}²", f"{memory} @{size}²"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        base = hrnet[(row["code"], row["memory"])]
        cells = [
            row["code"], row["name"], row["memory"], f"{row['params']:.2f}", f"{row['gflops']:.1f}",
            f"{row['ops']} ({row['ops'] / base['ops']:.2f}×)", str(row["syncs"]),
        ]  # fmt: skip
        for size in args.sizes:
            cells += [
                f"{row[f'ms{size}']:.0f}",
                f"{row[f'ms{size}'] / base[f'ms{size}']:.2f}",
                f"{row[f'mem{size}']:.0f}",
            ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
