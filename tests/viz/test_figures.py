import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import pairwise_distances

from cbred.viz.clusters import op_usage_table
import cbred.viz.figures as figures_module
from cbred.viz.figures import save_reduction_figures, space_layout

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def reduction():
    rng = np.random.default_rng(0)
    n = 60
    ids = pd.Index([f"cell{i}" for i in range(n)], name="arch")
    labels = np.repeat([0, 1, 2], 20)
    features = rng.normal(size=(n, 4)) + labels[:, None] * 3.0
    clusters = pd.DataFrame({
        "cluster": labels,
        "unit": ids,  # non-numeric columns are not statistics
        "selected": labels == 2,
        "nwot": features[:, 0],
        "synflow": rng.normal(size=n),
    }, index=ids)
    accuracy = pd.Series(80 + features[:, 1], index=ids)
    return dict(
        clusters=clusters,
        selected_cluster=2,
        stability=pd.DataFrame({"n_clusters": [2, 3, 4], "mean": [0.6, 0.9, 0.7],
                                "std": [0.1, 0.05, 0.1]}),
        chosen={"n_clusters": 3},
        op_counts=pd.DataFrame(rng.integers(0, 3, size=(n, 3)), index=ids,
                               columns=["conv", "pool", "skip"]),
        distance=pairwise_distances(features),
        accuracy=accuracy,
        baselines={"quantiled": accuracy.iloc[:20], "random": accuracy.iloc[::3]},
    )


@pytest.mark.slow  # several seconds: the full suite (CI) runs it
def test_save_reduction_figures_writes_every_png(tmp_path, reduction):
    paths = save_reduction_figures(tmp_path / "run", dpi=40, **reduction)
    assert set(paths) == {
        "scatter_clusters", "scatter_nwot", "scatter_synflow", "scatter_accuracy",
        "hist_nwot_by_cluster", "hist_synflow_by_cluster", "hist_accuracy_by_cluster",
        "hist_selected_vs_full", "edf_accuracy", "op_usage", "stability",
    }
    for name, path in paths.items():
        assert path == tmp_path / "run" / f"{name}.png"
        assert path.read_bytes()[:8] == PNG


def test_inputs_are_optional(tmp_path, reduction):
    paths = save_reduction_figures(tmp_path, clusters=reduction["clusters"], selected_cluster=0,
                                   statistics=["nwot"])
    assert set(paths) == {"hist_nwot_by_cluster", "hist_selected_vs_full"}
    with pytest.raises(ValueError, match="selected cluster 5 is not one of"):
        save_reduction_figures(tmp_path, clusters=reduction["clusters"], selected_cluster=5)
    with pytest.raises(ValueError, match=r"statistics \['zen'\] are not columns"):
        save_reduction_figures(tmp_path, clusters=reduction["clusters"], selected_cluster=0,
                               statistics=["zen"])


@pytest.mark.slow
def test_layout_of_a_subsample_and_of_representatives(reduction):
    ids = reduction["clusters"].index
    coords, axis, caption = space_layout(ids, distance=reduction["distance"], max_points=25)
    assert coords.shape == (25, 2) and axis == "MDS"
    assert caption == "MDS of the distance; 25 of 60 points shown (random subsample, seed 0)"
    assert coords.index.isin(ids).all()
    # representatives only: the distance covers 30 of the 60 cells
    units = ids[::2]
    embedding = np.random.default_rng(1).normal(size=(30, 5))
    coords, axis, caption = space_layout(units, embedding=embedding)
    assert list(coords.index) == list(units) and axis == "PC"
    assert caption == "PCA of the embedding; all 30 points"
    coords, axis, _ = space_layout(units, embedding=embedding, method="tsne")  # any layout, any input
    assert coords.shape == (30, 2) and axis == "t-SNE"
    with pytest.raises(ValueError, match="exactly one of"):
        space_layout(ids, distance=reduction["distance"], embedding=embedding)
    with pytest.raises(ValueError, match="60 rows for 30 ids"):
        space_layout(units, distance=reduction["distance"])


@pytest.mark.data
def test_op_usage_of_nb201(nb201_space):
    graphs = nb201_space.graphs()
    counts = pd.DataFrame(graphs.op_counts(), index=pd.Index(graphs.ids, name="arch"),
                          columns=graphs.vocab)
    clusters = pd.Series(np.arange(len(counts)) % 3, index=counts.index)
    table = op_usage_table(counts, clusters)
    assert list(table.columns) == ["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    # a row sums to the mean number of operation nodes (pruned cells drop dead edges)
    assert table.loc["full space"].sum() == pytest.approx((graphs.n_nodes - 2).mean())
    # the four operations are symmetric in NB201: same mean count over the whole space
    assert table.loc["full space"].to_numpy() == pytest.approx(
        np.full(4, table.loc["full space"].mean()))


def test_an_impossible_directory_is_one_error_before_any_figure(tmp_path, reduction):
    taken = tmp_path / "taken"
    taken.write_text("a file")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one FigureWarning per figure
        with pytest.raises(NotADirectoryError,
                           match=r"figure directory \S*taken/run cannot be created: \S*taken is a file"):
            save_reduction_figures(taken / "run", **reduction)


def test_the_accuracy_panel_is_labelled_with_the_metric(tmp_path, reduction, monkeypatch):
    seen = {}

    def spy(frame, selected, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("not drawn")  # the figure is skipped with a warning; the labels were seen

    monkeypatch.setattr(figures_module, "histogram_selected_vs_full", spy)
    accuracy = reduction["accuracy"].rename("test_acc")
    with pytest.warns(figures_module.FigureWarning):
        save_reduction_figures(tmp_path, clusters=reduction["clusters"], selected_cluster=2, statistics=["nwot"],
                               accuracy=accuracy, accuracy_name="test_acc on nb201_cifar10")
    assert seen["labels"] == {"nwot": "nwot", "accuracy": "test_acc"}
    assert seen["titles"]["accuracy"].startswith("test_acc on nb201_cifar10")
