"""What growing the hole (``dilate``) does to the shipped model's fill, with and without a halo.

    make data-photos && python benchmarks/bench_dilate.py [--limit 120]

The 120 held-out photos of ``data=photos`` with their frozen 128² masks (the model card's set).
Two cases: the mask covers the object exactly (no halo), or the object leaves a 2-pixel halo just
outside the mask (the truth darkened halfway towards black, as a soft edge or a shadow does),
which a tight mask misses. Errors are ℓ1 against the clean photo, in % of the 0–255 range: in the
mask's hole, on the edge band (pixels within 3 px of the hole's border, both sides: where halos and
seams show) and over the whole photo. ``inpaint(dilate=N)``, ``pmrf-inpaint --dilate N``.
"""

from __future__ import annotations

import argparse

import numpy as np
from hydra.utils import instantiate
from rich.progress import track

from pmrf_lightning.config import compose_config
from pmrf_lightning.imaging import to_uint8
from pmrf_lightning.inference import Inpainter, grow_hole

DILATIONS = (0, 1, 2, 4, 8)
HALO = 2  # pixels
EDGE = 3  # pixels on each side of the hole's border


def error(result: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(result.astype(np.int16) - truth)[where].mean() / 255 * 100)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--limit", type=int, default=120)
    args = parser.parse_args()
    dataset = instantiate(compose_config("eval", ["data=photos"]).data).make_dataset("val")
    inpainter = Inpainter(None, "cpu")
    sums: dict[tuple[str, int], np.ndarray] = {}
    for index in track(range(min(args.limit, len(dataset))), description="dilating"):
        item = dataset[index]
        truth, hole = to_uint8(item["image"]), item["mask"][0].numpy() < 0.5
        if not hole.any():
            continue
        halo = grow_hole(hole, HALO) & ~hole
        edge = grow_hole(hole, EDGE) & ~grow_hole(hole, -EDGE)
        haloed = truth.copy()
        haloed[halo] = truth[halo] // 2
        for case, observed in (("none", truth), (f"{HALO} px", haloed)):
            for dilate in DILATIONS:
                result = np.asarray(inpainter(observed, hole, dilate=dilate).image)
                scores = [error(result, truth, where) for where in (hole, edge, np.ones_like(hole))]
                sums[case, dilate] = sums.get((case, dilate), 0) + np.array([*scores, 1])
    print(f"\nshipped model, {int(sums['none', 0][3])} photos of data=photos val at 128², crop + Poisson\n")
    print("| halo | dilate | ℓ1 hole % | ℓ1 edge band % | ℓ1 photo % |\n|---|---|---|---|---|")
    for (case, dilate), total in sums.items():
        hole_l1, edge_l1, photo_l1 = total[:3] / total[3]
        print(f"| {case} | {dilate} | {hole_l1:.2f} | {edge_l1:.2f} | {photo_l1:.2f} |")


if __name__ == "__main__":
    main()
