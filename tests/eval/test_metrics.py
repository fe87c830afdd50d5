"""Metrics of Table 1 on hand-checkable images, and the table layout."""

from __future__ import annotations

import pytest
import torch

from pmrf_lightning.eval import MeanImageScores, composite, quantize, relative_l1
from pmrf_lightning.eval.evaluate import summarise
from pmrf_lightning.eval.metrics import MAX_EDGE_DISTANCE, edge_error_sums, per_image_scores
from pmrf_lightning.eval.tables import table1, table2


def test_identical_images_score_perfectly() -> None:
    image = torch.rand(2, 3, 32, 32)
    scores = per_image_scores(image, image)
    assert scores["rel_l1"].tolist() == [0.0, 0.0]
    torch.testing.assert_close(scores["ssim"], torch.ones(2))
    assert torch.isfinite(scores["psnr"]).all() and (scores["psnr"] >= 100).all()


def test_a_constant_offset_gives_the_hand_computed_scores() -> None:
    target, output = torch.full((1, 3, 16, 16), 0.5), torch.full((1, 3, 16, 16), 0.6)
    assert relative_l1(target, output).item() == pytest.approx(100 * 0.1 / 1.1, rel=1e-5)
    assert relative_l1(target, output, "gt").item() == pytest.approx(20.0, rel=1e-5)
    assert per_image_scores(target, output)["psnr"].item() == pytest.approx(20.0, rel=1e-5)  # mse 0.01


def test_the_validation_metric_averages_per_image_scores_over_batches() -> None:
    metric = MeanImageScores()
    metric.update(torch.full((1, 3, 16, 16), 0.5), torch.full((1, 3, 16, 16), 0.6))
    metric.update(torch.full((2, 3, 16, 16), 0.5), torch.full((2, 3, 16, 16), 0.5))
    scores = metric.compute()
    assert scores["rel_l1"].item() == pytest.approx(100 * 0.1 / 1.1 / 3, rel=1e-5)
    assert scores["psnr"].item() == pytest.approx((20 + 100 + 100) / 3, rel=1e-5)  # identical: 100 dB


def test_composite_keeps_known_pixels_bit_exact_and_quantize_is_8_bit() -> None:
    image, output = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    mask = (torch.rand(2, 1, 8, 8) > 0.5).float()
    result = composite(mask, image, output)
    assert torch.equal(result[mask.expand_as(image) > 0.5], image[mask.expand_as(image) > 0.5])
    assert torch.equal(result[mask.expand_as(image) < 0.5], output[mask.expand_as(image) < 0.5])
    levels = quantize(result) * 255
    assert torch.equal(levels, levels.round()) and levels.min() >= 0 and levels.max() <= 255


def record(bucket: int, rel_l1: float) -> dict:
    return {"bucket": bucket, "rel_l1": rel_l1, "rel_l1_gt": rel_l1, "psnr": 30.0, "ssim": 0.9}


def test_empty_buckets_are_n_0_not_nan_and_ave_is_the_unweighted_bucket_mean() -> None:
    summary = summarise(
        [record(0, 1.0), record(0, 3.0), record(2, 6.0), record(-1, 0.0), record(6, 50.0)], {}
    )
    assert summary["0-10%"]["n"] == 2 and summary["0-10%"]["rel_l1"] == 2.0
    assert summary["10-20%"] == {
        "n": 0,
        "rel_l1": None,
        "rel_l1_gt": None,
        "psnr": None,
        "ssim": None,
        "fid": None,
    }
    assert summary["Ave"]["rel_l1"] == pytest.approx((2.0 + 6.0) / 2)
    assert summary["outside"]["n"] == 2


def test_table1_has_six_buckets_and_the_average() -> None:
    text = table1(summarise([record(0, 1.0), record(5, 9.0)], {}), "demo")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "0-10%", "10-20%", "20-30%", "30-40%", "40-50%", "50-60%", "Ave"
    ]  # fmt: skip
    assert "| 10-20% | 0 | – | – | – | – |" in text
    assert "Σ(gt + out)" in text  # the formula is named next to the table


def test_table2_sits_beside_the_paper() -> None:
    text = table2({"full": {"rel_l1": 5.0, "ssim": 0.8, "psnr": 20.0, "fid": None}})
    assert "| full | 5.00 | 0.800 | 20.000 | – | 3.54 / 0.841 / 25.475 / 6.98 |" in text


def test_edge_error_bins_hole_pixels_by_distance_to_the_nearest_known_pixel() -> None:
    """A 5-pixel hole in a row of 7: distances 1, 2, 3, 2, 1; errors 10, 20, 30, 40, 50 levels."""
    target = torch.zeros(2, 3, 1, 7)
    result = (torch.tensor([0.0, 10, 20, 30, 40, 50, 99]) / 255).expand(2, 3, 1, 7).clone()
    mask = torch.tensor([1.0, 0, 0, 0, 0, 0, 1]).expand(2, 1, 1, 7).clone()
    mask[1] = 1  # the second image has no hole and adds nothing
    sums, counts = edge_error_sums(target, result, mask)
    assert counts[1:4].tolist() == [2, 2, 1] and counts.sum() == 5
    assert sums[1:4].tolist() == pytest.approx([60, 60, 30])


def test_edge_error_puts_far_pixels_in_the_last_bin() -> None:
    mask = torch.ones(1, 1, 60, 60)
    mask[..., 5:55, 5:55] = 0
    sums, counts = edge_error_sums(torch.zeros(1, 3, 60, 60), torch.zeros(1, 3, 60, 60), mask)
    assert counts.sum() == 50 * 50 and counts[MAX_EDGE_DISTANCE] > 0 and counts[0] == 0
    assert sums.sum() == 0


def test_table1_shows_the_edge_error_when_there_is_one() -> None:
    summary = summarise([record(0, 1.0)], {}) | {"edge_error": {"1": 5.151, "2": 8.0}}
    text = table1(summary, "demo")
    assert "| distance (px) | 1 | 2 |" in text and "| error | 5.15 | 8.00 |" in text
