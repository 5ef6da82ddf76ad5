"""Search spaces: architecture ids, computational graphs, isomorphism classes, mutations.

:class:`~cbred.spaces.space.SearchSpace` is the interface; :class:`~cbred.spaces.nb201.NB201Space`
and :class:`~cbred.spaces.nb101.NB101Space` (with its enumeration,
:mod:`~cbred.spaces.nb101_enumeration`) implement it.
"""

import importlib

#: Public names and their modules, imported on first use: ``python -m cbred.spaces.nb101``
#: then runs a module the package has not imported already.
_EXPORTS = {
    "NB101Space": "cbred.spaces.nb101",
    "NB201Space": "cbred.spaces.nb201",
    "SearchSpace": "cbred.spaces.space",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cbred.spaces' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
