"""The tables the pipeline reads: TF statistics and accuracy (ids, duplicates, bad values)."""

import numpy as np
import pandas as pd
import pytest

from cbred.tables import BenchmarkTableWarning
from cbred.tables import align_table, load_accuracy, load_tf_table

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
B = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


def test_nb101_tf_table_keyed_by_hash_or_spec(nb101_jsonl, nb101_sample):
    cells = pd.read_json(nb101_jsonl, lines=True).iloc[:5]
    by_hash = pd.DataFrame({"hash": cells["hash"], "snip": np.arange(5.0)})  # RangeIndex: not ids
    aligned = align_table(by_hash, nb101_sample, ["snip"])
    assert aligned.loc[cells["hash"], "snip"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    by_spec = cells[["matrix", "ops"]].assign(snip=np.arange(5.0))
    pd.testing.assert_frame_equal(align_table(by_spec, nb101_sample, ["snip"]), aligned)
    indexed = by_hash.set_index("hash")  # ids in the index still work
    pd.testing.assert_frame_equal(align_table(indexed, nb101_sample, ["snip"]), aligned)


def test_text_in_a_tf_column_names_it(nb201_space):
    table = pd.DataFrame({"snip": [1.0, "oops"]}, index=pd.Index([A, B], name="arch"))
    with pytest.raises(ValueError, match="TF-statistic table, column 'snip'.*'oops'"):
        align_table(table, nb201_space, ["snip"])


def test_tf_duplicates_are_merged_by_the_config_key(tmp_path, nb201_space):
    path = tmp_path / "tf.csv"
    pd.DataFrame({"arch": [A, A, B], "snip": [1.0, 3.0, 5.0]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="tfstats.duplicates=mean"):
        align_table(load_tf_table(path), nb201_space, ["snip"])
    with pytest.warns(BenchmarkTableWarning, match="merged by 'mean'"):
        merged = load_tf_table(path, duplicates="mean")
    assert align_table(merged, nb201_space, ["snip"]).loc[[A, B], "snip"].tolist() == [2.0, 5.0]
    with pytest.raises(ValueError, match="tfstats.duplicates='sum'"):
        load_tf_table(path, duplicates="sum")


def test_infinite_accuracy_is_an_error_unless_dropped(tmp_path, nb201_space):
    path = tmp_path / "acc.csv"
    pd.DataFrame({"arch": [A, B], "test_acc": [93.0, -np.inf]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=rf"{path}.*column 'test_acc'.*benchmark.nonfinite=drop"):
        load_accuracy(path, nb201_space, "test_acc")
    with pytest.warns(BenchmarkTableWarning):
        accuracy = load_accuracy(path, nb201_space, "test_acc", nonfinite="drop")
    assert accuracy.loc[A] == 93.0 and np.isnan(accuracy.loc[B])
