"""Where cbred finds reference data and keeps its caches: environment variables first."""

import pytest
from omegaconf import OmegaConf

from cbred.paths import PROJECT_ROOT, RESOURCES, cache_dir, reference_data_dir, reference_file, register_config_resolvers


def test_reference_data_comes_from_cbred_data_else_next_to_the_project(tmp_path, monkeypatch):
    monkeypatch.delenv("CBRED_DATA", raising=False)
    assert reference_data_dir() == PROJECT_ROOT.parent / "shared" / "data"
    monkeypatch.setenv("CBRED_DATA", str(tmp_path))
    (tmp_path / "table.csv").write_text("arch\n")
    assert reference_file("table.csv") == tmp_path / "table.csv"
    with pytest.raises(FileNotFoundError, match=r"reference data file 'absent\.csv' not found in .*set CBRED_DATA"):
        reference_file("absent.csv")


def test_cache_dir_is_created_where_cbred_cache_says(tmp_path, monkeypatch):
    monkeypatch.setenv("CBRED_CACHE", str(tmp_path / "a" / "b"))
    assert cache_dir() == tmp_path / "a" / "b" and (tmp_path / "a" / "b").is_dir()


def test_config_resolvers_name_reference_and_resource_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CBRED_DATA", str(tmp_path))
    (tmp_path / "acc.csv").write_text("arch\n")
    register_config_resolvers()
    cfg = OmegaConf.create({"data": "${reference_file:acc.csv}", "table": "${resource_file:nb201_tfstats.parquet}"})
    assert cfg.data == str(tmp_path / "acc.csv")
    assert cfg.table == str(RESOURCES / "nb201_tfstats.parquet")
