"""The anytime figure of many runs."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.image import imread

from cbred.search.plot import anytime_figure, plot_anytime


def test_anytime_figure_is_written_with_one_panel_per_strategy_and_closed(tmp_path):
    rng = np.random.default_rng(0)
    runs = np.maximum.accumulate(rng.uniform(80, 95, (6, 20)), axis=1)
    curves = {"rea": {"full": runs, "reduced": runs + 1.0}, "random": {"full": runs - 1.0}}
    open_before = plt.get_fignums()
    path = plot_anytime(curves, tmp_path / "anytime.png", thresholds={"top1pct": 94.0}, metric="test_acc")
    assert path == tmp_path / "anytime.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = imread(path).shape[:2]
    assert (width, height) == (int(5.2 * 2 * 120), int(4.2 * 120))  # two strategies side by side, 120 dpi
    assert plt.get_fignums() == open_before  # the figure was closed


def test_a_strategy_sharing_random_searchs_first_draws_says_so_on_its_panel():
    runs = np.maximum.accumulate(np.random.default_rng(0).uniform(80, 95, (4, 30)), axis=1)
    figure = anytime_figure({"rea": {"full": runs}, "random": {"full": runs}}, shared_draws={"rea": 20})
    rea, random = figure.axes
    assert [t.get_text() for t in rea.texts] == ["queries 1-20: the same uniform draws\nas random search (same seed)"]
    assert len(random.texts) == 0
    # a budget below the population: the note says how many queries there are
    short = anytime_figure({"rea": {"full": runs[:, :8]}}, shared_draws={"rea": 20})
    assert "queries 1-8:" in short.axes[0].texts[0].get_text()
