"""``pmrf-smoke``: a few G + D steps of PRFN on synthetic images, to check an install end to end.

pmrf-smoke                         # small model, 128², 5 steps
pmrf-smoke ablation=hrnet steps=2  # any Table 2 ablation, any override
"""

from __future__ import annotations

import time
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig
from rich.progress import track
from torchvision.utils import save_image

from pmrf_lightning import losses
from pmrf_lightning.config import CONFIG_DIR


@hydra.main(config_path=str(CONFIG_DIR), config_name="smoke", version_base="1.3")
def main(cfg: DictConfig) -> None:
    torch.manual_seed(cfg.seed)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    batches = (batch for _ in iter(int, 1) for batch in loader)  # endless: epoch after epoch
    net_g, net_d = instantiate(cfg.model.net_g), instantiate(cfg.model.net_d)
    opt_g = torch.optim.Adam(net_g.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))
    opt_d = torch.optim.Adam(net_d.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))
    print(f"generator: {sum(p.numel() for p in net_g.parameters()) / 1e6:.2f} M parameters")

    rows = []
    for step in track(range(cfg.steps), description="G + D steps"):
        start = time.perf_counter()
        batch = next(batches)
        image, mask = batch["image"], batch["mask"]
        output = net_g(image, mask)

        loss_d = losses.discriminator_adversarial_loss(net_d(image), net_d(output.image.detach()))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        loss_rec = losses.reconstruction_loss(image, output.image)
        loss_mrec = losses.multiscale_reconstruction_loss(image, output.side)
        loss_adv = losses.generator_adversarial_loss(net_d(output.image))
        loss_g = losses.generator_total_loss(loss_rec, loss_mrec, loss_adv)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        rows.append(
            (
                step,
                loss_g.item(),
                loss_rec.item(),
                loss_mrec.item(),
                loss_d.item(),
                time.perf_counter() - start,
            )
        )

    print("\n| step | loss_g | loss_rec | loss_mrec | loss_d | seconds |\n|---|---|---|---|---|---|")
    for row in rows:
        print("| {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.2f} |".format(*row))
    grid_path = Path(HydraConfig.get().runtime.output_dir) / "sample_grid.png"
    composite = mask * image + (1 - mask) * output.image.detach()
    save_image(
        torch.cat([image * mask, output.image.detach(), composite, image]) * 0.5 + 0.5,
        grid_path,
        nrow=len(image),
    )
    print(f"sample grid (masked | output | composite | ground truth): {grid_path}")


if __name__ == "__main__":
    main()
