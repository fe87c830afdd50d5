"""Seconds and peak memory of ``poisson_blend`` on one square hole, for two ways to run SuperLU.

    python benchmarks/bench_blend.py                  # holes of 400², 800² and 1600² pixels
    python benchmarks/bench_blend.py --sides 200 400

The photo is a smooth random image with one centred square hole, its side 80 % of the photo's;
the fill is the photo itself. Each row runs in a fresh process, so the peak RSS is that of one solve
(about 560 MiB of it the imports, torch among them). ``symmetric`` is what ``blending.py`` uses
(``blending.LU_OPTIONS``: minimum-degree order, symmetric mode, diagonal pivots); ``general`` is
SciPy's default for any matrix (COLAMD order, partial pivoting), what the blending used before.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
from PIL import Image

from pmrf_lightning import blending

SOLVERS = {"symmetric": blending.LU_OPTIONS, "general": {}}


def measure(solver: str, side: int) -> tuple[float, float, float]:
    """Seconds, peak RSS (MiB) and the largest error against the truth, the photo."""
    size = round(side / 0.8)
    rng = np.random.default_rng(0)
    photo = np.asarray(Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((size, size)))
    hole = np.zeros((size, size), bool)
    start = (size - side) // 2
    hole[start : start + side, start : start + side] = True
    blending.LU_OPTIONS = SOLVERS[solver]
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
    print("| hole | LU | s | peak RSS MiB | max error (0–255) |\n|---|---|---|---|---|")
    for side in args.sides:
        for solver in SOLVERS:
            with context.Pool(1) as pool:
                seconds, peak, error = pool.apply(measure, (solver, side))
            hole = f"{side}² ({side * side / 1e6:.2f} M px)"
            print(f"| {hole} | {solver} | {seconds:.1f} | {peak:.0f} | {error:.1e} |", flush=True)


if __name__ == "__main__":
    main()
