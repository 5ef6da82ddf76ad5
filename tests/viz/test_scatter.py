import numpy as np
import pytest
from matplotlib.colors import to_rgba

from cbred.viz.scatter import scatter_categorical, scatter_numeric
from cbred.viz.style import cluster_colors


@pytest.fixture
def coords():
    return np.random.default_rng(0).normal(size=(50, 2))


def test_numeric_scatter_has_a_colour_bar_and_every_point(coords):
    values = np.linspace(0.0, 1.0, 50)
    fig = scatter_numeric(coords, values, label="nwot", axis="MDS", caption="all 50 cells")
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "nwot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("MDS 1", "MDS 2")
    (points,) = ax.collections
    assert len(points.get_offsets()) == 50
    # highest values drawn last, colours from the values
    np.testing.assert_allclose(np.sort(points.get_array()), values)
    assert points.get_array()[-1] == 1.0
    assert fig.get_supxlabel() == "all 50 cells"


def test_numeric_scatter_clips_outliers_and_greys_missing_values(coords):
    values = np.r_[np.linspace(80.0, 90.0, 47), 10.0, np.nan, np.nan]
    fig = scatter_numeric(coords, values, label="accuracy")
    ax = fig.axes[0]
    missing, points = ax.collections
    assert len(missing.get_offsets()) == 2 and len(points.get_offsets()) == 48
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no value"]
    low, high = points.get_clim()
    assert low == pytest.approx(np.percentile(values[:48], 2))
    assert high == pytest.approx(np.percentile(values[:48], 98))
    assert fig.axes[1].get_ylabel() == "accuracy"
    with pytest.raises(ValueError, match="no finite value of 'x'"):
        scatter_numeric(coords, np.full(50, np.nan), label="x")


def test_categorical_scatter_legend_and_highlight(coords):
    labels = np.r_[np.zeros(20), np.ones(15), np.full(10, 2), np.full(5, -1)].astype(int)
    fig = scatter_categorical(coords, labels, highlight=1, title="clusters")
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # no colour bar
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["cluster 0 (n=20)", "cluster 1 (n=15, selected)", "cluster 2 (n=10)",
                     "unclustered (n=5)"]
    by_label = {c.get_label(): c for c in ax.collections}
    selected = by_label["cluster 1 (n=15, selected)"]
    assert len(selected.get_offsets()) == 15
    assert selected.get_zorder() > by_label["cluster 0 (n=20)"].get_zorder()
    np.testing.assert_allclose(selected.get_edgecolor()[0], to_rgba("black"))
    palette = cluster_colors(labels, highlight=1)
    np.testing.assert_allclose(selected.get_facecolor()[0], palette[1])
    np.testing.assert_allclose(by_label["cluster 2 (n=10)"].get_facecolor()[0][:3], palette[2][:3])
    assert by_label["cluster 2 (n=10)"].get_alpha() < 1
    assert sum(len(c.get_offsets()) for c in ax.collections) == 50


def test_categorical_scatter_rejects_bad_input(coords):
    labels = np.zeros(50, dtype=int)
    with pytest.raises(ValueError, match=r"highlighted cluster 4 is not one of \[0\]"):
        scatter_categorical(coords, labels, highlight=4)
    with pytest.raises(ValueError, match="50 points but 49 cluster values"):
        scatter_categorical(coords, labels[:49])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        scatter_categorical(np.zeros((50, 3)), labels)
