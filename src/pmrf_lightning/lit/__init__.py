"""Lightning modules: the GAN training loop."""

from .module import NonFiniteLossError, PRFNModule

__all__ = ["NonFiniteLossError", "PRFNModule"]
