"""The interface every distance between computational graphs implements.

A distance is a small object whose parameters are keyword arguments of ``__init__``
(instantiable from ``configs/distance/<name>.yaml`` through ``_target_``). It turns a
:class:`~cbred.graph.GraphBatch` into a float32 matrix of pairwise distances with
:meth:`Distance.pairwise`, which runs the chunked, memory-bounded, cached engine of
:mod:`cbred.distances.pairwise`. A subclass only says how to represent one graph
(:meth:`Distance.features`) and how to compare two blocks of representations
(:meth:`Distance.block`).

Properties every distance states as class attributes (read them on the class or on an
instance):

``symmetric``
    ``d(a, b) == d(b, a)`` for all graphs.
``triangle_inequality``
    ``d`` is a metric: symmetric, non-negative, zero on equal graphs and
    ``d(a, c) <= d(a, b) + d(b, c)``.
``is_euclidean``
    ``d(a, b) == ||e(a) - e(b)||_2`` for the embedding ``e`` returned by
    :meth:`Distance.embed`, so that large spaces can use k-means or kNN on the
    embedding instead of an ``N x N`` matrix.
"""

from __future__ import annotations

import abc
import copy
import inspect
from typing import Any, ClassVar

import numpy as np
import torch

from cbred.graph import GraphBatch
from cbred.registry import Registry

#: Distance classes by their ``name`` (filled by subclassing, see :func:`make_distance`).
DISTANCES: Registry[type[Distance]] = Registry("distance")


