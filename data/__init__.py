"""Reference data: the package catalog, partners, DID inventory, samples."""
