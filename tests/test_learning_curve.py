"""tools/learning_curve.py: validation rows of every resumed version, images seen, a clear error."""

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "learning_curve.py"
HEADER = "epoch,step,train/loss_g,val/psnr,val/rel_l1,val/ssim\n"


def make_run(run_dir: Path, versions: dict[int, str], batch_size: int = 8) -> None:
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "config.yaml").write_text(f"data:\n  batch_size: {batch_size}\n")
    for version, rows in versions.items():
        folder = run_dir / "csv" / f"version_{version}"
        folder.mkdir(parents=True)
        (folder / "metrics.csv").write_text(HEADER + rows)


def run_tool(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True, text=True)


def test_rows_of_every_version_in_step_order_the_last_of_a_repeated_step_wins(tmp_path: Path) -> None:
    make_run(
        tmp_path,
        {
            0: "0,99,12.0,,,\n0,499,,28.0,3.10,0.880\n1,999,,28.5,3.00,0.885\n",
            2: "1,999,,28.6,2.99,0.886\n2,1499,,29.0,2.90,0.890\n",
            10: "2,1499,,29.1,2.88,0.891\n3,1999,,29.5,2.80,0.895\n",  # 10 comes after 2
        },
    )
    result = run_tool(tmp_path, "--plot", tmp_path / "curve.png")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2:6] == [
        "| 500 | 4,000 | 3.10 | 28.00 | 0.880 |",
        "| 1,000 | 8,000 | 2.99 | 28.60 | 0.886 |",
        "| 1,500 | 12,000 | 2.88 | 29.10 | 0.891 |",
        "| 2,000 | 16,000 | 2.80 | 29.50 | 0.895 |",
    ]
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_a_folder_that_is_not_a_run_or_has_no_validation_is_one_line(tmp_path: Path) -> None:
    result = run_tool(tmp_path)
    assert result.returncode != 0 and "not a pmrf-train run folder" in result.stderr
    assert "Traceback" not in result.stderr
    make_run(tmp_path / "run", {0: "0,99,12.0,,,\n"})
    result = run_tool(tmp_path / "run")
    assert result.returncode != 0 and "no validation rows" in result.stderr
    assert "Traceback" not in result.stderr
