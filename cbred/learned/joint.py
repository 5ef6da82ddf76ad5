"""Training pairs of several spaces for one encoder: :class:`JointPairDataModule`.

Every space keeps its own :class:`~cbred.learned.datamodule.GraphPairDataModule` (split,
anchors, mutants, targets, fidelity sets); the joint module draws every training batch
from one space (a batch's graphs share a vocabulary and its targets one cost model) and
interleaves the spaces' batches in a shuffled order, so that one encoder over the union
vocabulary (:func:`~cbred.learned.featurizer.union_vocab`) learns them all at once.
Validation and test hold one fidelity batch per space; the learner logs each under its
space's name and their mean (weighted by queries) under the plain name, which the
checkpoint follows.

Spaces can share architectures: TransNAS-Bench-101 micro's cells are the NAS-Bench-201
cells without ``avg_pool_3x3``, and featurize identically under the union vocabulary. An
architecture held out in one space is therefore excluded from the training of every
other, matched both by isomorphism class (edge-cell spaces label classes by the
operations' names) and by computational graph (:func:`graph_keys`: operation names and
edges; NB201 cells that differ only on pruned edges share a graph, not a class), so that
no space's held-out pairs are trained on through another.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytorch_lightning as pl
from torch.utils.data import DataLoader, Dataset

from cbred.graph import GraphBatch
from cbred.learned.datamodule import AnchorCandidates, FidelitySet, GraphPairDataModule, PairBatch, SpaceBatchSampler
from cbred.learned.featurizer import union_vocab

log = logging.getLogger(__name__)

def graph_keys(batches: Sequence[GraphBatch]) -> list[np.ndarray]:
    """One key per graph, equal across batches (of any vocabularies) for equal graphs.

    A graph's key is its node operations by name and its adjacency, padded to the widest
    batch (same graph in the same node order: same key).

    Shapes
    ------
    batches of ``N_i`` graphs -> arrays of ``N_i`` opaque keys (numpy void scalars)
    """
    names = union_vocab(*(batch.vocab for batch in batches))
    width = max(batch.ops.shape[1] for batch in batches)
    keys = []
    for batch in batches:
        column = np.array([names.index(op) for op in batch.vocab] + [-1], dtype=np.int8)  # -1: padding
        extra = width - batch.ops.shape[1]
        ops = column[np.pad(batch.ops, ((0, 0), (0, extra)), constant_values=-1)]
        adjacency = np.pad(batch.adjacency, ((0, 0), (0, extra), (0, extra))).reshape(len(batch), -1)
        rows = np.ascontiguousarray(np.concatenate([ops.view(np.uint8), adjacency.astype(np.uint8)], axis=1))
        keys.append(rows.view(np.dtype((np.void, rows.shape[1]))).ravel())
    return keys


def fidelity_suffix(space: str, spaces: Sequence[str]) -> str:
    """Suffix of a space's fidelity files in a run over ``spaces``: none for the run's own
    (first) space, ``_<space>`` for a joint one (``fidelity.csv``, ``fidelity_nb101.csv``)."""
    return "" if space == spaces[0] else f"_{space}"


class JointPairs(Dataset):
    """The training pairs of several spaces as one dataset (items numbered space after space).

    Parameters
    ----------
    parts : mapping of str to AnchorCandidates
        Every space's training pairs, by space name.
    """

    def __init__(self, parts: Mapping[str, AnchorCandidates]) -> None:
        self.parts = dict(parts)
        self.offsets = np.cumsum([0] + [len(part) for part in self.parts.values()])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index: int) -> int:
        return int(index)

    @property
    def n_pairs(self) -> int:
        return sum(part.n_pairs for part in self.parts.values())

    def collate(self, items: Sequence[int]) -> PairBatch:
        """The batch of items of one space (:meth:`AnchorCandidates.collate`)."""
        items = np.asarray(items, dtype=np.int64)
        part = np.searchsorted(self.offsets, items, side="right") - 1
        if len(np.unique(part)) != 1:
            names = sorted({list(self.parts)[p] for p in part})
            raise ValueError(f"a batch mixes the pairs of spaces {names}: batches must hold one space (SpaceBatchSampler)")
        return list(self.parts.values())[part[0]].collate(items - self.offsets[part[0]])


class JointPairDataModule(pl.LightningDataModule):
    """Pairs of several spaces for one encoder: every space's data module, batched together.

    Parameters
    ----------
    modules : mapping of str to GraphPairDataModule
        One data module per space, by space name, sharing one featurizer (whose vocabulary
        reads every space) and the batch size, seed and TF statistics.

    Attributes
    ----------
    train_set_ : JointPairs
    val_sets_, test_sets_ : dict of str to FidelitySet
        Every space's held-out sets (those of its own data module).
    excluded_ : dict of str to int
        Training architectures of every space left out as held out in another space.
    """

    def __init__(self, modules: Mapping[str, GraphPairDataModule]) -> None:
        super().__init__()
        self.modules = dict(modules)

    def _check_params(self) -> None:
        if len(self.modules) < 2:
            raise ValueError(f"JointPairDataModule: needs at least two spaces, got {list(self.modules)}")
        first = next(iter(self.modules.values()))
        for name, module in self.modules.items():
            if module.space.name != name:
                raise ValueError(f"JointPairDataModule: the module of {name!r} holds space {module.space.name!r}")
            for shared in ("featurizer", "batch_size", "seed", "tf_statistics"):
                if getattr(module, shared) != getattr(first, shared):
                    raise ValueError(
                        f"JointPairDataModule: space {name!r} has another {shared} "
                        f"({getattr(module, shared)!r}) than {first.space.name!r} ({getattr(first, shared)!r})"
                    )

    @property
    def featurizer(self):
        return next(iter(self.modules.values())).featurizer

    @property
    def tf_statistics(self) -> tuple[str, ...]:
        return next(iter(self.modules.values())).tf_statistics

    def setup(self, stage: str | None = None) -> None:
        """Split every space, exclude architectures held out elsewhere, then set every space up."""
        if hasattr(self, "train_set_"):
            return
        self._check_params()
        for name, module in self.modules.items():
            if hasattr(module, "train_set_"):
                raise ValueError(f"JointPairDataModule: the module of {name!r} is set up already: "
                                 "its training pairs cannot leave out what other spaces hold out")
        splits = {name: module.split() for name, module in self.modules.items()}
        # every architecture of every space, in the order of its split (the space's ids)
        ids = {name: split.index.to_numpy(dtype=object) for name, split in splits.items()}
        classes = {name: module.space.isomorphism_classes().to_numpy() for name, module in self.modules.items()}
        keys = dict(zip(self.modules, graph_keys([module.space.graphs() for module in self.modules.values()])))
        heldout = {name: (split != "train").to_numpy() for name, split in splits.items()}
        self.excluded_ = {}
        for name, module in self.modules.items():
            others = [other for other in self.modules if other != name]
            seen_classes = set().union(*(set(classes[o][heldout[o]]) for o in others))
            seen_graphs = set().union(*(set(keys[o][heldout[o]].tolist()) for o in others))
            shared = pd.Index(classes[name]).isin(seen_classes) | np.array([key in seen_graphs for key in keys[name].tolist()])
            self.excluded_[name] = module.exclude(ids[name][shared])
        log.info("training architectures held out in another space, excluded: %s", self.excluded_)
        for module in self.modules.values():
            module.setup(stage)
        self.train_set_ = JointPairs({name: module.train_set_ for name, module in self.modules.items()})
        self.val_sets_ = {name: module.val_set_ for name, module in self.modules.items()}
        self.test_sets_ = {name: module.test_set_ for name, module in self.modules.items()}

    def test_sets(self) -> dict[str, FidelitySet]:
        return dict(self.test_sets_)

    # -- loaders ------------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        first = next(iter(self.modules.values()))
        sampler = SpaceBatchSampler([len(part) for part in self.train_set_.parts.values()], first.batch_size, first.seed)
        return DataLoader(self.train_set_, batch_sampler=sampler, collate_fn=self.train_set_.collate)

    def _fidelity_loader(self, sets: Mapping[str, FidelitySet]) -> DataLoader:
        return DataLoader([fidelity_set.batch(self.featurizer, name=name) for name, fidelity_set in sets.items()],
                          batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return self._fidelity_loader(self.val_sets_)

    def test_dataloader(self) -> DataLoader:
        return self._fidelity_loader(self.test_sets_)
