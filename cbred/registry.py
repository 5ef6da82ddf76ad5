"""Registries: names -> objects, filled by decorators, strict about names.

A :class:`Registry` rejects a duplicate registration and an unknown look-up with a
message that lists the registered choices (statistics, networks, mutations, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name that is not in a registry (message lists the choices)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class Registry(MutableMapping[str, T], Generic[T]):
    """Named objects, registered once each: a mapping that refuses to overwrite.

    ``registry[name] = obj`` and the :meth:`register` decorator reject an empty or taken
    name; ``registry[name]`` of an unknown name raises :class:`UnknownNameError`.

    Parameters
    ----------
    kind : str
        What the registry holds, used in error messages ("statistic", "network").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its argument under ``name`` and returns it unchanged."""
        self._check_name(name)

        def add(obj: T) -> T:
            self[name] = obj
            return obj

        return add

    def _check_name(self, name: object) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")

    def __setitem__(self, name: str, obj: T) -> None:
        self._check_name(name)
        if name in self._entries:
            raise ValueError(
                f"{self.kind} {name!r} is already registered (registered: {', '.join(self._entries)})"
            )
        self._entries[name] = obj

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self.kind} {name!r} (choices: {', '.join(sorted(self._entries))})"
            ) from None

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
