"""Training data of the learned metric: graphs as PyG batches, pairs with edit-distance targets.

From a search space to what :class:`~cbred.models.metric_learner.MetricLearner` trains on:

1. :func:`split_architectures` splits the space into ``train`` / ``val`` / ``test`` by groups
   that are never cut: an isomorphism class and every architecture with the same graph
   belong to one split, so a held-out architecture is never seen in training, not even as
   an isomorphic or identically-projected twin.
2. Every training *anchor* gets candidates: mutations of ``1..k`` steps (the search
   space's own mutation operator, :data:`MUTATIONS`) and random training architectures.
   Validation and test are *fidelity sets*: held-out queries and a held-out pool.
3. :func:`pair_distances` computes the target distance of every pair (the exact graph edit
   distance of :class:`~cbred.distances.transformation.GraphEditDistance` by default), in
   worker processes, with a progress bar and a resumable on-disk cache (one file per chunk
   of pairs; an interrupted run resumes where it stopped).
4. :class:`GraphFeaturizer` turns a :class:`~cbred.graph.GraphBatch` into one PyG
   :class:`~torch_geometric.data.Batch` without a Python loop over graphs (all 423,624
   NB101 cells in seconds), the input of :class:`~cbred.models.encoder.GraphEncoder`.

:class:`GraphPairDataModule` puts it together for Lightning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from torch.utils.data import DataLoader, Dataset
from torch_geometric.data import Batch
from tqdm.auto import tqdm

from cbred.cache import config_key, load_array, save_array, source_digest
from cbred.data.space import SearchSpace
from cbred.distances.base import Distance
from cbred.distances.pairwise import batch_digest, concat_batches, process_pool
from cbred.graph import CompGraph, GraphBatch, longest_paths
from cbred.paths import cache_dir
from cbred.registry import Registry

log = logging.getLogger(__name__)

#: Names of the splits, in order.
SPLITS = ("train", "val", "test")


# -- graphs as PyG batches --------------------------------------------------------------
@dataclass(frozen=True)
class GraphFeaturizer:
    """Node features of computational graphs, as one PyG batch.

    Every node gets the one-hot of its operation, of its depth (longest path from the input)
    and of its height (longest path to the output), both clipped at ``max_depth``: where a
    node sits in the flow of the cell, which message passing alone sees only within its
    number of layers. All features are invariant to the order of the nodes.

    Parameters
    ----------
    vocab : tuple of str
        Node operation vocabulary of the space.
    max_depth : int, default=7
        Depths and heights above are clipped (NB201 and NB101 paths have at most 6 edges).

    Shapes
    ------
    ``N`` graphs with ``n`` nodes and ``E`` edges in all -> ``Batch`` with ``x`` (n,
    num_features) float32, ``edge_index`` (2, E) int64, ``batch`` (n,), ``ptr`` (N + 1,).
    """

    vocab: tuple[str, ...]
    max_depth: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", tuple(self.vocab))
        if isinstance(self.max_depth, bool) or not isinstance(self.max_depth, int) or self.max_depth < 0:
            raise ValueError(f"GraphFeaturizer: max_depth must be an int >= 0, got {self.max_depth!r}")

    @property
    def num_features(self) -> int:
        return len(self.vocab) + 2 * (self.max_depth + 1)

    def __call__(self, graphs: GraphBatch) -> Batch:
        if graphs.vocab != self.vocab:
            raise ValueError(
                f"graphs have the operation vocabulary {graphs.vocab}, the featurizer "
                f"{self.vocab}: graphs of another space"
            )
        mask = graphs.node_mask
        counts = mask.sum(axis=1)
        ptr = np.concatenate([[0], np.cumsum(counts)])
        depth, height = longest_paths(graphs.adjacency)
        # real nodes come first in every row, so row-major order numbers them graph by graph
        graph, source, target = np.nonzero(graphs.adjacency)
        edge_index = np.stack([ptr[graph] + source, ptr[graph] + target])
        one_hot = torch.nn.functional.one_hot
        positions = self.max_depth + 1
        x = torch.cat(
            [
                one_hot(torch.from_numpy(graphs.ops[mask]), len(self.vocab)),
                one_hot(torch.from_numpy(depth[mask].clip(max=self.max_depth)), positions),
                one_hot(torch.from_numpy(height[mask].clip(max=self.max_depth)), positions),
            ],
            dim=1,
        ).float()
        return Batch(
            x=x,
            edge_index=torch.from_numpy(edge_index).long(),
            batch=torch.repeat_interleave(torch.arange(len(graphs)), torch.from_numpy(counts)),
            ptr=torch.from_numpy(ptr).long(),
        )


# -- split ------------------------------------------------------------------------------
def split_architectures(
    space: SearchSpace, *, val: float = 0.05, test: float = 0.05, random_state: int = 0
) -> pd.Series:
    """Split of every architecture of ``space`` into ``train``, ``val`` and ``test``.

    Architectures are grouped by the connected components of "same isomorphism class" and
    "same computational graph" (NB201 cells that differ only in pruned edges share a graph
    without sharing the benchmark's class); whole groups are drawn for ``val`` and ``test``
    until each holds its fraction of the architectures.

    Parameters
    ----------
    space : SearchSpace
    val, test : float
        Fractions of the architectures held out for validation and test.
    random_state : int

    Returns
    -------
    Series of str
        Split of every architecture, indexed by id (index name ``arch``).

    Raises
    ------
    ValueError
        For fractions outside ``[0, 1)`` or summing to 1 or more.
    """
    for name, value in (("val", val), ("test", test)):
        if not 0.0 <= float(value) < 1.0:
            raise ValueError(f"holdout fraction {name}={value!r} must be in [0, 1)")
    if val + test >= 1.0:
        raise ValueError(f"holdout fractions val={val} + test={test} leave no training split")
    ids = pd.Index(space.ids, name="arch")
    graphs = space.graphs()
    classes, _ = pd.factorize(space.isomorphism_classes().to_numpy())
    rows, _ = pd.factorize(_row_keys(graphs))
    n_classes = int(classes.max()) + 1
    n_nodes = n_classes + int(rows.max()) + 1
    links = sparse.coo_matrix(
        (np.ones(len(ids)), (classes, n_classes + rows)), shape=(n_nodes, n_nodes)
    )
    _, component = connected_components(links, directed=False)
    group = component[classes]
    rng = np.random.default_rng(random_state)
    order = rng.permutation(int(group.max()) + 1)
    size = np.bincount(group)[order]
    # groups in random order; the first ones up to val * n go to val, the next to test
    before = np.cumsum(size) - size
    label = np.full(len(order), "train", dtype=object)
    label[before < val * len(ids)] = "val"
    label[(before >= val * len(ids)) & (before < (val + test) * len(ids))] = "test"
    split_of_group = np.empty(len(order), dtype=object)
    split_of_group[order] = label
    return pd.Series(split_of_group[group], index=ids, name="split")


def _row_keys(graphs: GraphBatch) -> np.ndarray:
    """One hashable key per graph: equal keys are equal graphs (same node order)."""
    rows = np.ascontiguousarray(graphs.rows())
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


# -- mutations --------------------------------------------------------------------------
#: The mutation operator of every space, by space name:
#: ``mutate(space, arch, steps, rng) -> (id, graph)`` or None when no valid mutant was found.
MUTATIONS: Registry[Callable[..., "tuple[str, CompGraph] | None"]] = Registry("mutation")


@MUTATIONS.register("nb201")
def mutate_nb201(space, arch: str, steps: int, rng: np.random.Generator):
    """Change the operation of ``steps`` distinct edges of an NB201 cell."""
    from cbred.data.nb201 import EDGES, OPS, format_cell, parse

    codes = list(parse(arch))
    for edge in rng.choice(len(EDGES), size=min(steps, len(EDGES)), replace=False):
        codes[edge] = (codes[edge] + int(rng.integers(1, len(OPS)))) % len(OPS)
    mutant = format_cell(codes)
    return mutant, space.graph(mutant)


@MUTATIONS.register("nb101")
def mutate_nb101(space, arch: str, steps: int, rng: np.random.Generator, max_tries: int = 50):
    """``steps`` NAS-Bench-101 mutations: flip one edge or change one interior operation.

    The cell is padded to 7 vertices first (new vertices are unconnected) so that
    mutations can also grow it; every step must reach a cell not visited before (so the
    mutant differs from the anchor) and keep it valid (a path from input to output, at
    most 9 edges). The mutant is a valid NB101 cell but
    need not be in ``space`` when the space is a sample.

    References
    ----------
    E. Real, A. Aggarwal, Y. Huang and Q. V. Le, "Regularized evolution for image classifier
    architecture search", AAAI 2019 (the mutation operator of NAS-Bench-101's evolution).
    """
    from cbred.data.nb101 import INTERIOR_OPS, MAX_VERTICES, Spec

    spec = space.spec(arch)
    n = len(spec.ops)
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    matrix[: n - 1, : n - 1] = spec.matrix[: n - 1, : n - 1]
    matrix[: n - 1, -1] = spec.matrix[: n - 1, -1]
    extra = [INTERIOR_OPS[i] for i in rng.integers(len(INTERIOR_OPS), size=MAX_VERTICES - n)]
    ops = list(spec.ops[:-1]) + extra + [spec.ops[-1]]
    current, visited = spec, {spec.hash}
    rows, cols = np.triu_indices(MAX_VERTICES, k=1)
    for _ in range(steps):
        for _ in range(max_tries):
            trial_matrix, trial_ops = matrix.copy(), list(ops)
            if rng.random() < 0.5:
                e = rng.integers(len(rows))
                trial_matrix[rows[e], cols[e]] ^= 1
            else:
                vertex = int(rng.integers(1, MAX_VERTICES - 1))
                choices = [op for op in INTERIOR_OPS if op != trial_ops[vertex]]
                trial_ops[vertex] = choices[int(rng.integers(len(choices)))]
            try:
                trial = Spec.from_raw(trial_matrix, trial_ops)
            except ValueError:  # no path or too many edges: not a cell
                continue
            if trial.hash not in visited:  # every step reaches a new cell
                matrix, ops, current = trial_matrix, trial_ops, trial
                visited.add(trial.hash)
                break
        else:
            return None
    return current.hash, current.graph()


# -- targets ----------------------------------------------------------------------------
def pair_distances(
    distance: Distance,
    graphs: GraphBatch,
    pairs: np.ndarray,
    *,
    n_jobs: int = 1,
    chunk_size: int = 256,
    cache: bool = True,
    progress: bool = True,
    desc: str = "pair distances",
) -> np.ndarray:
    """``distance`` between ``graphs[i]`` and ``graphs[j]`` for every pair ``(i, j)``.

    Resumable: with ``cache=True`` every finished chunk of pairs is written to
    ``cache_dir()/pair_distances/<key>/`` at once, a rerun after an interruption computes
    only the missing chunks, and the complete result is kept as one file keyed by the
    distance's parameters, the graphs, the pairs and the code version. Every file is
    verified against its sidecar (:func:`cbred.cache.load_array`); an unusable one is
    reported, deleted and recomputed.

    Parameters
    ----------
    distance : Distance
        Any distance (its :meth:`~cbred.distances.base.Distance.block` is called on one
        graph against the graphs it is paired with).
    graphs : GraphBatch
    pairs : array of int, shape (P, 2)
        Positions into ``graphs``.
    n_jobs : int, default=1
        Worker processes (``-1``: all cores).
    chunk_size : int, default=256
        Pairs per task and per cache file.
    cache, progress : bool
    desc : str
        Label of the progress bar.

    Returns
    -------
    ndarray of float64, shape (P,)
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(graphs)):
        raise ValueError(f"pair positions must be in 0..{len(graphs) - 1}")
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1, got {n_jobs!r}")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    key = {
        "distance": distance.cache_config(),
        "graphs": batch_digest(graphs),
        "pairs": hashlib.sha256(pairs.tobytes()).hexdigest(),
        "chunk_size": chunk_size,
        "code": source_digest("cbred.distances", "cbred.graph"),
    }
    folder = cache_dir() / "pair_distances" / f"{distance.name}-{config_key(key)}"
    complete = folder.with_suffix(".npy")
    starts = range(0, len(pairs), chunk_size)
    if cache:  # verified entries only: a bad one is reported, deleted and recomputed
        cached = load_array(complete, key, (len(pairs),))
        if cached is not None:
            return cached
    features = np.asarray(distance.features(graphs))
    results: dict[int, np.ndarray] = {}
    if cache:  # chunks an interrupted run finished
        for chunk in range(len(starts)):
            size = min(chunk_size, len(pairs) - starts[chunk])
            part = load_array(folder / f"{chunk:06d}.npy", {**key, "chunk": chunk}, (size,))
            if part is not None:
                results[chunk] = part
    done = sum(len(v) for v in results.values())
    bar = tqdm(total=len(pairs), initial=done, desc=desc, unit="pair", disable=not progress)
    chunks = {c: pairs[starts[c] : starts[c] + chunk_size] for c in range(len(starts)) if c not in results}
    tasks = {c: (features[chunk[:, 0]], features[chunk[:, 1]]) for c, chunk in chunks.items()}
    for chunk, values in _run_pair_tasks(distance, tasks, _workers(n_jobs, len(tasks))):
        results[chunk] = values
        if cache:
            save_array(values, folder / f"{chunk:06d}.npy", {**key, "chunk": chunk})
        bar.update(len(values))
    bar.close()
    out = np.concatenate([results[c] for c in range(len(starts))]) if len(pairs) else np.zeros(0)
    if cache:
        save_array(out, complete, key)
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _workers(n_jobs: int, n_tasks: int) -> int:
    cores = os.cpu_count() or 1
    return max(1, min(cores if n_jobs == -1 else n_jobs, n_tasks))


