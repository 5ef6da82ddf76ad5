"""The fidelity figure: one box per edit distance, the correlation it states is the data's."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from cbred.viz.fidelity import fidelity_figure


def test_the_figure_has_a_box_per_edit_distance_and_states_the_spearman_of_its_pairs():
    rng = np.random.default_rng(0)
    reference = rng.integers(1, 6, size=(8, 30)).astype(float)
    predicted = reference + rng.normal(0, 0.8, reference.shape)
    fig = fidelity_figure(predicted, reference, title="toy")
    ax = fig.axes[0]
    rho = spearmanr(predicted.ravel(), reference.ravel()).statistic
    assert f"Spearman {rho:.3f}" in ax.get_title()
    assert sorted({round(x) for x in ax.get_xticks()} & {1, 2, 3, 4, 5}) == [1, 2, 3, 4, 5]
    assert "graph edit distance" in ax.get_xlabel() and ax.get_ylabel() == "embedding distance"


def test_pairs_of_two_shapes_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        fidelity_figure(np.zeros(4), np.zeros(5), title="x")
