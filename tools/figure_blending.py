"""Draw docs/blending.png: held-out photos with their frozen masks, the shipped model's raw fill,
the same fill Poisson-blended (the inference default), OpenCV Navier–Stokes and the truth.

    python tools/figure_blending.py            # needs `make data-photos`

Every image is the 8-bit composite that ``pmrf-eval`` scores (128², ``data=photos``, val split).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from hydra.utils import instantiate  # noqa: E402

from pmrf_lightning.blending import poisson_blend_batch  # noqa: E402
from pmrf_lightning.config import compose_config  # noqa: E402
from pmrf_lightning.eval.baselines import BASELINES  # noqa: E402
from pmrf_lightning.eval.metrics import composite, quantize  # noqa: E402
from pmrf_lightning.inference import Inpainter  # noqa: E402

INDICES = (2, 3, 49, 51, 97)  # two cups, two forest paths, one storm sky: several hole sizes
COLUMNS = ("input (hole white)", "PRFN, raw", "PRFN + Poisson blending", "Navier–Stokes", "truth")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/blending.png"))
    args = parser.parse_args()
    dataset = instantiate(compose_config("eval", ["data=photos"]).data).make_dataset("val")
    items = [dataset[i] for i in INDICES]
    image = torch.stack([item["image"] for item in items])
    mask = torch.stack([item["mask"] for item in items])
    raw = Inpainter(None, "cpu").fill(image, mask)
    columns = [
        torch.where(mask > 0.5, image, torch.ones_like(image)),
        composite(mask, image, raw),
        poisson_blend_batch(image, mask, raw),
        composite(mask, image, BASELINES["ns"](image, mask)),
        image,
    ]
    figure, axes = plt.subplots(len(INDICES), len(COLUMNS), figsize=(2 * len(COLUMNS), 2 * len(INDICES)))
    for col, (title, pictures) in enumerate(zip(COLUMNS, columns)):
        for row, picture in enumerate(quantize(pictures)):
            axes[row, col].imshow(picture.permute(1, 2, 0).numpy())
            axes[row, col].set_axis_off()
        axes[0, col].set_title(title, fontsize=9)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
