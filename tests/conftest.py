"""Shared fixtures: reference data (skipped when absent), isolated caches, no W&B network."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from cbred.paths import reference_data_dir

os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Caches go to a session temp dir unless CBRED_CACHE is set (CI may share one)."""
    if "CBRED_CACHE" not in os.environ:
        os.environ["CBRED_CACHE"] = str(tmp_path_factory.mktemp("cbred-cache"))
    yield


def reference(name: str):
    """Path of a reference data file, or skip the test when it is absent."""
    path = reference_data_dir() / name
    if not path.exists():
        pytest.skip(f"reference data {name} not available in {path.parent}")
    return path


@pytest.fixture(scope="session")
def nb201_csv():
    return reference("nb201_cifar10.csv")


@pytest.fixture(scope="session")
def nb101_jsonl():
    return reference("nb101_1k.jsonl")


@pytest.fixture(scope="session")
def nb101_zc_jsonl():
    return reference("nb101_zc_proxies_500.jsonl")


@pytest.fixture(scope="session")
def nb201_space():
    from cbred.spaces.nb201 import NB201Space

    return NB201Space()


@pytest.fixture(scope="session")
def nb101_sample(nb101_jsonl):
    from cbred.spaces.nb101 import NB101Space

    return NB101Space.from_jsonl(nb101_jsonl)


@pytest.fixture(scope="session")
def nb101_enumeration():
    """The whole NB101 space, enumerated once per session (about half a minute)."""
    from cbred.spaces.nb101_enumeration import load_or_enumerate

    return load_or_enumerate()


@pytest.fixture(scope="session")
def tf_path(tmp_path_factory):
    """A synthetic TF table of all NB201 cells (the real one is cbred/resources/nb201_tfstats.parquet)."""
    from cbred.spaces.nb201 import NB201Space

    space = NB201Space()
    rng = np.random.default_rng(0)
    convs = np.isin(space.codes, [2, 3]).sum(axis=1)
    table = pd.DataFrame(
        {"ntk_cond": np.exp(-convs + rng.normal(0, 1, len(convs))), "linear_regions": convs + rng.normal(0, 1, len(convs)),
         "naswot_v1": convs + rng.normal(0, 1, len(convs)), "naswot_v2": convs + rng.normal(0, 2, len(convs)),
         "params": 0.1 * convs},
        index=pd.Index(space.ids, name="arch"),
    )
    # the default's other statistics (configs/tfstats/default.yaml), drawn after the seed's
    # so that the columns above keep their values
    for name in ("az_expressivity", "az_progressivity", "az_trainability", "meco"):
        table[name] = convs + rng.normal(0, 1, len(convs))
    table["flops"] = 20.0 * convs
    path = tmp_path_factory.mktemp("tfstats") / "tf.parquet"
    table.to_parquet(path)
    return path
