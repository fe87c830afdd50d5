"""The learning curve of a ``pmrf-train`` run logged with ``logger=csv``: val scores against images seen.

    python tools/learning_curve.py outputs/photos_large/full            # Markdown table on stdout
    python tools/learning_curve.py outputs/photos_large/full --plot docs/learning_curve.png

Reads every ``RUN_DIR/csv/version_*/metrics.csv`` (a resumed run adds a version), keeps the
validation rows (``val/rel_l1`` in %, ``val/psnr``, ``val/ssim``) and counts images seen as steps ×
the batch size of the run's ``.hydra/config.yaml``. Lightning logs a validation at the index of the
last training step (299 after 300 steps), so steps are the logged index + 1. A step validated twice
(a run resumed before its next checkpoint) keeps its last row.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from omegaconf import OmegaConf

COLUMNS = ("val/rel_l1", "val/psnr", "val/ssim")


def validation_rows(run_dir: Path) -> dict[int, dict[str, float]]:
    """``{step: {column: value}}`` of every logged validation of the run, in step order."""
    rows: dict[int, dict[str, float]] = {}
    for path in sorted((run_dir / "csv").glob("version_*/metrics.csv"), key=lambda p: int(p.parent.name[8:])):
        with path.open(newline="") as file:
            for row in csv.DictReader(file):
                if row.get(COLUMNS[0]):
                    rows[int(row["step"]) + 1] = {column: float(row[column]) for column in COLUMNS}
    return dict(sorted(rows.items()))


def markdown(rows: dict[int, dict[str, float]], batch_size: int) -> str:
    lines = ["| step | images seen | val ℓ1 (%) | PSNR | SSIM |", "|---|---|---|---|---|"]
    for step, scores in rows.items():
        lines.append(
            f"| {step:,} | {step * batch_size:,} | {scores['val/rel_l1']:.2f} "
            f"| {scores['val/psnr']:.2f} | {scores['val/ssim']:.3f} |"
        )
    return "\n".join(lines)


def plot(rows: dict[int, dict[str, float]], batch_size: int, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = [step * batch_size for step in rows]
    figure, axis = plt.subplots(figsize=(5, 3.2), dpi=120)
    axis.plot(images, [scores["val/rel_l1"] for scores in rows.values()], marker="o")
    axis.set_xlabel("images seen")
    axis.set_ylabel("val ℓ1 (%)")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--plot", type=Path, help="also draw val ℓ1 against images seen into this PNG")
    args = parser.parse_args()
    config = args.run_dir / ".hydra" / "config.yaml"
    if not config.is_file():
        sys.exit(f"error: {args.run_dir} is not a pmrf-train run folder (no .hydra/config.yaml)")
    rows = validation_rows(args.run_dir)
    if not rows:
        sys.exit(
            f"error: no validation rows in {args.run_dir}/csv/version_*/metrics.csv (train with logger=csv)"
        )
    batch_size = int(OmegaConf.load(config).data.batch_size)
    print(markdown(rows, batch_size))
    if args.plot:
        plot(rows, batch_size, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
