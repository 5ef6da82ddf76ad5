"""Export of the selected sub-space: NB201 strings with NATS-Bench indices, NB101 (matrix, ops)
specs as NASLib writes them, and the JSON manifest of the run."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cbred.spaces.nb101 import NB101Space, Spec
from cbred.spaces.nb201 import NB201Space
from cbred.export import ExportWarning, export_selection, nats_bench_indices
from cbred.pipeline import Reduction


def _reduction(space_name, selected, archs, order=None):
    """A stand-in of a Reduction: ``selected`` taken in ``order`` (default: as listed), one cell per unit."""
    archs = pd.Index(archs, name="arch")
    reduction = SimpleNamespace(
        space=space_name, selected=pd.Index(selected), archs=archs, procedure="NeighbourhoodScore",
        best_params={"n_neighbors": np.int64(20)}, budget=0.01, excluded={"constraints": 0},
        units=pd.Series(archs, index=archs), order=pd.Index(selected if order is None else order),
        tf_rank=pd.Series(np.linspace(0, 1, len(archs)), index=archs),
        selection_score=pd.Series(np.linspace(1, 0, len(archs)), index=archs),
        metrics=lambda: {"n_archs": len(archs), "stability": float("nan")})
    reduction.ranking = lambda: Reduction.ranking(reduction)
    return reduction


def test_nats_bench_index_is_the_row_in_the_official_order_not_cbreds_order():
    ids = list(NB201Space().ids)
    official = pd.DataFrame({"arch": ids[::-1]})  # any order other than cbred's enumeration
    indices = nats_bench_indices([ids[0], ids[5]], official)
    assert indices.tolist() == [len(ids) - 1, len(ids) - 6]
    with pytest.raises(ValueError, match="not in the NATS-Bench order table"):
        nats_bench_indices(["|x~0|"], official)


def test_reference_table_gives_the_published_first_indices(nb201_csv):
    first = pd.read_csv(nb201_csv, usecols=["arch"])["arch"]
    assert nats_bench_indices([first[1], first[0]]).tolist() == [1, 0]


def test_nb201_export_and_manifest(tmp_path):
    every = list(NB201Space().ids)
    ids = every[:50]
    reduction = _reduction("nb201", ids[:3], ids, order=[ids[2], ids[0], ids[1]])
    paths = export_selection(reduction, NB201Space(), tmp_path, order_table=pd.DataFrame({"arch": every[::-1]}),
                             config={"seed": 0, "distance": {"_target_": "x"}})
    table = pd.read_csv(paths["selection"])
    assert list(table.columns) == ["arch", "rank", "score", "tf_rank", "nats_bench_index"]
    assert table["arch"].tolist() == [ids[2], ids[0], ids[1]]  # selection order, not space order
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["nats_bench_index"].tolist() == [15622, 15624, 15623]
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["space"] == "nb201" and manifest["n_selected"] == 3 and manifest["n_archs"] == 50
    assert manifest["params"] == {"n_neighbors": 20} and manifest["metrics"]["stability"] is None
    assert manifest["files"] == {"selection": "selected_nb201.csv"} and manifest["config"]["seed"] == 0


def test_manifest_of_a_composed_config_outside_hydra(tmp_path):
    from omegaconf import OmegaConf

    config = OmegaConf.create({"seed": 0, "output_dir": "${hydra:runtime.output_dir}", "plots": {"seed": "${seed}"}})
    ids = list(NB201Space().ids)
    paths = export_selection(_reduction("nb201", ids[:2], ids[:5]), NB201Space(), tmp_path, config=config,
                             order_table=pd.DataFrame({"arch": ids}))
    saved = json.loads(paths["manifest"].read_text())["config"]
    assert saved["output_dir"] == "${hydra:runtime.output_dir}" and saved["plots"]["seed"] == "${seed}"


def test_nb201_export_without_an_order_table_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("CBRED_DATA", str(tmp_path / "nowhere"))
    ids = list(NB201Space().ids)[:5]
    with pytest.warns(ExportWarning, match="nats_bench_index left empty"):
        paths = export_selection(_reduction("nb201", ids[:2], ids), NB201Space(), tmp_path)
    assert pd.read_csv(paths["selection"])["nats_bench_index"].isna().all()


def test_nb101_export_writes_naslib_specs(tmp_path):
    specs = [
        Spec.from_raw([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]),
        Spec.from_raw([[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
                      ["input", "maxpool3x3", "conv1x1-bn-relu", "output"]),
    ]
    space = NB101Space.from_specs(specs)
    hashes = [spec.hash for spec in specs]
    paths = export_selection(_reduction("nb101", hashes[1:], hashes), space, tmp_path)
    (line,) = paths["selection"].read_text().splitlines()
    row = json.loads(line)
    assert row == {"hash": hashes[1], "rank": 1, "score": 0.0,
                   "matrix": [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
                   "ops": ["input", "maxpool3x3", "conv1x1-bn-relu", "output"]}
    assert Spec.from_raw(row["matrix"], row["ops"]).hash == row["hash"]  # round trip
