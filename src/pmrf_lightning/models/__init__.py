"""The PRFN generator and its discriminator."""

from .discriminator import Discriminator
from .generator import GeneratorOutput, PRFNGenerator, check_inputs

__all__ = ["Discriminator", "GeneratorOutput", "PRFNGenerator", "check_inputs"]
