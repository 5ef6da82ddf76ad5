import numpy as np
import pandas as pd
import pytest
import torch

from cbred.models import build_network
from cbred.tfstats import load_table
from cbred.tfstats.network_cost import (
    benchmark_costs,
    count_network,
    network_costs,
    with_benchmark_costs,
)

ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
ALL_CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def nb201_costs(nb201_space):
    return benchmark_costs(nb201_space)


def test_nb201_costs_span_the_published_range_of_the_benchmark_network(nb201_costs):
    # NAS-Bench-201 (C=16, N=5, CIFAR-10): 0.073-1.53 M parameters, 7.8-220.1 M FLOPs
    assert len(nb201_costs) == 15_625
    assert nb201_costs.loc[ALL_NONE, "params"] == pytest.approx(0.073306, abs=1e-9)
    assert nb201_costs.loc[ALL_CONV3, "params"] == pytest.approx(1.531546, abs=1e-9)
    assert nb201_costs["flops"].min() == pytest.approx(7.78304)
    assert nb201_costs["flops"].max() == pytest.approx(220.11968)


def test_edge_sums_equal_networks_counted_one_by_one(nb201_space, nb201_costs):
    rng = np.random.default_rng(0)
    sample = list(np.asarray(nb201_space.ids)[rng.choice(len(nb201_space), 4, replace=False)])
    direct = network_costs(nb201_space, sample)
    np.testing.assert_allclose(nb201_costs.loc[sample].to_numpy(), direct.to_numpy(), rtol=0, atol=1e-6)


def test_counts_match_the_parameters_of_a_real_network():
    network = build_network("nb201", ALL_CONV3)
    with torch.device("meta"):
        meta = build_network("nb201", ALL_CONV3)
    assert count_network(meta)[0] == sum(p.numel() for p in network.parameters()) / 1e6


@pytest.mark.slow  # several seconds: the full suite (CI) runs it
def test_multiply_adds_equal_torchs_flop_counter(nb101_jsonl, nb101_sample):
    from torch.utils.flop_counter import FlopCounterMode

    cells = [("nb201", ALL_CONV3, None), ("nb201", "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|", None)]
    cells += [("nb101", h, nb101_sample) for h in pd.read_json(nb101_jsonl, lines=True)["hash"].iloc[:4]]
    for name, arch, space in cells:
        with torch.device("meta"):
            network = build_network(name if space is None else space, arch)
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            network(torch.empty(1, 3, 32, 32, device="meta"))
        assert count_network(network)[1] == pytest.approx(counter.get_total_flops() / 2 / 1e6, rel=1e-12), arch


def test_nb201_params_match_nas_bench_suite_zero(nb201_costs):
    from tests.conftest import reference

    published = pd.read_csv(reference("nb201_zc_proxies_cifar10.csv")).set_index("arch")["params"]
    np.testing.assert_allclose(nb201_costs.loc[published.index, "params"], published, atol=1e-6)


def test_nb101_costs_match_the_published_parameters(nb101_jsonl, nb101_sample):
    published = pd.read_json(nb101_jsonl, lines=True).set_index("hash")["params"].iloc[:3]
    costs = benchmark_costs(nb101_sample, list(published.index))
    assert (costs["params"] * 1e6).round().astype(int).tolist() == published.tolist()
    assert (costs["flops"] > 0).all()


def test_embedded_table_describes_the_benchmark_network_and_keeps_the_proxy_apart(nb201_costs):
    table = load_table()
    pd.testing.assert_series_equal(table["params"], nb201_costs["params"].reindex(table.index), check_names=False)
    # the poster's settings: at most 500K / 300K parameters
    assert int((table["params"] <= 0.5).sum()) == 10_240
    assert int((table["params"] <= 0.3).sum()) == 4_096
    assert table["proxy_params"].max() < 0.1 and table["params"].min() > 0.07
    statistics = table.attrs["tfstats"]["statistics"]
    assert statistics["proxy_params"]["probe"]["network"] == {"C": 8, "N": 1}
    assert "meta device" in statistics["params"]["network"]


def test_with_benchmark_costs_renames_the_proxy_columns_once(nb201_space):
    archs = [ALL_NONE, ALL_CONV3]
    table = pd.DataFrame(
        {"params": [0.01, 0.02], "params_std": 0.0, "params_error": None, "snip": [1.0, 2.0]},
        index=pd.Index(archs, name="arch"),
    )
    table.attrs["tfstats"] = {"statistics": {"params": {"probe": "proxy"}}}
    once = with_benchmark_costs(table, nb201_space)
    twice = with_benchmark_costs(once, nb201_space)
    for result in (once, twice):
        assert result["proxy_params"].tolist() == [0.01, 0.02]
        assert result["params"].round(6).tolist() == [0.073306, 1.531546]
        assert result.attrs["tfstats"]["statistics"]["proxy_params"] == {"probe": "proxy"}
    assert "proxy_proxy_params" not in twice


def test_reduce_config_has_the_poster_presets():
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from cbred.paths import PROJECT_ROOT

    with initialize_config_dir(str(PROJECT_ROOT / "configs"), version_base="1.3"):
        presets = {
            name: OmegaConf.to_container(compose("reduce", overrides=[f"constraints={name}"]).constraints)
            for name in ("none", "params_500k", "params_300k")
        }
    assert presets == {"none": {}, "params_500k": {"params": {"max": 0.5}}, "params_300k": {"params": {"max": 0.3}}}


def test_nb101_costs_are_cached_per_cell_and_reused(nb101_jsonl, nb101_sample, tmp_path, monkeypatch):
    hashes = list(pd.read_json(nb101_jsonl, lines=True)["hash"].iloc[:120])
    counted = []
    # the counting itself is tested above: here each "network" is its hash, counted as its position
    monkeypatch.setattr("cbred.tfstats.network_cost.build_network", lambda name, arch, **_: arch)
    monkeypatch.setattr("cbred.tfstats.network_cost.count_network",
                        lambda arch: counted.append(arch) or (float(hashes.index(arch)), 2.0))
    first = network_costs(nb101_sample, hashes[:110], cache=tmp_path, chunk=50)
    assert len(list((tmp_path / "nb101").glob("*.parquet"))) == 3  # chunks of 50, 50, 10
    assert first["params"].tolist() == list(range(110)) and len(counted) == 110
    again = network_costs(nb101_sample, hashes[100:110] + hashes[:3], cache=tmp_path)
    assert len(counted) == 110  # every cell came from the cache, in the order asked
    pd.testing.assert_frame_equal(again, first.loc[hashes[100:110] + hashes[:3]])
    more = network_costs(nb101_sample, hashes, cache=tmp_path)
    assert counted[110:] == hashes[110:] and more["params"].tolist() == list(range(120))


def test_edge_costs_add_up_in_any_declared_edge_cell_space(tmp_path):
    from cbred.spaces.edge_cell import EdgeCellSpace

    space = EdgeCellSpace(name="tnb101_micro", operations=["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"],
                          network={"C": 4, "N": 2, "stages": 2})
    cells = space.sample(12, random_state=0)
    added = benchmark_costs(space, cells)  # five counted networks, terms added
    counted = network_costs(space, cells, cache=tmp_path)  # one network per cell
    np.testing.assert_allclose(added.to_numpy(), counted.to_numpy(), rtol=1e-9)
