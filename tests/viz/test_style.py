"""The shared look of the figures: cluster names, one selection colour, titles with the direction."""

import numpy as np
import pandas as pd

from cbred.viz.style import (
    REST_GROUP,
    SELECTED_COLOR,
    SELECTED_GROUP,
    cluster_colors,
    cluster_labels,
    cluster_name,
    clustered_mask,
    variable_title,
)


def test_selection_has_one_fixed_colour_that_no_other_group_takes():
    for n in (2, 9, 15, 40):
        colors = cluster_colors(range(n), highlight=1)
        assert colors[1] == SELECTED_COLOR
        assert SELECTED_COLOR not in [c for label, c in colors.items() if label != 1]
    groups = cluster_colors([SELECTED_GROUP, REST_GROUP])
    assert groups[SELECTED_GROUP] == SELECTED_COLOR and groups[REST_GROUP] != SELECTED_COLOR


def test_cluster_colours_are_distinct_for_many_clusters():
    colors = cluster_colors(range(25))
    assert len(colors) == 25 and len(set(colors.values())) == 25


def test_cluster_names_say_size_and_role_and_keep_group_names():
    assert cluster_name(3.0, size=1812) == "cluster 3 (n=1,812)"
    assert cluster_name(1, size=90, selected=True) == "cluster 1 (n=90, selected)"
    assert cluster_name(1, selected=True, role="taken first") == "cluster 1 (taken first)"
    assert cluster_name(SELECTED_GROUP, size=5, selected=True) == "selected (n=5)"
    assert cluster_name(REST_GROUP) == "not selected"


def test_noise_and_missing_labels_are_not_clusters():
    labels = pd.Series([2, -1, 0, np.nan, 2, 1])
    np.testing.assert_array_equal(clustered_mask(labels), [True, False, True, False, True, True])
    assert cluster_labels(labels) == [0.0, 1.0, 2.0]
    assert cluster_labels([SELECTED_GROUP, REST_GROUP, None]) == [REST_GROUP, SELECTED_GROUP]


def test_variable_titles_name_the_direction():
    assert variable_title("ntk_cond", -1) == "ntk_cond, lower is better"
    assert variable_title("test_acc", 1, detail="nb201_cifar10") == "test_acc on nb201_cifar10, higher is better"
    assert variable_title("zen") == "zen"
