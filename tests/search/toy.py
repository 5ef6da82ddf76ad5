"""A toy search space for the search tests: bit strings, one-bit-flip neighbourhoods."""

from __future__ import annotations

import itertools

import pandas as pd

from cbred.search import SearchDomain


class BitStrings:
    """All bit strings of ``n_bits`` bits; the neighbours of a string flip one bit."""

    name = "toy_bits"

    def __init__(self, n_bits: int) -> None:
        self.n_bits = n_bits
        self.ids = tuple("".join(bits) for bits in itertools.product("01", repeat=n_bits))


def flip_one_bit(space: BitStrings, arch: str) -> tuple[str, ...]:
    return tuple(arch[:i] + ("1" if arch[i] == "0" else "0") + arch[i + 1:] for i in range(len(arch)))


def one_max(space: BitStrings) -> pd.Series:
    """Accuracy = number of ones, ties broken by position: one optimum, '11...1', no local optimum."""
    values = [arch.count("1") + 1e-3 * int(arch, 2) / 2 ** space.n_bits for arch in space.ids]
    return pd.Series(values, index=pd.Index(space.ids, name="arch"))


def toy_domain(n_bits: int = 10, members=None) -> SearchDomain:
    space = BitStrings(n_bits)
    return SearchDomain(space=space, members=space.ids if members is None else members, universe=space.ids,
                        neighbours=flip_one_bit)


def drive(strategy, accuracy, n):
    """Ask/tell ``n`` times synchronously; the asked architectures in order."""
    asked = []
    for _ in range(n):
        arch = strategy.ask()
        if arch is None:
            break
        asked.append(arch)
        strategy.tell(arch, accuracy[arch])
    return asked
