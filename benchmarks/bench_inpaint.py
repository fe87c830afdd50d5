"""Seconds per photo and peak memory of ``inpaint()`` for each strategy at 512², 1024² and 2048².

    python benchmarks/bench_inpaint.py            # CPU, the shipped architecture (width 16, 2 blocks)
    python benchmarks/bench_inpaint.py --device cuda --width 32 --blocks 4

The photo is a smooth random image with three holes (about 8 % of its area). The model is freshly
initialised: speed and memory do not depend on its weights. Every strategy includes the default
Poisson blending; the last row times the blending alone (``poisson_blend`` on the same holes).
``original`` runs the whole photo at full resolution, where the attention map of eq. 3 has
(H/8 · W/8)² entries: at 2048² that is 65,536² floats (16 GiB), so it is skipped there.
A last table times ``crop`` on a 24-megapixel photo (6000×4000) with one 80×60 hole: its cost
should follow the hole, not the photo.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
import torch
from PIL import Image

from pmrf_lightning.blending import poisson_blend
from pmrf_lightning.inference import STRATEGIES, inpaint
from pmrf_lightning.models import PRFNGenerator

SIZES = (512, 1024, 2048)
MAX_ORIGINAL = 1024
BLEND_ROW = "Poisson blend alone"


def photo_and_mask(size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    photo = np.asarray(Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((size, size)))
    mask = np.zeros((size, size), np.uint8)
    for top, left, side in [(0.1, 0.1, 0.15), (0.5, 0.6, 0.2), (0.7, 0.2, 0.12)]:
        mask[int(top * size) : int((top + side) * size), int(left * size) : int((left + side) * size)] = 255
    return photo, mask


def measure(strategy: str, size: int, args: argparse.Namespace) -> tuple[float, float]:
    torch.manual_seed(0)
    model = PRFNGenerator(args.width, args.blocks).eval()
    photo, mask = photo_and_mask(size)
    inpaint(photo[:256, :256], mask[:256, :256], model, strategy, args.device)  # warm-up
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    inpaint(photo, mask, model, strategy, args.device)
    seconds = time.perf_counter() - start
    if args.device == "cuda":
        return seconds, torch.cuda.max_memory_allocated() / 2**20
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_large(args: argparse.Namespace) -> tuple[float, float]:
    """``crop`` on a 6000×4000 photo with one 80×60 hole, after a warm-up at 256²."""
    torch.manual_seed(0)
    model = PRFNGenerator(args.width, args.blocks).eval()
    small, small_mask = photo_and_mask(256)
    inpaint(small, small_mask, model, "crop", args.device)
    rng = np.random.default_rng(0)
    photo = np.empty((4000, 6000, 3), np.uint8)
    photo[:] = rng.integers(0, 256, (1, 6000, 3), dtype=np.uint8)
    mask = np.zeros((4000, 6000), np.uint8)
    mask[2000:2060, 3000:3080] = 255
    start = time.perf_counter()
    inpaint(photo, mask, model, "crop", args.device)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_blend(size: int) -> tuple[float, float]:
    photo, mask = photo_and_mask(size)
    start = time.perf_counter()
    poisson_blend(photo, photo, mask > 0)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    context = mp.get_context("spawn")
    results = {}
    for strategy in STRATEGIES:
        for size in SIZES:
            if strategy == "original" and size > MAX_ORIGINAL:
                continue
            with context.Pool(1) as pool:
                results[strategy, size] = pool.apply(measure, (strategy, size, args))
            print(f"measured {strategy} at {size}²", flush=True)
    for size in SIZES:
        with context.Pool(1) as pool:
            results[BLEND_ROW, size] = pool.apply(measure_blend, (size,))
    memory = "peak CUDA MiB" if args.device == "cuda" else "peak RSS MiB"
    print(f"\nwidth {args.width}, {args.blocks} block(s)/stage, {args.device}, torch {torch.__version__}\n")
    print("| strategy | " + " | ".join(f"s @{s}² | {memory} @{s}²" for s in SIZES) + " |")
    print("|---" * (1 + 2 * len(SIZES)) + "|")
    for strategy in (*STRATEGIES, BLEND_ROW):
        cells = []
        for size in SIZES:
            seconds, peak = results.get((strategy, size), (None, None))
            cells += ["–", "–"] if seconds is None else [f"{seconds:.1f}", f"{peak:.0f}"]
        print(f"| {strategy} | " + " | ".join(cells) + " |")
    with context.Pool(1) as pool:
        seconds, peak = pool.apply(measure_large, (args,))
    print("\n| photo | hole | strategy | s | peak RSS MiB |\n|---|---|---|---|---|")
    print(f"| 6000×4000 (24 MP) | 80×60 | crop | {seconds:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
