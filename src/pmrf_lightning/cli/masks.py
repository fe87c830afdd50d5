"""``pmrf-masks``: write a frozen, seeded evaluation mask set, the same on every machine.

    pmrf-masks --out masks/eval256 --size 256 --per-bucket 200 --seed 0

Writes ``OUT/00-10/00000.png`` … ``OUT/50-60/…`` (one folder per Table 1 bucket, hole = white)
and ``OUT/manifest.json`` (settings and the hole ratio of every file). Files appear only once the
whole set is written; an existing ``OUT`` is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from rich.progress import track

from pmrf_lightning.data.masks import NUM_BUCKETS, ProceduralMasks, bucket_range, hole_ratio, write_mask


def bucket_folder(bucket: int) -> str:
    low, high = bucket_range(bucket)
    return f"{round(100 * low):02d}-{round(100 * high):02d}"


def write_mask_set(out: Path, size: int, per_bucket: int, seed: int, shape: str = "mixed") -> dict:
    """Write the set into ``out`` (which must not exist) and return its manifest."""
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose another --out or remove it")
    manifest = {
        "size": size,
        "per_bucket": per_bucket,
        "seed": seed,
        "shape": shape,
        "hole": "white",
        "files": {},
    }
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        staging = Path(tmp) / "set"
        jobs = [(bucket, i) for bucket in range(NUM_BUCKETS) for i in range(per_bucket)]
        generators = {b: ProceduralMasks(bucket_range(b), shape) for b in range(NUM_BUCKETS)}
        for bucket in range(NUM_BUCKETS):
            (staging / bucket_folder(bucket)).mkdir(parents=True)
        for bucket, i in track(jobs, description="masks"):
            rng = random.Random(seed * 1_000_003 + bucket * 100_003 + i)
            mask = generators[bucket].get(i, (size, size), rng)
            name = f"{bucket_folder(bucket)}/{i:05d}.png"
            write_mask(mask, staging / name)
            manifest["files"][name] = round(hole_ratio(mask), 6)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), out)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--per-bucket", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=["strokes", "rectangles", "mixed"], default="mixed")
    args = parser.parse_args(argv)
    if args.size < 8 or args.per_bucket < 1:
        print("error: --size must be at least 8 and --per-bucket at least 1", file=sys.stderr)
        return 2
    try:
        write_mask_set(args.out, args.size, args.per_bucket, args.seed, args.shape)
    except (OSError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {NUM_BUCKETS * args.per_bucket} masks to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
