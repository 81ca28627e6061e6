"""Best-effort control of NumPy's OpenBLAS thread count (no extra package: the bundled library via ctypes).

Used to show how much of the numpy sampler's time is OpenBLAS threading on a small, busy machine.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os


def _lib():
    import numpy as np

    base = os.path.dirname(os.path.dirname(np.__file__))
    for pattern in ("numpy.libs/libscipy_openblas*", "numpy/.dylibs/libscipy_openblas*", "numpy.libs/libopenblas*"):
        for path in glob.glob(os.path.join(base, pattern)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for get, set_ in (
                ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                ("openblas_get_num_threads", "openblas_set_num_threads"),
            ):
                if hasattr(lib, get) and hasattr(lib, set_):
                    return getattr(lib, get), getattr(lib, set_)
    return None


def get_threads() -> int | None:
    fns = _lib()
    return int(fns[0]()) if fns else None


@contextlib.contextmanager
def blas_threads(n: int):
    """Limit OpenBLAS to n threads inside the block; yields False (and does nothing) when it can't."""
    fns = _lib()
    if fns is None:
        yield False
        return
    old = int(fns[0]())
    fns[1](int(n))
    try:
        yield True
    finally:
        fns[1](old)
