"""cbred: clustering-based reduction (C-BRED) of neural-architecture-search spaces.

The package follows the pipeline::

    space -> graphs -> distance -> clustering -> cluster scores -> selection -> evaluation
      \\-> networks -> training-free statistics --------/

``cbred.data`` holds the spaces and benchmark tables, ``cbred.graph`` the computational
graphs every other step reads.
"""

__version__ = "0.1.0"
