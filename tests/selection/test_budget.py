import pandas as pd
import pytest

from cbred.selection.budget import budget_cells, fill_budget, selection_order


@pytest.mark.parametrize(("budget", "n_total", "expected"), [
    (0.01, 15_625, 156), (0.01, 15_284, 153), (0.5, 7, 4), (0.5, 5, 3), (0.01, 15_250, 153), (1e-9, 100, 1),
    (20, 100, 20), (100, 100, 100),
])
def test_fractions_and_counts(budget, n_total, expected):
    assert budget_cells(budget, n_total) == expected


@pytest.mark.parametrize(("budget", "message"), [
    (0, "fraction in \\(0, 1\\)"), (-0.1, "fraction in \\(0, 1\\)"), (float("nan"), "fraction"), (True, "fraction"),
    ("0.1", "fraction"), (1.5, "must be an integer"), (101, "the space has only 100"),
    (1.0, r"must be an integer \(write 1 for one cell, or a fraction below 1, e.g. 0.01 for 1 %"),
    (50.0, r"write 50 for 50 cells"),
])
def test_bad_budgets_name_the_option(budget, message):
    with pytest.raises(ValueError, match=f"selection.budget.*{message}|{message}"):
        budget_cells(budget, 100)


def test_fill_budget_takes_units_in_order_and_cuts_the_last_one():
    units = pd.Series(["a", "b", "a", "c", "b", "a"], index=pd.Index(list("123456"), name="arch"))
    assert list(fill_budget(pd.Index(["b", "a", "c"]), units, 2)) == ["2", "5"]
    # the last unit is cut in space order; the result is in space order
    assert list(fill_budget(pd.Index(["b", "a", "c"]), units, 3)) == ["1", "2", "5"]
    assert list(fill_budget(pd.Index(["c", "b"]), units, 4)) == ["1", "2", "4", "5"]  # then the rest, by position
    assert len(fill_budget(pd.Index(["a", "b", "c"]), units, 6)) == 6


def test_fill_budget_rejects_impossible_sizes_and_repeated_units():
    units = pd.Series(["a", "b", "a"], index=list("123"))
    for n in (0, 4):
        with pytest.raises(ValueError, match=r"n_cells must be in \[1, 3\]"):
            fill_budget(pd.Index(["a", "b"]), units, n)
    with pytest.raises(ValueError, match="order lists units more than once"):
        fill_budget(pd.Index(["a", "a"]), units, 2)


def test_selection_order_is_the_order_fill_budget_took_the_cells_in():
    units = pd.Series(["a", "b", "a", "c", "b", "a"], index=pd.Index(list("123456"), name="arch"))
    order = pd.Index(["b", "a", "c"])
    selected = fill_budget(order, units, 4)  # space order: 1 2 3 5
    # unit b first (cells 2, 5), then a (1, 3, its cut remainder): ties keep space order
    assert list(selection_order(order, units, selected)) == ["2", "5", "1", "3"]
    for n in range(1, 7):  # its first k cells are the selection of k cells
        ranked = selection_order(order, units, fill_budget(order, units, n))
        assert all(set(ranked[:k]) == set(fill_budget(order, units, k)) for k in range(1, n + 1))
    with pytest.raises(ValueError, match="1 selected architectures have no unit, e.g. 'x'"):
        selection_order(order, units, pd.Index(["1", "x"]))
