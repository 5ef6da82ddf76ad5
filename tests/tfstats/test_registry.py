import pytest

from cbred.registry import Registry
from cbred.tfstats import STATISTICS, UnknownNameError, direction
from cbred.tfstats.registry import Statistic

CONTRACT = {
    "ntk_cond": -1,
    "linear_regions": 1,
    "naswot_v1": 1,
    "naswot_v2": 1,
    "synflow": 1,
    "snip": 1,
    "grad_norm": 1,
    "params": 1,
    "flops": 1,
    "zico": 1,
    "meco": 1,
    "swap": 1,
    "az_expressivity": 1,
    "az_progressivity": 1,
    "az_trainability": 1,
    "epe_nas": 1,
    "zen": 1,
    "fisher": 1,
    "grasp": 1,
    "plain": 1,
    "l2_norm": 1,
}


def test_registered_statistics_and_directions_are_the_contract():
    assert set(STATISTICS.names()) == set(CONTRACT)
    assert {name: direction(name) for name in STATISTICS} == CONTRACT
    assert all(isinstance(STATISTICS[n], Statistic) and callable(STATISTICS[n].fn) for n in CONTRACT)
    assert not STATISTICS["params"].stochastic and not STATISTICS["flops"].invariant
    assert STATISTICS["naswot_v2"].stochastic and STATISTICS["naswot_v2"].invariant
    # l2_norm depends on the seed and counts weights that never reach the output
    assert STATISTICS["l2_norm"].stochastic and not STATISTICS["l2_norm"].invariant


def test_unknown_name_lists_the_choices():
    with pytest.raises(UnknownNameError, match=r"unknown statistic 'nwot' \(choices: az_expressivity, az_progressivity"):
        STATISTICS["nwot"]
    with pytest.raises(KeyError, match="ntk_cond"):
        direction("jacov")


def test_duplicate_registration_is_rejected():
    registry = Registry("thing")
    registry.register("a")(1)
    with pytest.raises(ValueError, match=r"thing 'a' is already registered \(registered: a\)"):
        registry.register("a")(2)
    assert registry["a"] == 1 and "a" in registry and len(registry) == 1
    with pytest.raises(ValueError, match="non-empty string"):
        registry.register("")
