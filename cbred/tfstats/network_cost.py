"""Exact parameters and FLOPs of the benchmark's own (full-size) network of every cell.

The statistics ``params`` and ``flops`` of :mod:`cbred.tfstats.cost` measure whatever
network a probe builds (a cheap proxy for the embedded table). Constraints such as "at
most 500K parameters" are about the network the benchmark trained: NAS-Bench-201's
``C=16, N=5`` network and NAS-Bench-101's ``C=128``, three-stack network, both on
32x32 CIFAR-10 images. This module counts those exactly, on the meta device (shapes
only, no memory, no arithmetic):

- :func:`network_costs` builds each network on the meta device and counts its trainable
  parameters and the multiply-adds of one forward pass of one image;
- for NAS-Bench-201, every edge of every cell has the same channels and resolution as the
  other edges of its cell, so a network's cost is the cost of the all-``none`` network
  plus one term per edge that depends only on the edge's operation:
  :func:`edge_cell_costs` counts one network per operation and adds the per-edge terms
  (NB201: five networks for all 15,625 cells).

:func:`with_benchmark_costs` puts the counts into a table of statistics: ``params`` and
``flops`` become the benchmark network's, the probe's own values are kept as
``proxy_params`` / ``proxy_flops``. Command line (rewrites a table file in place)::

    python -m cbred.tfstats.network_cost cbred/resources/nb201_tfstats.parquet
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from cbred.cache import config_key, read_verified_parquet, source_digest, write_verified_parquet
from cbred.models import build_network
from cbred.paths import cache_dir
from cbred.spaces.space import SearchSpace

#: Shape of one input image of the benchmarks' networks (CIFAR-10).
INPUT_SHAPE = (3, 32, 32)
#: The cost columns and the prefix the probe's own values get.
COST_COLUMNS = ("params", "flops")
PROXY_PREFIX = "proxy_"
#: What the table metadata says about the benchmark-network columns.
DESCRIPTION = (
    "the benchmark's full-size network (build_network defaults: NB201 C=16 N=5, NB101 C=128 "
    "3 stacks), one 3x32x32 image, counted exactly on the meta device "
    "(cbred.tfstats.network_cost); params: trainable parameters (millions), flops: "
    "multiply-adds of one forward pass (millions, convolutions and linear layers)"
)


def count_network(network: nn.Module, input_shape: Sequence[int] = INPUT_SHAPE) -> tuple[float, float]:
    """Parameters and multiply-adds (both in millions) of a network built on the meta device.

    Multiply-adds are those of the convolutions and linear layers (the benchmarks'
    convention, the operations :class:`torch.utils.flop_counter.FlopCounterMode` counts,
    halved): each output element of one costs one multiply-add per weight of its output
    channel. Forward hooks read the output shapes, so the pass runs at the meta device's
    speed (a dispatch-level counter costs more than building the network).
    """
    n_params = sum(p.numel() for p in network.parameters() if p.requires_grad)
    macs = 0

    def count(module: nn.Module, inputs, output: torch.Tensor) -> None:
        nonlocal macs
        macs += output.numel() * module.weight[0].numel()  # weight: (out, in / groups, *kernel) or (out, in)

    layers = [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    hooks = [m.register_forward_hook(count) for m in layers]
    network.eval()
    try:
        with torch.no_grad():
            network(torch.empty(1, *input_shape, device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    return n_params / 1e6, macs / 1e6


def network_costs(
    space: SearchSpace, archs: Sequence[str] | None = None, cache: str | Path | None = None, chunk: int = 2000
) -> pd.DataFrame:
    """``params`` and ``flops`` of the benchmark network of each arch, one network at a time.

    Counted values are kept in ``cache`` (default ``$CBRED_CACHE/network_costs``), one
    verified file per chunk, keyed by the space and the code of the networks and of this
    module: an interrupted count resumes, a second table of the same cells counts nothing.

    Returns
    -------
    DataFrame
        Index ``arch``; columns ``params``, ``flops`` (millions).
    """
    archs = list(space.ids) if archs is None else space.check_ids(archs)
    key = {"space": space.name, "declaration": space.declaration(), "code": source_digest("cbred.models", __name__)}
    directory = (Path(cache) if cache is not None else cache_dir() / "network_costs") / space.name
    prefix = f"{config_key(key)}-"
    known = [
        entry[0]
        for file in sorted(directory.glob(f"{prefix}*.parquet"))
        if (entry := read_verified_parquet(file)) is not None and entry[1] == key
    ]
    counted = pd.concat(known).set_index("arch") if known else pd.DataFrame(columns=list(COST_COLUMNS))
    counted = counted[~counted.index.duplicated()]
    missing = [a for a in dict.fromkeys(archs) if a not in counted.index]
    persist = len(missing) >= 100  # a few networks are recounted rather than cached
    if persist:
        directory.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(missing), desc="benchmark-network costs", unit="cell", disable=not persist)
    for start in range(0, len(missing), chunk):
        rows = []
        for arch in missing[start : start + chunk]:
            with torch.device("meta"):
                network = build_network(space, arch)
            rows.append((arch, *count_network(network)))
            bar.update()
        frame = pd.DataFrame(rows, columns=["arch", *COST_COLUMNS])
        if persist:
            write_verified_parquet(frame, directory / f"{prefix}{uuid.uuid4().hex[:12]}.parquet", key)
        counted = pd.concat([counted, frame.set_index("arch")])
    bar.close()
    return counted.loc[archs, list(COST_COLUMNS)].astype(float).rename_axis("arch")


def edge_cell_costs(space: SearchSpace, archs: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`network_costs` of edge-operation cells (NB201, ...) from one counted network per
    operation (edge costs add up).

    The network with the first operation on every edge and the network with operation
    ``op`` on every edge differ by ``E`` times the difference of their per-edge terms
    (``E`` edges per cell, every cell of the network alike).
    """
    archs = list(space.ids) if archs is None else space.check_ids(archs)
    n_edges = len(space.edges)
    declared = getattr(space, "parent", space)  # a sample lacks the uniform cells: count them in its space
    uniform = network_costs(declared, [space.format([code] * n_edges) for code in range(len(space.ops))]).to_numpy()
    base = uniform[0]
    per_edge = (uniform - base) / n_edges  # (operations, columns), relative to the first operation
    codes = space.codes_of(archs).astype(np.int64)  # (n, E)
    values = base + per_edge[codes].sum(axis=1)
    frame = pd.DataFrame(values, index=pd.Index(archs, name="arch"), columns=list(COST_COLUMNS))
    return frame.round(6)  # parameter counts are integers: undo the division's rounding


