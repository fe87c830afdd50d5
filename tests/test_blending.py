"""Poisson blending (Pérez et al. 2003) on hand-checkable images and its properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pmrf_lightning.blending import poisson_blend, poisson_blend_batch


def test_a_one_pixel_hole_takes_its_neighbours_mean_plus_the_fills_own_bump() -> None:
    image = np.array([[0.0, 1.0, 0.0], [2.0, 99.0, 3.0], [0.0, 6.0, 0.0]])
    hole = np.zeros((3, 3), bool)
    hole[1, 1] = True
    assert poisson_blend(image, np.zeros((3, 3)), hole)[1, 1] == pytest.approx((1 + 2 + 3 + 6) / 4)
    bump = np.zeros((3, 3))
    bump[1, 1] = 8.0  # 4 · 8 − 0 = 32 of Laplacian: 3 + 32 / 4
    assert poisson_blend(image, bump, hole)[1, 1] == pytest.approx(11.0)


def test_a_corner_hole_counts_only_the_neighbours_inside_the_image() -> None:
    image = np.array([[50.0, 2.0], [4.0, 7.0]])
    hole = np.array([[True, False], [False, False]])
    assert poisson_blend(image, np.zeros((2, 2)), hole)[0, 0] == pytest.approx(3.0)


def test_a_slope_that_does_not_fit_between_the_known_ends_is_spread_evenly() -> None:
    """1 | f0 f1 | 5 under the fill 0, 2, 4, 6: 2 f0 − f1 = 2 − 2 + 1, 2 f1 − f0 = 2 − 2 + 5."""
    image = np.array([[1.0, 0.0, 0.0, 5.0]])
    fill = np.array([[0.0, 2.0, 4.0, 6.0]])
    hole = np.array([[False, True, True, False]])
    np.testing.assert_allclose(poisson_blend(image, fill, hole)[0], [1, 7 / 3, 11 / 3, 5])


def test_a_fill_off_by_a_colour_shift_comes_back_as_the_truth() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random((24, 20, 3))
    hole = np.zeros((24, 20), bool)
    hole[4:15, 3:9] = True
    hole[18:, 12:] = True  # touches the image border
    image = np.where(hole[..., None], rng.random((24, 20, 3)), truth)  # the hole's content is never read
    blended = poisson_blend(image, truth + np.array([0.3, -0.2, 0.1]), hole)
    np.testing.assert_allclose(blended, truth, atol=1e-10)


def test_known_pixels_are_untouched() -> None:
    rng = np.random.default_rng(1)
    image, fill = rng.random((2, 16, 12, 3))
    hole = rng.random((16, 12)) < 0.4
    np.testing.assert_array_equal(poisson_blend(image, fill, hole)[~hole], image[~hole])


def test_a_flat_fill_inside_a_linear_ramp_becomes_the_ramp() -> None:
    """Linear functions are discrete-harmonic: with no gradient to keep, the hole interpolates them."""
    ys, xs = np.mgrid[0:16, 0:16]
    ramp = 0.5 * xs - 0.25 * ys + 3
    hole = np.zeros((16, 16), bool)
    hole[5:11, 4:12] = True
    np.testing.assert_allclose(poisson_blend(ramp, np.zeros((16, 16)), hole), ramp, atol=1e-10)


def test_without_hole_the_image_and_without_known_pixels_the_fill() -> None:
    image, fill = np.random.default_rng(2).random((2, 6, 6, 3))
    np.testing.assert_array_equal(poisson_blend(image, fill, np.zeros((6, 6), bool)), image)
    np.testing.assert_array_equal(poisson_blend(image, fill, np.ones((6, 6), bool)), fill)


def test_the_batch_version_blends_and_clamps_each_image() -> None:
    torch.manual_seed(0)
    image = torch.rand(2, 3, 12, 12) * 2 - 1
    mask = torch.ones(2, 1, 12, 12)
    mask[0, :, 3:8, 2:9] = 0
    mask[1, :, 6:, 6:] = 0
    output = torch.rand(2, 3, 12, 12) * 4 - 2
    blended = poisson_blend_batch(image, mask, output)
    assert blended.shape == image.shape and blended.dtype == image.dtype
    assert blended.abs().max() <= 1
    known = mask.expand_as(image) > 0.5
    torch.testing.assert_close(blended[known], image[known])
    arrays = [x[1].permute(1, 2, 0).numpy() for x in (image, output)]
    expected = poisson_blend(*arrays, (mask[1, 0] < 0.5).numpy()).clip(-1, 1)
    torch.testing.assert_close(blended[1], torch.from_numpy(expected).permute(2, 0, 1).float())
