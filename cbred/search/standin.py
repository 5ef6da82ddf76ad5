"""A stand-in for training a network: a cheap, deterministic function of its graph.

For demos and tests of a search whose oracle is a user's training function
(``python search.py search.evaluator=cbred.search.standin:train``, or
``cbred.search.standin:train_darts`` in DARTS): every function here has the signature of
one (``f(arch: str) -> float``) and answers in microseconds. They are **not accuracies**
and predict none: a made-up, smooth function of what the cell computes, plus a little
noise fixed per id, shaped like a CIFAR-10 accuracy (10 for a cell without a path from
input to output, up to about 94).

What counts is the cell's computational graph (``space.graph(arch)``: operations on an
input-output path only, so dead edges do not count): the convolutions (larger kernels
more, with diminishing returns), a bonus for depth, a small cost per pooling. Operations
are read through the library (:func:`cbred.spaces.operations.operation`), so
:class:`StandInTraining` serves any declared space.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import numpy as np

from cbred.graph import INPUT, OUTPUT, longest_paths
from cbred.spaces.operations import operation

#: Accuracy-like value of a cell without a path (CIFAR-10 chance) and the ceiling.
FLOOR, CEILING = 10.0, 94.0
#: Standard deviation of the per-cell noise.
NOISE = 0.3
#: Families that add capacity (by kernel size, at most 4) and families that cost a little.
CONVOLUTIONS = ("relu_conv_bn", "conv_bn_relu", "sep_conv", "dil_conv")
POOLINGS = ("avg_pool", "max_pool")


class StandInTraining:
    """A stand-in "training function" of the cells of ``space``: deterministic, cheap, not an accuracy.

    Parameters
    ----------
    space : SearchSpace
        Any declared space; ids are canonicalised by it, graphs come from it. Graph node
        names may carry a prefix (DARTS's ``normal/sep_conv_3x3``): the operation is the
        part after the last ``/``.
    """

    def __init__(self, space) -> None:
        self.space = space

    def __call__(self, arch: str) -> float:
        """``FLOOR`` for a cell without an input-output path; otherwise
        ``CEILING - 3.2 - 40 exp(-0.3 capacity) + 0.8 min(depth, 4) - 1.5 poolings`` plus
        Gaussian noise of standard deviation ``NOISE`` seeded by the canonical id, within
        ``[FLOOR, CEILING]``.

        Raises
        ------
        ValueError
            ``arch`` is not an id of the space (naming the problem).
        """
        arch = self.space.canonical_id(arch)
        graph = self.space.graph(arch)
        if graph.n_edges == 0:
            return FLOOR
        ops = [_operation(name) for name in graph.op_names if name.rsplit("/", 1)[-1] not in (INPUT, OUTPUT)]
        capacity = sum(min(op.kernel, 4) for op in ops if op is not None and op.family in CONVOLUTIONS)
        poolings = sum(op is not None and op.family in POOLINGS for op in ops)
        depth = int(longest_paths(graph.adjacency)[0].max()) - 1  # operations along the longest path
        value = CEILING - 3.2 - 40.0 * math.exp(-0.3 * capacity) + 0.8 * min(depth, 4) - 1.5 * poolings
        seed = int.from_bytes(hashlib.sha256(arch.encode()).digest()[:8], "little")
        value += NOISE * float(np.random.default_rng(seed).standard_normal())
        return float(min(max(value, FLOOR), CEILING))


@lru_cache(maxsize=None)
def _operation(name: str):
    """The library operation of a graph node name (``None`` for a join such as ``normal/concat``)."""
    try:
        return operation(name.rsplit("/", 1)[-1])
    except ValueError:
        return None


@lru_cache(maxsize=None)
def _stand_in(space_name: str) -> StandInTraining:
    from cbred.spaces.builtin import BUILTIN_SPACES

    return StandInTraining(BUILTIN_SPACES[space_name]())


def train(arch: str) -> float:
    """The stand-in "accuracy" of an NB201 cell string (:class:`StandInTraining` of NB201)."""
    return _stand_in("nb201")(arch)


def train_darts(arch: str) -> float:
    """The stand-in "accuracy" of a DARTS genotype string (:class:`StandInTraining` of DARTS)."""
    return _stand_in("darts")(arch)
