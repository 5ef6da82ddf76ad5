"""NAS-Bench-101: cells of at most 7 vertices and 9 edges, three interior operations.

A cell spec is an upper-triangular adjacency matrix (row = source) and one operation per
vertex: ``input`` first, ``output`` last, interior vertices from :data:`INTERIOR_OPS`.
Architectures are identified by the benchmark's module hash, an isomorphism-invariant
fingerprint of the pruned spec. The space is a declaration
(:class:`~cbred.spaces.node_dag.NodeDAGSpace`: 7 vertices, 9 edges, the three operations
below, the benchmark's network); ``configs/space/nb101.yaml`` is the same declaration as a
config.

Run ``python -m cbred.spaces.nb101 enumerate --out PATH`` to write the whole space
(423,624 cells) as a table; see :mod:`cbred.spaces.nb101_enumeration`.

References
----------
C. Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
ICML 2019.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.graph import INPUT, OUTPUT
from cbred.spaces.canonical import graph_hash
from cbred.spaces.node_dag import (  # noqa: F401  (the NB101 names of the generic pieces)
    DAGRules,
    NodeDAGSpace,
    Spec,
    cell_table,
    decode_matrix,
    encode_matrix,
    graphs_from_table,
)

INTERIOR_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
MAX_VERTICES = 7
MAX_EDGES = 9
#: The benchmark's network: C=128 channels, N=3 cells per stack, 3 stacks.
NETWORK = {"C": 128, "N": 3, "stacks": 3}
#: What a valid NB101 cell is.
RULES = DAGRules("NB101", INTERIOR_OPS, MAX_VERTICES, MAX_EDGES)
#: Node vocabulary of NB101 computational graphs.
NODE_VOCAB = (INPUT,) + INTERIOR_OPS + (OUTPUT,)
#: Third axis of the adjacency tensor: the operation of an edge's target vertex.
TENSOR_OPS = INTERIOR_OPS + (OUTPUT,)
#: Integer labels of the benchmark's hash: input -1, output -2, interior ops 0, 1, 2.
HASH_LABEL = RULES.labels


def module_hash(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """NAS-Bench-101's module hash (:func:`cbred.spaces.canonical.graph_hash`)."""
    return graph_hash(matrix, labels)


class NB101Space(NodeDAGSpace):
    """A set of NB101 cells (the whole space or a sample); ids are module hashes.

    Parameters
    ----------
    table : DataFrame, optional
        Compact cell table (see :func:`cell_table`); default: the whole space (423,624
        cells), read from the enumeration table in ``path`` (default: the cache directory)
        and enumerated first if it is absent. Build one with :meth:`from_specs`,
        :meth:`from_jsonl` or :meth:`enumerated`.
    path : str or Path, optional
    """

    def __init__(self, table: pd.DataFrame | None = None, *, path: str | Path | None = None) -> None:
        super().__init__(name="nb101", operations=INTERIOR_OPS, max_vertices=MAX_VERTICES, max_edges=MAX_EDGES,
                         network=NETWORK, table=table, path=path)
        self.rules = RULES

    @classmethod
    def _restricted(cls, space: NodeDAGSpace, table: pd.DataFrame) -> NB101Space:
        return cls(table)

    @classmethod
    def from_specs(cls, specs: Sequence[Spec]) -> NB101Space:
        return cls(cell_table(specs))

    @classmethod
    def from_jsonl(cls, path: str | Path) -> NB101Space:
        """Cells of a JSON-lines file with ``matrix`` and ``ops`` (unpruned specs are pruned).

        When the file has a ``hash`` column, every hash is checked against the spec.
        """
        frame = pd.read_json(path, lines=True)
        specs = [Spec.from_raw(np.asarray(m), o) for m, o in zip(frame["matrix"], frame["ops"])]
        if "hash" in frame:
            for spec, given in zip(specs, frame["hash"]):
                if spec.hash != given:
                    raise ValueError(f"{path}: cell {given!r} hashes to {spec.hash!r}")
        unique = {s.hash: s for s in specs}
        return cls.from_specs(list(unique.values()))

    @classmethod
    def enumerated(cls, path: str | Path | None = None) -> NB101Space:
        """The whole space (423,624 cells), from the enumeration table (written first if absent)."""
        return cls(path=path)


if __name__ == "__main__":
    from cbred.spaces.nb101_enumeration import main

    sys.exit(main())
