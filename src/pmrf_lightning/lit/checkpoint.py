"""Reading a generator back from a ``pmrf-train`` checkpoint (weights only, no pickled code)."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from ..models import PRFNGenerator
from ..nn import fold_batchnorm


class CheckpointError(ValueError):
    """A file that is not a usable pmrf-train checkpoint, with a one-line reason."""


def read_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[dict, dict[str, dict[str, Tensor]]]:
    """The hyper-parameters a checkpoint records (``generator``: the generator's arguments;
    ``image_size``: the side it was trained at, when recorded) and its weights split by network
    prefix (``{"net_g": {...}, "net_d": {...}}``; a slimmed, shipped checkpoint has no ``net_d``).

    Loaded with ``weights_only=True``. A missing file or a file that is not a pmrf-train
    checkpoint raises a one-line ``CheckpointError``.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} is not a file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, KeyError, TypeError, EOFError, OSError, pickle.UnpicklingError) as error:
        raise CheckpointError(f"{path} is not a pmrf-train checkpoint ({type(error).__name__})") from None
    hyper_parameters = checkpoint.get("hyper_parameters") if isinstance(checkpoint, Mapping) else None
    state_dict = checkpoint.get("state_dict") if isinstance(checkpoint, Mapping) else None
    if not (isinstance(hyper_parameters, Mapping) and isinstance(hyper_parameters.get("generator"), Mapping)):
        raise CheckpointError(f"{path} is not a pmrf-train checkpoint (no generator arguments)")
    if not isinstance(state_dict, Mapping) or not all(isinstance(v, Tensor) for v in state_dict.values()):
        raise CheckpointError(
            f"{path} is not a pmrf-train checkpoint (its state_dict is not a set of tensors)"
        )
    size = hyper_parameters.get("image_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8):
        raise CheckpointError(f"{path} records image_size {size!r}; it must be an integer of at least 8")
    hyper_parameters = {**hyper_parameters, "generator": dict(hyper_parameters["generator"])}
    states: dict[str, dict[str, Tensor]] = {}
    for key, value in state_dict.items():
        net, _, name = str(key).partition(".")
        states.setdefault(net, {})[name] = value
    return hyper_parameters, states


def _load(net: nn.Module, state: dict[str, Tensor], message: str) -> None:
    try:
        net.load_state_dict(state)
    except RuntimeError:
        raise CheckpointError(message) from None


def build_generator(arguments: dict, state: dict[str, Tensor], path: str | Path) -> PRFNGenerator:
    """A generator from recorded arguments and weights, refused with one line when the arguments
    are unknown or invalid, do not fit the weights (checked on the ``meta`` device, so absurd
    sizes allocate nothing), or the weights are not finite."""
    unknown = set(arguments) - set(inspect.signature(PRFNGenerator).parameters)
    if unknown:
        raise CheckpointError(
            f"{path} records generator arguments this version does not know: {sorted(unknown)}"
        )
    try:
        with torch.device("meta"):
            shapes = {k: v.shape for k, v in PRFNGenerator(**arguments).state_dict().items()}
    except (TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(
            f"{path} records generator arguments that build no generator ({error})"
        ) from None
    if shapes != {k: v.shape for k, v in state.items()}:
        raise CheckpointError(f"the weights in {path} do not fit the generator it records ({arguments})")
    broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise CheckpointError(f"{path} has NaN or infinite weights ({len(broken)} tensors, e.g. {broken[0]})")
    generator = PRFNGenerator(**arguments)
    _load(generator, state, f"the weights in {path} do not fit the generator it records ({arguments})")
    return generator


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[PRFNGenerator, dict]:
    """``load_generator``'s generator and the checkpoint's hyper-parameters (``read_checkpoint``)."""
    hyper_parameters, states = read_checkpoint(path, map_location)
    generator = build_generator(hyper_parameters["generator"], states.get("net_g", {}), path)
    generator = generator.to(memory_format=torch.channels_last).eval()
    return fold_batchnorm(generator), hyper_parameters


def load_generator(path: str | Path, map_location: str | torch.device = "cpu") -> PRFNGenerator:
    """The generator of a Lightning checkpoint, built from the architecture the checkpoint carries,
    for inference: eval mode, channels-last weights (oneDNN and cuDNN convolutions run faster so,
    and every feature map follows the weights' layout) and BatchNorm folded into the convolutions
    (``nn.fold_batchnorm``: the same function, no BatchNorm left, so not for further training;
    ``benchmarks/bench_model.py --formats contiguous channels_last --folded`` measures both).

    Anything ``read_checkpoint`` or ``build_generator`` refuses raises a one-line ``CheckpointError``.
    """
    return load_checkpoint(path, map_location)[0]


def initialise_from(module: nn.Module, path: str | Path) -> list[str]:
    """Copy the weights of a checkpoint into ``module`` (a PRFNModule) to fine-tune from them.

    The generator is required and must have the architecture the module was built with; the
    discriminator is copied too when the checkpoint has one (a shipped, slimmed one does not).
    Optimiser states and the step count are not copied: training starts at step 0. Returns the
    names of the networks copied. Mismatches raise a one-line ``CheckpointError``.
    """
    hyper_parameters, states = read_checkpoint(path)
    arguments = hyper_parameters["generator"]
    built = dict(module.hparams["generator"])
    if arguments != built:
        raise CheckpointError(
            f"init_weights {path} holds a generator {arguments}, but this run builds {built}"
        )
    _load(module.net_g, states.get("net_g", {}), f"the weights in {path} do not fit the generator it records")
    if "net_d" not in states:
        return ["generator"]
    _load(module.net_d, states["net_d"], f"the discriminator in {path} does not fit this run's discriminator")
    return ["generator", "discriminator"]
