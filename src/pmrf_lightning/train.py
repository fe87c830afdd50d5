"""``pmrf-train`` / ``python -m pmrf_lightning.train``: Hydra-composed PRFN training.

    pmrf-train                                           # experiment=sample: CPU, embedded photos
    pmrf-train experiment=places2 data.root=/data/places365 trainer=ddp
    pmrf-train -m experiment=sample ablation=full,hrnet,wo_pconv,wo_arf,wo_mrf1,wo_mrf3,wo_mrf5

Each run writes to ``outputs/<experiment>/<ablation>/`` (sweeps: ``multirun/<experiment>/<ablation>``):
``checkpoints/last.ckpt`` (every ``checkpoint_every_n_steps``), ``checkpoints/best.ckpt`` (lowest
val rel-ℓ1), ``samples/step*.png`` and the logger's files. Running the same command again resumes
from ``last.ckpt`` (``ckpt_path=null`` starts afresh); ``init_weights=PATH`` starts from the weights
of another run or of the shipped model (fine-tuning). Errors in the set-up print one line and exit 1.
"""

from __future__ import annotations

import sys
import warnings
import zipfile
from pathlib import Path

import hydra
import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import ModelCheckpoint, ProgressBar
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .config import CONFIG_DIR, ConfigError, error_line, is_bug_in_a_constructor
from .data import DatasetLayoutError, UnreadableImageError
from .imaging import write_problem
from .lit import NonFiniteLossError, PRFNModule, initialise_from
from .lit.checkpoint import CheckpointError

# The checkpoint holds the weights after both updates of a step, which is what resuming needs.
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")

SUPPORTED_PRECISIONS = ("32-true", "32", "bf16-mixed", "bf16-true")
USER_ERRORS = (  # one line and exit 1; anything else is a bug and keeps its traceback
    ConfigError,
    CheckpointError,
    DatasetLayoutError,
    UnreadableImageError,
    NonFiniteLossError,
    InstantiationException,  # a constructor refused a configured value
    MisconfigurationException,
    OmegaConfBaseException,
)


def top_level_keys() -> set[str]:
    """The keys a training config may have: ``conf/train.yaml``'s own and its config groups'."""
    base = OmegaConf.load(CONFIG_DIR / "train.yaml")
    defaults = OmegaConf.to_container(base.defaults)
    groups = {next(iter(entry)).split("@")[0] for entry in defaults if isinstance(entry, dict)}
    return (set(base) - {"defaults", "hydra"}) | groups


