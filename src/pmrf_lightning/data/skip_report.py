"""A Lightning callback that reports, per epoch, how many unreadable images the loaders skipped."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_warn


class SkippedImagesReport(L.Callback):
    """Counts the unreadable files the batches met (see ``InpaintingDataset``) and warns once at the
    end of each training and validation epoch when there were any (counts of this process).

    An item's ``skipped`` is how many files its loader passed over; an unreadable file is the
    item's own file exactly when ``skipped > 0``, so counting those items counts each file once
    (two unreadable files in a row give items with 2 and 1: two files, not three)."""

    def __init__(self) -> None:
        self.counts = {"train": 0, "val": 0}

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: dict, batch_idx: int
    ) -> None:
        self.counts["train"] += int((batch["skipped"] > 0).sum())

    def on_validation_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: dict,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self.counts["val"] += int((batch["skipped"] > 0).sum())

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.report("train", trainer.current_epoch)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.report("val", trainer.current_epoch)

    def report(self, split: str, epoch: int) -> str | None:
        """Warn and reset; returns the message (None when nothing was skipped)."""
        count, self.counts[split] = self.counts[split], 0
        if not count:
            return None
        message = f"epoch {epoch}: skipped {count} unreadable {split} image(s); the log names each file"
        rank_zero_warn(message)
        return message
