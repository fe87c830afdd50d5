"""``PRFNModule``: the GAN training loop of paper §4.4 with Lightning's manual optimisation.

One training step is a discriminator update (eq. 13) followed by a generator update
(eq. 11, 12, 14, 15). The generator and discriminator are built here from plain keyword
arguments, so a checkpoint carries the architecture it needs (``hparams``) and refuses to load
into another one.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor

from .. import losses
from ..config import ConfigError
from ..eval.metrics import MeanImageScores, composite, quantize
from ..models import Discriminator, PRFNGenerator
from ..models.discriminator import MIN_SIDE
from .checkpoint import CheckpointError


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; training stops and the last good checkpoint stays."""


class PRFNModule(L.LightningModule):
    """PRFN generator (``net_g``) and discriminator (``net_d``) trained adversarially.

    ``generator`` and ``discriminator`` are the keyword arguments of ``PRFNGenerator`` and
    ``Discriminator``. Adam for both, lr 1e-4 and β = (0.001, 0.99) as the paper prints them.
    ``lr_decay_fraction > 0`` lowers both learning rates linearly to 0 over that last fraction of
    ``trainer.max_steps`` (pix2pix's schedule; the paper's stays constant). The rate follows
    ``global_step``, so a resumed run may change ``max_steps`` or the decay and stays on schedule.
    ``hole_weight`` scales the hole pixels' share of eq. 11 (1: the paper's whole-image ℓ1);
    ``edge_weight`` adds to the weight of the hole pixels beside known ones (0: the paper's).
    ``image_size`` (the side of the training images), at least the discriminator's ``MIN_SIDE``, is
    recorded: inference brings each hole's crop to the scale the model learnt (``inference.Inpainter``).
    """

    def __init__(
        self,
        generator: dict[str, Any],
        discriminator: dict[str, Any],
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.001, 0.99),
        lambda_rec: float = losses.LAMBDA_REC,
        lambda_mrec: float = losses.LAMBDA_MREC,
        lambda_adv: float = 1.0,
        channels_last: bool = False,
        lr_decay_fraction: float = 0.0,
        hole_weight: float = 1.0,
        edge_weight: float = 0.0,
        image_size: int | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= lr_decay_fraction <= 1.0:
            raise ConfigError(f"lr_decay_fraction must lie in [0, 1], got {lr_decay_fraction}")
        for name, value in [("lr", lr), ("hole_weight", hole_weight)]:
            if not value > 0:  # NaN too
                raise ConfigError(f"{name} must be positive, got {value}")
        if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
            raise ConfigError(f"betas must be two numbers in [0, 1), got {list(betas)}")
        weights = [("lambda_rec", lambda_rec), ("lambda_mrec", lambda_mrec), ("lambda_adv", lambda_adv)]
        for name, weight in [*weights, ("edge_weight", edge_weight)]:
            if not weight >= 0:  # NaN too
                raise ConfigError(f"{name} must not be negative, got {weight}")
        if image_size is not None and image_size < MIN_SIDE:
            raise ConfigError(
                f"image_size must be at least {MIN_SIDE} to train (the discriminator's least side), "
                f"got {image_size}"
            )
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.net_g = PRFNGenerator(**generator)
        self.net_d = Discriminator(**discriminator)
        if channels_last:
            self.net_g.to(memory_format=torch.channels_last)
            self.net_d.to(memory_format=torch.channels_last)
        self.val_scores = MeanImageScores()  # the same per-image scores as pmrf-eval's Table 1

    # ------------------------------------------------------------------ the two halves of a step

    def forward_batch(self, batch: dict) -> dict:
        """Adds ``output`` (a ``GeneratorOutput``) to the batch."""
        return {**batch, "output": self.net_g(batch["image"], batch["mask"])}

    def discriminator_loss(self, batch: dict) -> tuple[Tensor, dict[str, Tensor]]:
        """Eq. 13 on real images and detached generator outputs."""
        real_logits = self.net_d(batch["image"])
        fake_logits = self.net_d(batch["output"].image.detach())
        loss = losses.discriminator_adversarial_loss(real_logits, fake_logits)
        metrics = {
            "loss_d": loss.detach(),
            "d_real": torch.sigmoid(real_logits).mean().detach(),
            "d_fake": torch.sigmoid(fake_logits).mean().detach(),
        }
        return loss, metrics

    def generator_loss(self, batch: dict) -> tuple[Tensor, dict[str, Tensor]]:
        """Eq. 15: λ_rec · eq. 11 + λ_mrec · eq. 12 + λ_adv · eq. 14."""
        output, image = batch["output"], batch["image"]
        hp = self.hparams
        loss_rec = losses.reconstruction_loss(
            image, output.image, batch["mask"], hp.hole_weight, hp.edge_weight
        )
        loss_mrec = losses.multiscale_reconstruction_loss(image, output.side)
        loss_adv = losses.generator_adversarial_loss(self.net_d(output.image))
        loss = losses.generator_total_loss(
            loss_rec, loss_mrec, loss_adv, hp.lambda_rec, hp.lambda_mrec, hp.lambda_adv
        )
        metrics = {
            "loss_g": loss.detach(),
            "loss_rec": loss_rec.detach(),
            "loss_mrec": loss_mrec.detach(),
            "loss_adv": loss_adv.detach(),
        }
        return loss, metrics

    # ------------------------------------------------------------------ Lightning hooks

    def on_train_start(self) -> None:
        if self.hparams.lr_decay_fraction > 0 and self.trainer.max_steps <= 0:
            raise ConfigError("lr_decay_fraction needs trainer.max_steps (the decay ends there)")

    def decay_learning_rate(self, optimizers: tuple) -> None:
        """Set both optimisers to the configured lr, scaled down linearly to 0 over the last
        ``lr_decay_fraction`` of ``trainer.max_steps``."""
        hp, max_steps = self.hparams, self.trainer.max_steps
        remaining = max_steps - self.global_step
        lr = hp.lr * min(1.0, max(0.0, remaining / (hp.lr_decay_fraction * max_steps)))
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] = lr

    def training_step(self, batch: dict, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        if self.hparams.lr_decay_fraction > 0:
            self.decay_learning_rate((opt_g, opt_d))
        batch = self.forward_batch(batch)

        self.toggle_optimizer(opt_d)
        loss_d, metrics_d = self.discriminator_loss(batch)
        self._check_finite(loss_d, "discriminator")
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss_d)
        # the raw optimiser: Lightning counts every wrapped step, and global_step should count
        # training steps (one per batch, as the paper's iterations), not G + D steps
        opt_d.optimizer.step()
        self.untoggle_optimizer(opt_d)

        self.toggle_optimizer(opt_g)  # net_d's parameters stop requiring grad for this half
        loss_g, metrics_g = self.generator_loss(batch)
        self._check_finite(loss_g, "generator")
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss_g)
        opt_g.step()
        self.untoggle_optimizer(opt_g)

        metrics = {f"train/{k}": v for k, v in {**metrics_g, **metrics_d}.items()}
        self.log_dict(metrics, prog_bar=False, batch_size=len(batch["image"]))
        self.log("train/lr", opt_g.param_groups[0]["lr"], batch_size=len(batch["image"]))
        self.log("loss_g", metrics_g["loss_g"], prog_bar=True, logger=False)
        self.log("loss_d", metrics_d["loss_d"], prog_bar=True, logger=False)

    def _check_finite(self, loss: Tensor, which: str) -> None:
        if not torch.isfinite(loss):
            raise NonFiniteLossError(f"{which} loss is {loss.item()} at step {self.global_step}")

    def validation_step(self, batch: dict, batch_idx: int) -> dict[str, Tensor]:
        """Scores the batch; returns its ``output`` for callbacks (the sample grid)."""
        image, mask = batch["image"], batch["mask"]
        output = self.net_g(image, mask).image
        target, result = quantize(image), quantize(composite(mask, image, output))
        self.val_scores.update(target, result)
        return {"output": output}

    def on_validation_epoch_end(self) -> None:
        self.log_dict(
            {f"val/{key}": value for key, value in self.val_scores.compute().items()}, prog_bar=True
        )
        self.val_scores.reset()

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        hp = self.hparams
        opt_g = torch.optim.Adam(self.net_g.parameters(), lr=hp.lr, betas=tuple(hp.betas))
        opt_d = torch.optim.Adam(self.net_d.parameters(), lr=hp.lr, betas=tuple(hp.betas))
        return [opt_g, opt_d]

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        saved = checkpoint.get("hyper_parameters", {})
        for key in ("generator", "discriminator"):
            before, now = dict(saved.get(key, {})), dict(self.hparams[key])
            if key in saved and before != now:
                raise CheckpointError(f"checkpoint was trained with {key} {before}, this run builds {now}")
        # the configured lr and betas win over the saved ones, so a resumed run may change them
        for state in checkpoint.get("optimizer_states", []):
            for group in state["param_groups"]:
                group["lr"], group["betas"] = self.hparams.lr, tuple(self.hparams.betas)
