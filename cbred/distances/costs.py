"""The heuristic cost model of the transformation distances.

Transforming one computational graph into another is a sequence of edits, each with a
cost:

* substituting the operation of a node: ``substitution`` for two different operations,
  0 for equal ones, and a cheaper price for pairs listed in ``pair_costs`` (by default
  convolutions that differ only in their kernel size: ``0.5``);
* inserting or deleting a node: ``node_indel``;
* inserting or deleting an edge: ``edge_indel`` (edges carry no label, so an edge is
  never substituted).

Defaults: ``substitution = node_indel = edge_indel = 1`` and the pairs of
:data:`DEFAULT_PAIR_COSTS`. They are the parameters of the distances and so live in
``configs/distance/transformation*.yaml``.

``pair_costs`` names operations of every space at once (the distance configs do not
depend on the space): entries whose operations are not in the vocabulary at hand are
skipped, entries naming an operation of no known space are an error (a typo).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cbred.spaces import nb101, nb201

#: Pairs of operations that are cheaper to substitute than unrelated ones.
DEFAULT_PAIR_COSTS = (
    ("nor_conv_1x1", "nor_conv_3x3", 0.5),
    ("conv1x1-bn-relu", "conv3x3-bn-relu", 0.5),
)
#: Every operation name of the known spaces (for typo detection in ``pair_costs``).
KNOWN_OPS = frozenset(nb201.OPS) | frozenset(nb201.NODE_VOCAB) | frozenset(nb101.NODE_VOCAB)


def substitution_matrix(
    vocab: Sequence[str], substitution: float, pair_costs: Iterable[Sequence[Any]] = ()
) -> np.ndarray:
    """Symmetric ``K x K`` cost of substituting operation ``a`` by ``b`` (0 on the diagonal).

    Parameters
    ----------
    vocab : sequence of str
        The ``K`` operations.
    substitution : float
        Cost of substituting two different operations.
    pair_costs : iterable of (str, str, float)
        Exceptions, applied in both directions.

    Raises
    ------
    ValueError
        For a negative cost, a malformed entry, or an operation no known space has.
    """
    substitution = check_cost("substitution", substitution)
    index = {op: i for i, op in enumerate(vocab)}
    matrix = np.full((len(vocab), len(vocab)), substitution, dtype=np.float64)
    for entry in pair_costs or ():
        if isinstance(entry, str) or len(entry) != 3:
            raise ValueError(f"pair_costs entry {entry!r} must be [op_a, op_b, cost]")
        a, b, cost = entry
        unknown = sorted({a, b} - KNOWN_OPS - set(vocab))
        if unknown:
            raise ValueError(
                f"pair_costs entry {list(entry)!r} names unknown operation(s) {unknown} "
                f"(known: {', '.join(sorted(KNOWN_OPS | set(vocab)))})"
            )
        if a in index and b in index:
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = check_cost(
                f"pair cost of {a!r} and {b!r}", cost
            )
    np.fill_diagonal(matrix, 0.0)
    return matrix


def check_cost(what: str, value: Any) -> float:
    """``value`` as a float; ``ValueError`` naming ``what`` unless finite and non-negative."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not value >= 0 or not np.isfinite(value):
        raise ValueError(f"{what} must be a finite non-negative number, got {value!r}")
    return value


@dataclass(frozen=True, eq=False)
class EditCosts:
    """Costs of the edits of op-on-node DAGs over one vocabulary.

    Parameters
    ----------
    vocab : tuple of str
        Node operations; ``substitution`` is indexed like it.
    substitution : ndarray, shape (K, K)
        Node substitution costs (symmetric, zero diagonal).
    node_indel : float
        Cost of inserting or deleting a node.
    edge_indel : float
        Cost of inserting or deleting an edge.
    """

    vocab: tuple[str, ...]
    substitution: np.ndarray
    node_indel: float
    edge_indel: float

    @classmethod
    def build(
        cls,
        vocab: Sequence[str],
        *,
        substitution: float = 1.0,
        pair_costs: Iterable[Sequence[Any]] = DEFAULT_PAIR_COSTS,
        node_indel: float = 1.0,
        edge_indel: float = 1.0,
    ) -> EditCosts:
        """Validated cost model from the parameters of the module docstring."""
        return cls(
            vocab=tuple(vocab),
            substitution=substitution_matrix(vocab, substitution, pair_costs),
            node_indel=check_cost("node_indel", node_indel),
            edge_indel=check_cost("edge_indel", edge_indel),
        )

    def networkx_kwargs(self) -> dict[str, Any]:
        """The same costs as keyword arguments of ``networkx.graph_edit_distance``.

        Nodes carry their operation name in the attribute ``op``
        (:meth:`cbred.graph.CompGraph.to_networkx`).
        """
        index = {op: i for i, op in enumerate(self.vocab)}
        sub = self.substitution
        return {
            "node_subst_cost": lambda a, b: sub[index[a["op"]], index[b["op"]]],
            "node_del_cost": lambda a: self.node_indel,
            "node_ins_cost": lambda a: self.node_indel,
            "edge_subst_cost": lambda a, b: 0.0,
            "edge_del_cost": lambda a: self.edge_indel,
            "edge_ins_cost": lambda a: self.edge_indel,
        }
