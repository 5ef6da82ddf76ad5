"""Probabilistic distances between operation-usage distributions of computational graphs.

A feature map (:mod:`cbred.distances.features`) counts something in every graph; the
counts, normalised, are a distribution ``p`` over a (possibly very large, sparse) set of
bins. The three divergences below all split into a part that depends on one graph only
and a sum over the bins *both* graphs use::

    D(p, q) = finish( s(p) + s(q) + sum_{l : p_l > 0, q_l > 0} g(p_l, q_l) )

with ``g(p, 0) = 0``, so the block kernel only looks at the bins a graph uses (WL labels
of depth 2 on NB201: 22,846 bins, at most 22 per graph), see
:meth:`ProbabilisticDistance.block`. When ``g`` is a product (Hellinger, symmetric KL)
and a block uses few bins, the sum is a dense matrix product instead.

======================  ==========  ==========  ===================  ============
distance                symmetric   metric      Euclidean embedding  range
======================  ==========  ==========  ===================  ============
:class:`Hellinger`      yes         yes         ``sqrt(p) / sqrt 2``  [0, 1]
:class:`JensenShannon`  yes         yes         no                   [0, 1] (base 2)
:class:`SymmetricKL`    yes         no          no                   [0, inf)
======================  ==========  ==========  ===================  ============

References
----------
D. M. Endres and J. E. Schindelin, "A new metric for probability distributions", IEEE
Trans. Inf. Theory 49(7), 2003 (the square root of the Jensen-Shannon divergence is a
metric).
J. Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory
37(1), 1991.
H. Jeffreys, "An invariant form for the prior probability in estimation problems",
Proc. R. Soc. A 186, 1946 (the symmetrised Kullback-Leibler divergence).
"""

from __future__ import annotations

import abc
import math
import os
from typing import Any, ClassVar

import numpy as np
import torch
from scipy import sparse

from cbred.distances.base import Distance
from cbred.distances.features import FeatureMap, make_feature_map
from cbred.distances.pairwise import check_batches
from cbred.graph import GraphBatch


def check_distributions(counts: sparse.csr_matrix, ids=None, what: str = "feature map"):
    """Rows of non-negative finite counts, each with positive mass, normalised to sum 1.

    Raises
    ------
    ValueError
        For NaN or infinite entries, negative entries, or a row without mass, naming the
        first offending graph (its id when ``ids`` is given, else its position).
    """
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))

    def name(row: int) -> str:
        return repr(ids[row]) if ids is not None else f"at position {row}"

    for bad, problem in (
        (np.isnan(counts.data), "NaN in its distribution"),
        (np.isinf(counts.data), "an infinite entry in its distribution"),
        (counts.data < 0, "a negative entry in its distribution"),
    ):
        if bad.any():
            raise ValueError(f"graph {name(int(row_of[np.argmax(bad)]))} has {problem} ({what})")
    mass = np.asarray(counts.sum(axis=1)).reshape(-1)
    if np.any(mass <= 0):
        raise ValueError(
            f"graph {name(int(np.argmax(mass <= 0)))} has an empty histogram ({what}): "
            "not a distribution"
        )
    distributions = sparse.csr_matrix(sparse.diags(1.0 / mass) @ counts)
    distributions.eliminate_zeros()
    distributions.sort_indices()
    return distributions


def padded_rows(matrix: sparse.csr_matrix) -> np.ndarray:
    """Sparse rows as dense ``[bins | values | pair ids]``, padded with ``-1`` / ``0`` / ``-1``.

    The pair id numbers the distinct (bin, value) pairs of the whole matrix, so that a
    block can group equal entries with a cheap 1-d ``unique``. Equal rows stay equal
    (bins sorted), which is what the engine's de-duplication needs.

    Shapes
    ------
    matrix : (N, d) with at most s entries per row -> (N, 3 s) float64
    """
    nnz = np.diff(matrix.indptr)
    width = max(int(nnz.max()), 1)
    padded = np.zeros((matrix.shape[0], 3, width))
    padded[:, 0] = padded[:, 2] = -1.0
    rows = np.repeat(np.arange(matrix.shape[0]), nnz)
    slots = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], nnz)
    _, pair = np.unique(np.stack([matrix.indices, matrix.data]), axis=1, return_inverse=True)
    padded[rows, 0, slots] = matrix.indices
    padded[rows, 1, slots] = matrix.data
    padded[rows, 2, slots] = pair.reshape(-1)
    return padded.reshape(matrix.shape[0], 3 * width)


