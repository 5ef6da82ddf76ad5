import numpy as np
import pandas as pd
import pytest

from cbred.viz.distributions import edf, histogram_by_cluster, histogram_selected_vs_full
from cbred.viz.style import SELECTED_COLOR


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    ids = pd.Index([f"a{i}" for i in range(90)], name="arch")
    return pd.DataFrame({
        "cluster": np.repeat([0, 1, 2], 30),
        "nwot": np.r_[rng.normal(0, 1, 30), rng.normal(3, 1, 30), rng.normal(6, 1, 30)],
        "synflow": 10.0 ** rng.uniform(0, 8, 90),  # heavy tail: drawn on a log10 axis
    }, index=ids)


def test_histogram_by_cluster_has_one_panel_per_cluster(table):
    fig = histogram_by_cluster(table["nwot"], table["cluster"], label="nwot", highlight=1)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 3
    titles = [ax.get_title() for ax in panels]
    assert titles == ["cluster 0 (n=30)", "cluster 1 (n=30, selected)", "cluster 2 (n=30)"]
    assert panels[1].title.get_fontweight() == "bold"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "histogram", "KDE", "full space KDE"]
    for ax in panels:
        assert ax.get_xlabel() == "nwot"
        assert len(ax.patches) == 30  # bins shared over the full range
        kde, full = ax.get_lines()
        x, y = kde.get_data()
        assert np.trapezoid(y, x) == pytest.approx(1.0, abs=0.02)
    # each cluster's KDE peaks near its own mean
    peaks = [ax.get_lines()[0].get_xdata()[np.argmax(ax.get_lines()[0].get_ydata())]
             for ax in panels]
    assert peaks == pytest.approx([0, 3, 6], abs=0.8)


def test_histogram_handles_unclustered_constant_and_heavy_tailed_values(table):
    table.loc[table.index[:5], "cluster"] = -1
    table.loc[table["cluster"] == 2, "nwot"] = 1.0  # a constant cluster has no KDE
    fig = histogram_by_cluster(table["nwot"], table["cluster"], label="nwot", ncols=2)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in panels] == ["cluster 0 (n=25)", "cluster 1 (n=30)",
                                                  "cluster 2 (n=30)"]
    assert len(panels[2].get_lines()) == 1  # the full-space KDE only
    assert len(fig.axes) == 4  # 2 x 2 grid, one panel switched off
    assert [ax.get_xlabel() for ax in panels] == ["", "nwot", "nwot"]  # labelled where no panel is below
    heavy = histogram_by_cluster(table["synflow"], table["cluster"], label="synflow")
    assert heavy.axes[0].get_xlabel() == "log10 synflow"


def test_rare_extreme_values_are_left_out_of_the_axis(table):
    table.loc[table.index[:2], "nwot"] = -1e5  # like jacov's failed computations
    fig = histogram_by_cluster(table["nwot"], table["cluster"], label="jacov")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "jacov\n(2 extreme values not shown)"
    assert ax.get_title() == "cluster 0 (n=30)\n2 beyond the axis"  # n: the cluster's size
    assert ax.get_xlim()[0] > -10


def test_selected_vs_full_one_panel_per_variable(table):
    selected = table.index[table["cluster"] == 1]
    fig = histogram_selected_vs_full(table[["nwot", "synflow"]], selected, color="C1")
    first, second = fig.axes
    assert first.get_xlabel() == "nwot" and second.get_xlabel() == "log10 synflow"
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["full space (n=90)", "selected (n=30)"]
    assert len(first.patches) == 60  # two histograms on the same 30 bins
    with pytest.raises(ValueError, match="1 selected ids are not in the table, e.g. 'zz'"):
        histogram_selected_vs_full(table[["nwot"]], ["a1", "zz"])


def test_axis_labels_name_what_a_column_holds(table):
    selected = table.index[table["cluster"] == 1]
    frame = table[["nwot"]].assign(accuracy=np.linspace(80, 94, len(table)))
    fig = histogram_selected_vs_full(frame, selected, titles={"accuracy": "test_acc, higher is better"},
                                     labels={"accuracy": "test_acc"})
    assert [ax.get_xlabel() for ax in fig.axes] == ["nwot", "test_acc"]


def test_a_variable_known_for_part_of_the_cells_says_how_many_it_draws(table):
    sampled = table[["nwot"]].copy()
    sampled.loc[sampled.index[::3], "nwot"] = np.nan  # a TF table of a sample: 60 of 90 cells
    selected = table.index[table["cluster"] == 1]
    fig = histogram_selected_vs_full(sampled, selected)
    assert fig.axes[0].get_xlabel() == "nwot\n(drawn: 60 cells, 20 of them selected)"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["full space (n=90)", "selected (n=30)"]


def test_edf_lines_legend_and_zoom():
    full = np.r_[np.full(5, 10.0), np.linspace(80, 94, 95)]
    samples = {"full": full, "selected": full[50:], "quantiled": full[60:], "random": full[::2]}
    fig = edf(samples, xlabel="test_acc")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "full (n=100)", "selected (n=50)", "quantiled (n=40)", "random (n=50)"]
    x, y = lines[0].get_data()
    assert y.max() == 1.0 and y.min() == 0.0
    # the 5 % tail at 10 % accuracy is cut from the axis, not from the EDFs
    assert ax.get_xlim()[0] == pytest.approx(np.quantile(np.concatenate(list(samples.values())), 0.05))
    assert ax.get_xlabel() == "test_acc (axis from the 5th percentile)"
    assert lines[1].get_color() == SELECTED_COLOR and lines[2].get_linestyle() == "--"
    assert edf({"full": full}, left_quantile=None).axes[0].get_xlabel() == "accuracy"
    with pytest.raises(ValueError, match="sample 'random' has no finite value"):
        edf({"full": full, "random": [np.nan]})


def test_no_pyplot_figure_is_left_open(table):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    histogram_by_cluster(table["nwot"], table["cluster"], label="nwot")
    assert plt.get_fignums() == before
