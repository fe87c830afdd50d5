"""SN-PatchGAN discriminator of eq. 13–14."""

import pytest
import torch

from pmrf_lightning.models import Discriminator


@pytest.mark.parametrize(("size", "patches"), [(256, 30), (512, 62)])
def test_patch_logits_finite_with_gradients(size: int, patches: int) -> None:
    net = Discriminator(width=8)
    logits = net(torch.rand(2, 3, size, size) * 2 - 1)
    assert logits.shape == (2, 1, patches, patches)
    assert torch.isfinite(logits).all()
    logits.mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_every_conv_is_spectrally_normalised() -> None:
    net = Discriminator(width=8)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5
    assert all(hasattr(conv, "parametrizations") and "weight" in conv.parametrizations for conv in convs)
    net.train()
    for _ in range(30):  # power iterations converge to σ_max(W) = 1 after normalisation
        net(torch.randn(1, 3, 64, 64))
    weight = convs[1].weight.detach().flatten(1)
    assert torch.linalg.matrix_norm(weight, ord=2) == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("shape", [(1, 4, 64, 64), (3, 64, 64), (1, 3, 16, 16)])
def test_bad_input_raises_value_error(shape: tuple) -> None:
    with pytest.raises(ValueError):
        Discriminator(width=8)(torch.zeros(shape))
