"""Training-free statistics of networks at initialisation, and the table of them.

Every statistic family registers in :data:`STATISTICS` (when the registry is first read):

================ ================================================== =========
name             what                                               direction
================ ================================================== =========
ntk_cond         condition number of the NTK (TE-NAS)               lower
linear_regions   activation patterns visited by a sample (TE-NAS)   higher
naswot_v1        Jacobian covariance score (NASWOT v1, "jacov")     higher
naswot_v2        log-det of the activation Hamming kernel (NASWOT)  higher
synflow          log synaptic flow (SynFlow)                        higher
snip             connection sensitivity (SNIP)                      higher
grad_norm        summed gradient norms                              higher
params           parameters (millions)                              higher
flops            multiply-adds per image (millions; AZ-NAS's        higher
                 complexity)
zico             inverse coefficient of variation of gradients      higher
meco             min. eigenvalue of feature-map correlations        higher
swap             distinct sample-wise activation patterns           higher
az_expressivity  entropy of feature covariance spectra (AZ-NAS)     higher
az_progressivity smallest expressivity gain between blocks          higher
az_trainability  Jacobian spectral norms near 1 (AZ-NAS)            higher
epe_nas          per-class Jacobian correlations (EPE-NAS)          higher
zen              log feature response to input noise (Zen-NAS)      higher
fisher           Fisher information of channel masks                higher
grasp            -w * Hessian-gradient product (GraSP)              higher
plain            sum of w * dL/dw                                   higher
l2_norm          summed weight norms                                higher
================ ================================================== =========

``direction(name)`` gives +1 / -1; ``load_table()`` the embedded NB201 table;
:mod:`cbred.tfstats.runner` computes tables; :mod:`cbred.tfstats.aggregation` turns the
statistics' ranks into one score. The names above load lazily (on first use), so that
the torch-free parts (:mod:`~cbred.tfstats.aggregation`, :mod:`~cbred.tfstats.noise`)
import without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it (imported on first use).
_LAZY = {
    "STATISTICS": "cbred.tfstats.registry",
    "Statistic": "cbred.tfstats.registry",
    "direction": "cbred.tfstats.registry",
    "statistic": "cbred.tfstats.registry",
    "UnknownNameError": "cbred.registry",
    "load_table": "cbred.tfstats.table",
    "table_metadata": "cbred.tfstats.table",
    "TABLE_PATH": "cbred.tfstats.table",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cbred.tfstats' has no attribute {name!r}")
