import pytest

from cbred.tfstats import UnknownNameError
from cbred.tfstats.runner import compute_table
from tests.tfstats.runner.conftest import ZERO


def test_unknown_statistic_lists_the_choices(space, probe, tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown statistic 'nwot' \(choices: .*naswot_v2"):
        compute_table(space, ["nwot"], probe=probe, archs=[ZERO], cache=tmp_path)
    with pytest.raises(UnknownNameError, match="unknown statistic 'jacov'"):
        compute_table(space, ["snip"], probe=probe, probes={"jacov": probe}, archs=[ZERO], cache=tmp_path)


def test_a_changed_declaration_is_another_cache_key(probe):
    from cbred.spaces.edge_cell import EdgeCellSpace
    from cbred.tfstats.runner.plan import make_plan

    ops = ["none", "skip_connect", "nor_conv_3x3"]
    keys = [make_plan(EdgeCellSpace(name="mine", operations=ops, network=network), ["naswot_v2"], probe).keys
            for network in ({"C": 16}, {"C": 16}, {"C": 16, "reduction": "pool"})]
    assert keys[0] == keys[1] != keys[2]
    other_ops = make_plan(EdgeCellSpace(name="mine", operations=ops + ["avg_pool_3x3"]), ["naswot_v2"], probe).keys
    assert other_ops != make_plan(EdgeCellSpace(name="mine", operations=ops), ["naswot_v2"], probe).keys
