"""Reference data: the package catalog, partners, DID inventory, samples."""

from pathlib import Path

HERE = Path(__file__).parent
