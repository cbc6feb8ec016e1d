"""Libraries a product process never uses, kept from loading (issue 18 a: CPU beside the read).

pandera imports hypothesis whenever it is installed, for its data-synthesis strategies
(``pandera.strategies.base_strategies``: ``try: from hypothesis.strategies import ...``), and the first
``validate`` of a process loads them. ``make install`` installs the test extras, so every ``onboard`` process
paid for a library only our tests use: measured, the validators' warm-up (``validators.check.warm_up``) took
0.27-0.38 s of CPU with it and 0.16-0.20 s without, on the side thread that runs beside the workbook's read.

Marked absent here (``None`` in ``sys.modules``: importing it raises ImportError, which pandera takes as "not
installed", the configuration of any install without the test extras) only in processes that are the product:
the ``onboard`` entry point and the bench's staging process that stands for it. Never on import of a package
module: the tests import hypothesis in the same processes."""

from __future__ import annotations

import sys

TEST_ONLY = ("hypothesis",)


def skip_test_libraries() -> None:
    """Call at the start of a product process; a library already imported stays as it is."""
    for name in TEST_ONLY:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: the import system's "absent"
