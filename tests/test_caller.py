"""Warnings about the user's input point at the user's call, not at library lines."""

import warnings

import cbred


def test_a_reduction_warning_names_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cbred.reduce("tnb101_micro")  # 377 cells without some statistic
    located = [(w.filename, str(w.message)) for w in caught if "training-free statistics" in str(w.message)]
    assert located and all(filename == __file__ for filename, _ in located), located
