"""Training data of the learned metric: anchors, candidates and edit-distance targets.

1. :func:`~cbred.learned.split.split_architectures` holds out whole groups of twins.
2. Every training *anchor* gets candidates: mutations of ``1..k`` steps (the search
   space's own mutation operator, :meth:`~cbred.spaces.space.SearchSpace.mutate`) and random
   training architectures. Validation and test are *fidelity sets*: held-out queries and
   a held-out pool.
3. :func:`~cbred.distances.pairwise.pair_distances` computes the target distance of every
   pair (the exact graph edit distance of
   :class:`~cbred.distances.transformation.GraphEditDistance` by default), in worker
   processes, with a resumable cache.
4. :class:`~cbred.learned.featurizer.GraphFeaturizer` featurizes the graphs of a batch once.
5. Optionally (``tf_statistics``), every graph's within-space percentile rank of each TF
   statistic (:meth:`GraphPairDataModule.tf_ranks`), the targets of the TF-aware term.
   The TF table is the only table read: the data module takes no accuracy.

:class:`GraphPairDataModule` puts it together for Lightning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torch_geometric.data import Batch
from tqdm.auto import tqdm

from cbred.spaces.space import SearchSpace
from cbred.distances.base import Distance
from cbred.distances.pairwise import concat_batches, pair_distances
from cbred.graph import GraphBatch
from cbred.learned.featurizer import GraphFeaturizer
from cbred.learned.split import SPLITS, split_architectures

log = logging.getLogger(__name__)

#: Split label of training architectures left out of training (:meth:`GraphPairDataModule.exclude`).
EXCLUDED = "excluded"


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
    tf_ranks : Tensor of float32, shape (num_graphs, S), optional
        Percentile rank of each of ``S`` TF statistics of every graph (NaN where the TF
        table has no row); None without ``tf_statistics``.
    """

    graphs: Batch
    anchors: torch.Tensor
    candidates: torch.Tensor
    targets: torch.Tensor
    tf_ranks: torch.Tensor | None = None


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
    tf_ranks : array of float, shape (len(graphs), S), optional
        TF percentile ranks of every graph (NaN: unknown).
    """

    def __init__(self, graphs: GraphBatch, anchors, candidates, targets, featurizer: GraphFeaturizer,
                 tf_ranks=None):
        self.graphs = graphs
        self.anchors = np.asarray(anchors, dtype=np.int64)
        self.candidates = np.asarray(candidates, dtype=np.int64)
        self.targets = np.asarray(targets, dtype=np.float32)
        self.featurizer = featurizer
        self.tf_ranks = None if tf_ranks is None else np.array(tf_ranks, dtype=np.float32)  # a writable copy for torch
        if self.tf_ranks is not None and len(self.tf_ranks) != len(graphs):
            raise ValueError(f"TF ranks of {len(self.tf_ranks)} graphs for {len(graphs)} graphs")
        if self.candidates.shape != self.targets.shape or self.candidates.shape[0] != len(self.anchors):
            raise ValueError(
                f"{len(self.anchors)} anchors, candidates {self.candidates.shape} and "
                f"targets {self.targets.shape} do not match"
            )

    def __len__(self) -> int:
        return len(self.anchors)

    def __getitem__(self, index: int) -> int:
        return int(index)

    @property
    def n_pairs(self) -> int:
        """Anchor-candidate pairs (``A x M``)."""
        return int(self.targets.size)

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
            tf_ranks=None if self.tf_ranks is None else torch.from_numpy(self.tf_ranks[used]),
        )


class SpaceBatchSampler(Sampler):
    """Batches of one space each, every epoch in its own shuffled order (one space: a
    seeded shuffle per epoch).

    Parameters
    ----------
    sizes : sequence of int
        Items of every space; the items of space ``s`` are numbered consecutively after
        those of the spaces before it.
    batch_size : int
    seed : int
        The order of epoch ``e`` is drawn from ``(seed, e)``, so that a run resumed at an
        epoch (Lightning calls :meth:`set_epoch`) sees the batches an uninterrupted one does.
    """

    def __init__(self, sizes: Sequence[int], batch_size: int, seed: int = 0) -> None:
        self.sizes = [int(size) for size in sizes]
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return sum(-(-size // self.batch_size) for size in self.sizes)

    def __iter__(self) -> Iterator[list[int]]:
        state = int(np.random.SeedSequence([self.seed, self.epoch]).generate_state(1)[0])
        generator = torch.Generator().manual_seed(state)
        batches, start = [], 0
        for size in self.sizes:
            batches += list((start + torch.randperm(size, generator=generator)).split(self.batch_size))
            start += size
        for index in torch.randperm(len(batches), generator=generator).tolist():
            yield batches[index].tolist()


@dataclass
class FidelityBatch:
    """Held-out queries and pool as one batch (the first ``n_queries`` graphs are the queries).

    Attributes
    ----------
    graphs : Batch
    n_queries : int
    targets : Tensor of float32, shape (q, p)
        Reference distance between every query and every pool graph.
    name : str, optional
        The space the set comes from, where several are (its metrics are logged under it).
    """

    graphs: Batch
    n_queries: int
    targets: torch.Tensor
    name: str | None = None


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

    def batch(self, featurizer: GraphFeaturizer, name: str | None = None) -> FidelityBatch:
        return FidelityBatch(
            graphs=featurizer(concat_batches(self.queries, self.pool)),
            n_queries=len(self.queries),
            targets=torch.as_tensor(self.distances, dtype=torch.float32),
            name=name,
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
    tf_statistics : sequence of str, default=()
        TF statistics whose within-space percentile ranks every training batch carries
        (``PairBatch.tf_ranks``, for ``model.tf_weight > 0``); empty: none.
    tf_table : path, optional
        The TF-statistic table (default: the one shipped for the space,
        :func:`cbred.tables.load_tf_table`).
    tf_directions : mapping of str to {+1, -1}, optional
        Directions of statistics cbred does not know (:func:`resolve_directions`).

    Attributes
    ----------
    split_ : Series
        Split of every architecture (after :meth:`setup`): ``train``, ``val``, ``test``, or
        ``excluded`` (:meth:`exclude`: neither trained on nor tested).
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
        tf_statistics: Sequence[str] = (),
        tf_table: str | None = None,
        tf_directions: Mapping[str, int] | None = None,
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
        self.tf_statistics = tuple(tf_statistics)
        self.tf_table = tf_table
        self.tf_directions = dict(tf_directions or {})

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
        if not self.featurizer.reads(self.space.node_vocab):
            raise ValueError(
                f"featurizer vocabulary {self.featurizer.vocab} is not the vocabulary of space "
                f"{self.space.name!r} {tuple(self.space.node_vocab)} nor a union holding it"
            )

    def setup(self, stage: str | None = None) -> None:
        """Split, sample and compute the targets once (later calls return at once)."""
        if hasattr(self, "train_set_"):
            return
        self._check_params()
        self.split()
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

    def split(self) -> pd.Series:
        """Split of every architecture (``train``, ``val``, ``test``), computed once (``split_``)."""
        if not hasattr(self, "split_"):
            self.split_ = split_architectures(
                self.space,
                val=float(self.holdout.get("val", 0.0)),
                test=float(self.holdout.get("test", 0.0)),
                random_state=self.seed,
            )
        return self.split_

    def exclude(self, ids: Sequence[str]) -> int:
        """Leave training architectures out of training (split ``excluded``), e.g. those held
        out in another space of a joint run; before :meth:`setup`.

        Returns
        -------
        int
            How many training architectures were excluded (ids held out already stay so).
        """
        if hasattr(self, "train_set_"):
            raise RuntimeError("GraphPairDataModule.exclude: the training pairs are drawn already (call it before setup)")
        split = self.split()
        chosen = split.index.isin(list(ids)) & (split == "train").to_numpy()
        split.iloc[np.flatnonzero(chosen)] = EXCLUDED
        return int(chosen.sum())

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
        ranks = None  # before the slow targets, so that a bad statistic or table stops the run early
        if self.tf_statistics:
            ranks = self.tf_ranks().reindex(pd.Index(table.ids)).to_numpy(dtype=np.float32)
        targets = pair_distances(
            self.target, table, pairs, n_jobs=self.n_jobs, cache=self.cache,
            progress=self.progress, desc="training targets",
        )
        return AnchorCandidates(
            table, np.arange(n_anchors), candidates, targets.reshape(candidates.shape), self.featurizer, ranks
        )

    def tf_ranks(self) -> pd.DataFrame:
        """Within-space percentile rank of each TF statistic, higher = better (in ``(0, 1]``).

        Read from the TF table alone (:func:`~cbred.tables.load_tf_table`, duplicates
        averaged), ranked over the space's architectures
        (:func:`~cbred.selection.ranks.signed_ranks`).

        Returns
        -------
        DataFrame
            Index: the space's ids; one column per ``tf_statistics`` (NaN: no row).
        """
        from cbred.selection.ranks import resolve_directions, signed_ranks
        from cbred.tables import align_table, load_tf_table

        directions = resolve_directions(self.tf_statistics, self.tf_directions)
        table = load_tf_table(self.tf_table, duplicates="mean", space=self.space)
        aligned = align_table(table, self.space, list(directions))
        return signed_ranks(aligned, directions)

    def _mutant(self, anchor: str, heldout_classes: set, rng: np.random.Generator, tries: int = 3):
        """A mutant of ``anchor`` (1..max_mutation_steps steps) in the training split, or None."""
        steps = int(rng.integers(1, self.max_mutation_steps + 1))
        for _ in range(tries):
            found = self.space.mutate(anchor, steps, rng)
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
        self.split()
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

    def test_sets(self) -> dict[str, FidelitySet]:
        """The test fidelity set by space name (one space; :class:`~cbred.learned.joint.JointPairDataModule` has several)."""
        return {self.space.name: self.test_set_}

    # -- loaders ------------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        # the order of epoch e depends on (seed, e) alone: a resumed run trains as an uninterrupted one
        sampler = SpaceBatchSampler([len(self.train_set_)], self.batch_size, self.seed)
        return DataLoader(self.train_set_, batch_sampler=sampler, collate_fn=self.train_set_.collate)

    def val_dataloader(self) -> DataLoader:
        return DataLoader([self.val_set_.batch(self.featurizer)], batch_size=None)

    def test_dataloader(self) -> DataLoader:
        return DataLoader([self.test_set_.batch(self.featurizer)], batch_size=None)
