"""Images per second of the whole evaluation (load, inpaint, composite, metrics) at 256² on the CPU.

    python benchmarks/bench_eval.py

Runs on the embedded val set (39 photos, seeded masks over all six buckets), FID off. The learned
rows are the shipped model (``weights/prfn_small.ckpt``), raw and Poisson-blended (``blend=poisson``).
"""

from __future__ import annotations

import time

import torch

from pmrf_lightning.blending import poisson_blend_batch
from pmrf_lightning.data import InpaintingDataModule
from pmrf_lightning.eval.baselines import BASELINES
from pmrf_lightning.eval.evaluate import evaluate
from pmrf_lightning.inference import Inpainter


def main() -> None:
    module = InpaintingDataModule("sample", image_size=256, batch_size=8, num_workers=2)
    module.setup("validate")
    files = module.files("val")
    fill = Inpainter(None, "cpu").fill
    inpainters = {
        "PRFN shipped (width 16, 2 blocks)": fill,
        "PRFN shipped + Poisson blending": lambda i, m: poisson_blend_batch(i, m, fill(i, m)),
    }
    inpainters |= {f"baseline {name}": fill for name, fill in BASELINES.items()}
    rows = []
    for name, inpaint in inpainters.items():
        start = time.perf_counter()
        records, _ = evaluate(inpaint, module.val_dataloader(), files, torch.device("cpu"))
        rows.append((name, len(records) / (time.perf_counter() - start)))
    print(f"\n256², {len(files)} images, CPU, {torch.get_num_threads()} threads, torch {torch.__version__}\n")
    print("| inpainter | images / s |\n|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:.1f} |")


if __name__ == "__main__":
    main()
