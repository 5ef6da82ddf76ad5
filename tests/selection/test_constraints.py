import numpy as np
import pandas as pd
import pytest

from cbred.selection import Constraint, apply_constraints, constraints_from_config


@pytest.fixture(scope="module")
def tf_table(nb201_space):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"params": rng.uniform(0, 1.5, len(nb201_space))}, index=pd.Index(nb201_space.ids, name="arch"))


def test_constraint_on_a_tf_column(nb201_space, tf_table):
    keep = apply_constraints(constraints_from_config({"params": {"max": 0.5}}), nb201_space, tf_table)
    assert keep.index.equals(tf_table.index)
    assert keep.sum() == (tf_table["params"] <= 0.5).sum()
    both = apply_constraints([Constraint("params", min=0.2, max=0.5)], nb201_space, tf_table)
    assert both.sum() == tf_table["params"].between(0.2, 0.5).sum()


def test_constraint_on_another_table_with_missing_values(tmp_path, nb201_space, tf_table):
    ids = list(nb201_space.ids)
    path = tmp_path / "hw.csv"
    pd.DataFrame({"arch": ids[:100], "latency": [-1.0] * 10 + [1.0] * 45 + [9.0] * 45}).to_csv(path, index=False)
    constraint = Constraint("latency", max=5.0, table=str(path), missing_values=[-1.0])
    with pytest.warns(UserWarning, match="15535 architectures have no value"):
        keep = constraint.mask(nb201_space, tf_table)
    assert keep.sum() == 45 and keep[ids[10:55]].all()


@pytest.mark.data
def test_hw_nas_bench_latency(nb201_space, tf_table):
    from tests.conftest import reference

    path = reference("nb201_hw_cifar10.csv")
    keep = Constraint("edgegpu_latency", max=4.0, table=str(path)).mask(nb201_space, tf_table)
    latency = pd.read_csv(path).set_index("arch")["edgegpu_latency"]
    assert keep.sum() == (latency <= 4.0).sum() > 0


def test_bad_constraints(nb201_space, tf_table):
    with pytest.raises(ValueError, match="needs max or min"):
        Constraint("params")
    with pytest.raises(ValueError, match="min 2 > max 1"):
        Constraint("params", min=2, max=1)
    with pytest.raises(ValueError, match="'flops' is not in the TF-statistic table"):
        Constraint("flops", max=1).mask(nb201_space, tf_table)


def test_a_constraint_that_removes_nothing_says_so_and_bounds_must_be_numbers(nb201_space, tf_table):
    from cbred.selection.constraints import ConstraintWarning

    with pytest.warns(ConstraintWarning, match="constraint on 'params' .* removes no architecture: params spans"):
        keep = apply_constraints([Constraint("params", max=800)], nb201_space, tf_table)  # 800 M: the wrong unit
    assert keep.all()
    with pytest.raises(ValueError, match="constraints.params.max='abc' is not a number"):
        Constraint("params", max="abc")
