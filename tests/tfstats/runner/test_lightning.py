import math

import pandas as pd
import pytest

from cbred.models import build_network
from cbred.tfstats.runner import compute_table, lightning
from tests.tfstats.runner.conftest import STATS, ZERO


def test_table_broadcasts_classes_records_failures_and_reuses_the_cache(space, archs, probe, tmp_path, monkeypatch):
    table = compute_table(space, STATS, probe=probe, archs=archs, repeats=2, cache=tmp_path, progress=False)
    assert list(table.index) == archs and table.index.name == "arch"
    assert list(table.columns) == STATS + [f"{s}_std" for s in STATS] + [f"{s}_error" for s in STATS]
    # isomorphic members share the invariant statistics; costs are per architecture
    for i in (0, 2):
        assert table["naswot_v2"].iloc[i] == table["naswot_v2"].iloc[i + 1]
    for arch in archs:
        network = build_network("nb201", arch, C=2, N=1)
        assert table.loc[arch, "params"] == sum(p.numel() for p in network.parameters()) / 1e6
    assert (table["naswot_v2_std"].iloc[:4] > 0).all() and (table["params_std"] == 0).all()
    # the zero cell: every code is equal, the kernel singular -> NaN + reason, run goes on
    assert math.isnan(table.loc[ZERO, "naswot_v2"])
    assert "singular" in table.loc[ZERO, "naswot_v2_error"]
    assert table.loc[ZERO, "snip"] == 0.0 and table.loc[ZERO, "snip_error"] is None
    meta = table.attrs["tfstats"]
    assert meta["statistics"]["naswot_v2"]["probe"]["inputs"]["kind"] == "gaussian"
    assert meta["statistics"]["naswot_v2"]["repeats"] == 2 and meta["statistics"]["params"]["repeats"] == 1
    assert meta["n_isomorphism_classes"] == 3 and "torch" in meta["versions"]

    def must_not_run(*args, **kwargs):
        raise AssertionError("cached rows were recomputed")

    monkeypatch.setattr(lightning, "evaluate", must_not_run)
    again = compute_table(space, STATS, probe=probe, archs=archs, repeats=2, cache=tmp_path, progress=False)
    pd.testing.assert_frame_equal(again, table)


@pytest.mark.slow
def test_two_cpu_processes_give_the_same_table(space, archs, probe, tmp_path):
    single = compute_table(space, STATS, probe=probe, archs=archs, repeats=1, cache=tmp_path / "a", progress=False)
    double = compute_table(space, STATS, probe=probe, archs=archs, repeats=1, cache=tmp_path / "b",
                           processes=2, strategy="ddp_spawn", progress=False)
    pd.testing.assert_frame_equal(single, double, check_like=False)
    shards = list((tmp_path / "b" / "nb201").glob("*.parquet"))
    assert len(shards) == 1  # both ranks' shards compacted into the run's file


def test_cached_only_writes_the_finished_part_and_computes_nothing(space, probe, tmp_path):
    first = list(space.ids[:4])
    compute_table(space, ["params"], probe=probe, archs=first, repeats=1, cache=tmp_path, progress=False)
    files = sorted(p.name for p in (tmp_path / "nb201").iterdir())
    snapshot = compute_table(space, ["params"], probe=probe, archs=list(space.ids[:10]), repeats=1, cache=tmp_path,
                             progress=False, cached_only=True)
    assert list(snapshot.index) == first and snapshot["params"].notna().all()
    assert sorted(p.name for p in (tmp_path / "nb201").iterdir()) == files  # nothing computed or written


def test_pending_cells_run_in_a_seeded_random_order(space, probe, tmp_path, monkeypatch):
    # so that the cache of an unfinished run is a uniform sample, not the head of the space
    cells = list(space.ids[:30])
    seen: list[str] = []
    real = lightning.evaluate

    def spy(plan, arch, names, device):
        seen.append(arch)
        return real(plan, arch, names, device)

    monkeypatch.setattr(lightning, "evaluate", spy)
    orders = []
    for seed, cache in ((0, "a"), (0, "b"), (1, "c")):
        seen.clear()
        compute_table(space, ["params"], probe=probe, archs=cells, repeats=1, seed=seed, cache=tmp_path / cache,
                      progress=False)
        orders.append(list(seen))
    assert sorted(orders[0]) == sorted(cells) and orders[0] != cells
    assert orders[1] == orders[0] and orders[2] != orders[0]
