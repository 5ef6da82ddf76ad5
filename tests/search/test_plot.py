"""The anytime figure of many runs."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.image import imread

from cbred.search.plot import plot_anytime


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
