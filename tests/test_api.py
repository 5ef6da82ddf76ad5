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


def test_reduce_takes_a_declared_space_as_an_object_or_a_mapping():
    from cbred.spaces.edge_cell import EdgeCellSpace
    from cbred.pipeline import ReductionWarning

    declaration = {"_target_": "cbred.spaces.edge_cell.EdgeCellSpace", "name": "tnb101_micro",
                   "operations": ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"]}
    with pytest.warns(ReductionWarning):  # 377 cells without some statistic
        by_object = cbred.reduce(EdgeCellSpace(**{k: v for k, v in declaration.items() if k != "_target_"}))
    with pytest.warns(ReductionWarning):
        by_mapping = cbred.reduce(declaration)
    with pytest.warns(ReductionWarning):
        by_name = cbred.reduce("tnb101_micro")
    assert by_object.space == "tnb101_micro" and len(by_object.archs) == 3_719
    assert list(by_object.selected) == list(by_mapping.selected) == list(by_name.selected)
    with pytest.raises(TypeError, match="space must be a config name .* got int: 201"):
        cbred.reduce(201)
    mine = EdgeCellSpace(name="mine", operations=["none", "skip_connect", "nor_conv_3x3"])
    with pytest.raises(FileNotFoundError, match="no TF-statistic table for space 'mine'.* tfstats.path=FILE"):
        cbred.reduce(mine)
