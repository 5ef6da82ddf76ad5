import numpy as np
import pandas as pd
import pytest

from cbred.viz.clusters import op_usage, op_usage_table, stability_curve


@pytest.fixture
def ops():
    ids = pd.Index(["a", "b", "c", "d"], name="arch")
    counts = pd.DataFrame({"input": 1, "conv": [2, 0, 1, 1], "pool": [0, 2, 1, 3], "output": 1},
                          index=ids)
    clusters = pd.Series([0, 1, 1, -1], index=ids, name="cluster")
    return counts, clusters


def test_op_usage_table_means_per_cluster(ops):
    table = op_usage_table(*ops)
    assert list(table.columns) == ["conv", "pool"]
    assert list(table.index) == ["full space", 0, 1]
    np.testing.assert_allclose(table.to_numpy(), [[1.0, 1.5], [2.0, 0.0], [0.5, 1.5]])
    # op counts of the whole space, cluster table of a reduced space: "full" is the latter
    counts, clusters = ops
    table = op_usage_table(counts, clusters.drop(index="d"))
    np.testing.assert_allclose(table.loc["full space"], [1.0, 1.0])


def test_op_usage_bars(ops):
    fig = op_usage(*ops, highlight=1)
    (ax,) = fig.axes
    assert len(ax.containers) == 2  # one stack segment per operation
    conv, pool = ax.containers
    np.testing.assert_allclose([bar.get_width() for bar in conv], [1.0, 2.0, 0.5])
    np.testing.assert_allclose([bar.get_x() for bar in pool], [1.0, 2.0, 0.5])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["full space (n=4)", "cluster 0 (n=1)", "cluster 1 (n=2, selected)"]
    assert ax.get_yticklabels()[2].get_fontweight() == "bold"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["conv", "pool"]
    assert ax.get_xlabel() == "mean number of nodes per cell"


def test_op_usage_rejects_missing_ids(ops):
    counts, clusters = ops
    with pytest.raises(ValueError, match="1 ids of the cluster table have no op counts, e.g. 'b'"):
        op_usage(counts.drop(index="b"), clusters)
    with pytest.raises(ValueError, match="highlighted cluster 7"):
        op_usage(counts, clusters, highlight=7)


@pytest.fixture
def stability():
    rows = [{"n_clusters": k, "eta": eta, "mean": 1 - 0.1 * k * eta, "std": 0.05}
            for eta in (0.5, 1.0) for k in (2, 3, 4)]
    return pd.DataFrame(rows)


def test_stability_curve_one_line_per_eta_with_bands(stability):
    fig = stability_curve(stability, chosen={"n_clusters": 3, "eta": 0.5, "affinity": "x"})
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0.5", "1", "chosen"]
    assert ax.get_legend().get_title().get_text() == "eta"
    first, second, star = ax.get_lines()
    np.testing.assert_allclose(first.get_xdata(), [2, 3, 4])
    np.testing.assert_allclose(second.get_ydata(), [0.8, 0.7, 0.6])
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (3, pytest.approx(0.85))
    assert len(ax.collections) == 2  # the +-1 std bands
    assert ax.get_xlabel() == "number of clusters K"


def test_stability_curve_without_eta_or_std():
    table = pd.DataFrame({"n_clusters": [4, 2, 3], "mean": [0.5, 0.9, 0.7]})
    (ax,) = stability_curve(table).axes
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [2, 3, 4])  # sorted by K
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean"]  # no std: no "± std", no band
    assert len(ax.collections) == 0
    with pytest.raises(ValueError, match="not in the stability table"):
        stability_curve(table, chosen={"n_clusters": 9})
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['mean'\]"):
        stability_curve(table.rename(columns={"mean": "ari"}))
