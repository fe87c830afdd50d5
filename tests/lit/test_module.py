"""The GAN step of PRFNModule: both networks learn, the generator half leaves net_d alone."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from PIL import Image

from pmrf_lightning import losses
from pmrf_lightning.data import InpaintingDataModule
from pmrf_lightning.eval.evaluate import evaluate
from pmrf_lightning.lit import NonFiniteLossError, PRFNModule, initialise_from
from pmrf_lightning.lit.callbacks import SampleGrid

SMALL_G = dict(width=4, blocks_per_stage=1)
SMALL_D = dict(width=4)


def tiny_data() -> InpaintingDataModule:
    return InpaintingDataModule("sample", image_size=64, batch_size=2, num_workers=0)


def run_steps(module: L.LightningModule, tmp_path: Path, steps: int = 1, **trainer_kwargs) -> L.Trainer:
    trainer = L.Trainer(
        accelerator="cpu", max_steps=steps, limit_val_batches=1, num_sanity_val_steps=0, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        default_root_dir=tmp_path, **trainer_kwargs,
    )  # fmt: skip
    trainer.fit(module, datamodule=tiny_data())
    return trainer


def snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in net.named_parameters()}


def changed(before: dict[str, torch.Tensor], net: torch.nn.Module) -> bool:
    return any(not torch.equal(before[name], p) for name, p in net.named_parameters())


def test_one_step_updates_both_networks_and_counts_one_global_step(tmp_path: Path) -> None:
    module = PRFNModule(SMALL_G, SMALL_D)
    before_g, before_d = snapshot(module.net_g), snapshot(module.net_d)
    trainer = run_steps(module, tmp_path)
    assert changed(before_g, module.net_g) and changed(before_d, module.net_d)
    assert trainer.global_step == 1


class FrozenDiscriminatorLR(L.Callback):
    """Sets the discriminator's learning rate to 0, so only the generator half can move net_d."""

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for group in trainer.optimizers[1].param_groups:
            group["lr"] = 0.0


def test_the_generator_half_does_not_touch_the_discriminator(tmp_path: Path) -> None:
    module = PRFNModule(SMALL_G, SMALL_D)
    before_g, before_d = snapshot(module.net_g), snapshot(module.net_d)
    run_steps(module, tmp_path, steps=2, callbacks=[FrozenDiscriminatorLR()])
    assert changed(before_g, module.net_g)
    assert not changed(before_d, module.net_d)
    assert all(p.requires_grad for p in module.net_d.parameters())  # untoggled after the step


class RecordsDiscriminatorGrad(PRFNModule):
    """Notes, during the generator half, whether any of net_d's parameters would collect a gradient."""

    def generator_loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        self.net_d_trainable_in_g_half = any(p.requires_grad for p in self.net_d.parameters())
        return super().generator_loss(batch)


def test_the_generator_half_runs_with_the_discriminator_frozen(tmp_path: Path) -> None:
    """toggle_optimizer(opt_g) must turn net_d's requires_grad off, so the generator's backward
    leaves no gradient in net_d (with lr 0 above, the discriminator could not move anyway)."""
    module = RecordsDiscriminatorGrad(SMALL_G, SMALL_D)
    run_steps(module, tmp_path)
    assert module.net_d_trainable_in_g_half is False


def test_the_generator_loss_is_eq15_from_losses(monkeypatch: pytest.MonkeyPatch) -> None:
    """One eq. 15: the module calls losses.generator_total_loss with its three weights."""
    calls = []
    original = losses.generator_total_loss

    def spy(*args: object) -> torch.Tensor:
        calls.append(args[3:])
        return original(*args)

    monkeypatch.setattr("pmrf_lightning.losses.generator_total_loss", spy)
    module = PRFNModule(SMALL_G, SMALL_D, lambda_rec=2.0, lambda_mrec=3.0, lambda_adv=0.5)
    image, mask = torch.rand(2, 3, 64, 64) * 2 - 1, torch.ones(2, 1, 64, 64)
    module.generator_loss(module.forward_batch({"image": image, "mask": mask}))
    assert calls == [(2.0, 3.0, 0.5)]


def test_validation_and_pmrf_eval_agree_on_one_batch() -> None:
    """One metric path: validation_step's ℓ1, PSNR and SSIM are pmrf-eval's per-image means."""
    torch.manual_seed(0)
    module = PRFNModule(SMALL_G, SMALL_D).eval()
    image = torch.rand(3, 3, 64, 64) * 2 - 1
    mask = torch.ones(3, 1, 64, 64)
    mask[..., 10:40, 20:50] = 0
    batch = {"image": image, "mask": mask, "index": torch.arange(3)}
    with torch.no_grad():
        module.validation_step(batch, batch_idx=1)  # batch 0 would also write a sample grid
    validation = module.val_scores.compute()
    records, _ = evaluate(
        lambda image, mask: module.net_g(image, mask).image, [batch], [Path(f"{i}.png") for i in range(3)],
        torch.device("cpu"),
    )  # fmt: skip
    for key, value in validation.items():
        assert abs(value.item() - sum(r[key] for r in records) / len(records)) < 1e-6


