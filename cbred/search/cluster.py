"""A search's training function over the machines of a cluster: Dask distributed.

:class:`~cbred.search.evaluators.CallableEvaluator` takes any :mod:`concurrent.futures`-style
executor, and ``distributed.Client.get_executor()`` is one: from Python, no adapter sits
between the search and the cluster::

    from distributed import Client
    client = Client("tcp://scheduler:8786")          # or Client() for a LocalCluster
    evaluator = CallableEvaluator(function=train, executor=client.get_executor(pure=False))

``pure=False`` because training is not a pure function of the architecture id: two queries
of the same id must both run (Dask would otherwise answer the second from the first).

Why Dask distributed and not Ray: its executor *is* the protocol the search already speaks
(Ray's task API returns ``ObjectRef``\\ s, which need wrapping into futures); a
``LocalCluster`` starts in seconds, so the same code is tested on one machine; and it installs
as a few pure-Python wheels (``distributed``, ``dask`` and small dependencies, about 5 MB),
against Ray's single wheel of about 75 MB with its own object store and runtime.

:func:`dask_executor` is the configuration route (``search.py search.executor=...``), where
an executor must be made from plain values; it owns the client it connects, so that the
search's shutdown of the executor also closes the connection (or the ``LocalCluster`` it
started).
"""

from __future__ import annotations

from typing import Any

try:
    from distributed import Client
    from distributed.cfexecutor import ClientExecutor
except ImportError as error:  # an optional dependency: say how to get it
    raise ImportError("cbred.search.cluster needs Dask distributed: pip install 'cbred[distributed]'") from error


class DaskExecutor(ClientExecutor):
    """``Client.get_executor()`` that owns its client: :meth:`shutdown` also closes it.

    Parameters
    ----------
    client : distributed.Client
        Closed when the executor shuts down.
    **options
        Of :meth:`distributed.Client.submit`, for every call (``pure``, ``resources``,
        ``retries``, ...).
    """

    def __init__(self, client: Client, **options: Any) -> None:
        super().__init__(client, **options)
        self.client = client

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait=wait)
        self.client.close()


def dask_executor(address: str | None = None, *, retries: int = 0, **client_options: Any) -> DaskExecutor:
    """An executor over the Dask cluster of scheduler ``address`` (``search.executor``'s target).

    Parameters
    ----------
    address : str, optional
        The scheduler, e.g. ``"tcp://10.0.0.1:8786"`` (``dask scheduler`` on one machine,
        ``dask worker tcp://10.0.0.1:8786`` on the others); None starts a ``LocalCluster``
        on this machine.
    retries : int, default=0
        Times a query whose worker died is run again elsewhere.
    **client_options
        Of :class:`distributed.Client` (with ``address=None``: of the ``LocalCluster``,
        e.g. ``n_workers``, ``threads_per_worker``).

    Returns
    -------
    DaskExecutor
        Calls are not pure (a training run is not a function of its id alone).
    """
    return DaskExecutor(Client(address, **client_options), pure=False, retries=retries)
