"""Giving freed memory back to the operating system.

When a large model is freed, CPython and TensorFlow return its memory to glibc's allocator, which keeps
much of it in its arenas: the process's resident size (what a class server's budget sees) stays high.
``release_memory()`` runs a full garbage collection (TensorFlow objects often sit in reference cycles) and
then glibc's ``malloc_trim(0)``, which returns the free pages at the top of every arena. On other C
libraries the trim is skipped. See docs/classroom.md for what this was measured to give back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_memory(collect: bool = True) -> bool:
    """Collect garbage (unless ``collect`` is False) and trim glibc's heap; True when the trim ran."""
    if collect:
        gc.collect()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def rss_bytes() -> int:
    """This process's resident set size (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    import resource

    return pages * resource.getpagesize()