def test_loss_halves_report_their_terms() -> None:
    module = PRFNModule(SMALL_G, SMALL_D, lambda_rec=2.0, lambda_mrec=3.0, lambda_adv=0.5)
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    mask = torch.ones(2, 1, 64, 64)
    mask[..., 16:40, 16:40] = 0
    batch = module.forward_batch({"image": image, "mask": mask})
    loss_g, metrics_g = module.generator_loss(batch)
    expected = 2.0 * metrics_g["loss_rec"] + 3.0 * metrics_g["loss_mrec"] + 0.5 * metrics_g["loss_adv"]
    torch.testing.assert_close(loss_g.detach(), expected)
    loss_d, metrics_d = module.discriminator_loss(batch)
    assert loss_d.item() == pytest.approx(metrics_d["loss_d"].item())
    assert 0 < metrics_d["d_real"] < 1 and 0 < metrics_d["d_fake"] < 1


class NaNAtStep(PRFNModule):
    def generator_loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        loss, metrics = super().generator_loss(batch)
        return (loss * float("nan"), metrics) if self.global_step == 3 else (loss, metrics)


def test_a_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(
        dirpath=tmp_path / "ckpt", every_n_train_steps=2, save_top_k=0, save_last=True
    )
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=10,
        limit_val_batches=0,
        logger=False,
        callbacks=[checkpoint],
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    with pytest.raises(NonFiniteLossError, match="generator loss is nan at step 3"):
        trainer.fit(NaNAtStep(SMALL_G, SMALL_D), datamodule=tiny_data())
    saved = torch.load(tmp_path / "ckpt" / "last.ckpt", weights_only=False)
    assert saved["global_step"] == 2
    assert all(torch.isfinite(v).all() for v in saved["state_dict"].values() if v.is_floating_point())


def test_validation_logs_metrics_and_the_sample_grid_callback_writes_its_rows(tmp_path: Path) -> None:
    module = PRFNModule(SMALL_G, SMALL_D)
    trainer = run_steps(module, tmp_path, steps=1, callbacks=[SampleGrid(images=2)])
    trainer.validate(module, datamodule=tiny_data(), verbose=False)
    metrics = trainer.callback_metrics
    assert {"val/rel_l1", "val/psnr", "val/ssim"} <= set(metrics)
    assert 0 < metrics["val/rel_l1"] < 100 and 0 < metrics["val/ssim"] <= 1
    (grid,) = (tmp_path / "samples").glob("step*.png")
    # 4 rows (masked | output | composite | truth) of 2 images of 64², 2 px padding
    assert Image.open(grid).size == (2 + 2 * 66, 2 + 4 * 66)