#: Counting strategy by network kind (default: one network at a time).
COUNTERS: dict[str, Callable[[SearchSpace, Sequence[str] | None], pd.DataFrame]] = {"edge_cell": edge_cell_costs}


def benchmark_costs(space: SearchSpace, archs: Sequence[str] | None = None) -> pd.DataFrame:
    """``params`` and ``flops`` (millions) of the benchmark network of every arch of ``space``."""
    return COUNTERS.get(space.network_kind, network_costs)(space, archs)


def with_benchmark_costs(table: pd.DataFrame, space: SearchSpace) -> pd.DataFrame:
    """``table`` with ``params``/``flops`` of the benchmark network, the probe's as ``proxy_*``.

    Every ``params*`` / ``flops*`` column of the table (mean, ``_std``, ``_error``) is
    renamed with the ``proxy_`` prefix; the new ``params`` / ``flops`` columns get
    ``_std`` 0 and no ``_error``. The metadata (``attrs["tfstats"]``) records both.
    """
    columns = [c for name in COST_COLUMNS for c in (name, f"{name}_std", f"{name}_error") if c in table]
    converted = any(PROXY_PREFIX + name in table for name in COST_COLUMNS)
    # a table converted before keeps its proxy columns: only the benchmark columns are redone
    table = table.drop(columns=columns) if converted else table.rename(
        columns={c: PROXY_PREFIX + c for c in columns}
    )
    costs = benchmark_costs(space, list(table.index)).reindex(table.index)
    out = table.copy()
    for name in COST_COLUMNS:
        out[name] = costs[name].to_numpy()
        out[f"{name}_std"] = 0.0
        out[f"{name}_error"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    metadata = dict(table.attrs.get("tfstats", {}))
    statistics = dict(metadata.get("statistics", {}))
    for name in COST_COLUMNS:
        if name in statistics and not converted:
            statistics[PROXY_PREFIX + name] = statistics.pop(name)
        statistics[name] = {"network": DESCRIPTION, "higher_is_better": True, "computed_per": "architecture"}
    metadata["statistics"] = statistics
    out.attrs["tfstats"] = metadata
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: rewrite table files with the benchmark network's ``params``/``flops``."""
    from cbred.spaces.nb201 import NB201Space
    from cbred.tfstats.table import load_table, write_table

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("tables", nargs="+", type=Path, help="NB201 tables of statistics (parquet)")
    args = parser.parse_args(argv)
    space = NB201Space()
    for path in args.tables:
        table = with_benchmark_costs(load_table(path), space)
        write_table(table, path, table.attrs["tfstats"])
        print(
            f"{path}: params {table['params'].min():.6f}-{table['params'].max():.6f} M, "
            f"flops {table['flops'].min():.3f}-{table['flops'].max():.3f} M"
        )


if __name__ == "__main__":
    main()
