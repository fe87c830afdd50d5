"""Score an inpainter on a dataset: per-image metrics, per-bucket means and FID (Table 1).

Each output is composited into the known pixels, ``M ⊙ I_gt + (1 − M) ⊙ I_g``, and quantised to
8 bits as a saved PNG would be, before any metric. Images whose mask falls outside the paper's six
buckets (no hole, or more than 60 %) are scored per image but left out of the table. The summary
also holds ``edge_error``: the mean error of hole pixels by their distance to the nearest known
pixel (all images), which shows whether a fill loses at the hole's edge or deep inside. An
unreadable file is never scored (the dataset would hand over the next readable image in its
place): the summary's ``skipped`` lists those files, and every ``n`` counts scored images only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from rich.progress import track
from torch import nn
from torchvision.utils import save_image

from ..data.masks import BUCKET_LABELS, NUM_BUCKETS, hole_ratio, mask_ratio_bucket
from .baselines import FillFunction
from .fid import new_fid
from .metrics import (
    EDGE_DISTANCES,
    MAX_EDGE_DISTANCE,
    composite,
    edge_error_sums,
    per_image_scores,
    quantize,
)

SCORES = ("rel_l1", "rel_l1_gt", "psnr", "ssim")


def evaluate(
    inpaint: FillFunction,
    batches: Iterable[dict],
    files: list[Path],
    device: torch.device,
    fid_features: nn.Module | None = None,
    image_dir: Path | None = None,
    total: int | None = None,
) -> tuple[list[dict], dict[str, dict]]:
    """Returns per-image records and the summary keyed by bucket label, "Ave", "edge_error" and
    "skipped"."""
    fids = {b: new_fid(fid_features).to(device) for b in range(NUM_BUCKETS)} if fid_features else {}
    records: list[dict] = []
    unreadable: list[str] = []
    edge_sums = edge_counts = torch.zeros(MAX_EDGE_DISTANCE + 1, dtype=torch.float64)
    for batch in track(batches, description="evaluating", total=total):
        if "skipped" in batch:  # an item whose own file was unreadable holds another file's image
            own = batch["skipped"] == 0
            unreadable += [str(files[i]) for i in batch["index"][~own].tolist()]
            batch = {key: batch[key][own] for key in ("image", "mask", "index")}
            if not len(batch["index"]):
                continue
        image, mask = batch["image"].to(device), batch["mask"].to(device)
        with torch.no_grad():
            output = inpaint(image, mask)
        target, result = quantize(image), quantize(composite(mask, image, output))
        scores = {key: value.tolist() for key, value in per_image_scores(target, result).items()}
        sums, counts = edge_error_sums(target, result, mask)
        edge_sums, edge_counts = edge_sums + sums, edge_counts + counts
        buckets = [mask_ratio_bucket(m) for m in mask]
        for i, index in enumerate(batch["index"].tolist()):
            record = {"index": index, "file": str(files[index]), "bucket": buckets[i]}
            record["hole_ratio"] = hole_ratio(mask[i])
            records.append(record | {key: scores[key][i] for key in SCORES})
            if image_dir is not None:
                save_image(result[i], image_dir / f"{index:06d}.png")
        for bucket, fid in fids.items():
            chosen = [i for i, b in enumerate(buckets) if b == bucket]
            if chosen:
                fid.update(target[chosen], real=True)
                fid.update(result[chosen], real=False)
    summary = summarise(records, fids)
    summary["edge_error"] = {
        str(d): float(edge_sums[d] / edge_counts[d]) for d in EDGE_DISTANCES if edge_counts[d] > 0
    }
    summary["skipped"] = {"n": len(unreadable), "files": unreadable}
    return records, summary


def summarise(records: list[dict], fids: dict[int, nn.Module]) -> dict[str, dict]:
    summary: dict[str, dict] = {}
    for bucket, label in enumerate(BUCKET_LABELS):
        rows = [r for r in records if r["bucket"] == bucket]
        entry: dict = {"n": len(rows)}
        for key in SCORES:
            entry[key] = sum(r[key] for r in rows) / len(rows) if rows else None
        entry["fid"] = float(fids[bucket].compute()) if bucket in fids and len(rows) >= 2 else None
        summary[label] = entry
    filled = [summary[label] for label in BUCKET_LABELS if summary[label]["n"]]
    average: dict = {"n": sum(e["n"] for e in filled)}
    for key in (*SCORES, "fid"):
        values = [e[key] for e in filled if e[key] is not None]
        average[key] = sum(values) / len(values) if values else None
    summary["Ave"] = average
    summary["outside"] = {"n": sum(1 for r in records if not 0 <= r["bucket"] < NUM_BUCKETS)}
    return summary
