"""Search spaces and benchmark tables."""

import importlib

#: Public names and their modules, imported on first use: ``python -m cbred.data.nb101``
#: then runs a module the package has not imported already.
_EXPORTS = {
    "load_benchmark": "cbred.data.benchmark",
    "read_table": "cbred.data.benchmark",
    "NB101Space": "cbred.data.nb101",
    "NB201Space": "cbred.data.nb201",
    "SearchSpace": "cbred.data.space",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cbred.data' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = ["NB101Space", "NB201Space", "SearchSpace", "load_benchmark", "read_table"]
