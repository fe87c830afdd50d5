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
from dataclasses import dataclass
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException
from torch.utils.data import DataLoader

from ..blending import BLENDS, poisson_blend_batch
from ..config import CONFIG_DIR, ConfigError, error_line, is_bug_in_a_constructor
from ..data import DatasetLayoutError
from ..eval.baselines import BASELINES, FillFunction
from ..eval.compare import compare, comparison_markdown, read_scores
from ..eval.evaluate import evaluate
from ..eval.fid import inception_features
from ..eval.tables import table1, table2
from ..imaging import InpaintingInputError, UnreadableImageError, pick_device
from ..inference import Inpainter
from ..lit.checkpoint import CheckpointError

USER_ERRORS = (  # one line and exit 1; anything else is a bug and keeps its traceback
    ConfigError,
    CheckpointError,
    InpaintingInputError,
    DatasetLayoutError,
    UnreadableImageError,
    InstantiationException,
    OmegaConfBaseException,
)
MODES = ("checkpoint", "baseline", "sweep", "compare")


def mode(cfg: DictConfig) -> str:
    """Which of the four things to do: exactly one of ``MODES`` must be given."""
    given = [name for name in MODES if cfg.get(name) is not None]
    if len(given) != 1:
        raise ConfigError(
            "give exactly one of checkpoint=PATH, baseline=NAME, sweep=DIR or compare=[A,B]"
            + (f"; got {', '.join(given)}" if given else "")
        )
    return given[0]


def fill_function(cfg: DictConfig, device: torch.device, checkpoint: str | None = None) -> FillFunction:
    """What to score: a checkpoint (``Inpainter.fill``) or a baseline, blended as ``cfg.blend`` says."""
    if cfg.blend not in BLENDS:
        raise ConfigError(f"blend must be one of {', '.join(BLENDS)}, got {cfg.blend!r}")
    if checkpoint is not None:
        fill = Inpainter(checkpoint, device).fill
    elif cfg.baseline not in BASELINES:
        raise ConfigError(f"unknown baseline {cfg.baseline!r}; choose one of {', '.join(BASELINES)}")
    else:
        fill = BASELINES[cfg.baseline]
    if cfg.blend == "none":
        return fill
    return lambda image, mask: poisson_blend_batch(image, mask, fill(image, mask))  # GLCIC's post-processing


@dataclass(frozen=True)
class EvalData:
    """The loader, its files and the FID features: built once, shared by every run of a sweep."""

    loader: DataLoader
    files: list[Path]
    features: torch.nn.Module | None


def prepare(cfg: DictConfig, device: torch.device) -> EvalData:
    datamodule = instantiate(cfg.data)
    dataset = datamodule.make_dataset(cfg.split)
    files = dataset.files
    if cfg.limit is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(cfg.limit, len(dataset))))
    loader = DataLoader(dataset, batch_size=datamodule.eval_batch_size, num_workers=datamodule.num_workers)
    features = None if cfg.fid is False or cfg.fid is None else inception_features(cfg.fid.weights).to(device)
    return EvalData(loader, files, features)


def score(cfg: DictConfig, inpaint: FillFunction, data: EvalData, device: torch.device, out: Path) -> dict:
    image_dir = out / "composites" if cfg.save_images else None
    if image_dir is not None:
        image_dir.mkdir(parents=True, exist_ok=True)
    records, summary = evaluate(
        inpaint, data.loader, data.files, device, data.features, image_dir, total=len(data.loader)
    )
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
    if not folder.is_dir():
        raise ConfigError(f"sweep={folder} is not a folder (a pmrf-train -m run's multirun folder)")
    runs = {}
    for run in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in ("best.ckpt", "last.ckpt"):
            if (run / "checkpoints" / name).is_file():
                runs[run.name] = run / "checkpoints" / name
                break
    if not runs:
        raise ConfigError(f"no run with checkpoints/best.ckpt or last.ckpt under {folder}")
    return runs


def compare_runs(runs: ListConfig | str) -> str:
    if not isinstance(runs, ListConfig) or len(runs) != 2:
        raise ConfigError(f"compare takes two pmrf-eval run folders, compare=[A,B]; got {runs}")
    a, b = (Path(run).expanduser() for run in runs)
    return comparison_markdown(compare(read_scores(a), read_scores(b)), str(a), str(b))


def run_sweep(cfg: DictConfig, device: torch.device, out: Path) -> str:
    """Table 1 of every run of a sweep (in its own folder) and Table 2 beside the paper's."""
    runs = sweep_runs(Path(cfg.sweep).expanduser())
    data = prepare(cfg, device)
    averages = {}
    for name, checkpoint in runs.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        summary = score(cfg, fill_function(cfg, device, str(checkpoint)), data, device, folder)
        blending = " + Poisson blending" if cfg.blend == "poisson" else ""
        (folder / "table.md").write_text(table1(summary, f"{name} ({checkpoint}){blending}"))
        averages[name] = summary["Ave"]
    return table2(averages)


def run_one(cfg: DictConfig, device: torch.device, out: Path) -> str:
    """Table 1 of one checkpoint or baseline, with what it left out."""
    fill = fill_function(cfg, device, cfg.checkpoint)
    summary = score(cfg, fill, prepare(cfg, device), device, out)
    what = (cfg.baseline or cfg.checkpoint) + (" + Poisson blending" if cfg.blend == "poisson" else "")
    text = table1(summary, f"{what} on {cfg.data.dataset} {cfg.split}")
    if summary["outside"]["n"]:
        outside = summary["outside"]["n"]
        text += f"\n\n{outside} image(s) with no hole or more than 60 % hole are not in the table."
    if summary["skipped"]["n"]:
        names = ", ".join(Path(name).name for name in summary["skipped"]["files"])
        text += f"\n\n{summary['skipped']['n']} unreadable image(s) not scored: {names}."
    return text


def run(cfg: DictConfig, out: Path) -> str:
    """Do what ``cfg`` asks (``mode``) and write its Markdown into ``out``; returns that Markdown."""
    if cfg.limit is not None and (
        isinstance(cfg.limit, bool) or not isinstance(cfg.limit, int) or cfg.limit < 1
    ):
        raise ConfigError(f"limit must be a positive number of images (or null for all), got {cfg.limit}")
    what = mode(cfg)
    if what == "compare":
        text = compare_runs(cfg.compare)
        (out / "compare.md").write_text(text + "\n")
        return text
    device = pick_device(cfg.device)
    text = run_sweep(cfg, device, out) if what == "sweep" else run_one(cfg, device, out)
    (out / "table.md").write_text(text + "\n")
    return text


@hydra.main(config_path=str(CONFIG_DIR), config_name="eval", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        text = run(cfg, out)
    except USER_ERRORS as error:
        if is_bug_in_a_constructor(error):
            raise
        print(f"error: {error_line(error)}", file=sys.stderr)
        sys.exit(1)
    print(text)
    if cfg.compare is None:
        print(f"\nscores: {out / 'scores.json'}, {out / 'scores.csv'}; table: {out / 'table.md'}")
    else:
        print(f"\ncomparison: {out / 'compare.md'}")


if __name__ == "__main__":
    main()
