"""Seconds per training step (one D + one G update, eq. 11–15) and peak memory.

    python benchmarks/bench_train.py                        # CPU: small and paper widths, 256², batch 4
    python benchmarks/bench_train.py --device cuda          # GPU: images / s in fp32 and bf16

Each configuration runs in its own process; time is the fastest of ``--repeats`` steps after a
warm-up step. CPU memory is the growth of the process's peak RSS during the steps; GPU memory is
``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import torch

from pmrf_lightning.lit import PRFNModule

WIDTHS = {"small (width 8, 1 block)": dict(width=8, blocks_per_stage=1), "paper (width 32, 4 blocks)": {}}


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def one_step(
    module: PRFNModule,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    batch: dict,
    dtype: torch.dtype | None,
) -> None:
    device_type = batch["image"].device.type
    with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        batch = module.forward_batch(batch)
        loss_d, _ = module.discriminator_loss(batch)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        loss_g, _ = module.generator_loss(batch)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()


def measure(name: str, precision: str, args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    module = PRFNModule(WIDTHS[name], {}).to(args.device).train()
    opt_g, opt_d = module.configure_optimizers()
    image = torch.rand(args.batch, 3, args.size, args.size, device=args.device) * 2 - 1
    mask = torch.ones(args.batch, 1, args.size, args.size, device=args.device)
    mask[..., args.size // 4 : args.size // 2, args.size // 8 : args.size // 2] = 0
    batch = {"image": image, "mask": mask}
    dtype = torch.bfloat16 if precision == "bf16-mixed" else None
    before = rss_mb()
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.repeats + 1):
        if args.device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        one_step(module, opt_g, opt_d, batch, dtype)
        if args.device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    if args.device == "cuda":
        memory = torch.cuda.max_memory_allocated() / 2**20
    else:
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    return {"name": name, "precision": precision, "seconds": min(times[1:]), "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    precisions = ["32-true", "bf16-mixed"] if args.device == "cuda" else ["32-true"]
    jobs = [(name, precision) for name in WIDTHS for precision in precisions]
    context = mp.get_context("spawn")
    rows = []
    for name, precision in jobs:
        with context.Pool(1) as pool:
            rows.append(pool.apply(measure, (name, precision, args)))
        print(f"measured {name}, {precision}", flush=True)
    device = (
        torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    )
    memory = "peak CUDA MiB" if args.device == "cuda" else "peak RSS growth MiB"
    print(f"\n{args.size}², batch {args.batch}, {device}, torch {torch.__version__}\n")
    print(f"| model | precision | s / step | images / s | {memory} |\n|---|---|---|---|---|")
    for row in rows:
        name, precision, seconds, memory = row["name"], row["precision"], row["seconds"], row["memory"]
        print(f"| {name} | {precision} | {seconds:.2f} | {args.batch / seconds:.2f} | {memory:.0f} |")


if __name__ == "__main__":
    main()
