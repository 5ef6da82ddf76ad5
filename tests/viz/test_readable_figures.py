"""Figures a reader cannot misread: true sizes, one selection colour, titles naming the
statistic and its direction, axis ranges that keep every group, the agreement measure named,
layouts of any input, and a failing figure that costs nothing else."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cbred.verdict import grid_edges
from cbred.viz import stability_curve
from cbred.viz.distributions import histogram_by_cluster, histogram_selected_vs_full
from cbred.viz.embedding import LAYOUTS, layout_2d
from cbred.viz.figures import FigureWarning, save_reduction_figures, space_layout
from cbred.viz.scatter import scatter_categorical, scatter_numeric
from cbred.viz.style import REST_GROUP, SELECTED_COLOR, SELECTED_GROUP


def test_categorical_legend_counts_architectures_and_merges_piles():
    # 4 points, two of them at the same place: 3 markers; weights = architectures per point
    coords = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    labels = np.array([0, 0, 1, 1])
    fig = scatter_categorical(coords, labels, highlight=1, weights=[10, 30, 1, 4],
                              sizes={0: 720, 1: 90})
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["cluster 0 (n=720)", "cluster 1 (n=90, selected)"]  # true sizes, not points drawn
    by_label = {c.get_label(): c for c in ax.collections}
    pile = by_label["cluster 0 (n=720)"]
    assert len(pile.get_offsets()) == 1  # the two coincident points are one marker
    selected = by_label["cluster 1 (n=90, selected)"]
    areas = selected.get_sizes()
    assert areas[1] / areas[0] == pytest.approx(2.0)  # 4 architectures vs 1: sqrt(4) x the area
    assert pile.get_sizes()[0] > selected.get_sizes()[0] / 2.5  # 40 architectures outweigh one
    np.testing.assert_allclose(selected.get_facecolor()[0], SELECTED_COLOR)


def test_numeric_scatter_outlines_the_selection():
    coords = np.random.default_rng(0).normal(size=(30, 2))
    outline = np.arange(30) < 5
    fig = scatter_numeric(coords, np.arange(30.0), label="ntk_cond", title="ntk_cond, lower is better",
                          outline=outline, outline_label="selected (n=5)")
    ax = fig.axes[0]
    assert ax.get_title() == "ntk_cond, lower is better"
    (ring,) = [c for c in ax.collections if c.get_label() == "selected (n=5)"]
    np.testing.assert_allclose(ring.get_offsets(), coords[:5])
    np.testing.assert_allclose(ring.get_edgecolor()[0], SELECTED_COLOR)


def test_histogram_axis_keeps_most_of_every_cluster():
    # cluster 0: 1,000 cells packed at ~1000; cluster 1: 584 cells, 568 of them spread low
    rng = np.random.default_rng(0)
    values = np.r_[1000 + rng.normal(0, 0.5, 1000), rng.uniform(100, 900, 568), 1000 + rng.normal(0, 0.5, 16)]
    ids = pd.Index([f"a{i}" for i in range(len(values))])
    clusters = pd.Series(np.r_[np.zeros(1000), np.ones(584)].astype(int), index=ids)
    fig = histogram_by_cluster(pd.Series(values, index=ids), clusters, label="linear_regions",
                               highlight=1, title="linear_regions, higher is better")
    panels = [ax for ax in fig.axes if ax.axison]
    low, high = panels[1].get_xlim()
    shown = ((values[1000:] >= low) & (values[1000:] <= high)).mean()
    assert shown >= 0.9  # the old fences hid 568 of the 584
    assert panels[1].get_title().startswith("cluster 1 (n=584")  # n: the cluster, not the cells drawn
    assert fig._suptitle.get_text() == "linear_regions, higher is better"
    np.testing.assert_allclose(panels[1].patches[0].get_facecolor()[:3], SELECTED_COLOR[:3])


def test_selected_vs_full_panels_are_titled_with_the_direction():
    frame = pd.DataFrame({"ntk_cond": np.arange(50.0)}, index=[f"a{i}" for i in range(50)])
    fig = histogram_selected_vs_full(frame, frame.index[:5], titles={"ntk_cond": "ntk_cond, lower is better"})
    assert fig.axes[0].get_title() == "ntk_cond, lower is better"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["full space (n=50)", "selected (n=5)"]


def test_stability_curve_names_ari_clips_the_band_and_marks_an_edge_choice():
    table = pd.DataFrame({"n_clusters": [2, 3, 4, 5], "mean": [0.99, 0.8, 0.7, 0.6],
                          "std": [0.2, 0.1, 0.1, 0.1]})
    fig = stability_curve(table, chosen={"n_clusters": 2})
    ax = fig.axes[0]
    assert "ARI" in ax.get_ylabel()
    (band,) = ax.collections
    assert band.get_paths()[0].vertices[:, 1].max() <= 1.0  # 0.99 + 0.2 clipped to the ARI's range
    assert "n_clusters=2 is the smallest value of its grid" in ax.get_title()
    inner = stability_curve(table, chosen={"n_clusters": 3})
    assert inner.axes[0].get_title() == ""
    assert grid_edges(table, {"n_clusters": 5})[0].describe() == (
        "chosen n_clusters=5 is the largest value of its grid (2-5)")


@pytest.mark.parametrize("method", [pytest.param(m, marks=pytest.mark.slow) if m == "tsne" else m
                                    for m in sorted(set(LAYOUTS) - {"umap"})])
@pytest.mark.parametrize("given", ["distance", "features"])
def test_every_layout_takes_either_input(method, given):
    from sklearn.metrics import pairwise_distances

    features = np.random.default_rng(0).normal(size=(25, 4))
    data = pairwise_distances(features) if given == "distance" else features
    coords = layout_2d(data, method, input=given)
    assert coords.shape == (25, 2) and np.isfinite(coords).all()


def test_mds_of_an_embedding_is_its_pca():
    from sklearn.metrics import pairwise_distances

    features = np.random.default_rng(1).normal(size=(30, 5)) * [5, 3, 1, 1, 1]
    by_features = layout_2d(features, "mds", input="features")
    by_distance = layout_2d(pairwise_distances(features), "mds", input="distance")
    np.testing.assert_allclose(np.abs(by_features), np.abs(by_distance), atol=1e-6)


def _reduction_inputs(n=40):
    rng = np.random.default_rng(0)
    ids = pd.Index([f"a{i}" for i in range(n)], name="arch")
    clusters = pd.DataFrame({"cluster": np.where(np.arange(n) < 8, SELECTED_GROUP, REST_GROUP),
                             "ntk_cond": rng.normal(size=n)}, index=ids)
    return clusters, rng.normal(size=(n, 3))


@pytest.mark.parametrize("layout", ["mds", pytest.param("tsne", marks=pytest.mark.slow), "pca"])
def test_embedding_scatter_with_every_layout_and_titles(tmp_path, layout):
    clusters, embedding = _reduction_inputs()
    accuracy = pd.Series(np.linspace(80, 94, 40), index=clusters.index, name="test_acc")
    figures = save_reduction_figures(
        tmp_path, clusters=clusters, selected_cluster=SELECTED_GROUP, embedding=embedding, layout=layout,
        directions={"ntk_cond": -1}, accuracy=accuracy, accuracy_name="test_acc on nb201_cifar10")
    assert {"scatter_clusters", "scatter_ntk_cond", "scatter_accuracy"} <= set(figures)
    assert all(path.is_file() for path in figures.values())


def test_a_failing_figure_warns_and_the_others_are_written(tmp_path, monkeypatch):
    import cbred.viz.figures as figures_module

    clusters, embedding = _reduction_inputs()

    def broken(*args, **kwargs):
        raise ImportError("layout 'umap' needs the optional package umap-learn")

    monkeypatch.setattr(figures_module, "space_layout", broken)
    with pytest.warns(FigureWarning, match="umap-learn"):
        figures = save_reduction_figures(tmp_path, clusters=clusters, selected_cluster=SELECTED_GROUP,
                                         embedding=embedding, layout="umap")
    assert "scatter_clusters" not in figures
    assert {"hist_ntk_cond_by_cluster", "hist_selected_vs_full"} <= set(figures)
    monkeypatch.setattr(figures_module, "histogram_by_cluster", lambda *a, **k: 1 / 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = save_reduction_figures(tmp_path, clusters=clusters, selected_cluster=SELECTED_GROUP)
    assert any("hist_ntk_cond_by_cluster" in str(w.message) for w in caught)
    assert "hist_selected_vs_full" in figures


def test_space_layout_of_an_embedding_by_mds_names_its_axes():
    ids = pd.Index([f"a{i}" for i in range(20)])
    coords, axis, caption = space_layout(ids, embedding=np.random.default_rng(0).normal(size=(20, 3)), method="mds")
    assert axis == "MDS" and caption == "MDS of the embedding; all 20 points"


def test_a_cluster_only_partly_selected_is_called_taken_first(tmp_path):
    rng = np.random.default_rng(0)
    ids = pd.Index([f"a{i}" for i in range(40)], name="arch")
    clusters = pd.DataFrame({"cluster": np.repeat([0, 1], 20), "ntk_cond": rng.normal(size=40)}, index=ids)
    figures = save_reduction_figures(tmp_path, clusters=clusters, selected_cluster=1, selected=ids[20:25],
                                     embedding=rng.normal(size=(40, 3)))
    assert "scatter_clusters" in figures
    fig = scatter_categorical(rng.normal(size=(40, 2)), clusters["cluster"].to_numpy(), highlight=1,
                              highlight_role="taken first")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "cluster 0 (n=20)", "cluster 1 (n=20, taken first)"]
    hist = histogram_by_cluster(clusters["ntk_cond"], clusters["cluster"], label="ntk_cond", highlight=1,
                                highlight_role="taken first")
    assert hist.axes[1].get_title() == "cluster 1 (n=20, taken first)"
