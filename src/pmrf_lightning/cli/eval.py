"""``pmrf-eval``: Table 1 per hole-ratio bucket for a checkpoint or a baseline; Table 2 for a sweep.

    pmrf-eval checkpoint=PATH data=sample fid=false
    pmrf-eval baseline=telea data=sample fid=false          # telea | ns | biharmonic | mean
    pmrf-eval sweep=multirun/sample data=sample fid=false   # Table 2 beside the paper's
    pmrf-eval checkpoint=PATH data=photos fid=false blend=poisson   # + Poisson blending
    pmrf-eval compare=[outputs/eval/A,outputs/eval/B]        # paired per-bucket A − B, 95 % intervals
    pmrf-eval checkpoint=PATH data=places2 data.root=/data/places365 split=test \\
        masks@data.eval_masks=frozen data.eval_masks.root=masks/eval256 fid.weights=/path/inception.pth

Writes ``table.md``, ``scores.json`` (summary and every image) and ``scores.csv`` into the run
folder. Errors in the set-up print one line and exit 1.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException
from torch.utils.data import DataLoader

from ..blending import BLENDS, poisson_blend_batch
from ..config import CONFIG_DIR
from ..data import DatasetLayoutError
from ..eval.baselines import BASELINES, FillFunction
from ..eval.compare import compare, comparison_markdown, read_scores
from ..eval.evaluate import evaluate
from ..eval.fid import inception_features
from ..eval.tables import table1, table2
from ..imaging import pick_device
from ..inference import Inpainter


def fill_function(checkpoint: str | None, baseline: str | None, device: torch.device) -> FillFunction:
    if (checkpoint is None) == (baseline is None):
        raise ValueError("give exactly one of checkpoint=PATH, baseline=NAME or sweep=DIR")
    if baseline is not None:
        if baseline not in BASELINES:
            raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")
        return BASELINES[baseline]
    return Inpainter(checkpoint, device).fill


def blended(inpaint: FillFunction, blend: str) -> FillFunction:
    """``blend=poisson`` blends every output into its image (GLCIC's post-processing), else as is."""
    if blend not in BLENDS:
        raise ValueError(f"blend must be one of {', '.join(BLENDS)}, got {blend!r}")
    if blend == "none":
        return inpaint
    return lambda image, mask: poisson_blend_batch(image, mask, inpaint(image, mask))


def prepare(cfg: DictConfig, device: torch.device) -> tuple[DataLoader, list[Path], torch.nn.Module | None]:
    """The loader, its files and the FID features: built once, shared by every run of a sweep."""
    datamodule = instantiate(cfg.data)
    dataset = datamodule.make_dataset(cfg.split)
    files = dataset.files
    if cfg.limit is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(cfg.limit, len(dataset))))
    loader = DataLoader(dataset, batch_size=datamodule.eval_batch_size, num_workers=datamodule.num_workers)
    features = None if cfg.fid is False or cfg.fid is None else inception_features(cfg.fid.weights).to(device)
    return loader, files, features


def score(cfg: DictConfig, inpaint: FillFunction, prepared: tuple, device: torch.device, out: Path) -> dict:
    loader, files, features = prepared
    image_dir = out / "composites" if cfg.save_images else None
    if image_dir is not None:
        image_dir.mkdir(parents=True, exist_ok=True)
    records, summary = evaluate(inpaint, loader, files, device, features, image_dir, total=len(loader))
    write_scores(out, records, summary)
    return summary


def write_scores(out: Path, records: list[dict], summary: dict) -> None:
    (out / "scores.json").write_text(json.dumps({"summary": summary, "images": records}, indent=1))
    with open(out / "scores.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]) if records else ["index"])
        writer.writeheader()
        writer.writerows(records)


def sweep_runs(folder: Path) -> dict[str, Path]:
    """ablation name -> its best (else last) checkpoint, for every run folder of a sweep."""
    runs = {}
    for run in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in ("best.ckpt", "last.ckpt"):
            if (run / "checkpoints" / name).is_file():
                runs[run.name] = run / "checkpoints" / name
                break
    if not runs:
        raise ValueError(f"no run with checkpoints/best.ckpt or last.ckpt under {folder}")
    return runs


def compare_runs(runs: ListConfig | str) -> str:
    if not isinstance(runs, ListConfig) or len(runs) != 2:
        raise ValueError(f"compare takes two pmrf-eval run folders, compare=[A,B]; got {runs}")
    a, b = (Path(run).expanduser() for run in runs)
    return comparison_markdown(compare(read_scores(a), read_scores(b)), str(a), str(b))


def run(cfg: DictConfig, out: Path) -> str:
    if cfg.limit is not None and (not isinstance(cfg.limit, int) or cfg.limit < 1):
        raise ValueError(f"limit must be a positive number of images (or null for all), got {cfg.limit}")
    if cfg.compare is not None:
        text = compare_runs(cfg.compare)
        (out / "compare.md").write_text(text + "\n")
        return text
    device = pick_device(cfg.device)
    blending = " + Poisson blending" if cfg.blend == "poisson" else ""
    if cfg.sweep is not None:
        runs = sweep_runs(Path(cfg.sweep).expanduser())
        prepared = prepare(cfg, device)
        averages = {}
        for name, checkpoint in runs.items():
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            inpaint = blended(fill_function(str(checkpoint), None, device), cfg.blend)
            summary = score(cfg, inpaint, prepared, device, folder)
            (folder / "table.md").write_text(table1(summary, f"{name} ({checkpoint}){blending}"))
            averages[name] = summary["Ave"]
        text = table2(averages)
    else:
        inpaint = blended(fill_function(cfg.checkpoint, cfg.baseline, device), cfg.blend)
        what = (cfg.baseline or cfg.checkpoint) + blending
        summary = score(cfg, inpaint, prepare(cfg, device), device, out)
        text = table1(summary, f"{what} on {cfg.data.dataset} {cfg.split}")
        if summary["outside"]["n"]:
            outside = summary["outside"]["n"]
            text += f"\n\n{outside} image(s) with no hole or more than 60 % hole are not in the table."
        if summary["skipped"]["n"]:
            names = ", ".join(Path(name).name for name in summary["skipped"]["files"])
            text += f"\n\n{summary['skipped']['n']} unreadable image(s) not scored: {names}."
    (out / "table.md").write_text(text + "\n")
    return text


@hydra.main(config_path=str(CONFIG_DIR), config_name="eval", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        text = run(cfg, out)
    except (ValueError, FileNotFoundError, DatasetLayoutError, OmegaConfBaseException) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    print(text)
    if cfg.compare is None:
        print(f"\nscores: {out / 'scores.json'}, {out / 'scores.csv'}; table: {out / 'table.md'}")
    else:
        print(f"\ncomparison: {out / 'compare.md'}")


if __name__ == "__main__":
    main()
