"""The one-call API: the command line's configs and defaults, top-level exports, display."""

from __future__ import annotations

import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import OmegaConf

import cbred
from cbred.api import CONFIG_DIR, compose


def _as_cli(*overrides):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose("reduce", overrides=list(overrides))


def test_compose_is_the_command_line_config():
    ours = compose("nb201", distance="hellinger", selection="cluster_union", budget=0.05, seed=3,
                   overrides=["clustering.n_resamples=3"])
    cli = _as_cli("space=nb201", "logger=none", "distance=hellinger", "selection=cluster_union",
                  "selection.budget=0.05", "seed=3", "clustering.n_resamples=3")
    drop = ["output_dir"]  # ${hydra:...}: only inside a Hydra app
    assert {k: v for k, v in OmegaConf.to_container(ours).items() if k not in drop} == {
        k: v for k, v in OmegaConf.to_container(cli).items() if k not in drop}
    # the configs' defaults, not the classes' (ClusterUnion's clusterer, K grid...)
    assert ours.selection.base.clusterer.param_grid.n_clusters[-1] == 24


def test_unknown_group_names_the_choices():
    with pytest.raises(TypeError, match=r"unknown config group\(s\) \['distanse'\]"):
        compose("nb201", distanse="hellinger")


def test_top_level_exports():
    assert cbred.reduce is cbred.api.reduce
    assert {"reduce", "compose", "reduce_space", "Reduction", "export_selection"} <= set(dir(cbred))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cbred.nothing  # noqa: B018


@pytest.mark.slow
def test_reduce_returns_a_reduction_with_a_short_repr_and_html(nb201_csv):
    reduction = cbred.reduce("nb201", distance="hellinger", benchmark="nb201_cifar10", budget=200)
    assert isinstance(reduction, cbred.Reduction) and len(reduction.selected) == 200
    text = repr(reduction)
    assert text.startswith("Reduction(nb201: 200 of 14,884 architectures selected (1.3%) by NeighbourhoodScore(")
    assert "mean test_acc" in text and "\n" not in text and len(text) < 200
    html = reduction._repr_html_()
    assert "<table" in html and ">quantiled<" in html and ">selected<" in html
