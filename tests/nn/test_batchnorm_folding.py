"""BatchNorm folded into the convolutions for inference: the same function, no BatchNorm left."""

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from pmrf_lightning.config import ablation_arguments
from pmrf_lightning.lit import load_generator
from pmrf_lightning.models import PRFNGenerator
from pmrf_lightning.nn import MaskedConvBN, fold_batchnorm


def with_trained_statistics(net: nn.Module) -> nn.Module:
    """Running statistics and affine parameters away from their identity initialisation."""
    generator = torch.Generator().manual_seed(1)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            size = module.num_features
            module.running_mean.copy_(torch.rand(size, generator=generator) - 0.5)
            module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(size, generator=generator) + 0.5)
            module.bias.data.copy_(torch.rand(size, generator=generator) - 0.5)
    return net.double().eval()


def holed_batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    image = (torch.rand(2, 3, 64, 64) * 2 - 1).double()
    mask = torch.ones(2, 1, 64, 64, dtype=torch.double)
    mask[0, :, 10:45, 15:50] = 0
    mask[1, :, ::3] = 0
    return image, mask


@pytest.mark.parametrize("ablation", ["full", "hrnet", "wo_arf"])
def test_a_folded_generator_computes_the_same_function(ablation: str) -> None:
    torch.manual_seed(0)
    net = with_trained_statistics(PRFNGenerator(4, 1, centre_colours=True, **ablation_arguments(ablation)))
    image, mask = holed_batch()
    with torch.no_grad():
        expected = net(image, mask)
        folded = fold_batchnorm(copy.deepcopy(net))
        got = folded(image, mask)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert torch.allclose(got.image, expected.image, atol=1e-10)
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(got.side, expected.side))
    assert all(torch.equal(a, b) for a, b in zip(got.masks, expected.masks))


def test_a_folded_masked_conv_is_still_zero_in_its_holes() -> None:
    torch.manual_seed(0)
    layer = with_trained_statistics(MaskedConvBN(3, 8, relu=False))
    mask = torch.ones(1, 1, 16, 16, dtype=torch.double)
    mask[..., 3:12, 4:13] = 0
    x = torch.randn(1, 3, 16, 16, dtype=torch.double) * mask
    with torch.no_grad():
        expected, expected_mask = layer(x, mask)
        y, new_mask = fold_batchnorm(layer)(x, mask)
    assert torch.equal(new_mask, expected_mask) and (new_mask == 0).any()
    assert torch.equal(y * (1 - new_mask), torch.zeros_like(y))  # the folded bias is masked too
    assert torch.allclose(y, expected, atol=1e-12)


def test_folding_refuses_a_module_in_training_mode() -> None:
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorm(PRFNGenerator(4, 1))


def test_load_generator_returns_the_folded_network_of_the_checkpoint(
    tmp_path: Path, save_tiny_checkpoint: Callable[[PRFNGenerator, Path], Path]
) -> None:
    torch.manual_seed(0)
    trained = with_trained_statistics(PRFNGenerator(4, 1)).float()  # conftest's TINY
    loaded = load_generator(save_tiny_checkpoint(trained, tmp_path / "tiny.ckpt"))
    assert not loaded.training and not any(isinstance(m, nn.BatchNorm2d) for m in loaded.modules())
    image, mask = (t.float() for t in holed_batch())
    with torch.no_grad():
        assert torch.allclose(loaded(image, mask).image, trained(image, mask).image, atol=1e-4)
