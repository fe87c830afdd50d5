"""Inpainting priorities, eq. 5–8, on hand-checkable maps."""

import pytest
import torch

from pmrf_lightning.nn import PartialConv2d
from pmrf_lightning.nn.priority import (
    PRIORITY_FLOOR,
    contextual_residue,
    contour_striking,
    normal_and_isophote,
    priority_mask_update,
    priority_update,
    sobel_kernel,
    window_shift_kernel,
    window_sum,
)


def band_hole(size: int = 16, top: int = 6, bottom: int = 10) -> torch.Tensor:
    """All known except a horizontal band of rows [top, bottom)."""
    mask = torch.ones(1, 1, size, size)
    mask[..., top:bottom, :] = 0
    return mask


def vertical_step(size: int = 16, column: int = 8) -> torch.Tensor:
    """0 left of ``column``, 1 from it on: one vertical edge."""
    image = torch.zeros(1, 1, size, size)
    image[..., column:] = 1.0
    return image


def normal_iso(feature: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return normal_and_isophote(feature * mask, mask, window_sum(mask, 3, padding=1), sobel_kernel())


def rho(feature: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return contour_striking(*normal_iso(feature, mask), window_shift_kernel(3))[0]


def test_window_sum_counts_known_pixels_with_zero_padding() -> None:
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]]).view(1, 1, 2, 2)
    assert window_sum(mask, 3, padding=1).flatten().tolist() == [3.0, 3.0, 3.0, 3.0]
    assert window_sum(mask, 2).flatten().tolist() == [3.0]


def test_border_normal_is_perpendicular_to_a_straight_border() -> None:
    normal, _ = normal_iso(torch.zeros(1, 1, 16, 16), band_hole())
    unit = normal / normal.norm(dim=1, keepdim=True).clamp_min(1e-8)
    for row in (5, 6, 9, 10):  # just outside and inside both borders
        assert torch.allclose(unit[0, 0, row], torch.zeros(16), atol=1e-6)
        assert torch.allclose(unit[0, 1, row].abs(), torch.ones(16), atol=1e-6)
    assert torch.equal(normal[..., 0:4, :], torch.zeros(1, 2, 4, 16))  # far from the hole


def test_isophote_follows_the_edge_and_ignores_the_hole() -> None:
    mask = band_hole()
    _, iso = normal_iso(vertical_step(), mask)
    assert torch.equal(iso * (1 - mask), torch.zeros_like(iso))
    # the edge is vertical, so the isophote (⊥ gradient) is vertical and the hole adds no edge:
    # its x component vanishes off the edge and stays small beside the hole on the edge
    assert iso[0, 0, :, :5].abs().max() < 1e-6 and iso[0, 0, :, 11:].abs().max() < 1e-6
    assert iso[0, 0].abs().max() < 0.2 * iso[0, 1].abs().max()
    on_edge = iso[0, 1, :, 7:9].abs()
    assert (on_edge[mask[0, 0, :, 0] == 1] > 0.2).all()
    off_edge = torch.cat([iso[0, 1, :, :6], iso[0, 1, :, 10:]], dim=1)
    assert off_edge.abs().max() < 1e-6


def test_structure_priority_peaks_where_the_edge_strikes_the_border() -> None:
    mask = band_hole()
    priority = rho(vertical_step(), mask)
    border = (mask == 0) & (window_sum(mask, 3, padding=1) > 0)
    assert priority[border].max() > 0
    top_border = priority[0, 0, 6]
    assert set(torch.nonzero(top_border == top_border.max()).flatten().tolist()) <= {6, 7, 8, 9}
    assert top_border[:5].max() == 0 and top_border[11:].max() == 0


