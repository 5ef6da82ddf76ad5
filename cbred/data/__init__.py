"""Search spaces and benchmark tables."""

from cbred.data.benchmark import load_benchmark, read_table
from cbred.data.nb101 import NB101Space
from cbred.data.nb201 import NB201Space
from cbred.data.space import SearchSpace

__all__ = ["NB101Space", "NB201Space", "SearchSpace", "load_benchmark", "read_table"]
