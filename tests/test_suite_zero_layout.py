"""TF tables in the NAS-Bench-Suite-Zero layout (NB101 ``matrix`` + ``ops`` rows, unpruned)
align with the NB101 space as ``tfstats.path`` tables."""

from __future__ import annotations

import pandas as pd

from cbred.data.nb101 import NB101Space, Spec
from cbred.pipeline import align_table, load_tf_table
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
