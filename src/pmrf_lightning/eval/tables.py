"""Table 1 (metrics per hole-ratio bucket) and Table 2 (ablations) in Markdown, with the paper's figures."""

from __future__ import annotations

from ..data.masks import BUCKET_LABELS

METRICS = (("rel_l1", "ℓ1 (%) ↓", 2), ("ssim", "SSIM ↑", 3), ("psnr", "PSNR ↑", 3), ("fid", "FID ↓", 2))
REL_L1_NOTE = (
    "ℓ1 (%) = 100·Σ|gt − out| / Σ(gt + out) (EdgeConnect's script) on the 8-bit composite; "
    "PSNR in dB, data range 1; SSIM Gaussian 11×11, σ 1.5, RGB; "
    "Ave = unweighted mean of the non-empty buckets."
)

# Table 2 of the paper (Places2, mean of the six buckets): ℓ1 %, SSIM, PSNR, FID
PAPER_TABLE2 = {
    "hrnet": (3.81, 0.831, 24.866, 10.49),
    "wo_pconv": (3.69, 0.835, 25.007, 8.56),
    "wo_arf": (3.60, 0.840, 25.283, 8.41),
    "wo_mrf1": (3.57, 0.838, 25.420, 7.43),
    "wo_mrf3": (3.67, 0.836, 25.283, 7.95),
    "wo_mrf5": (3.85, 0.821, 24.789, 11.32),
    "full": (3.54, 0.841, 25.475, 6.98),
}


def _cell(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table1(summary: dict[str, dict], title: str) -> str:
    """Rows: the six buckets and Ave; columns: n and the four metrics."""
    lines = [
        f"**{title}**",
        "",
        "| mask | n | " + " | ".join(h for _, h, _ in METRICS) + " |",
        "|---" * 6 + "|",
    ]
    for label in (*BUCKET_LABELS, "Ave"):
        row = summary[label]
        cells = [_cell(row.get(key), digits) for key, _, digits in METRICS]
        lines.append(f"| {label} | {row['n']} | " + " | ".join(cells) + " |")
    lines += ["", REL_L1_NOTE]
    if summary.get("edge_error"):
        edge = summary["edge_error"]
        lines += [
            "",
            "Mean |gt − out| of hole pixels (8-bit levels) by distance to the nearest known pixel:",
            "",
            "| distance (px) | " + " | ".join(edge) + " |",
            "|---" * (len(edge) + 1) + "|",
            "| error | " + " | ".join(f"{v:.2f}" for v in edge.values()) + " |",
        ]
    return "\n".join(lines)


def table2(averages: dict[str, dict]) -> str:
    """One row per ablation: our Ave next to the paper's Table 2 (Places2, full scale)."""
    header = "| setting | ℓ1 (%) ↓ | SSIM ↑ | PSNR ↑ | FID ↓ | paper ℓ1 / SSIM / PSNR / FID |"
    lines = [header, "|---|---|---|---|---|---|"]
    for name, row in averages.items():
        ours = [_cell(row.get(key), digits) for key, _, digits in METRICS]
        paper = PAPER_TABLE2.get(name)
        theirs = " / ".join(str(v) for v in paper) if paper else "–"
        lines.append(f"| {name} | " + " | ".join(ours) + f" | {theirs} |")
    lines += ["", REL_L1_NOTE]
    return "\n".join(lines)


def comparison_table(
    summaries: dict[str, dict[str, dict]], metrics: tuple[str, ...] = ("rel_l1", "ssim")
) -> str:
    """Table 1 as the paper lays it out: one row per method, one column per bucket (and Ave), one
    block per metric; the best value of each column in bold."""
    lines = []
    for key, header, digits in (m for m in METRICS if m[0] in metrics):
        lower_is_better = header.endswith("↓")
        lines += [f"| {header} | " + " | ".join((*BUCKET_LABELS, "Ave")) + " |", "|---" * 8 + "|"]
        columns = {
            label: [s[label].get(key) for s in summaries.values() if s[label].get(key) is not None]
            for label in (*BUCKET_LABELS, "Ave")
        }
        best = {label: (min if lower_is_better else max)(v) for label, v in columns.items() if v}
        for name, summary in summaries.items():
            cells = []
            for label in (*BUCKET_LABELS, "Ave"):
                text = _cell(summary[label].get(key), digits)
                bold = summary[label].get(key) is not None and round(summary[label][key], digits) == round(
                    best[label], digits
                )
                cells.append(f"**{text}**" if bold else text)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(REL_L1_NOTE)
    return "\n".join(lines)
