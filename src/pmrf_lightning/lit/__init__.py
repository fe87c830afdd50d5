"""Lightning modules: the GAN training loop, and reading its checkpoints back."""

from .checkpoint import initialise_from, load_generator
from .module import NonFiniteLossError, PRFNModule

__all__ = ["NonFiniteLossError", "PRFNModule", "initialise_from", "load_generator"]
