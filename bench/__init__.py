"""Benchmarks that print ratios.

Every benchmark process starts as an ``onboard`` process does (``onboard/__init__``): without transparent
huge pages (``core.memory.no_huge_pages``), the baselines and the pipeline alike.
"""

from core.memory import no_huge_pages

no_huge_pages()
