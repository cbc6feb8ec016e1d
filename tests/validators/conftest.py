from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.catalog import Catalog, load_catalog
from transforms.ingest import read_order
from transforms.normalize import NormalizedOrder, normalize


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def load(catalog: Catalog, cases: Path):  # type: ignore[no-untyped-def]
    def f(name: str) -> NormalizedOrder:
        order, _ = normalize(read_order(cases / name), catalog)
        return order

    return f


def make_inventory(n512: int = 10, n416: int = 5) -> pd.DataFrame:
    numbers = [f"+1512555{n:04d}" for n in range(200, 200 + n512)] + [f"+1416555{n:04d}" for n in range(200, 200 + n416)]
    return pd.DataFrame({"number": numbers, "npa": [x[2:5] for x in numbers], "nxx": [x[5:8] for x in numbers]})
