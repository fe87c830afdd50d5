"""Lightning modules: the GAN training loop, and reading its checkpoints back.

``PRFNModule`` is imported on first use, so reading a checkpoint for inference does not load
Lightning (about 250 MB of resident memory).
"""

from .checkpoint import initialise_from, load_generator

__all__ = ["NonFiniteLossError", "PRFNModule", "initialise_from", "load_generator"]


def __getattr__(name: str):
    if name in ("NonFiniteLossError", "PRFNModule"):
        from . import module

        return getattr(module, name)
    raise AttributeError(f"module 'pmrf_lightning.lit' has no attribute {name!r}")
