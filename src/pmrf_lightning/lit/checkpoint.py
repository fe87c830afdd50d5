"""Reading a generator back from a ``pmrf-train`` checkpoint (weights only, no pickled code)."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from ..models import PRFNGenerator


def load_generator(path: str | Path, map_location: str | torch.device = "cpu") -> PRFNGenerator:
    """The generator of a Lightning checkpoint, built from the architecture the checkpoint carries.

    Loaded with ``weights_only=True``. A missing file, a file that is not a checkpoint, or weights
    that do not fit the recorded architecture raise a one-line ``ValueError``.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
        arguments = checkpoint["hyper_parameters"]["generator"]
        state = {
            k.removeprefix("net_g."): v for k, v in checkpoint["state_dict"].items() if k.startswith("net_g.")
        }
    except (RuntimeError, KeyError, TypeError, EOFError, OSError, pickle.UnpicklingError) as error:
        raise ValueError(f"{path} is not a pmrf-train checkpoint ({type(error).__name__})") from None
    generator = PRFNGenerator(**arguments)
    try:
        generator.load_state_dict(state)
    except RuntimeError:
        raise ValueError(f"the weights in {path} do not fit the generator it records ({arguments})") from None
    return generator.eval()
