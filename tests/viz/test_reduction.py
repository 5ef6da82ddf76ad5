"""The figures of a Reduction: its fields mapped onto save_reduction_figures' inputs."""

import pandas as pd
import pytest

import cbred.viz.reduction as reduction_module
from cbred.viz.style import REST_GROUP, SELECTED_GROUP
from tests.small_nb201 import small_reduction


@pytest.fixture(scope="module")
def neighbourhood_reduction():
    return small_reduction()


def test_a_neighbourhood_selection_is_drawn_as_selected_against_the_rest(neighbourhood_reduction, monkeypatch,
                                                                          tmp_path):
    space, result, accuracy = neighbourhood_reduction
    captured = {}

    def fake_save(outdir, **kwargs):
        captured.update(kwargs, outdir=outdir)
        return {}

    monkeypatch.setattr(reduction_module, "save_reduction_figures", fake_save)
    reduction_module.save_figures_of(result, space, tmp_path, accuracy=accuracy, directions={"naswot_v1": -1})
    assert captured["outdir"] == tmp_path and result.n_clusters == 0
    clusters = captured["clusters"]
    assert captured["selected_cluster"] == SELECTED_GROUP
    assert (clusters["cluster"] == SELECTED_GROUP).sum() == 50
    assert set(clusters.loc[clusters["cluster"] == SELECTED_GROUP].index) == set(result.selected)
    assert set(clusters["cluster"]) == {SELECTED_GROUP, REST_GROUP}
    # a unit's marker weight is its number of architectures; every architecture is counted once
    assert captured["layout_weights"].sum() == 729 and len(captured["layout_weights"]) == len(result.unit_ids)
    op_counts = captured["op_counts"]  # operations of the computational graphs (edges that reach the output)
    assert op_counts.index.equals(pd.Index(result.archs)) and (op_counts[["input", "output"]] == 1).all().all()
    all_conv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert op_counts.loc[all_conv, "nor_conv_3x3"] == 6 and op_counts.loc[all_conv, "skip_connect"] == 0
    assert (op_counts["nor_conv_3x3"] <= [arch.count("nor_conv_3x3") for arch in op_counts.index]).all()
    assert captured["directions"] == {"ntk_cond": -1, "naswot_v1": -1}  # the override wins
    assert set(captured["baselines"]) == {"quantiled", "random"}
    assert captured["baselines"]["random"].index.equals(result.subsets["random"])
    assert captured["accuracy_name"] == "test_acc"
    view = "embedding" if result.representation.is_embedding else "distance"
    assert captured[view] is result.representation.X


@pytest.mark.slow  # several seconds: the full suite (CI) runs it
def test_every_figure_of_a_neighbourhood_reduction_is_written(neighbourhood_reduction, tmp_path):
    space, result, accuracy = neighbourhood_reduction
    figures = reduction_module.save_figures_of(result, space, tmp_path, accuracy=accuracy, layout="pca")
    assert {"scatter_clusters", "scatter_accuracy", "hist_selected_vs_full", "op_usage"} <= set(figures)
    assert all(path.parent == tmp_path and path.stat().st_size > 0 for path in figures.values())
