"""Callbacks of a training run that are not Lightning's own: the validation sample grid and the
progress bar's choice. ``conf/callbacks/default.yaml`` lists every callback a run gets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import RichProgressBar, TQDMProgressBar
from torchvision.utils import make_grid, save_image

from ..config import ConfigError
from ..eval.metrics import composite, quantize


class SampleGrid(L.Callback):
    """After each validation, ``RUN_DIR/samples/stepNNNNNN.png`` (and the logger's image, W&B):
    rows masked input | output | composite | ground truth for the first ``images`` images of the
    first validation batch. The module's ``validation_step`` returns the batch's outputs."""

    def __init__(self, images: int = 4) -> None:
        if images < 1:
            raise ConfigError(f"callbacks.sample_grid.images must be positive, got {images}")
        self.images = images

    def on_validation_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: dict,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if batch_idx != 0 or trainer.sanity_checking or not trainer.is_global_zero:
            return
        n = min(self.images, len(batch["image"]))
        image, mask, output = batch["image"][:n], batch["mask"][:n], outputs["output"][:n]
        masked = torch.where(mask > 0.5, image, torch.zeros_like(image))  # the hole shows grey
        rows = [masked, output, composite(mask, image, output), image]
        grid = make_grid(torch.cat([quantize(r) for r in rows]).float().cpu(), nrow=n, padding=2)
        folder = Path(trainer.default_root_dir) / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        save_image(grid, folder / f"step{trainer.global_step:06d}.png")
        for logger in trainer.loggers:
            if hasattr(logger, "log_image"):
                caption = ["masked | output | composite | ground truth"]
                logger.log_image("val/samples", [grid], step=trainer.global_step, caption=caption)


def progress_bar(refresh_rate: int = 50) -> RichProgressBar | TQDMProgressBar:
    """A live rich bar in a terminal; in a log file (nohup, a cluster job) a line every
    ``refresh_rate`` steps."""
    return RichProgressBar() if sys.stderr.isatty() else TQDMProgressBar(refresh_rate=refresh_rate)
