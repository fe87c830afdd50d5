"""Lightning modules: the GAN training loop, and reading its checkpoints back."""

from .checkpoint import load_generator
from .module import NonFiniteLossError, PRFNModule

__all__ = ["NonFiniteLossError", "PRFNModule", "load_generator"]
