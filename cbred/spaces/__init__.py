"""Search spaces: declarations, ids, computational graphs, isomorphism classes, mutations.

:class:`~cbred.spaces.space.SearchSpace` is the interface. A space is a *declaration*:
:class:`~cbred.spaces.edge_cell.EdgeCellSpace` (operations on the edges of a cell, NB201
style), :class:`~cbred.spaces.node_dag.NodeDAGSpace` (operations on the vertices of a DAG,
NB101 style) and :class:`~cbred.spaces.darts.DartsSpace` (normal and reduction cells),
with the operation library of :mod:`~cbred.spaces.operations` and the generic canonical
labels of :mod:`~cbred.spaces.canonical`. :class:`~cbred.spaces.nb201.NB201Space` and
:class:`~cbred.spaces.nb101.NB101Space` are two declarations; ``configs/space/*.yaml``
declare spaces as configs. A space too large to list is sampled;
:class:`~cbred.spaces.sample.SpaceSample` makes a sample a space.
"""

import importlib

#: Public names and their modules, imported on first use: ``python -m cbred.spaces.nb101``
#: then runs a module the package has not imported already.
_EXPORTS = {
    "DartsSpace": "cbred.spaces.darts",
    "EdgeCellSpace": "cbred.spaces.edge_cell",
    "NB101Space": "cbred.spaces.nb101",
    "NB201Space": "cbred.spaces.nb201",
    "NodeDAGSpace": "cbred.spaces.node_dag",
    "SearchSpace": "cbred.spaces.space",
    "SpaceSample": "cbred.spaces.sample",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cbred.spaces' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
