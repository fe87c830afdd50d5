"""Partial convolution, eq. 1–2, and its priority mask update, eq. 5."""

import pytest
import torch
import torch.nn.functional as F

from pmrf_lightning.nn import MaskedConvBN, PartialConv2d, PlainConv2d
from pmrf_lightning.nn.priority import PRIORITIES

torch.manual_seed(0)


def random_hole_mask(batch: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """A mask with one random rectangular hole per image."""
    mask = torch.ones(batch, 1, size, size)
    for b in range(batch):
        top, left = torch.randint(0, size // 2, (2,), generator=generator).tolist()
        height, width = torch.randint(2, size // 2, (2,), generator=generator).tolist()
        mask[b, :, top : top + height, left : left + width] = 0
    return mask


@pytest.mark.parametrize("priority", PRIORITIES)
def test_all_known_mask_is_a_plain_convolution_inside_the_frame(priority: str) -> None:
    conv = PartialConv2d(3, 5, 3, padding=1, priority=priority)
    x = torch.randn(2, 3, 12, 12)
    y, new_mask = conv(x, torch.ones(2, 1, 12, 12))
    expected = F.conv2d(x, conv.weight, conv.bias, padding=1)
    torch.testing.assert_close(y[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1])
    assert torch.equal(new_mask, torch.ones_like(new_mask))


def test_window_without_known_pixel_gives_zero_output_and_zero_mask() -> None:
    conv = PartialConv2d(2, 4, 3, padding=1)
    torch.nn.init.constant_(conv.bias, 3.0)  # the bias must not leak into the empty windows
    mask = torch.ones(1, 1, 9, 9)
    mask[..., 2:7, 2:7] = 0  # windows centred on 3..5 see no known pixel
    y, new_mask = conv(torch.randn(1, 2, 9, 9), mask)
    assert torch.equal(new_mask[..., 3:6, 3:6], torch.zeros(1, 1, 3, 3))
    assert torch.equal(y[..., 3:6, 3:6], torch.zeros(1, 4, 3, 3))
    assert (y[..., 0, 0] != 0).all()


def test_eq1_new_mask_on_a_hand_drawn_case() -> None:
    mask = torch.tensor(
        [
            [1, 1, 0, 0, 0],
            [1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1],
        ],
        dtype=torch.float32,
    ).view(1, 1, 5, 5)
    expected = torch.tensor(
        [
            [1, 1, 1, 0, 0],
            [1, 1, 1, 0, 0],
            [1, 1, 0, 0, 0],
            [0, 0, 0, 1, 1],
            [0, 0, 0, 1, 1],
        ],
        dtype=torch.float32,
    ).view(1, 1, 5, 5)
    _, new_mask = PartialConv2d(1, 1, 3, padding=1)(torch.randn(1, 1, 5, 5), mask)
    assert torch.equal(new_mask, expected)


def test_eq2_rescales_by_window_area_over_known_pixels() -> None:
    conv = PartialConv2d(1, 1, 3, padding=1, bias=False)
    torch.nn.init.ones_(conv.weight)
    mask = torch.ones(1, 1, 5, 5)
    mask[..., :, 3:] = 0
    y, new_mask = conv(mask.clone(), mask)  # ones on the known pixels, zero in the hole
    # every window with k known ones sums to k, then scales by 9 / k: 9 wherever m' = 1
    assert torch.allclose(y, 9 * new_mask)
    assert new_mask[..., :, 4].sum() == 0 and new_mask[..., :, 3].sum() == 5


def test_stride_two_halves_the_size_and_follows_eq1() -> None:
    conv = PartialConv2d(3, 6, 3, stride=2, padding=1)
    mask = torch.ones(1, 1, 8, 8)
    mask[..., :5, :5] = 0
    y, new_mask = conv(torch.randn(1, 3, 8, 8), mask)
    assert y.shape == (1, 6, 4, 4) and new_mask.shape == (1, 1, 4, 4)
    expected = (F.max_pool2d(F.pad(mask, (1, 1, 1, 1)), 3, stride=2) > 0).float()
    assert torch.equal(new_mask, expected)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_mask_never_shrinks_and_priority_fills_a_nonempty_subset_of_eq1(priority: str) -> None:
    generator = torch.Generator().manual_seed(1)
    mask = random_hole_mask(4, 24, generator)
    x = torch.randn(4, 3, 24, 24, generator=generator) * mask
    plain_fill = PartialConv2d(3, 3, 3, padding=1)(x, mask)[1]
    _, new_mask = PartialConv2d(3, 3, 3, padding=1, priority=priority)(x, mask)
    assert (new_mask >= mask).all()
    assert (new_mask <= plain_fill).all()
    filled_per_image = (new_mask - mask).sum(dim=(1, 2, 3))
    assert (filled_per_image >= 1).all()


@pytest.mark.parametrize("priority", ["structure", "texture"])
def test_delta_zero_reproduces_eq1(priority: str) -> None:
    generator = torch.Generator().manual_seed(2)
    mask = random_hole_mask(3, 20, generator)
    x = torch.randn(3, 4, 20, 20, generator=generator) * mask
    _, expected = PartialConv2d(4, 2, 3, padding=1)(x, mask)
    _, new_mask = PartialConv2d(4, 2, 3, padding=1, priority=priority, delta=0.0)(x, mask)
    assert torch.equal(new_mask, expected)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_masked_conv_bn_hands_on_zeros_in_its_holes(priority: str) -> None:
    """PartialConv2d reads X ⊙ M as X (eq. 2), which holds because every masked module zeroes
    its own holes, BatchNorm's shift included."""
    generator = torch.Generator().manual_seed(3)
    mask = random_hole_mask(2, 16, generator)
    layer = MaskedConvBN(3, 5, relu=False, priority=priority)
    torch.nn.init.constant_(layer.bn.bias, 2.0)
    y, new_mask = layer(torch.randn(2, 3, 16, 16, generator=generator) * mask, mask)
    assert (new_mask == 0).any()
    assert torch.equal(y * (1 - new_mask), torch.zeros_like(y))
    assert (y[new_mask.expand_as(y) == 1] != 0).all()


def test_rejected_border_pixels_stay_holes_with_zero_output() -> None:
    x = torch.zeros(1, 1, 16, 16)
    x[..., 8:] = 1.0  # vertical step edge
    mask = torch.ones(1, 1, 16, 16)
    mask[..., 6:10, :] = 0
    conv = PartialConv2d(1, 2, 3, padding=1, priority="structure")
    y, new_mask = conv(x, mask)
    _, plain = PartialConv2d(1, 2, 3, padding=1)(x, mask)
    rejected = (plain == 1) & (new_mask == 0)
    assert rejected.any()
    assert (y * rejected).abs().sum() == 0


def test_layer_keeps_no_state_between_calls() -> None:
    conv = PartialConv2d(2, 2, 3, padding=1, priority="texture")
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(1, 2, 16, 16, generator=generator)
    mask_a, mask_b = random_hole_mask(1, 16, generator), random_hole_mask(1, 16, generator)
    first = conv(x * mask_a, mask_a)
    conv(x * mask_b, mask_b)
    again = conv(x * mask_a, mask_a)
    assert all(torch.equal(u, v) for u, v in zip(first, again))


def test_plain_conv_ignores_the_mask_and_reports_all_known() -> None:
    conv = PlainConv2d(3, 4, 3, stride=2, padding=1)
    x = torch.randn(1, 3, 8, 8)
    y, new_mask = conv(x, torch.zeros(1, 1, 8, 8))
    torch.testing.assert_close(y, conv._conv_forward(x, conv.weight, conv.bias))
    assert torch.equal(new_mask, torch.ones(1, 1, 4, 4))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(priority="edges", padding=1),
        dict(priority="structure", stride=2, padding=1),
        dict(priority="texture", padding=0),
        dict(priority="texture", padding=1, delta=1.5),
        dict(padding=2),
    ],
)
def test_invalid_priority_settings_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        PartialConv2d(3, 3, 3, **kwargs)
