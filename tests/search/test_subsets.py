"""Sub-spaces from a reduce.py run directory, random subsets, sizes."""

import pandas as pd
import pytest

from cbred.search.subsets import random_subset, subset_size, subsets_from_reduction, subsets_from_run_dir


@pytest.fixture
def run_dir(tmp_path):
    archs = [f"a{i:02d}" for i in range(20)]
    clusters = pd.DataFrame({"arch": archs, "cluster": [i % 3 for i in range(20)],
                             "tf_rank": [(7 * i) % 20 / 20 for i in range(20)]})
    clusters.to_csv(tmp_path / "clusters.csv", index=False)
    clusters[clusters["cluster"] == 1].drop(columns="cluster").to_csv(tmp_path / "selected.csv", index=False)
    return tmp_path


def test_subsets_of_a_run_directory(run_dir):
    subsets = subsets_from_run_dir(run_dir, random_state=0)
    clusters = pd.read_csv(run_dir / "clusters.csv", index_col="arch")
    assert len(subsets["full"]) == 20
    assert list(subsets["reduced"]) == list(clusters.index[clusters["cluster"] == 1])
    n = len(subsets["reduced"])
    assert len(subsets["quantiled"]) == len(subsets["random"]) == n
    assert set(subsets["quantiled"]) == set(clusters["tf_rank"].nlargest(n).index)
    assert subsets_from_run_dir(run_dir, random_state=0)["random"].equals(subsets["random"])


def test_quantiled_of_a_sampled_run_is_the_selections_share_of_the_measured_cells(run_dir):
    clusters = pd.read_csv(run_dir / "clusters.csv")
    clusters.loc[10:, "tf_rank"] = float("nan")  # a TF table of half the cells
    clusters.to_csv(run_dir / "clusters.csv", index=False)
    subsets = subsets_from_run_dir(run_dir, random_state=0)
    n = len(subsets["reduced"])  # 7 of 20 cells: the same share of the 10 measured ones is 4
    assert n == 7 and len(subsets["random"]) == 7
    assert list(subsets["quantiled"]) == list(clusters.set_index("arch")["tf_rank"].nlargest(4).index)


def test_quantiled_of_an_actively_sampled_run_is_as_many_of_the_best_measured_cells(run_dir):
    clusters = pd.read_csv(run_dir / "clusters.csv")
    clusters.loc[10:, "tf_rank"] = float("nan")
    clusters.to_csv(run_dir / "clusters.csv", index=False)
    (run_dir / "config.yaml").write_text("tfstats:\n  sampling: active\n  budget: 10\n")
    subsets = subsets_from_run_dir(run_dir, random_state=0)
    assert list(subsets["quantiled"]) == list(clusters.set_index("arch")["tf_rank"].nlargest(7).index)


def test_run_directory_errors_name_the_file(run_dir):
    (run_dir / "selected.csv").unlink()
    with pytest.raises(FileNotFoundError, match="selected.csv"):
        subsets_from_run_dir(run_dir)
    pd.DataFrame({"arch": ["x"], "score": [1]}).to_csv(run_dir / "selected.csv", index=False)
    pd.DataFrame({"arch": ["x"]}).to_csv(run_dir / "clusters.csv", index=False)
    with pytest.raises(ValueError, match="tf_rank"):
        subsets_from_run_dir(run_dir)


def test_sizes_and_random_subsets():
    archs = pd.Index([f"a{i}" for i in range(100)])
    assert subset_size(None, n_full=100, n_selected=7) == 7
    assert subset_size(0.05, n_full=100, n_selected=None) == 5
    assert subset_size(30, n_full=100, n_selected=None) == 30
    for bad in (0, 101, 1.5, True):
        with pytest.raises(ValueError, match="search.subset_size"):
            subset_size(bad, n_full=100, n_selected=7)
    with pytest.raises(ValueError, match="no reduction"):
        subset_size(None, n_full=100, n_selected=None)
    subset = random_subset(archs, 10, random_state=1)
    assert len(subset) == subset.nunique() == 10 and set(subset) <= set(archs)
    assert subset.equals(random_subset(archs, 10, random_state=1))


def test_subsets_of_a_reduction_are_renamed():
    index = pd.Index(["a", "b"])
    renamed = subsets_from_reduction({"full": index, "selected": index[:1], "quantiled": index[1:], "random": index})
    assert list(renamed) == ["full", "reduced", "quantiled", "random"] and list(renamed["reduced"]) == ["a"]
    with pytest.raises(KeyError, match="selected"):
        subsets_from_reduction({"full": index})
