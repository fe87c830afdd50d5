"""Losses of eq. 11–15 on hand numbers."""

import math

import pytest
import torch

from pmrf_lightning import losses


def test_eq11_is_the_mean_absolute_error_over_the_whole_image() -> None:
    target = torch.zeros(1, 3, 4, 4)
    output = torch.zeros(1, 3, 4, 4)
    output[..., :2, :] = 0.5  # half the pixels off by 0.5
    assert losses.reconstruction_loss(target, output).item() == pytest.approx(0.25)


def test_hole_weight_scales_the_hole_pixels_of_eq11_and_1_is_the_paper_loss() -> None:
    target, output = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    mask = torch.ones(1, 1, 4, 4)
    mask[..., :1, :] = 0  # a quarter of the pixels are hole
    assert losses.reconstruction_loss(target, output, mask, hole_weight=5.0).item() == pytest.approx(2.0)
    assert losses.reconstruction_loss(target, output, mask).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="need the mask"):
        losses.reconstruction_loss(target, output, hole_weight=5.0)


def test_hole_edge_marks_the_hole_pixels_within_the_band_of_a_known_pixel() -> None:
    mask = torch.ones(1, 1, 1, 12)
    mask[..., 2:10] = 0  # a hole of 8 columns: 2..9
    assert losses.hole_edge(mask, 2).flatten().tolist() == [0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]
    square = torch.ones(1, 1, 9, 9)
    square[..., 1:8, 1:8] = 0
    edge = losses.hole_edge(square, 1)[0, 0]
    assert edge.sum() == 7 * 7 - 5 * 5  # the hole's outer ring, diagonal neighbours included
    assert edge[4, 4] == 0 and edge[1, 1] == 1 and edge[0, 0] == 0  # centre, hole corner, known


def test_edge_weight_adds_to_the_hole_pixels_beside_known_ones() -> None:
    target, output = torch.zeros(1, 3, 1, 16), torch.ones(1, 3, 1, 16)
    mask = torch.ones(1, 1, 1, 16)
    mask[..., 2:14] = 0  # 12 hole columns, 2 × EDGE_BAND of them within the band
    band = 2 * losses.EDGE_BAND
    expected = (4 * 1 + 12 * 3 + band * 10) / 16
    loss = losses.reconstruction_loss(target, output, mask, hole_weight=3.0, edge_weight=10.0)
    assert loss.item() == pytest.approx(expected)
    assert losses.reconstruction_loss(target, output, mask, edge_weight=10.0).item() == pytest.approx(
        (16 + band * 10) / 16
    )
    with pytest.raises(ValueError, match="need the mask"):
        losses.reconstruction_loss(target, output, edge_weight=1.0)


def test_eq12_sums_one_term_per_side_output_against_the_resized_target() -> None:
    target = torch.ones(2, 3, 32, 32)
    sides = [torch.zeros(2, 3, 16, 16), torch.full((2, 3, 8, 8), 0.5), torch.ones(2, 3, 4, 4)]
    assert losses.multiscale_reconstruction_loss(target, sides).item() == pytest.approx(1.0 + 0.5 + 0.0)


def test_eq12_target_is_an_antialiased_resize() -> None:
    stripes = torch.zeros(1, 1, 16, 16)
    stripes[..., ::4] = 1.0  # one bright column in four: a plain bilinear ×4 resize samples none of them
    inner = losses.downsample_target(stripes, (4, 4))[..., 1:3, 1:3]
    torch.testing.assert_close(inner, torch.full_like(inner, 0.25), atol=0.05, rtol=0)


def test_eq13_and_eq14_on_hand_logits() -> None:
    zero = torch.zeros(1, 1, 2, 2)  # D = 0.5 everywhere
    assert losses.discriminator_adversarial_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert losses.generator_adversarial_loss(zero).item() == pytest.approx(math.log(2))
    confident = torch.full((1, 1, 2, 2), 20.0)
    assert losses.discriminator_adversarial_loss(confident, -confident).item() < 1e-6
    assert losses.generator_adversarial_loss(-confident).item() == pytest.approx(20.0, abs=1e-6)


def test_eq15_weights() -> None:
    rec, mrec, adv = torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0)
    assert losses.generator_total_loss(rec, mrec, adv).item() == pytest.approx(20 * 2 + 20 * 1 + 3)
    weighted = losses.generator_total_loss(rec, mrec, adv, lambda_rec=5, lambda_mrec=7, lambda_adv=0.5)
    assert weighted.item() == pytest.approx(5 * 1 + 7 * 2 + 0.5 * 3)