def test_checkpoint_of_another_architecture_is_refused(tmp_path: Path) -> None:
    trainer = run_steps(PRFNModule(SMALL_G, SMALL_D), tmp_path)
    trainer.save_checkpoint(tmp_path / "a.ckpt")
    other = PRFNModule(dict(width=6, blocks_per_stage=1), SMALL_D)
    trainer = L.Trainer(
        accelerator="cpu", max_steps=2, logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    with pytest.raises(ValueError, match="checkpoint was trained with generator"):
        trainer.fit(other, datamodule=tiny_data(), ckpt_path=tmp_path / "a.ckpt")


def test_a_resumed_run_takes_the_configured_learning_rate(tmp_path: Path) -> None:
    trainer = run_steps(PRFNModule(SMALL_G, SMALL_D, lr=1e-4), tmp_path)
    trainer.save_checkpoint(tmp_path / "a.ckpt")
    resumed = PRFNModule(SMALL_G, SMALL_D, lr=5e-4, betas=(0.5, 0.99))
    trainer = L.Trainer(
        accelerator="cpu", max_steps=3, logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    trainer.fit(resumed, datamodule=tiny_data(), ckpt_path=tmp_path / "a.ckpt")
    for optimizer in trainer.optimizers:
        assert optimizer.state  # the saved Adam moments came back ...
        assert [(g["lr"], g["betas"]) for g in optimizer.param_groups] == [(5e-4, (0.5, 0.99))]  # ... new lr


class RecordLearningRates(L.Callback):
    def __init__(self) -> None:
        self.rates: list[tuple[float, float]] = []

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        self.rates.append(tuple(opt.param_groups[0]["lr"] for opt in trainer.optimizers))


def test_the_learning_rate_falls_linearly_over_the_last_part_of_the_run(tmp_path: Path) -> None:
    record = RecordLearningRates()
    run_steps(PRFNModule(SMALL_G, SMALL_D, lr=1e-3, lr_decay_fraction=0.5), tmp_path, 6, callbacks=[record])
    expected = [1e-3, 1e-3, 1e-3, 1e-3, 2e-3 / 3, 1e-3 / 3]  # the last 3 of 6 steps: 3, 2, 1 remain
    assert [g for g, _ in record.rates] == pytest.approx(expected)
    assert [d for _, d in record.rates] == pytest.approx(expected)  # the discriminator's too


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_a_decay_fraction_outside_0_1_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="lr_decay_fraction must lie in"):
        PRFNModule(SMALL_G, SMALL_D, lr_decay_fraction=fraction)


@pytest.mark.parametrize("weight", [0.0, -6.0])
def test_a_hole_weight_that_is_not_positive_is_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="hole_weight must be positive"):
        PRFNModule(SMALL_G, SMALL_D, hole_weight=weight)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"edge_weight": -1.0}, "edge_weight must not be negative"),
        ({"lr": 0.0}, "lr must be positive, got 0.0"),
        ({"betas": (0.5, 1.0)}, r"betas must be two numbers in \[0, 1\), got \[0.5, 1.0\]"),
        ({"betas": (0.5,)}, "betas must be two numbers"),
        ({"betas": (-0.1, 0.9)}, "betas must be two numbers in"),
        ({"lr": float("nan")}, "lr must be positive, got nan"),
        ({"lambda_adv": float("nan")}, "lambda_adv must not be negative, got nan"),
        ({"lambda_rec": -1.0}, "lambda_rec must not be negative"),
        ({"lambda_mrec": -0.5}, "lambda_mrec must not be negative"),
        ({"lambda_adv": -0.1}, "lambda_adv must not be negative"),
        ({"image_size": 24}, "image_size must be at least 32 to train"),
    ],
)
def test_settings_that_cannot_train_are_refused_at_construction(setting: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PRFNModule(SMALL_G, SMALL_D, **setting)


def test_the_least_settings_that_train_are_accepted() -> None:
    weights = {"lambda_rec": 0.0, "lambda_mrec": 0.0, "lambda_adv": 0.0}
    PRFNModule(SMALL_G, SMALL_D, lr=1e-9, betas=(0.0, 0.0), image_size=32, **weights)


def test_the_hole_and_edge_weights_reach_eq11() -> None:
    module = PRFNModule(SMALL_G, SMALL_D, hole_weight=6.0, edge_weight=4.0)
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    mask = torch.ones(2, 1, 64, 64)
    mask[..., 16:40, 16:40] = 0
    batch = module.forward_batch({"image": image, "mask": mask})
    _, metrics = module.generator_loss(batch)
    expected = losses.reconstruction_loss(image, batch["output"].image, mask, 6.0, 4.0)
    assert expected != losses.reconstruction_loss(image, batch["output"].image, mask, 6.0)
    torch.testing.assert_close(metrics["loss_rec"], expected.detach())


def test_a_decay_without_max_steps_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lr_decay_fraction needs trainer.max_steps"):
        run_steps(PRFNModule(SMALL_G, SMALL_D, lr_decay_fraction=0.5), tmp_path, -1, max_epochs=1)


def save_module(module: PRFNModule, path: Path, slim: bool = False) -> Path:
    """A checkpoint in pmrf-train's layout; ``slim`` keeps the generator alone, as the shipped one."""
    state = {k: v for k, v in module.state_dict().items() if not slim or k.startswith("net_g.")}
    torch.save({"hyper_parameters": dict(module.hparams), "state_dict": state}, path)
    return path


@pytest.mark.parametrize("slim", [False, True])
def test_init_weights_copies_the_generator_and_any_discriminator(slim: bool, tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = PRFNModule(generator=SMALL_G, discriminator=SMALL_D)
    torch.manual_seed(1)
    target = PRFNModule(generator=SMALL_G, discriminator=SMALL_D)
    d_before = snapshot(target.net_d)
    copied = initialise_from(target, save_module(source, tmp_path / "source.ckpt", slim))
    assert copied == (["generator"] if slim else ["generator", "discriminator"])
    assert not changed(snapshot(source.net_g), target.net_g)
    assert changed(d_before, target.net_d) == (not slim)  # a slim checkpoint leaves the discriminator alone
    assert changed(snapshot(source.net_d), target.net_d) == slim


def test_init_weights_of_another_architecture_are_refused(tmp_path: Path) -> None:
    source = save_module(PRFNModule(generator=SMALL_G, discriminator=SMALL_D), tmp_path / "w4.ckpt")
    target = PRFNModule(generator=dict(SMALL_G, centre_colours=True), discriminator=SMALL_D)
    with pytest.raises(ValueError, match="but this run builds"):
        initialise_from(target, source)
    with pytest.raises(ValueError, match="discriminator in"):
        initialise_from(PRFNModule(generator=SMALL_G, discriminator=dict(width=8)), source)
