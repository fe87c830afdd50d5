"""The Hydra configuration: composition, ablation files, and their plain-dict view."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from pmrf_lightning.config import (
    CONFIG_DIR,
    ConfigError,
    ablation_arguments,
    ablation_names,
    compose_config,
    error_line,
)
from pmrf_lightning.inference import SHIPPED_CHECKPOINT
from pmrf_lightning.train import check_group_choices


@pytest.mark.parametrize("name", ablation_names())
def test_ablation_arguments_match_what_hydra_composes(name: str) -> None:
    composed = OmegaConf.to_container(compose_config("train", [f"ablation={name}"]).model.generator)
    arguments = ablation_arguments(name)
    assert arguments and all(composed[key] == value for key, value in arguments.items())


def test_unknown_ablation_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="unknown ablation 'wo_everything'; choose one of"):
        ablation_arguments("wo_everything")


@pytest.mark.parametrize("experiment", ["sample", "photos_small"])
def test_experiment_overrides_top_level_settings(experiment: str) -> None:
    own = OmegaConf.load(CONFIG_DIR / "experiment" / f"{experiment}.yaml").checkpoint_every_n_steps
    composed = compose_config("train", [f"experiment={experiment}"])
    assert own != OmegaConf.load(CONFIG_DIR / "train.yaml").checkpoint_every_n_steps
    assert composed.checkpoint_every_n_steps == own


def test_command_line_overrides_the_experiment() -> None:
    composed = compose_config("train", ["experiment=sample", "checkpoint_every_n_steps=7", "ablation=hrnet"])
    assert composed.checkpoint_every_n_steps == 7
    assert composed.model.generator.width == 8 and composed.model.generator.partial_conv is False


def test_photos_gpu_builds_the_shipped_architecture_on_top_of_photos_small() -> None:
    gpu = compose_config("train", ["experiment=photos_gpu"])
    small = compose_config("train", ["experiment=photos_small"])
    shipped = torch.load(SHIPPED_CHECKPOINT, weights_only=True)["hyper_parameters"]["generator"]
    assert OmegaConf.to_container(gpu.model.generator) == shipped
    assert gpu.trainer.accelerator == "gpu" and small.trainer.accelerator == "cpu"
    assert gpu.model.lr == small.model.lr and gpu.data.root == small.data.root  # inherited
    assert compose_config("train", ["experiment=photos_gpu", "trainer=cpu"]).trainer.accelerator == "cpu"


def test_photos_large_fine_tunes_the_shipped_network_on_the_large_set_on_the_cpu() -> None:
    large = compose_config("train", ["experiment=photos_large"])
    shipped = torch.load(SHIPPED_CHECKPOINT, weights_only=True)["hyper_parameters"]["generator"]
    assert OmegaConf.to_container(large.model.generator) == shipped
    assert large.init_weights == "src/pmrf_lightning/weights/prfn_small.ckpt"
    assert large.data.root == "data/photos_large" and large.trainer.accelerator == "cpu"
    assert large.model.edge_weight > 0 and large.logger._target_.endswith("CSVLogger")


def test_the_three_paper_experiments_differ_only_in_their_dataset() -> None:
    composed = {
        name: OmegaConf.to_container(compose_config("train", [f"experiment={name}"]), resolve=False)
        for name in ("celeba", "paris", "places2")
    }
    datasets = {name: cfg["data"].pop("dataset") for name, cfg in composed.items()}
    assert datasets == {"celeba": "celeba", "paris": "paris", "places2": "places2"}
    for cfg in composed.values():
        cfg["data"].pop("root", None)
        cfg["data"].pop("list_file", None)
    assert composed["celeba"]["trainer"]["precision"] == "bf16-mixed"
    assert composed["celeba"]["data"]["image_size"] == 256 and composed["celeba"]["data"]["batch_size"] == 4
    assert composed["celeba"] == composed["paris"] == composed["places2"]


def test_every_dataset_config_starts_from_the_base_and_the_base_is_no_choice() -> None:
    base = OmegaConf.load(CONFIG_DIR / "data" / "_base.yaml")
    for path in sorted((CONFIG_DIR / "data").glob("[!_]*.yaml")):
        data = compose_config("train", [f"data={path.stem}"]).data
        assert "_base" in OmegaConf.load(path).defaults, path.name
        assert data._target_ == base._target_ and data.train_masks._target_.endswith("ProceduralMasks")
    assert compose_config("train", ["data=photos"]).data.eval_masks._target_.endswith("MaskFiles")
    with pytest.raises(ConfigError, match="unknown data '_base'"):
        check_group_choices(["data=_base"])


def test_a_constructors_refusal_is_one_line_that_names_the_config_node() -> None:
    target = "pmrf_lightning.data.InpaintingDataModule"
    cfg = OmegaConf.create({"data": {"_target_": target, "image_size": 13}})
    with pytest.raises(Exception) as wrapped:
        instantiate(cfg.data)
    assert len(str(wrapped.value).splitlines()) == 3  # Hydra: the target, the cause, the key
    assert error_line(wrapped.value) == "data: image_size must be a positive multiple of 8, got 13"
    with pytest.raises(Exception) as unnamed:  # the root node: Hydra names no key
        instantiate(OmegaConf.to_container(cfg.data))
    assert error_line(unnamed.value) == "image_size must be a positive multiple of 8, got 13"
    assert error_line(ConfigError("two\n  lines")) == "two lines"
