import numpy as np
import pandas as pd
import pytest

from cbred.tfstats.noise import signal_to_noise


def test_signal_to_noise_is_between_over_within_variance():
    table = pd.DataFrame(
        {
            "s": [1.0, 3.0, 5.0, np.nan],
            "s_std": [1.0, 1.0, 2.0, np.nan],
            "d": [1.0, 2.0, 2.0, 4.0],
            "d_std": [0.0, 0.0, 0.0, 0.0],
            "one": [1.0, 2.0, 3.0, 4.0],
            "one_std": [np.nan] * 4,
        }
    )
    snr = signal_to_noise(table)
    # between: var(1, 3, 5) = 4; within: mean(1, 1, 4) = 2
    assert snr["s"] == pytest.approx(2.0)
    assert snr["d"] == np.inf and np.isnan(snr["one"])
    with pytest.raises(KeyError, match="no column 'x_std'"):
        signal_to_noise(table.assign(x=1.0), ["x"])


def test_isomorphic_copies_count_once():
    table = pd.DataFrame({"s": [1.0, 1.0, 1.0, 3.0], "s_std": [1.0, 1.0, 1.0, 1.0]})
    assert signal_to_noise(table)["s"] == pytest.approx(2.0)  # rows (1, 1) and (3, 1)
