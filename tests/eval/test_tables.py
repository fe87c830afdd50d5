"""Markdown tables: the method-by-bucket comparison (Table 1 layout)."""

from pmrf_lightning.data.masks import BUCKET_LABELS
from pmrf_lightning.eval.tables import comparison_table


def summary(l1: float, ssim: float) -> dict[str, dict]:
    rows = {
        label: {"n": 2, "rel_l1": l1 + k, "ssim": ssim - k / 100} for k, label in enumerate(BUCKET_LABELS)
    }
    rows["Ave"] = {"n": 12, "rel_l1": l1 + 2.5, "ssim": ssim - 0.025}
    return rows


def test_comparison_rows_are_methods_and_the_best_column_value_is_bold() -> None:
    text = comparison_table({"PRFN": summary(1.0, 0.9), "Telea": summary(2.0, 0.95)})
    lines = text.splitlines()
    assert lines[0] == "| ℓ1 (%) ↓ | " + " | ".join((*BUCKET_LABELS, "Ave")) + " |"
    assert lines[2].startswith("| PRFN | **1.00** | **2.00** |") and lines[2].endswith("| **3.50** |")
    assert lines[3].startswith("| Telea | 2.00 | 3.00 |")  # higher ℓ1: never bold
    ssim_rows = [line for line in lines if line.startswith(("| PRFN", "| Telea"))][2:]
    assert ssim_rows[0].startswith("| PRFN | 0.900 |") and ssim_rows[1].startswith("| Telea | **0.950** |")
    assert "PSNR ↑" not in text and "EdgeConnect" in text
