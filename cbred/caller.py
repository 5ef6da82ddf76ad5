"""Warnings located at the user's code: the first frame outside the cbred package.

A warning about the user's input (statistics left out, cells without accuracy, a
constraint that removes everything) is most useful at the line that passed the input, a
script's ``cbred.reduce(...)`` or ``reduce.py``, not at the library line that noticed it,
however deep the call.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

#: The package's own directory: frames inside it are skipped.
PACKAGE = str(Path(__file__).resolve().parent)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning issued by :func:`warn`'s caller name the first
    frame outside cbred (1 = :func:`warn` itself)."""
    frame, level = sys._getframe(1), 1  # warn()'s own frame
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` located at the user's code."""
    warnings.warn(message, category, stacklevel=user_stacklevel())
