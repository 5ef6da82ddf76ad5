"""Tiny hand-made graphs and small real samples for the distance tests."""

from __future__ import annotations

import numpy as np
import pytest

from cbred.graph import CompGraph, GraphBatch

VOCAB = ("input", "conv", "pool", "output")


def graph(ops, edges) -> CompGraph:
    """Graph over :data:`VOCAB` from op names and (source, target) edges."""
    adjacency = np.zeros((len(ops), len(ops)), dtype=np.uint8)
    for i, j in edges:
        adjacency[i, j] = 1
    return CompGraph(ops=[VOCAB.index(o) for o in ops], adjacency=adjacency, vocab=VOCAB)


def chain(*ops) -> CompGraph:
    return graph(ops, [(i, i + 1) for i in range(len(ops) - 1)])


def batch(*graphs, ids=None) -> GraphBatch:
    ids = ids if ids is not None else tuple(f"g{i}" for i in range(len(graphs)))
    return GraphBatch.from_graphs(list(graphs), ids=ids)


@pytest.fixture
def tiny():
    """Four small graphs: two chains, a diamond, the empty cell."""
    return batch(
        chain("input", "conv", "output"),
        chain("input", "pool", "conv", "output"),
        graph(
            ["input", "conv", "pool", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)]
        ),
        graph(["input", "output"], []),
    )


@pytest.fixture(scope="session")
def nb201_sample(nb201_space):
    """Graphs of 120 random NB201 cells (fixed seed)."""
    rng = np.random.default_rng(0)
    ids = [nb201_space.ids[i] for i in rng.choice(len(nb201_space), 120, replace=False)]
    return nb201_space.graphs(ids)
