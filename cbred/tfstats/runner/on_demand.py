"""The runner as a measurement: "measure these cells next", through the verified cache.

A TF budget (:mod:`cbred.sampling`) asks for statistics batch after batch; :class:`OnDemand`
computes each batch with :func:`~cbred.tfstats.runner.compute_table` in this process, so
that rows already in the cache cost nothing and a rerun of the same seeded loop (which asks
for the same cells in the same order) resumes where a killed one stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from cbred.paths import PROJECT_ROOT
from cbred.spaces.space import SearchSpace
from cbred.tfstats.runner.lightning import compute_table
from cbred.tfstats.runner.plan import Probe

#: The runner's configurations (``python -m cbred.tfstats.runner --config-name NAME``).
RUNNER_CONFIGS = PROJECT_ROOT / "configs" / "tfstats_runner"
#: The defaults list every runner configuration has: its engine options, then itself.
_DEFAULTS = ["_engine", "_self_"]


class OnDemand:
    """``measure(archs)``: the statistics of ``archs`` of ``space``, computed or read from the cache.

    Parameters
    ----------
    space : SearchSpace
    statistics : sequence of str
    probe : Probe
        Network, inputs and batch size of every statistic ...
    probes : mapping, optional
        ... except these (statistic name -> Probe).
    repeats, seed, device, cache, progress
        As :func:`~cbred.tfstats.runner.compute_table` takes them.
    """

    def __init__(self, *, space: SearchSpace, statistics: Sequence[str], probe: Probe,
                 probes: Mapping[str, Probe] | None = None, repeats: int = 1, seed: int = 0, device: str = "auto",
                 cache: str | Path | None = None, progress: bool = False) -> None:
        self.space = space
        self.statistics = statistics
        self.probe = probe
        self.probes = probes
        self.repeats = repeats
        self.seed = seed
        self.device = device
        self.cache = cache
        self.progress = progress

    def __call__(self, archs: Sequence[str]) -> pd.DataFrame:
        table = compute_table(self.space, list(self.statistics), probe=self.probe, probes=self.probes,
                              archs=list(archs), repeats=self.repeats, seed=self.seed, device=self.device,
                              cache=self.cache, progress=self.progress)
        return table[list(self.statistics)]

    @classmethod
    def from_runner_config(cls, name: str, *, space: SearchSpace, statistics: Sequence[str],
                           overrides: Sequence[str] = ()) -> OnDemand:
        """The probe, repeats, seed, device and cache of ``configs/tfstats_runner/<name>.yaml``
        (with ``overrides``, ``key=value``), for ``space`` and ``statistics``."""
        from hydra.utils import instantiate

        cfg = runner_config(name, overrides)
        return cls(space=space, statistics=statistics, probe=instantiate(cfg.probe),
                   probes={k: instantiate(p) for k, p in (cfg.get("probes") or {}).items()},
                   repeats=int(cfg.repeats), seed=int(cfg.seed), device=str(cfg.device), cache=cfg.get("cache"),
                   progress=bool(cfg.get("progress", False)))


def runner_config(name: str, overrides: Sequence[str] = ()):
    """A runner configuration as the command line composes it (its engine options, then
    itself, then ``overrides``), readable from inside another Hydra application."""
    path = RUNNER_CONFIGS / f"{name}.yaml"
    if name.startswith("_") or not path.is_file():
        choices = sorted(p.stem for p in RUNNER_CONFIGS.glob("*.yaml") if not p.stem.startswith("_"))
        raise ValueError(f"tfstats.measure.runner={name!r} is not a config of configs/tfstats_runner/ "
                         f"(choices: {', '.join(choices)})")
    layers = []
    for part in _DEFAULTS:
        config = OmegaConf.load(RUNNER_CONFIGS / f"{name if part == '_self_' else part}.yaml")
        if part == "_self_" and list(config.get("defaults", [])) != _DEFAULTS:
            raise ValueError(f"configs/tfstats_runner/{name}.yaml: defaults must be {_DEFAULTS} to be read "
                             f"as a measurement, got {list(config.get('defaults', []))}")
        layers.append(OmegaConf.masked_copy(config, [k for k in config if k not in ("defaults", "hydra")]))
    return OmegaConf.merge(*layers, OmegaConf.from_dotlist(list(overrides)))
