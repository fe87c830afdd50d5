"""Seconds and peak memory of ``poisson_blend`` on one square hole, for two SuperLU column orders.

    python benchmarks/bench_blend.py                  # holes of 400², 800² and 1600² pixels
    python benchmarks/bench_blend.py --sides 200 400

The photo is a smooth random image with one centred square hole, its side 80 % of the photo's;
the fill is the photo itself. Each row runs in a fresh process, so the peak RSS is that of one solve
(about 560 MiB of it the imports, torch among them). ``MMD_AT_PLUS_A`` (with SuperLU's symmetric mode) is
what ``blending.py`` uses; ``COLAMD`` is SciPy's default order for a general matrix.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
from PIL import Image

from pmrf_lightning import blending

ORDERS = ("MMD_AT_PLUS_A", "COLAMD")


def measure(order: str, side: int) -> tuple[float, float, float]:
    """Seconds, peak RSS (MiB) and the largest error against the truth, the photo."""
    size = round(side / 0.8)
    rng = np.random.default_rng(0)
    photo = np.asarray(Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((size, size)))
    hole = np.zeros((size, size), bool)
    start = (size - side) // 2
    hole[start : start + side, start : start + side] = True
    blending.ORDERING = order
    began = time.perf_counter()
    blended = blending.poisson_blend(photo, photo, hole)
    seconds = time.perf_counter() - began
    error = float(np.abs(blended - photo).max())
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, error


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sides", type=int, nargs="+", default=[400, 800, 1600])
    args = parser.parse_args()
    context = mp.get_context("spawn")
    print("| hole | order | s | peak RSS MiB | max error (0–255) |\n|---|---|---|---|---|")
    for side in args.sides:
        for order in ORDERS:
            with context.Pool(1) as pool:
                seconds, peak, error = pool.apply(measure, (order, side))
            hole = f"{side}² ({side * side / 1e6:.2f} M px)"
            print(f"| {hole} | {order} | {seconds:.1f} | {peak:.0f} | {error:.1e} |", flush=True)


if __name__ == "__main__":
    main()
