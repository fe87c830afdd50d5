"""close_holes: the parameter-free fill of what the masked layers left before the head."""

import torch

from pmrf_lightning.nn.hole_closing import close_holes


def test_known_pixels_keep_their_value_and_every_hole_pixel_is_filled() -> None:
    generator = torch.Generator().manual_seed(0)
    mask = torch.ones(2, 1, 13, 21)  # odd sizes: the pyramid's last blocks are partial
    mask[0, :, 2:11, 3:19] = 0
    mask[1, :, :, 10:] = 0
    x = (torch.rand(2, 3, 13, 21, generator=generator) + 0.5) * mask
    closed = close_holes(x, mask)
    assert torch.equal(closed * mask, x)
    assert (closed > 0).all()
    low, high = x[mask.expand_as(x) == 1].min(), x.max()
    assert (closed >= low).all() and (closed <= high).all()  # means of known values


def test_a_hole_pixel_takes_the_mean_of_the_smallest_block_that_knows_something() -> None:
    x = torch.zeros(1, 1, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    x[..., 0, 0], mask[..., 0, 0] = 2.0, 1.0  # top-left 2×2 block: one known pixel
    x[..., 3, 3], mask[..., 3, 3] = 6.0, 1.0  # bottom-right block
    closed = close_holes(x, mask)[0, 0]
    assert closed[0, 1] == 2.0 and closed[1, 1] == 2.0  # own 2×2 block
    assert closed[2, 2] == 6.0
    assert closed[0, 3] == 4.0  # its 2×2 block is empty: the 4×4 mean of 2 and 6


def test_an_image_without_known_pixel_stays_zero() -> None:
    closed = close_holes(torch.zeros(1, 2, 8, 8), torch.zeros(1, 1, 8, 8))
    assert torch.equal(closed, torch.zeros(1, 2, 8, 8))
