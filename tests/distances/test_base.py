from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import cbred.distances as distances
from cbred.distances import Distance, distance_names, make_distance
from cbred.paths import PROJECT_ROOT

CONFIGS = PROJECT_ROOT / "configs" / "distance"
MINE = ["hellinger", "jensen_shannon", "sym_kl", "transformation", "transformation_edge"]


def test_every_builtin_distance_has_a_name_and_a_config():
    assert set(MINE) <= set(distance_names())
    for name in MINE:
        assert (CONFIGS / f"{name}.yaml").exists()


@pytest.mark.parametrize("name", MINE)
def test_configs_instantiate_the_distance(name, nb201_sample):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name=name)
    distance = instantiate(cfg)
    assert isinstance(distance, Distance) and distance.name == name
    assert distance.cache_config() == make_distance(name).cache_config()  # config = defaults
    d = distance.pairwise(nb201_sample.subset(range(12)))
    assert d.shape == (12, 12) and np.all(np.diag(d) == 0) and d.max() > 0


def test_unknown_distance_lists_the_choices():
    with pytest.raises(KeyError, match="unknown distance 'euclid'.*hellinger.*sym_kl"):
        make_distance("euclid")


def test_duplicate_names_are_rejected():
    with pytest.raises(ValueError, match="distance 'hellinger' is already registered"):

        class Again(distances.Hellinger):
            name = "hellinger"


def test_params_and_cache_config_exclude_engine_options():
    d = make_distance("jensen_shannon", base=np.float64(2.0), memory_mb=64, device="cpu")
    assert d.get_params() == {"base": 2.0, "feature": "op_histogram", "feature_params": None}
    config = d.cache_config()
    assert config["distance"] == "cbred.distances.probabilistic.JensenShannon"
    assert "memory_mb" not in config["params"] and isinstance(config["params"]["base"], float)
    assert repr(d) == "JensenShannon(base=2.0, feature='op_histogram', feature_params=None)"
    ged = make_distance("transformation", pair_costs=(("conv", "pool", 0.5),))
    assert ged.cache_config()["params"]["pair_costs"] == [["conv", "pool", 0.5]]


def test_flags_are_stated_by_every_distance():
    for name in MINE:
        cls = type(make_distance(name))
        for flag in ("symmetric", "triangle_inequality", "is_euclidean"):
            assert isinstance(getattr(cls, flag), bool)
    assert [n for n in MINE if type(make_distance(n)).is_euclidean] == ["hellinger"]


def test_every_distance_config_instantiates_with_the_shared_engine_options():
    names = sorted(p.stem for p in Path(CONFIGS).glob("*.yaml") if not p.stem.startswith("_"))
    assert {"hellinger", "learned", "transformation", "transformation_edge"} <= set(names)
    with initialize_config_dir(config_dir=str(Path(CONFIGS).parent), version_base="1.3"):
        for name in names:
            distance = instantiate(compose("reduce", overrides=[f"distance={name}"]).distance)
            assert isinstance(distance, Distance) and distance.name == name, name
            assert (distance.memory_mb, distance.device, distance.cache) == (1024, "auto", True), name


def test_with_engine_copies_and_changes_only_engine_options():
    d = make_distance("hellinger", memory_mb=64)
    uncached = d.with_engine(cache=False, memory_mb=8)
    assert uncached.cache is False and uncached.memory_mb == 8 and uncached.get_params() == d.get_params()
    assert d.cache is True and d.memory_mb == 64  # the original is untouched
    with pytest.raises(ValueError, match="\\['feature'\\] are not engine options"):
        d.with_engine(feature="wl_subtree")