def test_the_strike_is_the_window_maximum_of_the_projection_on_the_unit_normal() -> None:
    """A hand-made case: eq. 7 must take |n_p · ∇X_q^⊥| with p's normal and q's isophote."""
    normal = torch.zeros(1, 2, 3, 3)
    normal[0, 1, 1, 1] = 0.5  # p = centre, normal (0, 0.5): unit (0, 1)
    iso = torch.zeros(1, 2, 3, 3)
    iso[0, :, 0, 0] = torch.tensor([3.0, -1.0])  # strikes with |(0, 1)·(3, −1)| = 1
    iso[0, :, 2, 1] = torch.tensor([0.0, 2.0])  # strikes with 2: the maximum
    iso[0, :, 1, 2] = torch.tensor([9.0, 0.0])  # parallel to the border: no strike
    priority, no_normal = contour_striking(normal, iso, window_shift_kernel(3))
    assert priority[0, 0, 1, 1].item() == pytest.approx(2.0)
    assert no_normal.sum() == 8 and not no_normal[0, 0, 1, 1]


def test_structure_priority_fills_only_the_edge_pixels_of_the_border() -> None:
    mask = band_hole()
    x = vertical_step() * mask
    _, new_mask = PartialConv2d(1, 1, 3, padding=1, priority="structure")(x, mask)
    filled = torch.nonzero((new_mask - mask)[0, 0]).tolist()
    assert filled, "at least one border pixel must be filled"
    assert {row for row, _ in filled} <= {6, 9}
    assert {column for _, column in filled} <= {6, 7, 8, 9}


def test_contextual_residue_of_a_constant_map_is_zero_despite_the_hole() -> None:
    mask = band_hole(top=5, bottom=11)
    residue = contextual_residue(torch.full((1, 1, 16, 16), 3.0) * mask, mask)
    assert residue.abs().max() < 1e-5


def test_contextual_residue_keeps_texture_and_drops_smooth_shading() -> None:
    mask = torch.ones(1, 1, 16, 16)
    rows, columns = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    checker = ((rows + columns) % 2).view(1, 1, 16, 16)
    ramp = (columns / 15).view(1, 1, 16, 16)
    inner = (slice(None), slice(None), slice(2, -2), slice(2, -2))
    assert contextual_residue(checker, mask)[inner].abs().mean() > 0.3
    assert contextual_residue(ramp, mask)[inner].abs().max() < 1e-5


def test_texture_priority_uses_the_residue_and_structure_does_not() -> None:
    mask = torch.ones(1, 1, 16, 16)
    mask[..., 6:10, 2:14] = 0
    rows, columns = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    x = (columns / 15 + 0.3 * ((rows + columns) % 2)).view(1, 1, 16, 16).expand(1, 3, 16, 16) * mask
    known = window_sum(mask, 3, padding=1)
    args = (sobel_kernel(), window_shift_kernel(3))
    structure = priority_update(x, mask, known, "structure", *args)
    texture = priority_update(x, mask, known, "texture", *args)
    assert not torch.equal(structure, texture)
    with pytest.raises(ValueError):
        priority_update(x, mask, known, "none", *args)


def test_eq5_threshold_on_hand_numbers() -> None:
    mask = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0]]).view(1, 1, 1, 5)
    known = torch.tensor([[1.0, 3.0, 0.0, 2.0, 1.0]]).view(1, 1, 1, 5)
    rho = torch.tensor([[9.0, 1.0, 9.0, 1.4, 0.0]]).view(1, 1, 1, 5)
    # border = pixels 1 and 3 (pixel 2 has no known neighbour); q = 3.0 and 2.8, q_max = 3.0
    assert priority_mask_update(mask, known, rho, 0.5).flatten().tolist() == [1, 1, 0, 1, 1]
    assert priority_mask_update(mask, known, rho, 0.95).flatten().tolist() == [1, 1, 0, 0, 1]


def test_q_max_is_taken_per_image() -> None:
    mask = torch.tensor([[0.0, 1.0]]).view(1, 1, 1, 2).repeat(2, 1, 1, 1)
    known = torch.ones(2, 1, 1, 2)
    rho = torch.tensor([100.0, 1.0]).view(2, 1, 1, 1).expand(2, 1, 1, 2)
    # each image's only border pixel is its own maximum, whatever the other image holds
    assert priority_mask_update(mask, known, rho, 0.5).flatten().tolist() == [1, 1, 1, 1]


