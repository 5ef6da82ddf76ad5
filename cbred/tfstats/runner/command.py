"""What the command line does: a Hydra configuration (``configs/tfstats_runner/``) in, a
table file out (:func:`run`; ``python -m cbred.tfstats.runner`` wraps it, see ``__main__``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cbred.tfstats.network_cost import with_benchmark_costs
from cbred.tfstats.runner.lightning import compute_table
from cbred.tfstats.runner.plan import check_count
from cbred.tfstats.table import write_table


def run(cfg) -> dict[str, Any]:
    """Compute the table a config describes and write it to ``cfg.output`` (if set)."""
    from hydra.utils import instantiate

    counts = {
        name: check_count(cfg.get(name), name, minimum=minimum)
        for name, minimum in (("repeats", 1), ("processes", 1), ("num_nodes", 1), ("seed", 0))
    }
    limit = cfg.get("archs_limit")
    limit = None if limit is None else check_count(limit, "archs_limit", minimum=1)
    space = instantiate(cfg.space)
    if cfg.get("sample") is not None:  # a sampled space (DARTS-like): cells drawn uniformly, seeded
        from cbred.spaces.sample import SpaceSample

        space = SpaceSample.drawn(space, check_count(cfg.sample, "sample"), random_state=counts["seed"])
    probe = instantiate(cfg.probe)
    probes = {name: instantiate(p) for name, p in (cfg.get("probes") or {}).items()}
    archs = None
    if cfg.get("archs_file"):  # a sample of the space: ids one per line
        archs = [line.strip() for line in Path(cfg.archs_file).read_text().splitlines() if line.strip()]
        if not archs:
            raise ValueError(f"archs_file {cfg.archs_file} lists no architecture")
    if limit is not None:
        archs = (archs or list(space.ids))[:: max(1, len(archs or space.ids) // limit)][:limit]
    start = time.perf_counter()
    table = compute_table(
        space,
        list(cfg.statistics) if cfg.get("statistics") else None,
        probe=probe,
        probes=probes,
        archs=archs,
        device=cfg.device,
        strategy=cfg.strategy,
        cache=cfg.get("cache"),
        progress=bool(cfg.get("progress", True)),
        cached_only=bool(cfg.get("cached_only", False)),
        **counts,
    )
    if table is None:  # not the global-zero process
        return {}
    if cfg.get("benchmark_costs", False):  # params/flops of the benchmark's own network
        table = with_benchmark_costs(table, space)
    if cfg.get("output"):
        write_table(table, cfg.output, table.attrs["tfstats"])
    names = [n for n in table.attrs["tfstats"]["statistics"] if f"{n}_error" in table]
    return {
        "n_archs": len(table),
        "seconds": time.perf_counter() - start,
        "failed": {n: int(table[f"{n}_error"].notna().sum()) for n in names},
        "output": cfg.get("output"),
    }
