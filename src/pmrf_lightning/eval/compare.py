"""Is A really better than B? Paired per-bucket differences of two ``pmrf-eval`` runs.

Both runs must have scored the same images with the same masks (same ``file`` and ``bucket`` for
every ``index`` of their ``scores.json``). For each Table 1 bucket and metric: both means, the
mean paired difference A − B, its 95 % percentile bootstrap interval (images resampled with
replacement inside each bucket; Ave resamples every bucket and averages them, as Table 1 does)
and the number of images on which A is better.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..config import ConfigError
from ..data.masks import BUCKET_LABELS
from .tables import METRICS

LOWER_IS_BETTER = {"rel_l1": True, "ssim": False, "psnr": False}
RESAMPLES = 10_000


def read_scores(run: Path) -> list[dict]:
    """Per-image records of a finished ``pmrf-eval`` run folder (its ``scores.json``)."""
    path = run / "scores.json"
    if not path.is_file():
        raise ConfigError(f"{run} has no scores.json: give the folder of a finished pmrf-eval run")
    return json.loads(path.read_text())["images"]


def paired(a: list[dict], b: list[dict]) -> dict[int, list[tuple[dict, dict]]]:
    """Bucket -> (A's record, B's record) of each image, checking both runs scored the same thing."""
    by_index = {r["index"]: r for r in b}
    if sorted(by_index) != sorted(r["index"] for r in a):
        raise ConfigError(f"the runs scored different images ({len(a)} vs {len(b)})")
    buckets: dict[int, list[tuple[dict, dict]]] = {}
    for record in a:
        other = by_index[record["index"]]
        if (record["file"], record["bucket"]) != (other["file"], other["bucket"]):
            raise ConfigError(f"image {record['index']} differs between the runs (file or mask bucket)")
        buckets.setdefault(record["bucket"], []).append((record, other))
    return buckets


def compare(a: list[dict], b: list[dict], seed: int = 0) -> dict[str, dict[str, dict]]:
    """metric -> bucket label (and "Ave") -> n, mean_a, mean_b, diff, low, high, a_better."""
    buckets = {k: v for k, v in paired(a, b).items() if 0 <= k < len(BUCKET_LABELS)}
    rng = np.random.default_rng(seed)
    draws = {k: rng.integers(0, len(pairs), (RESAMPLES, len(pairs))) for k, pairs in buckets.items()}
    result: dict[str, dict[str, dict]] = {}
    for key, lower in LOWER_IS_BETTER.items():
        rows, boots = {}, []
        for bucket in sorted(buckets):
            values = np.array([(x[key], y[key]) for x, y in buckets[bucket]])
            diff = values[:, 0] - values[:, 1]
            boots.append(diff[draws[bucket]].mean(axis=1))
            wins = int(((diff < 0) if lower else (diff > 0)).sum())
            rows[BUCKET_LABELS[bucket]] = _row(*values.mean(axis=0), boots[-1], len(diff), wins)
        if rows:
            mean_a, mean_b = np.mean([(r["mean_a"], r["mean_b"]) for r in rows.values()], axis=0)
            n, wins = (sum(r[k] for r in rows.values()) for k in ("n", "a_better"))
            rows["Ave"] = _row(mean_a, mean_b, np.mean(boots, axis=0), n, wins)
        result[key] = rows
    return result


def _row(mean_a: float, mean_b: float, boot: np.ndarray, n: int, a_better: int) -> dict:
    low, high = np.percentile(boot, [2.5, 97.5])
    return {"n": n, "mean_a": float(mean_a), "mean_b": float(mean_b), "diff": float(mean_a - mean_b),
            "low": float(low), "high": float(high), "a_better": a_better}  # fmt: skip


def comparison_markdown(result: dict[str, dict[str, dict]], name_a: str, name_b: str) -> str:
    """One table per metric; an interval that excludes 0 is marked *."""
    lines = [f"**A = {name_a}; B = {name_b}** (paired, 95 % bootstrap interval of A − B)"]
    for key, title, digits in METRICS:
        if key not in result:
            continue
        lines += ["", f"| {title} | n | A | B | A − B | 95 % interval | A better on |", "|---" * 7 + "|"]
        fine = digits + 1  # differences are small
        for label, row in result[key].items():
            sure = "*" if row["low"] > 0 or row["high"] < 0 else ""
            interval = f"[{row['low']:+.{fine}f}, {row['high']:+.{fine}f}]{sure}"
            lines.append(
                f"| {label} | {row['n']} | {row['mean_a']:.{digits}f} | {row['mean_b']:.{digits}f} | "
                f"{row['diff']:+.{fine}f} | {interval} | {row['a_better']} of {row['n']} |"
            )
    return "\n".join(lines)
