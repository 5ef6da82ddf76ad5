import numpy as np
import pandas as pd
import pytest

from cbred.tables import BenchmarkTableWarning, load_benchmark, read_table

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
B = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


def test_small_table_round_trip(tmp_path, nb201_space):
    path = tmp_path / "t.csv"
    pd.DataFrame({"arch": [A, B], "acc": [93.0, 10.0], "note": ["x", "y"]}).to_csv(path, index=False)
    table = load_benchmark(path, nb201_space)
    assert list(table.columns) == ["acc"] and table.loc[A, "acc"] == 93.0
    pq = tmp_path / "t.parquet"
    table.reset_index().to_parquet(pq)
    assert load_benchmark(pq, nb201_space).equals(table)


def test_unknown_malformed_and_missing_columns(tmp_path, nb201_space):
    bad = pd.DataFrame({"arch": [A, "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "acc": [1, 2]})
    with pytest.raises(ValueError, match="row 1: .*unknown operation 'conv'"):
        load_benchmark(bad, nb201_space)
    with pytest.raises(ValueError, match="no column\\(s\\) \\['latency'\\]"):
        load_benchmark(pd.DataFrame({"arch": [A], "acc": [1.0]}), nb201_space, columns=["latency"])
    with pytest.raises(ValueError, match="no 'arch' column"):
        load_benchmark(pd.DataFrame({"cell": [A]}), nb201_space)
    with pytest.raises(ValueError, match="unknown suffix"):
        (tmp_path / "t.xlsx").write_text("x")
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "absent.csv")


def test_duplicates_are_reported_not_dropped(nb201_space):
    table = pd.DataFrame({"arch": [A, A, B], "acc": [90.0, 92.0, 10.0]})
    with pytest.raises(ValueError, match="1 architecture\\(s\\) have several rows"):
        load_benchmark(table, nb201_space)
    with pytest.warns(BenchmarkTableWarning, match="merged by 'mean'"):
        merged = load_benchmark(table, nb201_space, duplicates="mean")
    assert merged.loc[A, "acc"] == 91.0 and len(merged) == 2


def test_missing_rows_are_reported_on_reindex(nb201_space):
    table = pd.DataFrame({"arch": [A], "acc": [93.0]})
    with pytest.warns(BenchmarkTableWarning, match="15624 of 15625 architectures"):
        full = load_benchmark(table, nb201_space, reindex=True)
    assert len(full) == 15_625 and full["acc"].notna().sum() == 1


def test_sentinels_become_nan(nb201_space):
    table = pd.DataFrame({"arch": [A, B], "synflow": [-1e8, 3.0]})
    out = load_benchmark(table, nb201_space, missing_values=[-1e8])
    assert np.isnan(out.loc[A, "synflow"]) and out.loc[B, "synflow"] == 3.0


@pytest.mark.data
def test_real_nb201_tables(nb201_csv, nb201_space):
    acc = load_benchmark(nb201_csv, nb201_space, columns=["test_acc"], reindex=True)
    assert acc["test_acc"].max() == pytest.approx(94.37, abs=0.005)
    assert acc["test_acc"].mean() == pytest.approx(87.06, abs=0.01)
    zc = load_benchmark(nb201_csv.parent / "nb201_zc_proxies_cifar10.csv", nb201_space, missing_values=[-1e8])
    assert len(zc) == 9_445 and zc.isna().sum().sum() == 4


@pytest.mark.data
def test_real_nb101_tables(nb101_jsonl, nb101_zc_jsonl, nb101_sample):
    t = load_benchmark(nb101_jsonl, nb101_sample, columns=["val_acc_108", "params"])
    assert len(t) == 1000 and t["params"].min() > 0
    from cbred.spaces.nb101 import NB101Space

    zc_space = NB101Space.from_jsonl(nb101_zc_jsonl)
    with pytest.raises(ValueError, match="several rows"):
        load_benchmark(nb101_zc_jsonl, zc_space)
    with pytest.warns(BenchmarkTableWarning):
        zc = load_benchmark(nb101_zc_jsonl, zc_space, duplicates="mean")
    assert len(zc) == 292 and "synflow" in zc
    # the 1k sample does not know the proxies' cells: an error with examples
    with pytest.raises(KeyError, match="not in space 'nb101'"):
        load_benchmark(nb101_zc_jsonl, nb101_sample, duplicates="mean")


def test_infinite_metrics_are_an_error_naming_file_column_and_rows(tmp_path, nb201_space):
    path = tmp_path / "acc.csv"
    pd.DataFrame({"arch": [A, B], "acc": [93.0, float("inf")]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=rf"{path}: 1 value\(s\) are \+-inf.*column 'acc'.*{B.replace('|', '.')}"):
        load_benchmark(path, nb201_space, columns=["acc"])
    with pytest.raises(ValueError, match="set benchmark.nonfinite=drop"):
        load_benchmark(path, nb201_space, columns=["acc"], option_prefix="benchmark")
    with pytest.warns(BenchmarkTableWarning, match="treated as missing"):
        table = load_benchmark(path, nb201_space, columns=["acc"], nonfinite="drop")
    assert table.loc[A, "acc"] == 93.0 and np.isnan(table.loc[B, "acc"])
    kept = load_benchmark(path, nb201_space, columns=["acc"], nonfinite="keep")
    assert np.isinf(kept.loc[B, "acc"])
    with pytest.raises(ValueError, match="nonfinite='ignore'; choices"):
        load_benchmark(path, nb201_space, nonfinite="ignore")


def test_text_in_a_metric_column_names_column_row_and_value(nb201_space):
    table = pd.DataFrame({"arch": [A, B], "acc": ["93.5", "oops"]})
    with pytest.raises(ValueError, match="column 'acc': 1 value\\(s\\) are not numbers \\(row 1: 'oops'\\)"):
        load_benchmark(table, nb201_space, columns=["acc"])
    assert load_benchmark(table.iloc[:1], nb201_space, columns=["acc"])["acc"].tolist() == [93.5]


def test_empty_and_unreadable_files_are_named(tmp_path, nb201_space):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=rf"{empty} is empty \(0 bytes\)"):
        load_benchmark(empty, nb201_space)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=rf"cannot read table {broken}"):
        read_table(broken)


def test_duplicate_hints_are_valid_hydra_overrides(nb201_space):
    table = pd.DataFrame({"arch": [A, A], "acc": [90.0, 92.0]})
    with pytest.raises(ValueError, match="set tfstats.duplicates=first or tfstats.duplicates=mean"):
        load_benchmark(table, nb201_space, option_prefix="tfstats")


@pytest.mark.data
def test_an_nb101_accuracy_table_keyed_by_hash(nb101_sample, tmp_path):
    from tests.conftest import reference

    from cbred.tables import load_accuracy

    table = pd.read_csv(reference("nb101_20k.csv"))
    known = table[table["hash"].isin(nb101_sample.ids)]
    assert len(known) == 1000  # the 20k sample holds the 1k cells
    known.to_csv(tmp_path / "known.csv", index=False)
    accuracy = load_accuracy(tmp_path / "known.csv", nb101_sample, "val_acc_108")
    assert accuracy.notna().sum() == 1000 and accuracy.index.equals(pd.Index(nb101_sample.ids, name="arch"))
    pd.concat([known.head(3), table[~table["hash"].isin(nb101_sample.ids)].head(2)]).to_csv(
        tmp_path / "unknown.csv", index=False)
    stranger = table.loc[~table["hash"].isin(nb101_sample.ids), "hash"].iloc[0]
    with pytest.raises(KeyError, match=f"unknown.csv: 2 architecture\\(s\\) not in space 'nb101', e.g.*{stranger}"):
        load_accuracy(tmp_path / "unknown.csv", nb101_sample, "val_acc_108")