class Distance(abc.ABC):
    """Base class of the distances between computational graphs.

    Parameters
    ----------
    memory_mb : float, default=1024
        Bound on the working memory of one block of the pairwise engine, in MiB (the
        result matrix itself, ``4 n m`` bytes, comes on top).
    device : str, default="auto"
        Torch device of the block computations (:func:`cbred.device.resolve_device`).
    cache : bool, default=True
        Keep pairwise matrices on disk under :func:`cbred.paths.cache_dir`, keyed by the
        vocabulary, the ids and arrays of the graphs and :meth:`cache_config`; a second
        call with the same inputs loads the file.
    progress : bool or None, default=None
        Progress bar over blocks; ``None`` shows it when there are more than a few.
    n_jobs : int, default=1
        Worker processes for the blocks (``-1``: all cores). Worth it for distances whose
        blocks run Python code (graph edit distance); torch blocks already use all cores.

    Notes
    -----
    Subclasses take their own parameters as keyword arguments, store them unchanged
    under the same names and forward the engine options (``**engine``) to this
    ``__init__``; :meth:`get_params` reads the parameters back from the signature, the
    way scikit-learn estimators do. Parameters are validated by :meth:`_check_params`,
    called on every :meth:`pairwise` and :meth:`embed`.
    """

    #: Short name, unique among distances (:func:`make_distance`, cache file names).
    name: ClassVar[str]
    symmetric: ClassVar[bool] = True
    triangle_inequality: ClassVar[bool] = False
    is_euclidean: ClassVar[bool] = False
    #: Names of the engine options: they change how, not what, is computed.
    ENGINE_OPTIONS: ClassVar[tuple[str, ...]] = (
        "memory_mb",
        "device",
        "cache",
        "progress",
        "n_jobs",
    )

    def __init__(
        self,
        *,
        memory_mb: float = 1024.0,
        device: str = "auto",
        cache: bool = True,
        progress: bool | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.memory_mb = memory_mb
        self.device = device
        self.cache = cache
        self.progress = progress
        self.n_jobs = n_jobs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:  # intermediate base classes have no name
            return
        taken = DISTANCES.get(cls.name)
        if taken is not None and _qualified(taken) == _qualified(cls):  # a reload replaces itself
            del DISTANCES[cls.name]
        DISTANCES[cls.name] = cls  # another class of a taken name: the registry refuses it

    # -- what a subclass provides ----------------------------------------------------
    @abc.abstractmethod
    def features(self, graphs: GraphBatch) -> np.ndarray:
        """Representation of every graph that :meth:`block` compares.

        Graphs with equal rows must be at distance 0: the engine computes each distinct
        row once and copies the result to the duplicates. The engine calls this once
        on all graphs of a call (both arguments of :meth:`pairwise` together), so that
        data-dependent representations (e.g. a label dictionary) share one basis.

        Returns
        -------
        array, shape (N, F)
        """

    @abc.abstractmethod
    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Distances between two blocks of feature rows.

        Shapes
        ------
        x : (a, F), y : (b, F) -> (a, b), on the engine's device.
        """

    def block_bytes(self, n_features: int) -> int:
        """Working memory of :meth:`block` per pair of rows, in bytes (sizes the chunks)."""
        return 8 * max(int(n_features), 1)

    def _check_params(self) -> None:
        """Validate the parameters (``ValueError`` naming the culprit); subclasses extend."""
        if not float(self.memory_mb) > 0:
            raise ValueError(
                f"{type(self).__name__}: memory_mb must be positive, got {self.memory_mb!r}"
            )
        check_n_jobs(self.n_jobs, type(self).__name__)

    # -- public API ------------------------------------------------------------------
    def pairwise(self, graphs: GraphBatch, other: GraphBatch | None = None) -> np.ndarray:
        """Matrix of distances between ``graphs`` and ``other`` (default: ``graphs``).

        Parameters
        ----------
        graphs : GraphBatch
            ``n`` graphs of one space.
        other : GraphBatch, optional
            ``m`` graphs of the same space (same vocabulary).

        Returns
        -------
        ndarray of float32, shape (n, m), or (n, n) when ``other`` is None
            For ``other=None`` the diagonal is exactly 0 (and the matrix exactly
            symmetric when the distance is).

        Raises
        ------
        ValueError
            Empty input, graphs of different spaces, invalid parameters, invalid
            graph representations (e.g. NaN in a distribution).
        """
        from cbred.distances.pairwise import pairwise_distances

        self._check_params()
        return pairwise_distances(
            self,
            graphs,
            other,
            memory_mb=float(self.memory_mb),
            device=self.device,
            cache=bool(self.cache),
            progress=self.progress,
            n_jobs=self.n_jobs,
        )

    def embed(self, graphs: GraphBatch) -> np.ndarray:
        """Euclidean embedding: ``||embed[i] - embed[j]||_2 == pairwise[i, j]``.

        Returns
        -------
        ndarray of float32, shape (n, d)

        Raises
        ------
        TypeError
            When the distance is not the Euclidean distance of an embedding
            (``is_euclidean`` is False).
        """
        raise TypeError(
            f"{type(self).__name__} ({self.name!r}) is not a Euclidean distance and has no "
            "embedding; use pairwise() (Euclidean distances: "
            f"{', '.join(sorted(n for n, c in DISTANCES.items() if c.is_euclidean))})"
        )

    def with_engine(self, **options: Any) -> Distance:
        """A copy of this distance with other engine options (e.g. ``cache=False``).

        For one-off blocks, such as the chunks of a landmark embedding, that are not worth
        a cache file each.
        """
        unknown = sorted(set(options) - set(self.ENGINE_OPTIONS))
        if unknown:
            raise ValueError(f"{unknown} are not engine options (choices: {', '.join(self.ENGINE_OPTIONS)})")
        clone = copy.copy(self)
        vars(clone).update(options)
        return clone

    def get_params(self) -> dict[str, Any]:
        """Parameters of the distance (not the engine options), from the ``__init__`` signature."""
        signature = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name, p in signature.parameters.items()
            if name != "self"
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            and name not in self.ENGINE_OPTIONS
        }

    def cache_config(self) -> dict[str, Any]:
        """Everything that determines the result: class and parameters (JSON-serialisable)."""
        return {
            "distance": _qualified(type(self)),
            "params": _plain(self.get_params()),
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={_plain(v)!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _plain(value: Any) -> Any:
    """Hydra containers and tuples as plain JSON types (for cache keys and repr)."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover - hydra is a dependency
        pass
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def distance_names() -> list[str]:
    """Names of all distance classes defined so far."""
    import cbred.distances  # noqa: F401  (defines the built-in distances)

    return sorted(DISTANCES)


def make_distance(name: str, **params: Any) -> Distance:
    """Distance by name, e.g. ``make_distance("hellinger", feature="wl_subtree")``.

    Raises
    ------
    KeyError
        For an unknown name, listing the choices.
    """
    distance_names()  # the built-in distances are registered
    return DISTANCES[name](**params)


def check_n_jobs(n_jobs: Any, owner: str) -> None:
    """``n_jobs`` is a positive int or -1 (every core); ``ValueError`` naming ``owner`` otherwise."""
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"{owner}: n_jobs must be a positive int or -1, got {n_jobs!r}")