class ProbabilisticDistance(Distance):
    """A divergence between the normalised histograms of a feature map.

    Parameters
    ----------
    feature : str, default="op_histogram"
        Feature map name (:data:`cbred.distances.features.FEATURE_MAPS`):
        ``op_histogram``, ``edge_pair_histogram`` or ``wl_subtree``.
    feature_params : dict, optional
        Keyword arguments of the feature map, e.g. ``{"depth": 2}`` for ``wl_subtree``.
    **engine
        Engine options of :class:`~cbred.distances.base.Distance`.
    """

    #: ``g`` is a sum of products, so dense blocks are matrix products (:meth:`_shared_dense`).
    bilinear: ClassVar[bool] = False
    #: Blocks that use at most this many bins take the dense path when ``bilinear``.
    DENSE_BINS: ClassVar[int] = 512

    def __init__(
        self, *, feature: str = "op_histogram", feature_params: dict | None = None, **engine: Any
    ) -> None:
        super().__init__(**engine)
        self.feature = feature
        self.feature_params = feature_params

    def _check_params(self) -> None:
        super()._check_params()
        self.feature_map()  # unknown names / bad parameters raise here

    def feature_map(self) -> FeatureMap:
        """The feature map object (``KeyError`` listing the choices for an unknown name)."""
        return make_feature_map(self.feature, **dict(self.feature_params or {}))

    def distributions(self, graphs: GraphBatch) -> sparse.csr_matrix:
        """Normalised histograms, one row per graph, checked (see :func:`check_distributions`).

        Shapes
        ------
        graphs : N graphs -> (N, d) sparse float64, rows sum to 1
        """
        feature_map = self.feature_map()
        return check_distributions(feature_map(graphs), graphs.ids, what=repr(feature_map))

    def features(self, graphs: GraphBatch) -> np.ndarray:
        return padded_rows(self.distributions(graphs))

    def block_bytes(self, n_features: int) -> int:
        # per pair: the (pair, column) table, the bin table and the float64 result
        return 8 * (n_features // 3) + 48

    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Distances between two blocks of padded sparse rows (:func:`padded_rows`).

        The shared-bin sum is ``sum_k W[c(i, k), j]`` with ``W[c, j] = g(v_c, q_j(l_c))``
        over the distinct (bin ``l_c``, value ``v_c``) pairs ``c`` of the ``x`` block that
        ``y`` uses: few, since histogram values are small fractions (NB201 edge pairs: 217
        pairs for 15,625 graphs). ``g(p, 0) = 0`` makes bins ``y`` does not use vanish.

        Shapes
        ------
        x : (a, 3 s), y : (b, 3 s') -> (a, b) float64
        """
        x_bins, x_values, x_pairs = x.chunk(3, dim=1)
        y_bins, y_values, _ = y.chunk(3, dim=1)
        total = self._separable(x_values)[:, None] + self._separable(y_values)[None, :]
        if self.bilinear:
            bins = torch.unique(torch.cat([x_bins[x_bins >= 0], y_bins[y_bins >= 0]]))
            if len(bins) <= self.DENSE_BINS:
                p, q = _densify(x_bins, x_values, bins), _densify(y_bins, y_values, bins)
                return self._finish(total + self._shared_dense(p, q))
        return self._finish(total + self._shared_sum(x_bins, x_values, x_pairs, y_bins, y_values))

    def _shared_sum(self, x_bins, x_values, x_pairs, y_bins, y_values) -> torch.Tensor:
        """The shared-bin sum by the (bin, value) pair table of :meth:`block`."""
        y_real = y_bins >= 0
        # x entries in bins that y does not use contribute g(p, 0) = 0: drop them
        real = torch.isin(x_bins, y_bins[y_real])  # the padding bin -1 is never in y
        if not real.any():
            return x_values.new_zeros(len(x_bins), len(y_bins))
        pairs, code = torch.unique(x_pairs[real].long(), return_inverse=True)
        pair_bin = torch.empty(len(pairs), dtype=x_values.dtype, device=x_values.device)
        pair_value = torch.empty_like(pair_bin)
        pair_bin[code] = x_bins[real]
        pair_value[code] = x_values[real]
        bins, bin_of_pair = torch.unique(pair_bin, return_inverse=True)
        # q[l, j]: value of y row j in bin l (0 when unused), for the bins of x only
        q = torch.zeros(len(bins), len(y_bins), dtype=y_values.dtype, device=y_values.device)
        y_rows, y_slots = torch.nonzero(y_real, as_tuple=True)
        y_bin = y_bins[y_rows, y_slots]
        at = torch.searchsorted(bins, y_bin).clamp(max=len(bins) - 1)
        hit = bins[at] == y_bin
        q[at[hit], y_rows[hit]] = y_values[y_rows[hit], y_slots[hit]]
        table = self._shared(pair_value[:, None], q[bin_of_pair])
        pad = len(table)
        table = torch.cat([table, torch.zeros_like(table[:1])])
        codes = torch.full(x_bins.shape, pad, dtype=torch.long, device=x_values.device)
        codes[real] = code
        # row i gets sum_k table[codes[i, k]]: an embedding bag, much faster than gathers
        return torch.nn.functional.embedding_bag(codes, table, mode="sum", padding_idx=pad)

    # -- the divergence, as D = finish(s(p) + s(q) + sum over shared bins of g) -------
    def _shared_dense(self, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """``sum_l g(p_il, q_jl)`` of dense blocks ``(a, k)``, ``(b, k)`` as matrix
        products; only for ``bilinear`` divergences."""
        raise NotImplementedError(f"{type(self).__name__} is not bilinear")

    @abc.abstractmethod
    def _separable(self, values: torch.Tensor) -> torch.Tensor:
        """``s(p)`` from the padded values of every row (zeros are padding), shape (a,)."""

    @abc.abstractmethod
    def _shared(self, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """``g(p_l, q_l)`` elementwise, for ``p_l > 0``; must be 0 where ``q_l = 0``."""

    @abc.abstractmethod
    def _finish(self, total: torch.Tensor) -> torch.Tensor:
        """Distance from the accumulated sum."""


def _densify(bins: torch.Tensor, values: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """Padded sparse rows as dense rows over ``columns`` (sorted bins)."""
    dense = torch.zeros(len(bins), len(columns), dtype=values.dtype, device=values.device)
    at = torch.searchsorted(columns, bins.clamp(min=0)).clamp(max=len(columns) - 1)
    return dense.scatter_add_(1, at, values)  # padding adds 0


class Hellinger(ProbabilisticDistance):
    """Hellinger distance ``H(p, q) = sqrt(1 - sum_l sqrt(p_l q_l))``.

    A metric in ``[0, 1]``, and Euclidean: ``H(p, q) = ||sqrt(p) - sqrt(q)||_2 / sqrt(2)``,
    so :meth:`embed` returns ``sqrt(p) / sqrt(2)`` for k-means / kNN without a matrix.

    Parameters
    ----------
    feature, feature_params, **engine
        See :class:`ProbabilisticDistance`.

    References
    ----------
    E. Hellinger, "Neue Begründung der Theorie quadratischer Formen von unendlichvielen
    Veränderlichen", J. reine angew. Math. 136, 1909.
    """

    name = "hellinger"
    bilinear = True
    symmetric = True
    triangle_inequality = True
    is_euclidean = True

    def embed(self, graphs: GraphBatch) -> np.ndarray:
        """``sqrt(p) / sqrt(2)`` of every graph (dense).

        Shapes
        ------
        graphs : N graphs -> (N, d) float32, ``d`` bins of the feature map
        """
        self._check_params()
        check_batches(graphs)
        root = self.distributions(graphs).sqrt() / math.sqrt(2.0)
        needed = root.shape[0] * root.shape[1] * 4
        if needed > _available_memory():
            raise MemoryError(
                f"{type(self).__name__}(feature={self.feature!r}) has {root.shape[1]:,} bins for "
                f"{root.shape[0]:,} graphs: its dense embedding needs {needed / 2**30:,.1f} GiB, more than "
                "this machine has free; choose a coarser feature map (op_histogram, edge_pair_histogram, "
                "a smaller wl_subtree depth) or fewer graphs"
            )
        return root.astype(np.float32).toarray()  # no float64 dense copy

    def _separable(self, values):
        return 0.5 * values.sum(dim=1)  # sum p = 1 per row, halves of 1 - BC

    def _shared(self, p, q):
        return -torch.sqrt(p * q)

    def _shared_dense(self, p, q):
        return -(torch.sqrt(p) @ torch.sqrt(q).T)

    def _finish(self, total):
        return torch.sqrt(torch.clamp(total, min=0.0))


def _available_memory() -> float:
    """Bytes of free physical memory (infinite where the system does not say)."""
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return math.inf


class JensenShannon(ProbabilisticDistance):
    """Jensen-Shannon distance: the square root of the Jensen-Shannon divergence.

    ``JS(p, q) = sqrt( (KL(p || m) + KL(q || m)) / 2 )`` with ``m = (p + q) / 2`` and
    logarithms in ``base``; a metric (Endres & Schindelin, 2003), in ``[0, 1]`` for
    base 2. Equal to ``scipy.spatial.distance.jensenshannon(p, q, base)``.

    Parameters
    ----------
    base : float, default=2
        Base of the logarithm.
    feature, feature_params, **engine
        See :class:`ProbabilisticDistance`.
    """

    name = "jensen_shannon"
    symmetric = True
    triangle_inequality = True
    is_euclidean = False

    def __init__(
        self,
        *,
        base: float = 2.0,
        feature: str = "op_histogram",
        feature_params: dict | None = None,
        **engine: Any,
    ) -> None:
        super().__init__(feature=feature, feature_params=feature_params, **engine)
        self.base = base

    def _check_params(self) -> None:
        super()._check_params()
        if not float(self.base) > 1:
            raise ValueError(f"JensenShannon: base must be > 1, got {self.base!r}")

    def _separable(self, values):
        # a bin only one side uses contributes (p / 2) log 2
        return 0.5 * math.log(2.0) * values.sum(dim=1)

    def _shared(self, p, q):
        s = p + q
        return 0.5 * (torch.xlogy(p, p) + torch.xlogy(q, q) - torch.xlogy(s, s))

    def _finish(self, total):
        return torch.sqrt(torch.clamp(total / math.log(float(self.base)), min=0.0))


class SymmetricKL(ProbabilisticDistance):
    """Symmetrised Kullback-Leibler divergence (Jeffreys divergence) of smoothed histograms.

    ``J(p, q) = KL(p~ || q~) + KL(q~ || p~) = sum_l (p_l - q_l) (log(p_l + eps) - log(q_l + eps))``
    with ``p~ = p + eps`` in every bin (natural logarithm). ``KL`` of the smoothed, not
    renormalised, measures is the generalised divergence
    ``sum a log(a / b) - a + b``; the ``- a + b`` terms cancel in the symmetric sum. Bins
    that neither graph uses contribute nothing, so the value does not depend on the
    number of bins (renormalising by ``1 + d * eps`` would). Symmetric, zero only for equal
    distributions, not a metric; at most ``2 log(1 + 1 / eps)``.

    Parameters
    ----------
    epsilon : float, default=1e-4
        Smoothing mass added to every bin, so that disjoint supports give a finite value.
    feature, feature_params, **engine
        See :class:`ProbabilisticDistance`.

    References
    ----------
    S. Kullback and R. A. Leibler, "On information and sufficiency", Ann. Math. Stat. 22,
    1951.
    """

    name = "sym_kl"
    bilinear = True
    symmetric = True
    triangle_inequality = False
    is_euclidean = False

    def __init__(
        self,
        *,
        epsilon: float = 1e-4,
        feature: str = "op_histogram",
        feature_params: dict | None = None,
        **engine: Any,
    ) -> None:
        super().__init__(feature=feature, feature_params=feature_params, **engine)
        self.epsilon = epsilon

    def _check_params(self) -> None:
        super()._check_params()
        if not float(self.epsilon) > 0:
            raise ValueError(f"SymmetricKL: epsilon must be positive, got {self.epsilon!r}")

    def _log_ratio(self, values):
        # log(p + eps) - log(eps): zero on empty bins, so only used bins enter the sums
        return torch.log1p(values / float(self.epsilon))

    def _separable(self, values):
        return (values * self._log_ratio(values)).sum(dim=1)

    def _shared(self, p, q):
        return -(p * self._log_ratio(q) + q * self._log_ratio(p))

    def _shared_dense(self, p, q):
        return -(p @ self._log_ratio(q).T + self._log_ratio(p) @ q.T)

    def _finish(self, total):
        return torch.clamp(total, min=0.0)
