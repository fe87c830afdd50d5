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


def initialise_from(module: torch.nn.Module, path: str | Path) -> list[str]:
    """Copy the weights of a checkpoint into ``module`` (a PRFNModule) to fine-tune from them.

    The generator is required and must have the architecture the module was built with; the
    discriminator is copied too when the checkpoint has one (a shipped, slimmed one does not).
    Optimiser states and the step count are not copied: training starts at step 0. Returns the
    names of the networks copied. Mismatches raise a one-line ``ValueError``.
    """
    generator = load_generator(path)
    arguments = dict(module.hparams["generator"])
    recorded = torch.load(Path(path).expanduser(), map_location="cpu", weights_only=True)
    if dict(recorded["hyper_parameters"]["generator"]) != arguments:
        raise ValueError(
            f"init_weights {path} holds a generator {recorded['hyper_parameters']['generator']}, "
            f"but this run builds {arguments}"
        )
    module.net_g.load_state_dict(generator.state_dict())
    discriminator = {
        k.removeprefix("net_d."): v for k, v in recorded["state_dict"].items() if k.startswith("net_d.")
    }
    if not discriminator:
        return ["generator"]
    try:
        module.net_d.load_state_dict(discriminator)
    except RuntimeError:
        raise ValueError(f"the discriminator in {path} does not fit this run's discriminator") from None
    return ["generator", "discriminator"]
