"""Paired comparison of two evaluation runs on hand-made per-image scores."""

from __future__ import annotations

import pytest

from pmrf_lightning.eval.compare import compare, comparison_markdown


def records(l1: list[float], ssim: list[float], buckets: list[int], tag: str = "") -> list[dict]:
    return [
        {"index": i, "file": f"{i}.png{tag}", "bucket": b, "rel_l1": x, "ssim": s, "psnr": 20 + s}
        for i, (x, s, b) in enumerate(zip(l1, ssim, buckets))
    ]


def test_means_differences_intervals_and_wins_on_hand_numbers() -> None:
    buckets = [0, 0, 0, 1, 6]  # the last image is outside the six buckets and left out
    a = records([1, 2, 3, 5, 9], [0.5, 0.5, 0.5, 0.7, 0.1], buckets)
    b = records([2, 3, 4, 5, 0], [0.4, 0.6, 0.5, 0.7, 0.9], buckets)
    result = compare(a, b)
    first = result["rel_l1"]["0-10%"]
    assert (first["n"], first["mean_a"], first["mean_b"], first["diff"]) == (3, 2.0, 3.0, -1.0)
    assert first["low"] == first["high"] == -1.0 and first["a_better"] == 3  # every pair differs by 1
    assert result["ssim"]["0-10%"]["diff"] == pytest.approx(0.0) and result["ssim"]["0-10%"]["a_better"] == 1
    assert result["rel_l1"]["10-20%"]["diff"] == 0 and result["rel_l1"]["10-20%"]["a_better"] == 0
    ave = result["rel_l1"]["Ave"]
    assert (ave["n"], ave["diff"], ave["low"], ave["high"], ave["a_better"]) == (4, -0.5, -0.5, -0.5, 3)
    assert "20-30%" not in result["rel_l1"]
    text = comparison_markdown(result, "A", "B")
    assert "| 0-10% | 3 | 2.00 | 3.00 | -1.000 | [-1.000, -1.000]* | 3 of 3 |" in text
    assert "| 10-20% | 1 | 5.00 | 5.00 | +0.000 | [+0.000, +0.000] | 0 of 1 |" in text


def test_the_interval_covers_the_spread_of_the_differences() -> None:
    a = records([1.0, 1.0, 1.0, 1.0], [0.5] * 4, [2] * 4)
    b = records([0.0, 2.0, 0.5, 1.5], [0.5] * 4, [2] * 4)
    row = compare(a, b)["rel_l1"]["20-30%"]
    assert row["diff"] == 0 and -1 <= row["low"] < 0 < row["high"] <= 1 and row["a_better"] == 2


def test_runs_of_different_images_are_refused() -> None:
    a = records([1, 2], [0.5, 0.5], [0, 0])
    with pytest.raises(ValueError, match="different images"):
        compare(a, a[:1])
    with pytest.raises(ValueError, match="differs between the runs"):
        compare(a, records([1, 2], [0.5, 0.5], [0, 0], tag=".other"))
    with pytest.raises(ValueError, match="differs between the runs"):
        compare(a, records([1, 2], [0.5, 0.5], [0, 1]))