def _run_pair_tasks(distance: Distance, tasks: Mapping[int, tuple], workers: int):
    """``(chunk, values)`` for every task, in completion order."""
    if workers == 1:
        for chunk, (first, second) in tasks.items():
            yield chunk, _pair_values(distance, first, second)
        return
    with process_pool(workers) as pool:
        futures = {
            pool.submit(_pair_values, distance, first, second): chunk
            for chunk, (first, second) in tasks.items()
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def _pair_values(distance: Distance, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Distances of row pairs, one :meth:`Distance.block` per distinct first row."""
    keys, inverse = np.unique(first, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out = np.empty(len(first), dtype=np.float64)
    for k in range(len(keys)):
        chosen = np.flatnonzero(inverse == k)
        block = distance.block(torch.from_numpy(keys[k : k + 1]), torch.from_numpy(second[chosen]))
        out[chosen] = np.asarray(torch.as_tensor(block).detach().cpu(), dtype=np.float64).ravel()
    return out


# -- datasets ---------------------------------------------------------------------------
@dataclass
class PairBatch:
    """A training batch: anchors and their candidates, with the target distances.

    Attributes
    ----------
    graphs : Batch
        The distinct graphs of the batch (:class:`GraphFeaturizer` output).
    anchors : Tensor of int64, shape (B,)
        Graph of every anchor (a position in ``graphs``).
    candidates : Tensor of int64, shape (B, M)
        Graphs of the candidates of every anchor.
    targets : Tensor of float32, shape (B, M)
        Target distance between every anchor and each of its candidates.
    """

    graphs: Batch
    anchors: torch.Tensor
    candidates: torch.Tensor
    targets: torch.Tensor


class AnchorCandidates(Dataset):
    """Anchors with ``M`` candidates each and the target distances (a map-style dataset).

    Items are anchor positions; :meth:`collate` turns a list of them into a
    :class:`PairBatch` whose graphs are featurized once each.

    Parameters
    ----------
    graphs : GraphBatch
        Every graph the anchors and candidates refer to.
    anchors : array of int, shape (A,)
        Position of every anchor in ``graphs``.
    candidates : array of int, shape (A, M)
    targets : array of float, shape (A, M)
    featurizer : GraphFeaturizer
    """

    def __init__(self, graphs: GraphBatch, anchors, candidates, targets, featurizer: GraphFeaturizer):
        self.graphs = graphs
        self.anchors = np.asarray(anchors, dtype=np.int64)
        self.candidates = np.asarray(candidates, dtype=np.int64)
        self.targets = np.asarray(targets, dtype=np.float32)
        self.featurizer = featurizer
        if self.candidates.shape != self.targets.shape or self.candidates.shape[0] != len(self.anchors):
            raise ValueError(
                f"{len(self.anchors)} anchors, candidates {self.candidates.shape} and "
                f"targets {self.targets.shape} do not match"
            )

    def __len__(self) -> int:
        return len(self.anchors)

    def __getitem__(self, index: int) -> int:
        return int(index)

    def collate(self, items: Sequence[int]) -> PairBatch:
        items = np.asarray(items, dtype=np.int64)
        anchors, candidates = self.anchors[items], self.candidates[items]
        used, position = np.unique(np.concatenate([anchors, candidates.ravel()]), return_inverse=True)
        position = torch.from_numpy(position.reshape(-1))
        return PairBatch(
            graphs=self.featurizer(self.graphs.subset(used)),
            anchors=position[: len(items)],
            candidates=position[len(items) :].reshape(candidates.shape),
            targets=torch.from_numpy(self.targets[items]),
        )


@dataclass
class FidelityBatch:
    """Held-out queries and pool as one batch (the first ``n_queries`` graphs are the queries).

    Attributes
    ----------
    graphs : Batch
    n_queries : int
    targets : Tensor of float32, shape (q, p)
        Reference distance between every query and every pool graph.
    """

    graphs: Batch
    n_queries: int
    targets: torch.Tensor


@dataclass(frozen=True)
class FidelitySet:
    """Held-out queries, a held-out pool and the reference distances between them.

    Attributes
    ----------
    queries, pool : GraphBatch
        Disjoint sets of held-out architectures (ids in ``.ids``).
    distances : ndarray of float64, shape (q, p)
    """

    queries: GraphBatch
    pool: GraphBatch
    distances: np.ndarray

    def batch(self, featurizer: GraphFeaturizer) -> FidelityBatch:
        return FidelityBatch(
            graphs=featurizer(concat_batches(self.queries, self.pool)),
            n_queries=len(self.queries),
            targets=torch.as_tensor(self.distances, dtype=torch.float32),
        )


# -- data module ------------------------------------------------------------------------
class GraphPairDataModule(pl.LightningDataModule):
    """Pairs of architectures of a space with target distances, split by held-out groups.

    Parameters
    ----------
    space : SearchSpace
    target : Distance
        The distance to learn; configured by ``configs/distance/transformation.yaml``
        (with ``method: exact``: the exact graph edit distance).
    featurizer : GraphFeaturizer
        Node features of the space's graphs.
    holdout : mapping, default={"val": 0.05, "test": 0.05}
        Fractions of the architectures held out (:func:`split_architectures`).
    n_anchors : int, default=4000
        Training anchors (at most the training split).
    n_mutations : int, default=4
        Mutants per anchor, of ``1..max_mutation_steps`` steps each (uniformly).
    max_mutation_steps : int, default=3
    n_random : int, default=4
        Random training architectures per anchor.
    val_fidelity, test_fidelity : (int, int)
        Queries and pool size of the validation and test fidelity sets (drawn from the
        held-out splits; the reference distance of all ``q x p`` pairs is computed).
    batch_size : int, default=32
        Anchors per training batch.
    n_jobs : int, default=-1
        Worker processes of the target computation.
    cache : bool, default=True
        Resumable cache of the targets (:func:`pair_distances`).
    progress : bool, default=True
        Progress bars of the target computation.
    seed : int, default=0
        Split, sampling and shuffling.

    Attributes
    ----------
    split_ : Series
        Split of every architecture (after :meth:`setup`).
    train_set_ : AnchorCandidates
    val_set_, test_set_ : FidelitySet
    """

    def __init__(
        self,
        space: SearchSpace,
        target: Distance,
        featurizer: GraphFeaturizer,
        *,
        holdout: Mapping[str, float] | None = None,
        n_anchors: int = 4000,
        n_mutations: int = 4,
        max_mutation_steps: int = 3,
        n_random: int = 4,
        val_fidelity: Sequence[int] = (20, 200),
        test_fidelity: Sequence[int] = (40, 250),
        batch_size: int = 32,
        n_jobs: int = -1,
        cache: bool = True,
        progress: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.space = space
        self.target = target
        self.featurizer = featurizer
        self.holdout = dict(holdout) if holdout is not None else {"val": 0.05, "test": 0.05}
        self.n_anchors = n_anchors
        self.n_mutations = n_mutations
        self.max_mutation_steps = max_mutation_steps
        self.n_random = n_random
        self.val_fidelity = tuple(val_fidelity)
        self.test_fidelity = tuple(test_fidelity)
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.cache = cache
        self.progress = progress
        self.seed = seed

    def _check_params(self) -> None:
        unknown = set(self.holdout) - {"val", "test"}
        if unknown:
            raise ValueError(f"holdout has unknown split(s) {sorted(unknown)} (choices: val, test)")
        for name in ("n_anchors", "batch_size", "max_mutation_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GraphPairDataModule: {name} must be a positive int, got {value!r}")
        for name in ("n_mutations", "n_random"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"GraphPairDataModule: {name} must be an int >= 0, got {value!r}")
        if self.n_mutations + self.n_random < 1:
            raise ValueError("GraphPairDataModule: n_mutations + n_random must be at least 1")
        for name in ("val_fidelity", "test_fidelity"):
            sizes = getattr(self, name)
            if len(sizes) != 2 or min(sizes) < 1:
                raise ValueError(f"GraphPairDataModule: {name} must be [queries, pool] >= 1, got {sizes!r}")
        if self.featurizer.vocab != tuple(self.space.node_vocab):
            raise ValueError(
                f"featurizer vocabulary {self.featurizer.vocab} is not the vocabulary of space "
                f"{self.space.name!r} {tuple(self.space.node_vocab)}"
            )

    def setup(self, stage: str | None = None) -> None:
        """Split, sample and compute the targets once (later calls return at once)."""
        if hasattr(self, "train_set_"):
            return
        self._check_params()
        self._split()
        counts = self.split_.value_counts()
        for split in SPLITS:
            if counts.get(split, 0) < 2:
                raise ValueError(
                    f"the {split} split of space {self.space.name!r} is empty or has a single "
                    f"architecture ({counts.get(split, 0)} of {len(self.split_)}; holdout="
                    f"{self.holdout}): nothing to {'train on' if split == 'train' else 'evaluate'}"
                )
        log.info("split of %s: %s", self.space.name, counts.to_dict())
        # one random stream per set: the held-out sets do not change with the training sample
        self.train_set_ = self._training_pairs(np.random.default_rng([self.seed, 0]))
        self.val_set_ = self.fidelity_set("val", self.val_fidelity)
        self.test_set_ = self.fidelity_set("test", self.test_fidelity)

    def _split(self) -> pd.Series:
        if not hasattr(self, "split_"):
            self.split_ = split_architectures(
                self.space,
                val=float(self.holdout.get("val", 0.0)),
                test=float(self.holdout.get("test", 0.0)),
                random_state=self.seed,
            )
        return self.split_

    def _ids(self, split: str) -> np.ndarray:
        return self.split_.index[(self.split_ == split).to_numpy()].to_numpy()

    def _training_pairs(self, rng: np.random.Generator) -> AnchorCandidates:
        train = self._ids("train")
        anchors = train[rng.choice(len(train), min(self.n_anchors, len(train)), replace=False)]
        n_anchors, per_anchor = len(anchors), self.n_mutations + self.n_random
        # a random training architecture for every candidate slot: used by the random slots
        # and by the mutation slots whose mutation failed or left the training split
        random_ids = train[rng.integers(len(train), size=n_anchors * per_anchor)]
        heldout = self.split_.index[(self.split_ != "train").to_numpy()]
        heldout_classes = set(self.space.isomorphism_classes(list(heldout)))
        # table of graphs: [anchors | one random graph per slot | mutants]
        candidates = n_anchors + np.arange(n_anchors * per_anchor).reshape(n_anchors, per_anchor)
        mutant_ids, mutant_graphs = [], []
        for a, anchor in enumerate(
            tqdm(anchors, desc="sampling mutations", disable=not self.progress, leave=False)
        ):
            for m in range(self.n_mutations):
                mutant = self._mutant(anchor, heldout_classes, rng)
                if mutant is not None:
                    candidates[a, m] = n_anchors + candidates.size + len(mutant_ids)
                    mutant_ids.append(mutant[0])
                    mutant_graphs.append(mutant[1])
        table = concat_batches(self.space.graphs(list(anchors)), self.space.graphs(list(random_ids)))
        if mutant_graphs:
            table = concat_batches(table, GraphBatch.from_graphs(mutant_graphs, ids=mutant_ids))
        pairs = np.stack([np.repeat(np.arange(n_anchors), per_anchor), candidates.ravel()], axis=1)
        targets = pair_distances(
            self.target, table, pairs, n_jobs=self.n_jobs, cache=self.cache,
            progress=self.progress, desc="training targets",
        )
        return AnchorCandidates(
            table, np.arange(n_anchors), candidates, targets.reshape(candidates.shape), self.featurizer
        )

    def _mutant(self, anchor: str, heldout_classes: set, rng: np.random.Generator, tries: int = 3):
        """A mutant of ``anchor`` (1..max_mutation_steps steps) in the training split, or None."""
        mutate = MUTATIONS[self.space.name]
        steps = int(rng.integers(1, self.max_mutation_steps + 1))
        for _ in range(tries):
            found = mutate(self.space, anchor, steps, rng)
            if found is None:
                continue
            # a mutant outside the space (a sample of NB101) is held out when its class is
            split = self.split_.get(found[0])
            if split == "train" or (
                split is None and self.space.isomorphism_class(found[0]) not in heldout_classes
            ):
                return found
        return None

    def fidelity_set(self, split: str, sizes: Sequence[int]) -> FidelitySet:
        """Queries and pool drawn from a held-out split, with their target distances.

        Parameters
        ----------
        split : {"val", "test"}
        sizes : (int, int)
            Queries and pool size (fewer when the split is smaller).

        The draw depends only on the seed, the split and the sizes, so the same held-out
        set can be rebuilt without the training pairs (``benchmarks/learned_fidelity.py``).
        """
        if split not in SPLITS[1:]:
            raise ValueError(f"fidelity sets come from the held-out splits val and test, not {split!r}")
        self._split()
        rng = np.random.default_rng([self.seed, SPLITS.index(split)])
        ids = self._ids(split)
        if len(ids) < 2:
            raise ValueError(f"the {split} split of space {self.space.name!r} has fewer than 2 architectures")
        chosen = ids[rng.choice(len(ids), min(sum(sizes), len(ids)), replace=False)]
        n_queries = min(int(sizes[0]), len(chosen) - 1)
        queries = self.space.graphs(list(chosen[:n_queries]))
        pool = self.space.graphs(list(chosen[n_queries:]))
        table = concat_batches(queries, pool)
        q, p = np.meshgrid(np.arange(len(queries)), len(queries) + np.arange(len(pool)), indexing="ij")
        distances = pair_distances(
            self.target, table, np.stack([q.ravel(), p.ravel()], 1), n_jobs=self.n_jobs,
            cache=self.cache, progress=self.progress, desc=f"{split} targets",
        )
        return FidelitySet(queries, pool, distances.reshape(len(queries), len(pool)))

    # -- loaders ------------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.train_set_, batch_size=self.batch_size, shuffle=True,
            collate_fn=self.train_set_.collate, generator=generator,
        )

    def val_dataloader(self) -> DataLoader:
        return DataLoader([self.val_set_.batch(self.featurizer)], batch_size=None)

    def test_dataloader(self) -> DataLoader:
        return DataLoader([self.test_set_.batch(self.featurizer)], batch_size=None)
