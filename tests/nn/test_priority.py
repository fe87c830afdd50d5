"""Inpainting priorities, eq. 5–8, on hand-checkable maps."""

import pytest
import torch

from pmrf_lightning.nn import PartialConv2d
from pmrf_lightning.nn.priority import (
    border_normal,
    contextual_residue,
    contour_striking,
    isophote,
    priority_mask_update,
    resolution_priority,
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


def test_window_sum_counts_known_pixels_with_zero_padding() -> None:
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]]).view(1, 1, 2, 2)
    assert window_sum(mask, 3, padding=1).flatten().tolist() == [3.0, 3.0, 3.0, 3.0]
    assert window_sum(mask, 2).flatten().tolist() == [3.0]


def test_border_normal_is_perpendicular_to_a_straight_border() -> None:
    normal = border_normal(band_hole())
    for row in (5, 6, 9, 10):  # just outside and inside both borders
        assert torch.allclose(normal[0, 0, row], torch.zeros(16), atol=1e-6)
        assert torch.allclose(normal[0, 1, row].abs(), torch.ones(16), atol=1e-6)
    assert torch.equal(normal[..., 0:4, :], torch.zeros(1, 2, 4, 16))  # far from the hole


def test_isophote_follows_the_edge_and_ignores_the_hole() -> None:
    mask = band_hole()
    iso = isophote(vertical_step() * mask, mask)
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
    rho = contour_striking(vertical_step() * mask, mask)
    border = (mask == 0) & (window_sum(mask, 3, padding=1) > 0)
    assert rho[border].max() > 0
    top_border = rho[0, 0, 6]
    assert set(torch.nonzero(top_border == top_border.max()).flatten().tolist()) <= {6, 7, 8, 9}
    assert top_border[:5].max() == 0 and top_border[11:].max() == 0


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
    mask = band_hole()
    x = (vertical_step() * mask).expand(1, 3, 16, 16)
    structure = resolution_priority(x, mask, "structure")
    texture = resolution_priority(x, mask, "texture")
    assert not torch.allclose(structure, texture)
    with pytest.raises(ValueError):
        resolution_priority(x, mask, "none")


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
