"""timm-style checks of the generator and every Table 2 ablation, built from the Hydra configs."""

from __future__ import annotations

import pytest
import torch

from pmrf_lightning.config import ablation_names, compose_config
from pmrf_lightning.models import GeneratorOutput, PRFNGenerator
from pmrf_lightning.nn import AttentionFusion, MaskAwareFusion, PartialConv2d, PlainConv2d

ABLATIONS = ablation_names()
SMALL = ["model.generator.width=4", "model.generator.blocks_per_stage=1"]


def build(ablation: str, *overrides: str) -> PRFNGenerator:
    cfg = compose_config("train", [f"ablation={ablation}", *SMALL, *overrides])
    return PRFNGenerator(**cfg.model.generator)


def holed_batch(batch: int, height: int, width: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, height, width, generator=generator) * 2 - 1
    mask = torch.ones(batch, 1, height, width)
    mask[..., height // 4 : height // 2, width // 3 : 2 * width // 3] = 0
    mask[-1, :, -height // 4 :, : width // 4] = 0
    return image, mask


def test_the_seven_table2_rows_and_the_priority_ablation_have_configs() -> None:
    expected = {"full", "hrnet", "wo_pconv", "wo_arf", "wo_mrf1", "wo_mrf3", "wo_mrf5", "no_priority"}
    assert set(ABLATIONS) == expected


@pytest.mark.parametrize("ablation", ABLATIONS)
@pytest.mark.parametrize("size", [256, pytest.param(512, marks=pytest.mark.slow)])
def test_shapes_finite_and_every_parameter_gets_a_gradient(ablation: str, size: int) -> None:
    net = build(ablation)
    image, mask = holed_batch(2, size, size)
    out = net(image, mask)
    assert isinstance(out, GeneratorOutput)
    assert out.image.shape == (2, 3, size, size)
    assert [tuple(s.shape) for s in out.side] == [(2, 3, size // f, size // f) for f in (2, 4, 8)]
    assert all(torch.isfinite(t).all() for t in (out.image, *out.side))
    assert out.image.abs().max() <= 1

    (out.image.mean() + sum(s.mean() for s in out.side)).backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None]
    assert not missing, f"no gradient for {missing}"
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


def test_a_fresh_network_starts_with_neither_tanh_nor_attention_saturated() -> None:
    """With HRNet's fan-out init on the head, most output pixels began at ±1 and every eq. 3 row
    was nearly one-hot; gradients through both were ~0 and training crawled."""
    torch.manual_seed(0)
    net = PRFNGenerator(width=8, blocks_per_stage=1)
    image, mask = holed_batch(4, 128, 128)
    pooled = {}
    net.attention.register_forward_hook(lambda module, inputs, output: pooled.update(xs=inputs[0]))
    out = net(image, mask)
    for tensor in (out.image, *out.side):
        assert (tensor.abs() > 0.99).float().mean() < 0.05
    attention = net.attention.attention(pooled["xs"])
    assert attention.amax(dim=-1).mean() < 0.1  # uniform rows would give 1/256


def test_centred_colours_start_from_the_mean_known_colour_and_ignore_the_hole() -> None:
    torch.manual_seed(0)
    net = PRFNGenerator(width=4, blocks_per_stage=1, centre_colours=True).eval()
    for conv in (net.head[-1], *net.side_heads):  # the network's own departure from the mean is 0
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    image = torch.zeros(2, 3, 64, 64)
    image[0, 0, :32], image[0, 0, 32:] = 0.8, 0.2  # image 0's red is 0.8 on top, 0.2 below
    image[1] = -0.6
    mask = torch.ones(2, 1, 64, 64)
    mask[:, :, :16] = 0  # a hole over half of the 0.8 band: the known mean red is (16·0.8 + 32·0.2)/48
    image_in_hole = image.clone()
    image_in_hole[:, :, :16] = 1.0
    out = net(image_in_hole, mask)
    expected = torch.tensor([[0.4, 0.0, 0.0], [-0.6, -0.6, -0.6]]).view(2, 3, 1, 1)
    for tensor in (out.image, *out.side):
        torch.testing.assert_close(tensor, expected.expand_as(tensor), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("ablation", "partial", "priorities", "attention", "fusions"),
    [
        ("full", True, {"texture", "structure"}, True, 5),
        ("hrnet", False, set(), False, 5),
        ("wo_pconv", False, set(), True, 5),
        ("wo_arf", True, {"texture", "structure"}, False, 5),
        ("wo_mrf1", True, {"texture", "structure"}, True, 4),
        ("wo_mrf3", True, {"texture", "structure"}, True, 2),
        ("wo_mrf5", True, {"texture", "structure"}, True, 0),
        ("no_priority", True, {"none"}, True, 5),
    ],
)
def test_each_ablation_builds_the_network_of_its_table2_row(
    ablation: str, partial: bool, priorities: set[str], attention: bool, fusions: int
) -> None:
    net = build(ablation)
    modules = list(net.modules())
    pconvs = [m for m in modules if isinstance(m, PartialConv2d)]
    assert bool(pconvs) == partial
    assert any(isinstance(m, PlainConv2d) for m in modules) == (not partial)
    assert {m.priority for m in pconvs if m.priority != "none"} == priorities - {"none"}
    assert (net.attention is not None) == attention
    assert any(isinstance(m, AttentionFusion) for m in modules) == attention
    fusion_stages = [i for i, stage in enumerate(net.stages) if stage.fusion is not None]
    assert fusion_stages == list(range(5 - fusions, 5))
    assert all(
        isinstance(m, MaskAwareFusion) and m.mask_aware == partial
        for m in modules
        if isinstance(m, MaskAwareFusion)
    )


@pytest.mark.parametrize("ablation", ["full", "wo_arf"])
def test_priorities_by_branch_structure_on_the_lowest_texture_elsewhere(ablation: str) -> None:
    """Stage 6 follows the attention fusion, whose masks are all known: there eq. 5 is eq. 1."""
    net = build(ablation)
    for index, stage in enumerate(net.stages):
        branch_priorities = [
            {m.priority for m in branch.modules() if isinstance(m, PartialConv2d)}
            for branch in stage.branches
        ]
        if index == len(net.stages) - 1 and ablation == "full":
            assert branch_priorities == [{"none"}] * 4
        else:
            assert branch_priorities == [{"texture"}, {"texture"}, {"texture"}, {"structure"}]


@pytest.mark.parametrize("ablation", ["full", "hrnet"])
def test_pixels_under_the_hole_never_change_the_output(ablation: str) -> None:
    net = build(ablation).eval()
    image, mask = holed_batch(2, 64, 64)
    other = torch.where(mask.bool(), image, torch.rand_like(image) * 2 - 1)
    with torch.no_grad():
        first, second = net(image, mask), net(other, mask)
    torch.testing.assert_close(first.image, second.image)
    for a, b in zip(first.side, second.side):
        torch.testing.assert_close(a, b)


def test_any_size_divisible_by_eight_works() -> None:
    out = build("full")(*holed_batch(1, 64, 128))
    assert out.image.shape == (1, 3, 64, 128)
    assert [tuple(s.shape[-2:]) for s in out.side] == [(32, 64), (16, 32), (8, 16)]


def test_an_all_known_mask_and_an_all_hole_mask_run() -> None:
    net = build("full").eval()
    image = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        for mask in (torch.ones(1, 1, 64, 64), torch.zeros(1, 1, 64, 64)):
            assert torch.isfinite(net(image, mask).image).all()


@pytest.mark.parametrize(
    ("image_shape", "mask_shape", "mask_value", "message"),
    [
        ((1, 4, 64, 64), (1, 1, 64, 64), 1.0, "(B, 3, H, W)"),
        ((3, 64, 64), (1, 1, 64, 64), 1.0, "(B, 3, H, W)"),
        ((1, 3, 60, 64), (1, 1, 60, 64), 1.0, "multiples of 8"),
        ((1, 3, 64, 68), (1, 1, 64, 68), 1.0, "multiples of 8"),
        ((1, 3, 64, 64), (1, 3, 64, 64), 1.0, "mask must have shape (1, 1, 64, 64)"),
        ((2, 3, 64, 64), (1, 1, 64, 64), 1.0, "mask must have shape (2, 1, 64, 64)"),
    ],
)
def test_bad_input_raises_a_one_line_value_error(
    image_shape: tuple, mask_shape: tuple, mask_value: float, message: str
) -> None:
    net = build("full")
    with pytest.raises(ValueError) as error:
        net(torch.zeros(image_shape), torch.full(mask_shape, mask_value))
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("mask_value", [0.5, 255.0])
def test_mask_values_outside_zero_and_one_fail_a_device_side_assert(mask_value: float) -> None:
    """Checked with torch._assert_async, so the forward keeps no host–device sync."""
    with pytest.raises(RuntimeError, match=r"^mask values must be 0 \(hole\) or 1 \(known\)$"):
        build("full")(torch.zeros(1, 3, 64, 64), torch.full((1, 1, 64, 64), mask_value))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(width=0),
        dict(partial_conv=False, priority=True),
        dict(removed_fusions=6),
        dict(removed_fusions=-1),
    ],
)
def test_inconsistent_constructor_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        PRFNGenerator(**kwargs)


def test_a_misspelt_ablation_key_is_an_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        build("full", "+model.generator.atention_fusion=false")


@pytest.mark.slow
def test_paper_width_at_256() -> None:
    """The one smoke test at the paper's scale: width 32, 4 blocks per stage, 256², forward + backward."""
    net = PRFNGenerator()
    assert 40e6 < sum(p.numel() for p in net.parameters()) < 45e6
    image, mask = holed_batch(1, 256, 256)
    out = net(image, mask)
    assert out.image.shape == (1, 3, 256, 256)
    (out.image.mean() + sum(side.mean() for side in out.side)).backward()
    assert all(p.grad is not None for p in net.parameters())
