"""cbred: clustering-based reduction (C-BRED) of neural-architecture-search spaces.

The package follows the pipeline::

    space -> graphs -> distance -> clustering -> cluster scores -> selection -> evaluation
      \\-> networks -> training-free statistics --------/

``cbred.spaces`` holds the search spaces, ``cbred.tables`` the benchmark and TF tables,
``cbred.graph`` the computational graphs every other step reads. The top level exports the one-call API and what a notebook
needs after it (imported on first use, so that ``import cbred`` stays light)::

    import cbred

    reduction = cbred.reduce("nb201", benchmark="nb201_cifar10")   # as `python reduce.py`
    reduction            # one line; a table in a notebook (the verdict, cbred.verdict)
"""

from importlib import import_module

__version__ = "0.1.0"

#: Top-level name -> module that defines it.
_EXPORTS = {
    "reduce": "cbred.api",
    "compose": "cbred.api",
    "load_inputs": "cbred.api",
    "reduce_from_config": "cbred.api",
    "reduce_space": "cbred.pipeline",
    "Reduction": "cbred.pipeline",
    "export_selection": "cbred.export",
    "save_figures_of": "cbred.viz.reduction",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cbred' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
