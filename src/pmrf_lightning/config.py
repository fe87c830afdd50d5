"""Where the Hydra configuration lives, how to compose it outside a Hydra app (tests, notebooks),
and which configuration errors are the user's (one line) rather than bugs (a traceback)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from lightning.fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig, OmegaConf

from .data.layouts import DatasetLayoutError

# the repository's conf/, reached through the package's conf link (a checkout or an editable
# install) or shipped inside the package as package data (a wheel or `pip install .`)
CONFIG_DIR = Path(__file__).resolve().parent / "conf"


class ConfigError(ValueError):
    """A setting that cannot run, with a one-line reason: ``pmrf-train`` and ``pmrf-eval`` print it
    and exit 1 (other exceptions keep their tracebacks: they are bugs)."""


def is_user_error(error: BaseException | None) -> bool:
    """A constructor's refusal of a configured value: its own ``ValueError``, a folder without the
    layout it reads (``DatasetLayoutError``) or a keyword it does not take (a misspelt config
    key); anything else raised inside a constructor is a bug."""
    if isinstance(error, TypeError):
        return "unexpected keyword argument" in str(error) or "required positional argument" in str(error)
    return isinstance(error, (ValueError, DatasetLayoutError, MisconfigurationException))


def is_bug_in_a_constructor(error: BaseException) -> bool:
    """Hydra wraps whatever a constructor raises: a bug there must keep its traceback."""
    return isinstance(error, InstantiationException) and not is_user_error(error.__cause__)


KEY_LINE = "full_key: "  # how Hydra's InstantiationException names the config node it was building


def error_line(error: BaseException) -> str:
    """The one line a CLI prints for a user error. A constructor's refusal, which Hydra wraps in
    three lines (the target, the cause, ``full_key: data``), reads ``data: <the cause>``."""
    text = str(error)
    if isinstance(error, InstantiationException) and error.__cause__ is not None:
        keys = [line[len(KEY_LINE) :] for line in text.splitlines() if line.startswith(KEY_LINE)]
        text = f"{keys[0]}: {error.__cause__}" if keys else str(error.__cause__)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def compose_config(name: str, overrides: Sequence[str] = ()) -> DictConfig:
    """Compose ``conf/<name>.yaml`` with command-line style overrides, as ``@hydra.main`` would."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def ablation_names() -> list[str]:
    """The ablations of Table 2 (plus ``no_priority``), one file each under ``conf/ablation/``."""
    return sorted(path.stem for path in (CONFIG_DIR / "ablation").glob("*.yaml"))


def ablation_arguments(name: str) -> dict:
    """The ``PRFNGenerator`` keyword arguments that ``conf/ablation/<name>.yaml`` sets."""
    path = CONFIG_DIR / "ablation" / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"unknown ablation {name!r}; choose one of {', '.join(ablation_names())}")
    return dict(OmegaConf.to_container(OmegaConf.load(path)))
