"""The Hydra configuration: composition, ablation files, and their plain-dict view."""

import pytest
from omegaconf import OmegaConf

from pmrf_lightning.config import ablation_arguments, ablation_names, compose_config


@pytest.mark.parametrize("name", ablation_names())
def test_ablation_arguments_match_what_hydra_composes(name: str) -> None:
    composed = OmegaConf.to_container(compose_config("train", [f"ablation={name}"]).model.generator)
    arguments = ablation_arguments(name)
    assert arguments and all(composed[key] == value for key, value in arguments.items())


def test_unknown_ablation_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="unknown ablation 'wo_everything'; choose one of"):
        ablation_arguments("wo_everything")
