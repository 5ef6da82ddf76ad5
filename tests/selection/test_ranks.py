import pandas as pd
import pytest

from cbred.selection import aggregate_rank, resolve_directions, signed_ranks


def test_signed_ranks_point_up_for_both_directions():
    table = pd.DataFrame({"naswot": [1.0, 3.0, 2.0, 2.0], "ntk_cond": [10.0, 1.0, 5.0, 20.0]}, index=list("abcd"))
    ranks = signed_ranks(table, {"naswot": 1, "ntk_cond": -1})
    # higher naswot is better; ties share their average rank
    assert ranks["naswot"].tolist() == [0.25, 1.0, 0.625, 0.625]
    # lower condition number is better
    assert ranks["ntk_cond"].tolist() == [0.5, 1.0, 0.75, 0.25]
    assert aggregate_rank(ranks).tolist() == pytest.approx([0.375, 1.0, 0.6875, 0.4375])


def test_directions_come_from_tfstats_unless_overridden():
    assert resolve_directions(["ntk_cond", "naswot_v2"]) == {"ntk_cond": -1, "naswot_v2": 1}
    assert resolve_directions(["ntk_cond", "latency"], {"latency": -1, "ntk_cond": 1}) == {
        "ntk_cond": 1, "latency": -1,
    }


@pytest.mark.parametrize(
    "statistics, overrides, message",
    [
        (["my_proxy"], None, "no direction known for statistic 'my_proxy'.*\\+tfstats.directions.my_proxy=1"),
        (["a"], {"a": 2}, "must be \\+1 or -1"),
        ([], None, "no statistics"),
        (["a", "a"], {"a": 1}, "listed twice"),
    ],
)
def test_bad_statistics_and_directions(statistics, overrides, message):
    with pytest.raises(ValueError, match=message):
        resolve_directions(statistics, overrides)
