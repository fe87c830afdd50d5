"""Inpainting priorities, eq. 5–8, on hand-checkable maps."""

import pytest
import torch

from pmrf_lightning.nn import PartialConv2d
from pmrf_lightning.nn.priority import (
    PRIORITY_FLOOR,
    border_statistics,
    contextual_residue,
    contour_striking,
    ones_kernel,
    priority_filters,
    priority_mask_update,
    priority_update,
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


def statistics(feature: torch.Tensor, mask: torch.Tensor):
    return border_statistics(mask, feature, priority_filters(3))


def rho(feature: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    _, normal, iso = statistics(feature * mask, mask)
    return contour_striking(normal, iso)[0]


def test_window_sum_counts_known_pixels_with_zero_padding() -> None:
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]]).view(1, 1, 2, 2)
    assert window_sum(mask, ones_kernel(3), padding=1).flatten().tolist() == [3.0, 3.0, 3.0, 3.0]
    assert window_sum(mask, ones_kernel(2)).flatten().tolist() == [3.0]


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_border_statistics_count_the_window_like_eq1(kernel_size: int) -> None:
    torch.manual_seed(0)
    mask = (torch.rand(2, 1, 12, 12) > 0.4).float()
    known, _, _ = border_statistics(mask, torch.randn(2, 1, 12, 12) * mask, priority_filters(kernel_size))
    assert torch.equal(known, window_sum(mask, ones_kernel(kernel_size), padding=kernel_size // 2))


def test_border_normal_is_perpendicular_to_a_straight_border() -> None:
    _, (nx, ny), _ = statistics(torch.zeros(1, 1, 16, 16), band_hole())
    length = torch.hypot(nx, ny).clamp_min(1e-8)
    inner = slice(1, 15)  # the frame counts as hole, so its columns see a second border
    for row in (5, 6, 9, 10):  # just outside and inside both borders
        assert torch.equal(nx[0, 0, row, inner], torch.zeros(14))
        assert torch.allclose((ny / length)[0, 0, row, inner].abs(), torch.ones(14))
    assert torch.equal(ny[..., 1:4, :], torch.zeros(1, 1, 3, 16))  # far from the hole


def test_isophote_follows_the_edge() -> None:
    _, _, (ix, iy) = statistics(vertical_step(), torch.ones(1, 1, 16, 16))
    inner = (0, 0, slice(1, 15), slice(1, 15))  # the frame counts as hole: a step of its own
    # the edge is vertical, so the isophote (⊥ gradient) is vertical, on the edge's two columns only
    ix, iy = ix[inner], iy[inner]
    assert torch.equal(ix, torch.zeros(14, 14))
    assert (iy[:, 6:8] > 0.2).all()
    assert torch.equal(iy[:, :6], torch.zeros(14, 6)) and torch.equal(iy[:, 8:], torch.zeros(14, 6))


@pytest.mark.parametrize("fill", [-2.0, 0.5, 7.0])
def test_the_strike_does_not_see_what_the_hole_holds(fill: float) -> None:
    """Any constant in the hole adds a multiple of the normal to the Sobel gradient, which the
    isophote turns perpendicular to the normal: ρ is that of the known pixels alone (eq. 7 read
    on X_p). With the gradient in place of the isophote this fails."""
    torch.manual_seed(0)
    mask = torch.ones(1, 1, 24, 24)
    mask[..., 6:15, 4:19] = 0
    mask[..., 17, 9] = 0
    feature = torch.randn(1, 1, 24, 24)
    _, normal, zero_filled = statistics(feature * mask, mask)
    _, _, const_filled = statistics(feature * mask + fill * (1 - mask), mask)
    border = (mask == 0) & (window_sum(mask, ones_kernel(3), padding=1) > 0)
    rho_zero, no_normal = contour_striking(normal, zero_filled)
    rho_const, _ = contour_striking(normal, const_filled)
    assert rho_zero[border].abs().max() > 0.1
    assert torch.allclose(rho_zero[border], rho_const[border], atol=1e-5)
    assert no_normal[0, 0, 17, 9]


def test_the_strike_projects_the_isophote_on_the_unit_normal() -> None:
    """Hand numbers: normal (0, 0.5), unit (0, 1); isophotes (3, −1), (9, 0) and (1, 2)."""
    nx, ny = torch.zeros(1, 1, 1, 4), torch.tensor([0.5, 0.5, 0.0, 0.25]).view(1, 1, 1, 4)
    nx[..., 3] = 0.25  # unit (0.707, 0.707)
    ix, iy = (
        torch.tensor([3.0, 9.0, 5.0, 1.0]).view(1, 1, 1, 4),
        torch.tensor([-1.0, 0.0, 5.0, 2.0]).view(1, 1, 1, 4),
    )
    priority, no_normal = contour_striking((nx, ny), (ix, iy))
    assert priority.flatten().tolist() == pytest.approx([1.0, 0.0, 0.0, 3 / 2**0.5])
    assert no_normal.flatten().tolist() == [False, False, True, False]


def test_structure_priority_peaks_where_the_edge_strikes_the_border() -> None:
    mask = band_hole()
    priority = rho(vertical_step(), mask)
    border = (mask == 0) & (window_sum(mask, ones_kernel(3), padding=1) > 0)
    assert priority[border].max() > 0
    top_border = priority[0, 0, 6]
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


def test_texture_priority_ignores_smooth_shading_and_structure_does_not() -> None:
    """A band hole across a strong horizontal ramp, with weak stripes on the left half: the
    structure priority (eq. 7) follows the ramp, the texture priority (eq. 8, on the residue,
    which has no ramp) the stripes."""
    mask = torch.ones(1, 1, 32, 32)
    mask[..., 12:20, :] = 0
    columns = torch.arange(32.0).expand(32, 32)
    stripes = ((columns % 4) < 2).float() * (columns < 16)
    x = (columns / 31 * 8 + 0.3 * stripes).view(1, 1, 32, 32).expand(1, 3, 32, 32) * mask
    filters = priority_filters(3)
    structure, known = priority_update(x, mask, "structure", filters)
    texture, _ = priority_update(x, mask, "texture", filters)
    assert torch.equal(known, window_sum(mask, ones_kernel(3), padding=1))
    ramp = slice(17, 30)  # right half, off the frame
    assert (structure - mask)[0, 0, 12, ramp].eq(1).all()
    assert (texture - mask)[0, 0, 12, ramp].eq(0).all()
    assert (texture - mask)[0, 0, 12, :16].sum() >= 12
    with pytest.raises(ValueError):
        priority_update(x, mask, "none", filters)


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


def test_q_max_is_read_above_the_noise_floor() -> None:
    """q ≥ δ·(q_max − ε), ε = PRIORITY_FLOOR · magnitude: every border pixel once q_max ≤ ε."""
    mask = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0]]).view(1, 1, 1, 5)
    known = torch.tensor([[1.0, 3.0, 3.0, 3.0, 1.0]]).view(1, 1, 1, 5)
    rho = torch.tensor([[0.0, 1e-4, 2e-5, 1e-5, 0.0]]).view(1, 1, 1, 5)  # q = 3e-4, 6e-5, 3e-5

    def update(epsilon: float) -> list[float]:
        magnitude = epsilon / PRIORITY_FLOOR
        return priority_mask_update(mask, known, rho, 0.5, magnitude=magnitude).flatten().tolist()

    assert update(0.0) == [1, 1, 0, 0, 1]
    assert update(1e-3) == [1, 1, 1, 1, 1]  # q_max under the floor: eq. 1
    assert update(2e-4) == [1, 1, 1, 0, 1]  # threshold 0.5 · (3e-4 − 2e-4) = 5e-5


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
