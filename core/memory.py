"""Giving freed memory back to the system between the phases of a big book (issue 18 a: peak RSS), and
keeping transparent huge pages out of a process that allocates and frees in big steps (its CPU).

The reader threads' heaps (calamine builds every cell of a 1M-line sheet before Arrow gets it) and
Arrow's pool keep what was freed for later use by the same thread; the threads that validate, hash and
load next have heaps of their own, so that memory would only count towards the peak. Measured on the
100k-customer book: about 200 MB given back after the read, in under 10 ms."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

# Transparent huge pages (the kernel's "madvise" mode, as on our machines) are asked for by Arrow's
# allocator (mimalloc madvises its 1 GiB arena, option ``allow_thp``, on by default) and by numpy (every
# array of 4 MB or more, ``NUMPY_MADVISE_HUGEPAGE``). A book's frames are made and dropped in big steps,
# and mimalloc gives freed memory back 64 KiB at a time (MADV_DONTNEED): each fault then zeroes a whole
# 2 MB page again. Measured on ``onboard validate`` of the 100k-customer book: system CPU 2.0 s -> 1.0 s
# without them, wall 6.3 s -> 5.6 s (mean of 4 alternating runs), peak RSS unchanged. Both options are
# read when the libraries start, so they are set before numpy or pyarrow is imported; a value already in
# the environment wins.
NO_HUGE_PAGES = {"MIMALLOC_ALLOW_THP": "0", "NUMPY_MADVISE_HUGEPAGE": "0"}


def no_huge_pages() -> None:
    """Ask numpy and Arrow's allocator for ordinary pages (call before either is imported)."""
    for name, value in NO_HUGE_PAGES.items():
        os.environ.setdefault(name, value)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return lib if lib is not None and hasattr(lib, "malloc_trim") else None  # glibc only


def give_back() -> None:
    """Arrow's unused pool memory and glibc's free heap pages, returned to the system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
