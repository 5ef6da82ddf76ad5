import pytest

from cbred.tfstats import UnknownNameError
from cbred.tfstats.runner import compute_table
from tests.tfstats.runner.conftest import ZERO


def test_unknown_statistic_lists_the_choices(space, probe, tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown statistic 'nwot' \(choices: .*naswot_v2"):
        compute_table(space, ["nwot"], probe=probe, archs=[ZERO], cache=tmp_path)
    with pytest.raises(UnknownNameError, match="unknown statistic 'jacov'"):
        compute_table(space, ["snip"], probe=probe, probes={"jacov": probe}, archs=[ZERO], cache=tmp_path)
