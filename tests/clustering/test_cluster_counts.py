import pytest

from cbred.clustering.cluster_counts import check_cluster_counts, counts_above


def test_counts_above_are_sorted_ints_of_every_k_beyond_n():
    assert counts_above([50, 3.0, 12, 10], 10) == [12, 50]
    assert counts_above([], 5) == [] and counts_above([5], 5) == []


def test_the_error_names_every_k_what_n_counts_and_the_advice():
    check_cluster_counts([2, 10], 10, "the number of points (10)")  # nothing above: no error
    with pytest.raises(ValueError, match=r"^K=\[11, 40\] greater than the number of points \(10\); lower K$"):
        check_cluster_counts([40, 3, 11], 10, "the number of points (10)", "lower K", name="K")
