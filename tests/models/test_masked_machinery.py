"""The generator's masked machinery end to end: every hole closes before the head, in every
ablation; no host–device sync; one compiled graph; exact mask arithmetic under bf16 autocast."""

from __future__ import annotations

import random

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from pmrf_lightning.config import ablation_arguments, ablation_names
from pmrf_lightning.data.masks import ProceduralMasks
from pmrf_lightning.models import PRFNGenerator
from pmrf_lightning.nn import PartialConv2d, fold_batchnorm

CONFIGURATIONS = {name: ablation_arguments(name) for name in ablation_names()}
CONFIGURATIONS["no_fusion_at_all"] = dict(removed_fusions=5, attention_fusion=False)


def sixty_percent_hole(shape: str, size: int) -> torch.Tensor:
    if shape == "square":
        mask = torch.ones(1, 1, size, size)
        side = int(size * 0.6**0.5)
        start = (size - side) // 2
        mask[..., start : start + side, start : start + side] = 0
        return mask
    return ProceduralMasks((0.55, 0.6), shape="strokes").get(0, (size, size), random.Random(0)).unsqueeze(0)


def positive_features(net: PRFNGenerator) -> PRFNGenerator:
    """BatchNorm as 0.1·x + 1 (eval mode): every feature the network computes on a known pixel
    is positive, so an all-zero feature vector at the head can only be a hole."""
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.constant_(module.weight, 0.1)
            torch.nn.init.ones_(module.bias)
    return net.eval()


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
@pytest.mark.parametrize("shape", ["square", "strokes"])
@pytest.mark.parametrize("size", [64, 256])
def test_no_hole_reaches_the_head(configuration: str, shape: str, size: int) -> None:
    torch.manual_seed(0)
    net = positive_features(PRFNGenerator(4, 1, **CONFIGURATIONS[configuration]))
    seen = []
    for head in (net.head, *net.side_heads):
        head.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0]))
    mask = sixty_percent_hole(shape, size)
    assert 0.5 < 1 - mask.mean() <= 0.6
    with torch.no_grad():
        net(torch.rand(1, 3, size, size) * 2 - 1, mask)
    for features in seen:
        assert (features.amax(dim=1) > 0).all()


def test_the_masks_after_the_last_stage_show_what_the_layers_filled() -> None:
    torch.manual_seed(0)
    mask = sixty_percent_hole("square", 64)
    image = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        full = PRFNGenerator(4, 1)(image, mask)
        no_arf = PRFNGenerator(4, 1, attention_fusion=False, removed_fusions=5)(image, mask)
    assert [tuple(m.shape[-2:]) for m in full.masks] == [(64, 64), (32, 32), (16, 16), (8, 8)]
    assert all(torch.equal(m, torch.ones_like(m)) for m in full.masks)  # reset by the attention fusion
    top = no_arf.masks[0]
    assert (top >= torch.nn.functional.max_pool2d(mask, 1)).all() and (top == 0).any()


class HostSyncs(TorchDispatchMode):
    """Counts aten._local_scalar_dense, the op behind every tensor → Python value."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if func is torch.ops.aten._local_scalar_dense.default:
            self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("configuration", ["full", "wo_arf", "hrnet", "no_fusion_at_all"])
@pytest.mark.parametrize("train", [True, False])
def test_forward_and_backward_never_sync_with_the_host(configuration: str, train: bool) -> None:
    net = PRFNGenerator(4, 1, **CONFIGURATIONS[configuration]).train(train)
    image, mask = torch.rand(2, 3, 64, 64) * 2 - 1, sixty_percent_hole("strokes", 64).repeat(2, 1, 1, 1)
    with HostSyncs() as syncs:
        out = net(image, mask)
        (out.image.mean() + sum(s.mean() for s in out.side)).backward()
    assert syncs.count == 0


def test_the_folded_inference_network_never_syncs_with_the_host() -> None:
    net = fold_batchnorm(PRFNGenerator(4, 1, centre_colours=True).eval())
    image, mask = torch.rand(2, 3, 64, 64) * 2 - 1, sixty_percent_hole("strokes", 64).repeat(2, 1, 1, 1)
    with HostSyncs() as syncs, torch.no_grad():
        net(image, mask)
    assert syncs.count == 0


@pytest.mark.slow
@pytest.mark.parametrize("folded", [False, True])
def test_the_generator_compiles_to_one_graph(folded: bool) -> None:
    net = PRFNGenerator(4, 1, centre_colours=True).eval()
    if folded:
        fold_batchnorm(net)
    image, mask = torch.rand(1, 3, 64, 64) * 2 - 1, sixty_percent_hole("square", 64)
    compiled = torch.compile(net, backend="eager", fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(image, mask).image, net(image, mask).image)


@pytest.mark.parametrize("priority", ["none", "structure", "texture"])
def test_mask_arithmetic_stays_fp32_and_exact_under_bf16_autocast(priority: str) -> None:
    torch.manual_seed(0)
    conv = PartialConv2d(4, 4, 3, padding=1, bias=False, priority=priority)
    mask = sixty_percent_hole("strokes", 32)
    x = torch.randn(1, 4, 32, 32) * mask
    _, expected = conv(x, mask)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y, new_mask = conv(x, mask)
        scale = conv.mask_update(x, mask)[1]
    assert y.dtype == torch.bfloat16 and new_mask.dtype == scale.dtype == torch.float32
    if priority == "none":
        assert torch.equal(new_mask, expected)
    known = torch.nn.functional.conv2d(mask.double(), torch.ones(1, 1, 3, 3, dtype=torch.float64), padding=1)
    exact = torch.where(new_mask.double() > 0, 9 / known.clamp_min(1), 0)
    torch.testing.assert_close(scale.double(), exact, rtol=1e-7, atol=0)
