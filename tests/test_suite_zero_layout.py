"""TF tables in the NAS-Bench-Suite-Zero layout (NB101 ``matrix`` + ``ops`` rows, unpruned)
align with the NB101 space as ``tfstats.path`` tables."""

from __future__ import annotations

import pandas as pd

from cbred.spaces.nb101 import NB101Space, Spec
from cbred.tables import align_table, load_tf_table
from tests.conftest import reference


def test_matrix_and_ops_rows_align_by_hash():
    table = load_tf_table(reference("nb101_zc_proxies_500.jsonl"))
    hashes = pd.Series([Spec.from_raw(m, o).hash for m, o in zip(table["matrix"], table["ops"])])
    unique = table[~hashes.duplicated().to_numpy()]
    space = NB101Space.from_specs([Spec.from_raw(m, o) for m, o in zip(unique["matrix"], unique["ops"])])
    aligned = align_table(unique, space, ["synflow", "jacov"])
    assert len(aligned) == len(space) == hashes.nunique()
    assert aligned.notna().all().all()
    first = hashes[~hashes.duplicated()].iloc[0]
    assert aligned.at[first, "synflow"] == unique["synflow"].iloc[0]


def test_repeated_matrix_and_ops_rows_merge_with_tfstats_duplicates():
    raw = load_tf_table(reference("nb101_zc_proxies_500.jsonl"))
    hashes = pd.Series([Spec.from_raw(m, o).hash for m, o in zip(raw["matrix"], raw["ops"])])
    unique_specs = {h: Spec.from_raw(m, o) for h, m, o in zip(hashes, raw["matrix"], raw["ops"])}
    space = NB101Space.from_specs(list(unique_specs.values()))
    merged = load_tf_table(reference("nb101_zc_proxies_500.jsonl"), duplicates="mean", space=space)
    assert len(merged) == hashes.nunique() and merged["hash"].is_unique
    repeated = hashes[hashes.duplicated()].iloc[0]
    expected = raw.loc[(hashes == repeated).to_numpy(), "synflow"].mean()
    assert merged.set_index("hash").at[repeated, "synflow"] == expected
    aligned = align_table(merged, space, ["synflow"])
    assert aligned["synflow"].notna().all()
