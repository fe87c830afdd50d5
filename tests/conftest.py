"""Fixtures shared across test folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from pmrf_lightning.models import PRFNGenerator

TINY = {"width": 4, "blocks_per_stage": 1}


def _save_checkpoint(generator: PRFNGenerator, path: Path) -> Path:
    """The two keys of a pmrf-train checkpoint that load_generator reads."""
    state = {f"net_g.{k}": v for k, v in generator.state_dict().items()}
    torch.save({"hyper_parameters": {"generator": dict(TINY)}, "state_dict": state}, path)
    return path


@pytest.fixture(scope="session")
def tiny_generator() -> PRFNGenerator:
    """A seeded, untrained CPU-sized generator (width 4, one block per stage)."""
    torch.manual_seed(0)
    return PRFNGenerator(**TINY).eval()


@pytest.fixture(scope="session")
def save_tiny_checkpoint() -> Callable[[PRFNGenerator, Path], Path]:
    """``save_tiny_checkpoint(generator, path)`` writes a checkpoint that ``load_generator`` reads."""
    return _save_checkpoint
