"""Spend a budget of training-free measurements where the reduction needs them.

Measuring TF statistics is what a reduction costs. A sampler decides which isomorphism
classes (units) to measure, batch after batch, until its budget (a number or fraction of
the units, or seconds of measurement) is spent; the reduction then scores the others
through their measured neighbours (``tfstats.partial``).

================== ==================================================================
``base``           :class:`TFSampler`: the budgeted loop (batches, seconds, history)
``uniform``        :class:`UniformSampling`: a seeded uniform draw
``active``         :class:`ActiveSampling`: a uniform seed, then the units whose
                   neighbourhood score is most promising and least certain
``acquisition``    :data:`ACQUISITIONS`: how promise and uncertainty become one number
``oracle``         :class:`TableOracle`: statistics revealed from a finished table
``measured``       :func:`sample_statistics`: a space, a distance and a sampler in, the
                   TF table the budget buys out
================== ==================================================================
"""

from cbred.sampling.acquisition import ACQUISITIONS
from cbred.sampling.active import ActiveSampling
from cbred.sampling.base import TFSampler
from cbred.sampling.measured import sample_statistics
from cbred.sampling.oracle import TableOracle
from cbred.sampling.uniform import UniformSampling

__all__ = ["ACQUISITIONS", "ActiveSampling", "TFSampler", "TableOracle", "UniformSampling", "sample_statistics"]