def test_a_border_pixel_without_normal_is_filled_at_once() -> None:
    mask = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0]]).view(1, 1, 1, 5)
    known = torch.tensor([[1.0, 3.0, 2.0, 3.0, 1.0]]).view(1, 1, 1, 5)
    rho = torch.tensor([[0.0, 1.0, 0.0, 0.4, 0.0]]).view(1, 1, 1, 5)
    no_normal = torch.tensor([[False, False, True, False, False]]).view(1, 1, 1, 5)
    # pixel 2 (ρ = 0) is filled for want of a normal; q = 3.0 and 1.2: pixel 3 stays a hole
    update = priority_mask_update(mask, known, rho, 0.5, no_normal=no_normal)
    assert update.flatten().tolist() == [1, 1, 1, 0, 1]


def test_a_q_max_under_the_floor_falls_back_to_eq1() -> None:
    mask = torch.tensor([[1.0, 0.0, 0.0, 1.0]]).view(1, 1, 1, 4)
    known = torch.tensor([[1.0, 3.0, 3.0, 1.0]]).view(1, 1, 1, 4)
    rho = torch.tensor([[0.0, 1e-4, 1e-5, 0.0]]).view(1, 1, 1, 4)
    assert priority_mask_update(mask, known, rho, 0.5, floor=1e-3).flatten().tolist() == [1, 1, 1, 1]
    assert priority_mask_update(mask, known, rho, 0.5, floor=1e-4).flatten().tolist() == [1, 1, 0, 1]


def isolated_pixel_and_line() -> torch.Tensor:
    """32² mask: a 10×10 hole, one isolated hole pixel at (24, 24), a hole line on row 20, columns 2–27."""
    mask = torch.ones(1, 1, 32, 32)
    mask[..., 2:12, 2:12] = 0
    mask[..., 24, 24] = 0
    mask[..., 20, 2:28] = 0
    return mask


@pytest.mark.parametrize("priority", ["structure", "texture"])
def test_an_isolated_pixel_and_a_line_fill_as_fast_as_their_distance_allows(priority: str) -> None:
    """Both lie one pixel from the known region, with no Sobel normal (the line: but for its two
    ends, which lose theirs once the line is filled). The square still has structure to order."""
    torch.manual_seed(0)
    mask = isolated_pixel_and_line()
    x = torch.randn(1, 4, 32, 32) * mask
    layers = [PartialConv2d(4, 4, 3, padding=1, priority=priority) for _ in range(2)]
    masks = []
    for layer in layers:
        x, mask = layer(x, mask)
        masks.append(mask)
    assert masks[0][0, 0, 24, 24] == 1  # one layer
    assert masks[0][0, 0, 20, 3:27].eq(1).all()
    assert masks[1][0, 0, 20, 2:28].eq(1).all()  # the ends in the second
    assert masks[1][0, 0, 2:12, 2:12].eq(0).sum() > 64  # the square fills by priority, slowly


@pytest.mark.parametrize("priority", ["structure", "texture"])
@pytest.mark.parametrize("value", [0.0, 0.7])
def test_a_flat_map_has_no_priority_to_order_and_fills_like_eq1(priority: str, value: float) -> None:
    mask = torch.ones(1, 1, 24, 24)
    mask[..., 5:20, 6:18] = 0
    x = torch.full((1, 3, 24, 24), value) * mask
    _, expected = PartialConv2d(3, 3, 3, padding=1)(x, mask)
    _, new_mask = PartialConv2d(3, 3, 3, padding=1, priority=priority)(x, mask)
    assert torch.equal(new_mask, expected)


def test_structure_just_above_the_floor_is_still_ordered() -> None:
    mask = band_hole()
    x = (0.7 + 30 * PRIORITY_FLOOR * vertical_step()) * mask  # a faint edge on a bright map
    _, new_mask = PartialConv2d(1, 1, 3, padding=1, priority="structure")(x, mask)
    _, eq1 = PartialConv2d(1, 1, 3, padding=1)(x, mask)
    assert 0 < (new_mask - mask).sum() < (eq1 - mask).sum()