def check_setup(cfg: DictConfig) -> None:
    """Refuse settings this machine or this loop cannot run, with one line."""
    known = top_level_keys()
    unknown = sorted(set(cfg) - known)
    if unknown:  # `+key=…` adds a key Hydra cannot check: a misspelt one would be ignored
        raise ConfigError(f"unknown top-level key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    precision = str(cfg.trainer.get("precision", "32-true"))
    if precision not in SUPPORTED_PRECISIONS:
        raise ConfigError(
            f"precision {precision} is not supported; use one of {', '.join(SUPPORTED_PRECISIONS)}"
        )
    accelerator = str(cfg.trainer.get("accelerator", "cpu"))
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(f"trainer.accelerator={accelerator} but no CUDA GPU is visible; use trainer=cpu")


def last_checkpoint(run_dir: Path, ckpt_path: str | None) -> str | None:
    """``ckpt_path=last`` means this run's own last.ckpt when it exists, else a fresh start.

    A checkpoint to resume from must be a complete archive (``torch.save`` writes a zip whose
    index comes last): a truncated file, e.g. from a kill during a write, stops with one line
    instead of a traceback from deep inside Lightning."""
    if ckpt_path is None:
        return None
    path = run_dir / "checkpoints" / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path).expanduser()
    if ckpt_path == "last" and not path.is_file():
        return None
    if not path.is_file():
        raise ConfigError(f"ckpt_path {path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        damaged = str(error)
    if damaged is not None:
        raise ConfigError(
            f"cannot resume from {path}: the file is damaged or truncated ({damaged}); move it away to "
            "resume from another checkpoint (ckpt_path=PATH) or start afresh (ckpt_path=null)"
        )
    return str(path)


def check_writable(folder: Path, what: str = "checkpoints") -> None:
    """Create ``folder`` and prove a file can be written there, or stop with one line: a run that
    trains without being able to save its checkpoints loses everything it learns."""
    problem = write_problem(folder)
    if problem is not None:
        raise ConfigError(f"cannot write {what} to {folder}: {problem}")


def build_callbacks(cfg: DictConfig, run_dir: Path) -> list[L.Callback]:
    """``cfg.callbacks`` (``conf/callbacks/``) in order, none for a null entry; a relative
    ``dirpath`` (the checkpoints') lies inside ``run_dir``, which must be writable."""
    callbacks = []
    for node in (cfg.get("callbacks") or {}).values():
        if node is None:
            continue
        folder = Path(node.dirpath) if node.get("dirpath") else None
        if folder is not None and not folder.is_absolute():
            folder = run_dir / folder
        if folder is not None:
            check_writable(folder)
        callbacks.append(instantiate(node, **({"dirpath": str(folder)} if folder else {})))
    return callbacks


def build_trainer(cfg: DictConfig, run_dir: Path) -> L.Trainer:
    """The trainer with the run's callbacks and logger, writing into ``run_dir``."""
    callbacks = build_callbacks(cfg, run_dir)
    if not cfg.trainer.get("enable_progress_bar", True):
        callbacks = [c for c in callbacks if not isinstance(c, ProgressBar)]
    if cfg.trainer.get("fast_dev_run"):  # saves nothing (ModelCheckpoint would still write last.ckpt)
        callbacks = [c for c in callbacks if not isinstance(c, ModelCheckpoint)]
    named = cfg.logger._target_.endswith("WandbLogger") and "name" not in cfg.logger
    extra = {"name": f"{run_dir.parent.name}/{run_dir.name}"} if named else {}
    logger = instantiate(cfg.logger, save_dir=str(run_dir), **extra)
    checkpointing = any(isinstance(c, ModelCheckpoint) for c in callbacks)  # none: not Lightning's either
    return instantiate(
        cfg.trainer, default_root_dir=str(run_dir), logger=logger, callbacks=callbacks,
        enable_checkpointing=checkpointing,
    )  # fmt: skip


def train(cfg: DictConfig, run_dir: Path) -> L.Trainer:
    """Train as ``cfg`` says, writing into ``run_dir``; returns the finished trainer."""
    check_setup(cfg)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")  # a wrong root or layout fails here, before anything is built
    module: PRFNModule = instantiate(cfg.model)
    if cfg.init_weights:  # fine-tuning; a resumed run's own last.ckpt still takes precedence
        copied = initialise_from(module, cfg.init_weights)
        print(f"initialised the {' and '.join(copied)} from {cfg.init_weights}")
    if cfg.compile:
        module.net_g.compile()
    trainer = build_trainer(cfg, run_dir)
    trainer.logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    trainer.fit(module, datamodule=datamodule, ckpt_path=last_checkpoint(run_dir, cfg.ckpt_path))
    keeps_last = any(isinstance(c, ModelCheckpoint) and c.save_last for c in trainer.checkpoint_callbacks)
    if keeps_last and not (trainer.interrupted or trainer.fast_dev_run):  # the final steps
        trainer.save_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    return trainer


def report(trainer: L.Trainer, run_dir: Path) -> None:
    samples = sorted((run_dir / "samples").glob("*.png"))
    checkpoints = ", ".join(path.name for path in sorted((run_dir / "checkpoints").glob("*.ckpt"))) or "none"
    lines = [
        f"run directory:   {run_dir}",
        f"checkpoints:     {run_dir / 'checkpoints'} ({checkpoints})",
        f"latest samples:  {samples[-1] if samples else 'none yet'}",
        f"training steps:  {trainer.global_step}",
    ]
    if (run_dir / "wandb").is_dir():
        lines.append(f"W&B (offline):   wandb sync {run_dir / 'wandb'}/offline-run-*")
    print("\n".join(lines))


def check_group_choices(arguments: list[str]) -> None:
    """One line for an unknown ``group=option`` (Hydra's own message spans a dozen lines)."""
    for argument in arguments:
        group, _, options = argument.partition("=")
        group = group.split("@")[0].lstrip("+~")
        folder = CONFIG_DIR / group
        if not options or "." in group or not folder.is_dir():
            continue
        known = sorted(path.stem for path in folder.glob("*.yaml") if not path.stem.startswith("_"))
        for option in options.split(","):
            if option not in known:
                raise ConfigError(f"unknown {group} {option!r}; choose one of {', '.join(known)}")


def run_folder(arguments: list[str]) -> Path | None:
    """The folder a single run (no ``-m``, no Hydra flags) will write to, or None when Hydra decides."""
    if any(argument.startswith("-") for argument in arguments):
        return None
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="train", overrides=arguments, return_hydra_config=True)
        HydraConfig.instance().set_config(cfg)
        return Path(cfg.hydra.run.dir)
    except Exception:  # noqa: BLE001 - a bad override: Hydra's own run reports it
        return None


def cli() -> None:
    """Console entry point: checks config group names and that the run folder can be written (Hydra
    would end either in a traceback), then runs the Hydra app."""
    arguments = sys.argv[1:]
    try:
        check_group_choices(arguments)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    folder = run_folder(arguments)
    try:
        if folder is not None:
            check_writable(folder, "the run's files")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    main()


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    """One run; returns ``cfg.optimized_metric``'s last value when a sweeper (Optuna) asks for it."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        trainer = train(cfg, run_dir)
    except USER_ERRORS as error:
        if is_bug_in_a_constructor(error):
            raise
        print(f"error: {error_line(error)}", file=sys.stderr)
        sys.exit(1)
    if trainer.is_global_zero:
        report(trainer, run_dir)
    if cfg.optimized_metric is None:
        return None
    if cfg.optimized_metric not in trainer.callback_metrics:
        known = ", ".join(sorted(trainer.callback_metrics))
        print(
            f"error: optimized_metric {cfg.optimized_metric} was never logged; logged: {known}",
            file=sys.stderr,
        )
        sys.exit(1)
    return float(trainer.callback_metrics[cfg.optimized_metric])


if __name__ == "__main__":
    cli()
