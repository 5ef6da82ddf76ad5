"""Training-free statistics of networks at initialisation, and the table of them.

Importing this package registers every statistic family in :data:`STATISTICS`:

============== ================================================== ==========
name           what                                               direction
============== ================================================== ==========
ntk_cond       condition number of the NTK (TE-NAS)               lower
linear_regions activation patterns visited by a sample (TE-NAS)   higher
naswot_v1      Jacobian covariance score (NASWOT v1, "jacov")     higher
naswot_v2      log-det of the activation Hamming kernel (NASWOT)  higher
synflow        log synaptic flow (SynFlow)                        higher
snip           connection sensitivity (SNIP)                      higher
grad_norm      summed gradient norms                              higher
params         parameters (millions)                              higher
flops          multiply-adds per image (millions)                 higher
============== ================================================== ==========

``direction(name)`` gives +1 / -1; ``load_table()`` the embedded NB201 table;
:mod:`cbred.tfstats.runner` computes tables.
"""

from cbred.registry import UnknownNameError
from cbred.tfstats import cost, naswot, saliency, tenas  # noqa: F401  (registration)
from cbred.tfstats.registry import STATISTICS, Statistic, direction, statistic
from cbred.tfstats.table import TABLE_PATH, load_table, table_metadata

__all__ = [
    "STATISTICS",
    "Statistic",
    "UnknownNameError",
    "direction",
    "statistic",
    "load_table",
    "table_metadata",
    "TABLE_PATH",
]
