import math

from torch import nn

from cbred.tfstats.runner import compute_table, measure


class NaNNetwork(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x)).mean(dim=(2, 3)) * float("nan")


def test_a_network_that_produces_nan_gives_nan_and_the_reason(space, archs, probe, tmp_path, monkeypatch):
    monkeypatch.setattr(measure, "build_network", lambda *args, **kwargs: NaNNetwork())
    table = compute_table(space, ["naswot_v1", "snip", "params"], probe=probe, archs=archs[:1], repeats=1,
                          cache=tmp_path, progress=False)
    for name in ("naswot_v1", "snip"):
        assert math.isnan(table[name].iloc[0])
        assert "FloatingPointError" in table[f"{name}_error"].iloc[0] and "not finite" in table[f"{name}_error"].iloc[0]
    assert table["params"].iloc[0] == sum(p.numel() for p in NaNNetwork().parameters()) / 1e6
