"""The DARTS search space: a normal and a reduction cell, sampled rather than listed.

An architecture is a pair of cells, *normal* then *reduce* (Liu et al. 2019). A cell has
two input states, ``0`` = the output of the cell before the previous one (``c_{k-2}``)
and ``1`` = the output of the previous cell (``c_{k-1}``), and ``n_nodes`` intermediate
nodes: node ``k`` (state ``k + 2``) sums two operations applied to two *distinct* earlier
states; the cell output concatenates every intermediate node (DARTS's genotypes with
``concat = range(2, 2 + n_nodes)``).

Id
--
``normal:`` and ``reduce:`` cells separated by ``;``, the nodes of a cell separated by
``|``, the two inputs of a node separated by ``,``, each input written ``op~state``. The
DARTS-V2 genotype::

    normal:sep_conv_3x3~0,sep_conv_3x3~1|sep_conv_3x3~0,sep_conv_3x3~1|skip_connect~0,sep_conv_3x3~1|skip_connect~0,dil_conv_3x3~2;reduce:max_pool_3x3~0,max_pool_3x3~1|max_pool_3x3~1,skip_connect~2|max_pool_3x3~0,skip_connect~2|max_pool_3x3~1,skip_connect~2

A node's two inputs are unordered (their sum is): the canonical spelling
(:meth:`DartsSpace.canonical_id`) lists them by state. Internally an architecture is a
:class:`DartsArch` of per-node pairs ``((op_code, state), (op_code, state))``, op codes
being positions in the declared operation list.

Size and sampling
-----------------
DARTS and NAS-Bench-301 derive discrete cells without ``none``: unless ``sample_zero``,
the sampler (:meth:`DartsSpace.draw`) and the mutation operator use the other
operations, and :attr:`DartsSpace.size` counts the cells they reach,
``(prod_k C(k + 2, 2) * |ops| ** (2 * n_nodes)) ** 2`` (about 1.1e18 with the seven
DARTS operations). Ids with ``none`` edges stay valid ids of the declaration. The space
is too large to list: it has no ``ids``; its sample is a space
(:class:`~cbred.spaces.sample.SpaceSample`).

Graph
-----
One op-on-node DAG per architecture covering both cells, normal cell first::

    input -> normal cell -> normal/concat -> reduction cell -> output

Every non-zero edge of a cell is a node labelled ``<cell>/<op>`` (so that an encoder tells
a normal ``sep_conv_3x3`` from a reduction one); an edge node reading state ``0`` or ``1``
is fed by that state's node (``<cell>/state0``, ``<cell>/state1``, both fed by the node
before the cell: the input node, then ``normal/concat``), one reading an intermediate node
by that node's edge nodes; every intermediate node's edge nodes feed
the cell's concatenation (``normal/concat``, then ``output``). ``none`` edges are absent
and nodes off every input-to-output path are pruned (:func:`cbred.graph.prune`).

References
----------
H. Liu, K. Simonyan and Y. Yang, "DARTS: Differentiable Architecture Search", ICLR 2019.
J. Siems et al., "NAS-Bench-301 and the Case for Surrogate Benchmarks for Neural
Architecture Search", 2020.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from cbred.graph import INPUT, OUTPUT, AdjacencyTensor, CompGraph, prune
from cbred.spaces.operations import edge_operations
from cbred.spaces.space import SearchSpace, declared_count, declared_network

#: DARTS's operation set (its ``PRIMITIVES``), in code order.
OPERATIONS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5")
#: The two cells of an architecture, in id order.
CELLS = ("normal", "reduce")
#: Keyword parameters of :class:`cbred.models.darts_net.DartsNetwork` a declaration's ``network`` may set.
NETWORK_KEYS = ("C", "layers", "num_classes", "in_channels")
#: Label of the node that concatenates the normal cell (the reduction cell's is ``output``).
CONCAT = "concat"
#: Graph nodes of a cell's two input states (``c_{k-2}``, ``c_{k-1}``): distinct, so that a
#: distance tells an edge reading one from an edge reading the other.
STATES = ("state0", "state1")

#: One input of a node: ``(op_code, state)``.
Edge = tuple[int, int]
#: The two inputs of a node, sorted by state.
Node = tuple[Edge, Edge]
#: The nodes of a cell, in order.
Cell = tuple[Node, ...]

_INDEX = re.compile(r"0|[1-9][0-9]*")  # a state index, spelled one way only


class DartsArch(NamedTuple):
    """The structured form of a DARTS architecture: its normal and reduction cells."""

    normal: Cell
    reduce: Cell


def _integral(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class DartsSpace(SearchSpace):
    """The declared DARTS space (normal and reduction cells); ids are cell-pair strings.

    Parameters
    ----------
    name : str, default="darts"
        Short name (configs, caches, checkpoints).
    n_nodes : int, default=4
        Intermediate nodes per cell.
    operations : sequence of str, default=OPERATIONS
        Edge operations (:mod:`cbred.spaces.operations`), in code order.
    sample_zero : bool, default=False
        Whether the sampler and the mutation operator use zero operations (``none``);
        DARTS and NAS-Bench-301 cells never contain them.
    network : mapping, optional
        Defaults of :class:`cbred.models.darts_net.DartsNetwork`: ``C`` (initial channels),
        ``layers`` (cells), ``num_classes``, ``in_channels``.

    Raises
    ------
    ValueError
        Naming the declaration and the problem: an unknown operation, ``n_nodes < 1``,
        an operation set with nothing but zero (no cell computes anything), an unknown
        network key.
    """

    network_kind = "darts"

    def __init__(
        self,
        *,
        name: str = "darts",
        n_nodes: int = 4,
        operations: Sequence[str] = OPERATIONS,
        sample_zero: bool = False,
        network: Mapping[str, Any] | None = None,
    ) -> None:
        where = f"space {name!r}"
        n_nodes = declared_count(where, "n_nodes", n_nodes, 1, " (intermediate nodes per cell)")
        parsed = edge_operations(operations, where=where)
        network = declared_network(where, network, NETWORK_KEYS)
        self.name = name
        self.n_nodes = int(n_nodes)
        self.operations = parsed
        self.sample_zero = bool(sample_zero)
        self.network = network

    def declaration(self) -> dict:
        return {"kind": self.network_kind, "name": self.name, "n_nodes": self.n_nodes, "operations": list(self.ops),
                "sample_zero": self.sample_zero, "network": dict(self.network)}

    # -- the declaration -------------------------------------------------------------
    @cached_property
    def ops(self) -> tuple[str, ...]:
        """Operation names, in code order."""
        return tuple(op.name for op in self.operations)

    @cached_property
    def sampled_codes(self) -> tuple[int, ...]:
        """Codes of the operations the sampler and the mutation operator use."""
        return tuple(code for code, op in enumerate(self.operations) if self.sample_zero or op.role != "zero")

    @cached_property
    def input_pairs(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """For every node ``k``, its possible input pairs: two distinct states of ``0 .. k + 1``."""
        return tuple(tuple(itertools.combinations(range(k + 2), 2)) for k in range(self.n_nodes))

    @cached_property
    def tensor_ops(self) -> tuple[str, ...]:
        """Operations that are real edges (not zero), in code order."""
        return tuple(op.name for op in self.operations if op.role != "zero")

    @cached_property
    def node_vocab(self) -> tuple[str, ...]:
        """``input``, the normal cell's input states, operations and concatenation, the
        reduction cell's input states and operations, ``output`` (which concatenates the
        reduction cell)."""
        normal, reduce = ([f"{cell}/{name}" for name in (*STATES, *self.tensor_ops)] for cell in CELLS)
        return (INPUT, *normal, f"{CELLS[0]}/{CONCAT}", *reduce, OUTPUT)

    @property
    def size(self) -> int:
        """Number of architectures the sampler draws among (exact)."""
        pairs = math.prod(len(p) for p in self.input_pairs)
        return (pairs * len(self.sampled_codes) ** (2 * self.n_nodes)) ** len(CELLS)

    @property
    def enumerable(self) -> bool:
        """Never: even one intermediate node per cell gives a space sampled, not listed."""
        return False

    # -- ids -------------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        """A sampled space lists no ids: ``ValueError`` (see :meth:`sample`)."""
        self._require_enumerable()
        return ()  # unreachable: the space is never enumerable

    def parse(self, arch: str) -> DartsArch:
        """The structured form of an id, each node's inputs sorted by state.

        Raises
        ------
        TypeError
            ``arch`` is not a string.
        ValueError
            Naming the cell, the node, the offending token and its character position when
            the id is malformed: wrong cell or node count, a node without exactly two
            inputs, an unknown operation, an input state out of range, the same state twice.
        """
        if not isinstance(arch, str):
            raise TypeError(f"{self.name} architecture must be a string, got {type(arch).__name__}")
        label = f"{self.name} architecture {arch!r}"
        parts = arch.split(";")
        if len(parts) != len(CELLS):
            raise ValueError(f"{label}: expected {len(CELLS)} cells "
                             f"'{CELLS[0]}:...;{CELLS[1]}:...' separated by ';', found {len(parts)}")
        cells, offset = [], 0
        for cell, part in zip(CELLS, parts):
            cells.append(self._parse_cell(part, cell, offset, label))
            offset += len(part) + 1
        return DartsArch(*cells)

    def _parse_cell(self, text: str, cell: str, offset: int, label: str) -> Cell:
        prefix = f"{cell}:"
        if not text.startswith(prefix):
            raise ValueError(f"{label}: the {cell} cell at position {offset} must start with {prefix!r}, "
                             f"found {text[:len(prefix)]!r}")
        offset += len(prefix)
        groups = text[len(prefix):].split("|")
        if len(groups) != self.n_nodes:
            raise ValueError(f"{label}: the {cell} cell at position {offset} has {len(groups)} nodes, "
                             f"expected {self.n_nodes} separated by '|'")
        nodes = []
        for k, group in enumerate(groups):
            nodes.append(self._parse_node(group, cell, k, offset, label))
            offset += len(group) + 1
        return tuple(nodes)

    def _parse_node(self, text: str, cell: str, k: int, offset: int, label: str) -> Node:
        where = f"{label}: {cell} cell, node {k} at position {offset}"
        tokens = text.split(",")
        if len(tokens) != 2:
            raise ValueError(f"{where} has {len(tokens)} inputs {tokens}, expected 2 'op~state' separated by ','")
        edges = []
        for token in tokens:
            edges.append(self._parse_token(token, k, f"{label}: token {token!r} at position {offset} "
                                                     f"({cell} cell, node {k})"))
            offset += len(token) + 1
        return self._check_node(edges, k, where)

    def _parse_token(self, token: str, k: int, where: str) -> Edge:
        op, sep, index = token.partition("~")
        if not sep:
            raise ValueError(f"{where} is not 'op~state'")
        if op not in self._op_code:
            raise ValueError(f"{where}: unknown operation {op!r} (choices: {', '.join(self.ops)})")
        if not _INDEX.fullmatch(index):
            raise ValueError(f"{where}: input state {index!r} is not an index ({self._states(k)})")
        return self._check_edge((self._op_code[op], int(index)), k, where)

    def _states(self, k: int) -> str:
        # what node k may read, for error messages
        earlier = f", 2..{k + 1} = nodes 0..{k - 1}" if k else ""
        return f"node {k} reads states 0..{k + 1}: 0 = c_{{k-2}}, 1 = c_{{k-1}}{earlier}"

    def _check_edge(self, edge: Edge, k: int, where: str) -> Edge:
        """An input ``(op_code, state)`` of node ``k`` as ints; ``ValueError`` prefixed by ``where``."""
        op, state = edge
        if not _integral(op) or not 0 <= op < len(self.ops):
            raise ValueError(f"{where}: {op!r} is not an operation code 0..{len(self.ops) - 1} "
                             f"({', '.join(f'{i}={name}' for i, name in enumerate(self.ops))})")
        if not _integral(state) or not 0 <= state < k + 2:
            raise ValueError(f"{where}: input state {state!r} out of range ({self._states(k)})")
        return int(op), int(state)

    def _check_node(self, edges: Sequence[Edge], k: int, where: str) -> Node:
        """The two inputs of node ``k`` as ints sorted by state; ``ValueError`` prefixed by ``where``."""
        edges = [self._check_edge(edge, k, where) for edge in edges]
        if edges[0][1] == edges[1][1]:
            raise ValueError(f"{where}: both inputs read state {edges[0][1]}; a node's two inputs are "
                             f"distinct states ({self._states(k)})")
        # the pair is unordered (its sum is): one spelling, by state
        return tuple(sorted(edges, key=lambda e: e[1]))

    def check_arch(self, arch: DartsArch | Sequence) -> DartsArch:
        """A structured architecture validated and canonicalised (each node's inputs by state).

        Raises
        ------
        ValueError
            Naming the cell, node and the bad value: wrong cell or node count, a node
            without two ``(op_code, state)`` inputs, a code or state out of range, the
            same state twice.
        """
        if isinstance(arch, str) or not isinstance(arch, Sequence) or len(arch) != len(CELLS):
            raise ValueError(f"a {self.name} architecture is an id or {len(CELLS)} cells "
                             f"({', '.join(CELLS)}), got {arch!r}")
        cells = []
        for cell, nodes in zip(CELLS, arch):
            if not isinstance(nodes, Sequence) or len(nodes) != self.n_nodes:
                raise ValueError(f"{self.name} {cell} cell must have {self.n_nodes} nodes, got {nodes!r}")
            checked = []
            for k, node in enumerate(nodes):
                where = f"{self.name} {cell} cell, node {k}"
                if not isinstance(node, Sequence) or len(node) != 2 or any(
                        not isinstance(e, Sequence) or len(e) != 2 for e in node):
                    raise ValueError(f"{where}: expected two (op_code, state) inputs, got {node!r}")
                checked.append(self._check_node(node, k, where))
            cells.append(tuple(checked))
        return DartsArch(*cells)

    def format(self, arch: DartsArch | Sequence) -> str:
        """The canonical id of a structured architecture (inverse of :meth:`parse`)."""
        return self._format(self.check_arch(arch))

    def _format(self, arch: DartsArch) -> str:
        # no validation: arch is canonical already
        return ";".join(
            f"{cell}:" + "|".join(",".join(f"{self.ops[op]}~{state}" for op, state in node) for node in nodes)
            for cell, nodes in zip(CELLS, arch)
        )

    def canonical_id(self, arch: str) -> str:
        return self._format(self.parse(arch))

    def _arch(self, arch: str | DartsArch | Sequence) -> DartsArch:
        return self.parse(arch) if isinstance(arch, str) else self.check_arch(arch)

    @cached_property
    def _op_code(self) -> dict[str, int]:
        return {op: code for code, op in enumerate(self.ops)}

    def __contains__(self, arch: object) -> bool:
        try:
            self.parse(arch)
        except (TypeError, ValueError):
            return False
        return True

    # -- sampling --------------------------------------------------------------------
    def draw(self, rng: np.random.Generator) -> str:
        """One architecture drawn uniformly among the :attr:`size` the space counts.

        Every edge's operation uniform over :attr:`sampled_codes`, every node's input pair
        uniform over its :attr:`input_pairs`, all independent.
        """
        n_pairs = [len(p) for p in self.input_pairs]
        pairs = rng.integers(0, n_pairs, size=(len(CELLS), self.n_nodes))
        ops = rng.integers(len(self.sampled_codes), size=(len(CELLS), self.n_nodes, 2))
        sampled = self.sampled_codes
        arch = DartsArch(*(
            tuple(tuple((sampled[o], s) for o, s in zip(ops[c, k], self.input_pairs[k][pairs[c, k]]))
                  for k in range(self.n_nodes))
            for c in range(len(CELLS))
        ))
        return self._format(arch)  # pairs are (smaller, larger) states: canonical already

    # -- graphs ----------------------------------------------------------------------
    @cached_property
    def _vocab_codes(self) -> np.ndarray:
        # vocabulary index of operation code o in cell c (-1: zero, no node)
        vocab = {name: i for i, name in enumerate(self.node_vocab)}
        return np.array([[vocab.get(f"{cell}/{op}", -1) for op in self.ops] for cell in CELLS])

    @cached_property
    def _concat_codes(self) -> tuple[int, ...]:
        # the node closing each cell: normal/concat, then output
        return self.node_vocab.index(f"{CELLS[0]}/{CONCAT}"), self.node_vocab.index(OUTPUT)

    def graph(self, arch: str | DartsArch) -> CompGraph:
        """The op-on-node DAG of both cells (see the module docstring), pruned."""
        return self._graph(self._arch(arch))

    def _graph(self, arch: DartsArch) -> CompGraph:
        ops = [self.node_vocab.index(INPUT)]
        edges: list[tuple[int, int]] = []
        before = 0  # the graph node feeding both input states of the current cell
        for c, cell in enumerate(arch):
            states = []  # graph nodes whose sum is each state
            for name in STATES:
                edges.append((before, len(ops)))
                states.append([len(ops)])
                ops.append(self.node_vocab.index(f"{CELLS[c]}/{name}"))
            for node in cell:
                made = []
                for op, state in node:
                    code = self._vocab_codes[c, op]
                    if code < 0:  # zero: no edge
                        continue
                    made.append(len(ops))
                    ops.append(code)
                    edges.extend((u, made[-1]) for u in states[state])
                states.append(made)
            concat = len(ops)
            ops.append(self._concat_codes[c])
            edges.extend((u, concat) for made in states[2:] for u in made)
            before = concat
        adjacency = np.zeros((len(ops), len(ops)), dtype=np.uint8)
        if edges:
            adjacency[tuple(np.array(edges).T)] = 1
        return prune(np.array(ops), adjacency, self.node_vocab)

    def adjacency_tensor(self, arch: str | DartsArch) -> AdjacencyTensor:
        """Target-labelled tensor of :meth:`graph`: ``A[i, j, k] = 1`` for a graph edge
        ``i -> j`` into a node computing ``node_vocab[k + 1]`` (``input`` is no operation).

        Its projection is :meth:`graph` whenever the output is reached (not when every edge
        of a cell is zero, whose graph is a bare input and output).
        """
        graph = self.graph(arch)
        tensor = np.zeros((graph.n_nodes, graph.n_nodes, len(self.node_vocab) - 1), dtype=np.uint8)
        source, target = np.nonzero(graph.adjacency)
        tensor[source, target, graph.ops[target] - 1] = 1  # input is vocabulary entry 0
        return AdjacencyTensor(tensor, self.node_vocab[1:], labels="target")

    # -- isomorphism -----------------------------------------------------------------
    def isomorphism_class(self, arch: str | DartsArch) -> str:
        """``<normal label>;<reduce label>``: each cell's smallest spelling over the orders of
        its intermediate nodes.

        Renumbering intermediate nodes (keeping every input earlier than its node) gives an
        isomorphic cell, since the output concatenates all of them: the smallest renumbered
        spelling is an exact canonical label of the cell's DAG (inputs ``c_{k-2}``,
        ``c_{k-1}`` fixed, operations by name). Exact graph isomorphism, not functional
        equivalence: ``skip_connect`` and ``none`` are edges like any other.
        """
        return ";".join(self._cell_label(cell) for cell in self._arch(arch))

    def _cell_label(self, cell: Cell) -> str:
        n = len(cell)
        best = None
        for order in itertools.permutations(range(n)):  # order[k]: the new index of node k
            state = {0: 0, 1: 1, **{k + 2: order[k] + 2 for k in range(n)}}
            renumbered = [None] * n
            for k, node in enumerate(cell):
                renumbered[order[k]] = tuple(sorted((self.ops[op], state[s]) for op, s in node))
            if all(s < k + 2 for k, node in enumerate(renumbered) for _, s in node):
                label = "|".join(",".join(f"{op}~{s}" for op, s in node) for node in renumbered)
                best = label if best is None or label < best else best
        return best

    # -- mutation --------------------------------------------------------------------
    def _edits(self, arch: DartsArch) -> Iterator[DartsArch]:
        """Every architecture one edit away: the operation (among :attr:`sampled_codes`) or
        the input state of one input of one node of one cell changed. Each is canonical and
        they are distinct (a node's two states stay distinct)."""
        for c, cell in enumerate(arch):
            for k, node in enumerate(cell):
                for e, (op, state) in enumerate(node):
                    taken = {state, node[1 - e][1]}
                    changed = [(new, state) for new in self.sampled_codes if new != op]
                    changed += [(op, new) for new in range(k + 2) if new not in taken]
                    for edge in changed:
                        pair = tuple(sorted((edge, node[1 - e]), key=lambda x: x[1]))
                        cells = list(arch)
                        cells[c] = cell[:k] + (pair,) + cell[k + 1:]
                        yield DartsArch(*cells)

    def neighbours(self, arch: str) -> tuple[str, ...]:
        """The architectures one edit away (an operation or an input state of one node input)."""
        return tuple(self._format(a) for a in self._edits(self.parse(arch)))

    def mutate(self, arch: str, steps: int, rng: np.random.Generator) -> tuple[str, CompGraph] | None:
        """``steps`` edits, each uniform over the neighbours not visited yet (so never ``arch``).

        NAS-Bench-301's local search move: one operation or one input of one node of one
        cell changes per step. None when a step finds no unvisited neighbour (a declaration
        with one sampled operation and one node per cell has none).
        """
        if not _integral(steps) or steps < 1:
            raise ValueError(f"{self.name} mutation: steps must be an integer >= 1, got {steps!r}")
        current = self.parse(arch)
        visited = {current}
        for _ in range(steps):
            options = [a for a in self._edits(current) if a not in visited]
            if not options:
                return None
            current = options[int(rng.integers(len(options)))]
            visited.add(current)
        return self._format(current), self._graph(current)

    def __repr__(self) -> str:
        return (f"DartsSpace({self.name}: {self.n_nodes} nodes per cell, {len(self.sampled_codes)} sampled "
                f"operations, {self.size:.3g} architectures)")
