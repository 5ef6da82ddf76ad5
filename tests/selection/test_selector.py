import pandas as pd
import pytest

from cbred.selection import ClusterSelection, median_rank


def test_c_keeps_everything_and_qc_keeps_the_best_quantile():
    tf_rank = pd.Series([0.1, 0.9, 0.5, 0.7, 0.3], index=list("abcde"))
    assert ClusterSelection(median_rank).prefilter(tf_rank).all()
    kept = ClusterSelection(median_rank, variant="QC", quantile=0.5).prefilter(tf_rank)
    assert kept[kept].index.tolist() == ["b", "c", "d"]  # ceil(0.5 * 5) = 3 best
    assert ClusterSelection(median_rank, variant="Q+C", quantile=0.2).prefilter(tf_rank).sum() == 1


def test_choose_the_best_eligible_cluster():
    scores = pd.Series({0: 0.9, 1: 0.6, 2: 0.7})
    sizes = pd.Series({0: 5, 1: 500, 2: 200})
    assert ClusterSelection(median_rank, min_size=1).choose(scores, sizes) == 0
    assert ClusterSelection(median_rank, min_size=100).choose(scores, sizes) == 2
    with pytest.raises(ValueError, match="no cluster has at least min_size=1000 architectures \\(largest: 500\\)"):
        ClusterSelection(median_rank, min_size=1000).choose(scores, sizes)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"variant": "Q"}, "variant='Q'; choices: C, QC, Q\\+C"), ({"quantile": 0}, "quantile"),
     ({"min_size": 0}, "min_size"), ({"min_size": 2.5}, "min_size")],
)
def test_bad_selection_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClusterSelection(median_rank, **kwargs)
