"""Mask-aware representation fusion, eq. 9, on hand numbers."""

import pytest
import torch

from pmrf_lightning.nn import MaskAwareFusion


def hand_fusion(mask_aware: bool) -> MaskAwareFusion:
    """Two one-channel branches: the 1×1 up path copies, the stride-2 down path averages the
    known pixels of its window (weights 1/9 with eq. 2's rescaling); BatchNorm is the identity."""
    fusion = MaskAwareFusion([1, 1], mask_aware=mask_aware).eval()
    with torch.no_grad():
        fusion.paths[0][1].conv.weight.fill_(1.0)
        fusion.paths[1][0][0].conv.weight.fill_(1.0 / 9)
    return fusion


def branches(low_hole: bool = False) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    high_mask = torch.ones(1, 1, 4, 4)
    high_mask[..., :2, :2] = 0  # top-left quadrant unknown at high resolution
    low_mask = torch.ones(1, 1, 2, 2)
    if low_hole:
        low_mask[..., 0, 0] = 0  # ...and at low resolution too
    return [2.0 * high_mask, 6.0 * low_mask], [high_mask, low_mask]


def test_eq9_averages_the_valid_terms() -> None:
    (high, low), (high_mask, low_mask) = hand_fusion(True)(*branches())
    # high: (2 + 6) / 2 where both are known, 6 / 1 in the quadrant only the low branch knows
    expected_high = torch.full((1, 1, 4, 4), 4.0)
    expected_high[..., :2, :2] = 6.0
    torch.testing.assert_close(high, expected_high, atol=1e-4, rtol=0)
    assert torch.equal(high_mask, torch.ones(1, 1, 4, 4))
    # low: the stride-2 window of output (0, 0) covers high rows/columns -1..1, all unknown, so the
    # down term is invalid there (6 / 1); every other window has known pixels of mean 2: (6 + 2) / 2
    expected_low = torch.full((1, 1, 2, 2), 4.0)
    expected_low[..., 0, 0] = 6.0
    torch.testing.assert_close(low, expected_low, atol=1e-4, rtol=0)
    assert torch.equal(low_mask, torch.ones(1, 1, 2, 2))


def test_eq9_leaves_a_hole_where_no_term_is_valid() -> None:
    (high, _), (high_mask, _) = hand_fusion(True)(*branches(low_hole=True))
    assert torch.equal(high_mask[..., :2, :2], torch.zeros(1, 1, 2, 2))
    assert torch.equal(high[..., :2, :2], torch.zeros(1, 1, 2, 2))
    torch.testing.assert_close(high[..., 2:, 2:], torch.full((1, 1, 2, 2), 4.0), atol=1e-4, rtol=0)


def test_plain_fusion_sums_as_hrnet() -> None:
    fusion = hand_fusion(False)
    xs = [torch.full((1, 1, 4, 4), 2.0), torch.full((1, 1, 2, 2), 6.0)]
    masks = [torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2)]
    (high, low), _ = fusion(xs, masks)
    torch.testing.assert_close(high, torch.full((1, 1, 4, 4), 8.0), atol=1e-4, rtol=0)
    # plain 3×3 stride-2 conv of a constant 2 with weights 1/9: 2 inside, fewer taps at the frame
    assert torch.allclose(low[..., 1, 1], torch.tensor(6.0 + 2.0), atol=1e-4)


@pytest.mark.parametrize("mask_aware", [True, False])
def test_shapes_and_paths_follow_hrnet(mask_aware: bool) -> None:
    channels = [4, 8, 16, 32]
    fusion = MaskAwareFusion(channels, mask_aware=mask_aware)
    sizes = [32, 16, 8, 4]
    xs = [torch.randn(2, c, s, s) for c, s in zip(channels, sizes)]
    masks = [torch.ones(2, 1, s, s) for s in sizes]
    out, out_masks = fusion(xs, masks)
    assert [tuple(x.shape) for x in out] == [tuple(x.shape) for x in xs]
    assert [tuple(m.shape) for m in out_masks] == [tuple(m.shape) for m in masks]
    assert all(isinstance(fusion.paths[i][i], torch.nn.Identity) for i in range(4))
    assert len(fusion.paths[3][0]) == 3  # three stride-2 convs from 32² to 4²
    assert all((x >= 0).all() for x in out)  # ReLU after fusion


def test_masks_only_grow() -> None:
    channels = [2, 4]
    generator = torch.Generator().manual_seed(0)
    masks = [(torch.rand(1, 1, 8, 8, generator=generator) > 0.6).float(), torch.zeros(1, 1, 4, 4)]
    xs = [torch.randn(1, 2, 8, 8) * masks[0], torch.zeros(1, 4, 4, 4)]
    _, out_masks = MaskAwareFusion(channels)(xs, masks)
    assert (out_masks[0] >= masks[0]).all() and (out_masks[1] >= masks[1]).all()
